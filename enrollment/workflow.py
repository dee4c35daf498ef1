"""The enrollment workflow, pure: which state may follow which, and what each move
needs, as one office.workflow.Workflow per enrollment kind. Every change of an
enrollment's state is checked here (`check_transition`) and written by the one writer,
office.transitions.StateWriter (through services.enrollments), never by a field
assignment elsewhere.

States follow the bureau's words (xianda-freshman-confirmation-walkthrough.txt,
shanghai-student-insurance-guide-2024-11.txt Q4/Q18, DESIGN.md §1 and §4.4):
freshmen 未建账 → 已申请待审核 → 已建账 | 建账失败 (where the school registers its
freshmen, wuhan notice 三, 未建账 → 已建账 | 建账失败); collective and late enrollments
declared → paid → established → remitted, failed from declared or paid."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from office.workflow import Transition, Workflow
from office.workflow import TransitionRefused as TransitionRefused

FRESHMAN = "freshman"
COLLECTIVE = "collective"
LATE = "late"

NOT_ESTABLISHED = "not_established"
PENDING_REVIEW = "pending_review"
DECLARED = "declared"
PAID = "paid"
ESTABLISHED = "established"
REMITTED = "remitted"
FAILED = "failed"
OPTED_OUT = "opted_out"
EXEMPT = "exempt"
REFUNDED = "refunded"

STUDENT = "student"
SCHOOL_FUND = "school_fund"
GOVERNMENT = "government"
FAMILY_AID = "family_aid"

_DECLARED_FLOW = {
    # the bureau may establish an account the school has not (fully) collected for: a
    # government-paid (低保) premium never is (DESIGN.md §4.4), a student may pay the tax
    # bureau directly; reconciliation lists them as established but not paid
    DECLARED: {PAID, ESTABLISHED, FAILED, OPTED_OUT},
    # a student who paid may still opt out before the account exists: the money goes back
    PAID: {ESTABLISHED, FAILED, OPTED_OUT},
    # a family mutual-aid premium is deducted from the relative's account once the bureau
    # confirms: what the school collected goes back where the school refunds it (shanghai
    # guide Q18); where the bureau returns it to the payer (wuhan notice 十(三)) the school
    # remits it like any other
    ESTABLISHED: {REMITTED, REFUNDED},
    FAILED: {REFUNDED},
    REMITTED: set(),
    OPTED_OUT: set(),
    EXEMPT: set(),
    REFUNDED: set(),
}
ALLOWED: dict[str, dict[str, set[str]]] = {
    FRESHMAN: {
        # where freshmen confirm in an app (Shanghai's 随申办) the bureau answers the
        # confirmed; where the school registers them (Wuhan notice 三: 批量参保登记) it
        # answers the declared batch straight from 未建账 (SCHOOL_REGISTERED, guarded below)
        NOT_ESTABLISHED: {PENDING_REVIEW, OPTED_OUT, ESTABLISHED, FAILED},
        PENDING_REVIEW: {ESTABLISHED, FAILED},
        # a failed account (e.g. 相同证件号存在其他医保账户但姓名不同) is fixed and confirmed
        # again (or registered again by the school), or what a Wuhan freshman paid goes back
        FAILED: {PENDING_REVIEW, REFUNDED, ESTABLISHED},
        REFUNDED: set(),
        # a premium the school collected for the entry year (a Wuhan freshman pays 400:
        # wuhan notice 三, Q&A 三(三)) is remitted with a payment list
        ESTABLISHED: {REMITTED},
        REMITTED: set(),
        OPTED_OUT: set(),
        EXEMPT: set(),
    },
    COLLECTIVE: _DECLARED_FLOW,
    LATE: _DECLARED_FLOW,
}
INITIAL = {FRESHMAN: NOT_ESTABLISHED, COLLECTIVE: DECLARED, LATE: DECLARED}

LABELS = {
    NOT_ESTABLISHED: "未建账",
    PENDING_REVIEW: "已申请待审核",
    DECLARED: "已申报",
    PAID: "已缴费",
    ESTABLISHED: "已建账",
    REMITTED: "已汇缴",
    FAILED: "建账失败",
    OPTED_OUT: "主动放弃",
    EXEMPT: "免缴（重残）",
    REFUNDED: "已退费",
}


PAYER_LABELS = {
    STUDENT: "学生本人",
    SCHOOL_FUND: "学校困难补助",
    GOVERNMENT: "政府补助",
    FAMILY_AID: "家庭共济缴费",
}


# The facts an enrollment's policy year gives (what differs between cities, issue #14),
# named as the PolicyYear fields they come from: services.enrollments.facts_of reads them
# from the year, the others from the enrollment.
YEAR_FACTS = ("family_aid_refunded_by_school", "freshman_confirms_in_app")


@dataclass(frozen=True)
class Facts:
    """What a transition's guards look at."""

    kind: str
    state: str
    payer: str = STUDENT
    amount_paid: Decimal = Decimal("0.00")
    premium_due: Decimal = Decimal("0.00")
    # from the policy year (YEAR_FACTS); facts_of always gives them
    family_aid_refunded_by_school: bool = True
    freshman_confirms_in_app: bool = True


def _something_due(facts: Facts) -> str:
    return "" if facts.premium_due > 0 else "该记录无需缴费。"


# the freshman moves of a year whose freshmen the school registers (no app confirmation)
SCHOOL_REGISTERED = {
    (NOT_ESTABLISHED, ESTABLISHED),
    (NOT_ESTABLISHED, FAILED),
    (FAILED, ESTABLISHED),
}


def _confirmed_in_app(facts: Facts) -> str:
    if facts.kind != FRESHMAN or facts.freshman_confirms_in_app:
        return ""
    return (
        "该年度新生不在 App 中确认参保：由学校批量参保登记，医保部门审核后直接建账，"
        "没有「已申请待审核」这一步。"
    )


def _registered_by_school(facts: Facts) -> str:
    if not facts.freshman_confirms_in_app:
        return ""
    return (
        f"「{LABELS[facts.state]}」的新生参保记录不能变为医保部门的建账结果：该年度新生须先在"
        " App 中确认参保（已申请待审核），医保部门才能审核建账。"
    )


def _money_to_give_back(facts: Facts) -> str:
    """A refund needs money to give back, and from an established account only a family
    mutual-aid premium is refunded, and only where the school refunds it (shanghai guide
    Q18; wuhan notice 十(三): the bureau returns it to the payer's bank account)."""
    if facts.amount_paid <= 0:
        return "未收取任何费用，无需退费。"
    if facts.state == ESTABLISHED and facts.payer != FAMILY_AID:
        return "已建账的记录只有家庭共济缴费的才退还学校代收的费用。"
    if facts.state == ESTABLISHED and not facts.family_aid_refunded_by_school:
        return "本年度家庭共济缴费由医保部门退还至缴费人填报的银行账户，学校不退费，照常汇缴。"
    return ""


# who makes each move, by the permission of the page or use case it comes from: the
# bureau's results (established, failed), the opt-out register, a recorded payment, a
# frozen payment list, the refunds; staff confirm for freshmen by hand (批量确认)
TRANSITIONS = {
    PENDING_REVIEW: Transition(
        permission="change_enrollment",
        label=_("Confirm on the students' behalf (bulk confirmation)"),
        action="confirm_for_students",
        guard=_confirmed_in_app,
    ),
    (NOT_ESTABLISHED, ESTABLISHED): Transition(
        permission="change_enrollment", guard=_registered_by_school
    ),
    (NOT_ESTABLISHED, FAILED): Transition(
        permission="change_enrollment", needs_reason=True, guard=_registered_by_school
    ),
    (FAILED, ESTABLISHED): Transition(permission="change_enrollment", guard=_registered_by_school),
    ESTABLISHED: Transition(permission="change_enrollment"),
    FAILED: Transition(permission="change_enrollment", needs_reason=True),
    OPTED_OUT: Transition(permission="add_optout", needs_reason=True),
    PAID: Transition(permission="add_payment", guard=_something_due),
    REMITTED: Transition(permission="add_paymentlist"),
    REFUNDED: Transition(permission="add_refund", guard=_money_to_give_back),
}

WORKFLOWS = {
    kind: Workflow(
        name=kind,
        app_label="enrollment",
        labels=LABELS,
        initial=INITIAL[kind],
        moves=ALLOWED[kind],
        transitions=TRANSITIONS,
        noun="参保记录",
    )
    for kind in ALLOWED
}


def check_transition(facts: Facts, target: str, *, reason: str = "") -> None:
    """Raise TransitionRefused unless `facts.state` → `target` is allowed for the
    enrollment's kind and its guards hold: a failure and an opt-out need a reason; a
    payment needs a premium; a refund needs money to give back."""
    WORKFLOWS[facts.kind].check(facts, target, reason=reason)


def available(facts: Facts, user) -> list[Transition]:
    return WORKFLOWS[facts.kind].available(facts, user)


def by_hand(user) -> list[Transition]:
    """The moves `user` may make by hand on a selection of enrollments of any kind, one
    per admin action."""
    offered = {t.action: t for wf in WORKFLOWS.values() for t in wf.by_hand(user)}
    return list(offered.values())


@dataclass(frozen=True)
class Pricing:
    premium_due: Decimal
    payer: str
    initial_state: str


# a special group's treatment in its policy year (policies SpecialGroupRule.Treatment) → who
# pays; "exempt" is the EXEMPT state: never declared or charged
TREATMENT_PAYERS = {GOVERNMENT: GOVERNMENT, SCHOOL_FUND: SCHOOL_FUND}


def price(
    *,
    kind: str,
    category: str,
    premium: Decimal,
    freshman_premium_waived: bool,
    special_groups: Mapping[str, str],
) -> Pricing:
    """Premium, payer and first state of a new enrollment (DESIGN.md §4.3-4.4). The year's
    `special_groups` (category → treatment) say which groups are exempt, paid by the
    government or by the school (Shanghai: guide Q9 重残 exempt, 低保 government, hardship
    school; Wuhan: none, the school collects from every student, notice 三); any other
    category pays itself. A freshman's entry year is free where the year waives it
    (shanghai guide Q4), paid otherwise (wuhan notice Q&A 三(三))."""
    treatment = special_groups.get(category, "")
    if treatment == EXEMPT:
        return Pricing(Decimal("0.00"), GOVERNMENT, EXEMPT)
    if kind == FRESHMAN and freshman_premium_waived:
        return Pricing(Decimal("0.00"), STUDENT, INITIAL[kind])
    return Pricing(premium, TREATMENT_PAYERS.get(treatment, STUDENT), INITIAL[kind])


def family_aid_problem(
    *, kind: str, state: str, payer: str, refunded_by_school: bool, for_freshmen: bool
) -> str:
    """Why this enrollment's premium cannot be switched to family mutual aid (家庭共济缴费),
    or "". Where the school refunds the premium (shanghai guide Q18) the relative chooses
    before the account exists; where the bureau returns it to the payer (wuhan notice
    十(二)-(三)) the parents apply after the school has paid, so any collected enrollment
    may. Freshmen only where the year allows it (wuhan: yes; shanghai: no)."""
    if kind == FRESHMAN and not for_freshmen:
        return "本年度家庭共济缴费只适用于集中参保和中途参保的记录，新生不适用。"
    choosable = {NOT_ESTABLISHED, PENDING_REVIEW, DECLARED, PAID}
    if not refunded_by_school:
        choosable |= {ESTABLISHED, REMITTED}
    if state not in choosable:
        before = "" if not refunded_by_school else "，须在建账前选择"
        return f"「{LABELS[state]}」的参保记录不能改为家庭共济缴费{before}。"
    if payer not in (STUDENT, FAMILY_AID):
        return f"保费由{PAYER_LABELS[payer]}承担，不改为家庭共济缴费。"
    return ""


@dataclass(frozen=True)
class RefundDue:
    amount: Decimal
    reason: str  # a Refund.Reason value
    refunds_state: bool  # the enrollment becomes "refunded"


def refund_due(
    facts: Facts, *, refunded: Decimal, failure_is_final: bool = True
) -> RefundDue | None:
    """What the school owes back on one enrollment, given what it already refunded: a
    family mutual-aid premium once the account is established, where the school refunds
    it (shanghai guide Q18; not where the bureau does, wuhan notice 十(三)), a
    failed account's premium once the failure is final (a freshman's account may be
    fixed and confirmed again while the freshman window is open), money taken before an
    opt-out, and anything paid beyond the premium."""
    left = facts.amount_paid - refunded
    if left <= 0 or facts.state == REFUNDED:
        return None
    if (
        facts.state == ESTABLISHED
        and facts.payer == FAMILY_AID
        and facts.family_aid_refunded_by_school
    ):
        return RefundDue(left, "family_aid", True)
    if facts.state == FAILED:
        return RefundDue(left, "account_failed", True) if failure_is_final else None
    if facts.state == OPTED_OUT:
        return RefundDue(left, "opted_out", False)
    excess = left - facts.premium_due
    return RefundDue(excess, "duplicate", False) if excess > 0 else None


def failure_is_final(*, kind: str, freshman_window_closes_on: date, today: date) -> bool:
    """A freshman's failed account may still be fixed and confirmed again while the
    freshman window is open (建账失败 → 已申请待审核 above); any other failure is final
    at once."""
    return not (kind == FRESHMAN and today <= freshman_window_closes_on)


def was_covered(state: str, payer: str) -> bool:
    """Whether a past year's enrollment gave cover, for counting gap years. A refunded
    family mutual-aid premium was refunded because the account was established."""
    return state in (ESTABLISHED, REMITTED, EXEMPT) or (state == REFUNDED and payer == FAMILY_AID)


def cover_waits_for_premium(
    *,
    kind: str,
    needs_full_premium: bool,
    payer: str,
    premium_due: Decimal,
    amount_paid: Decimal,
) -> bool:
    """Whether a freshman's cover waits until the entry year's premium is paid in full
    (wuhan notice Q&A 三(三): 足额缴纳入学当年…个人应缴保费部分…即可享受): where the year
    says so, while the school has collected less than the premium. A premium the
    government pays is not the school's to collect; a free entry year (Shanghai) owes
    nothing."""
    return (
        kind == FRESHMAN
        and needs_full_premium
        and payer != GOVERNMENT
        and amount_paid < premium_due
    )
