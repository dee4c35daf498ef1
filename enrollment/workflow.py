"""The enrollment workflow, pure: which state may follow which, and what each move
needs, as one office.workflow.Workflow per enrollment kind. Every change of an
enrollment's state is checked here (`check_transition`) and written by the one writer,
office.transitions.StateWriter (through services.enrollments), never by a field
assignment elsewhere.

States follow the bureau's words (xianda-freshman-confirmation-walkthrough.txt,
shanghai-student-insurance-guide-2024-11.txt Q4/Q18, DESIGN.md §1 and §4.4):
freshmen 未建账 → 已申请待审核 → 已建账 | 建账失败; collective and late enrollments
declared → paid → established → remitted, failed from declared or paid."""

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
    # confirms: what the school collected goes back (shanghai guide Q18)
    ESTABLISHED: {REMITTED, REFUNDED},
    FAILED: {REFUNDED},
    REMITTED: set(),
    OPTED_OUT: set(),
    EXEMPT: set(),
    REFUNDED: set(),
}
ALLOWED: dict[str, dict[str, set[str]]] = {
    FRESHMAN: {
        NOT_ESTABLISHED: {PENDING_REVIEW, OPTED_OUT},
        PENDING_REVIEW: {ESTABLISHED, FAILED},
        # a failed account (e.g. 相同证件号存在其他医保账户但姓名不同) is fixed and confirmed
        # again, or what a Wuhan freshman paid goes back
        FAILED: {PENDING_REVIEW, REFUNDED},
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


@dataclass(frozen=True)
class Facts:
    """What a transition's guards look at."""

    kind: str
    state: str
    payer: str = STUDENT
    amount_paid: Decimal = Decimal("0.00")
    premium_due: Decimal = Decimal("0.00")


def _something_due(facts: Facts) -> str:
    return "" if facts.premium_due > 0 else "该记录无需缴费。"


def _money_to_give_back(facts: Facts) -> str:
    """A refund needs money to give back, and from an established account only a family
    mutual-aid premium is refunded (shanghai guide Q18)."""
    if facts.amount_paid <= 0:
        return "未收取任何费用，无需退费。"
    if facts.state == ESTABLISHED and facts.payer != FAMILY_AID:
        return "已建账的记录只有家庭共济缴费的才退还学校代收的费用。"
    return ""


# who makes each move, by the permission of the page or use case it comes from: the
# bureau's results (established, failed), the opt-out register, a recorded payment, a
# frozen payment list, the refunds; staff confirm for freshmen by hand (批量确认)
TRANSITIONS = {
    PENDING_REVIEW: Transition(
        permission="change_enrollment",
        label=_("Confirm on the students' behalf (bulk confirmation)"),
        action="confirm_for_students",
    ),
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


def price(*, kind: str, category: str, premium: Decimal, freshman_premium_waived: bool) -> Pricing:
    """Premium, payer and first state of a new enrollment (DESIGN.md §4.3-4.4):
    severe disability is covered by the bureau and never declared or charged; 低保 is paid
    by the government; hardship by the school fund; a Shanghai freshman's entry year is
    free (shanghai guide Q4), a Wuhan freshman pays (wuhan notice Q&A 三(三))."""
    if category == "severe_disability":
        return Pricing(Decimal("0.00"), GOVERNMENT, EXEMPT)
    if kind == FRESHMAN and freshman_premium_waived:
        return Pricing(Decimal("0.00"), STUDENT, INITIAL[kind])
    payer = {"low_income_family": GOVERNMENT, "hardship": SCHOOL_FUND}.get(category, STUDENT)
    return Pricing(premium, payer, INITIAL[kind])


@dataclass(frozen=True)
class RefundDue:
    amount: Decimal
    reason: str  # a Refund.Reason value
    refunds_state: bool  # the enrollment becomes "refunded"


def refund_due(
    facts: Facts, *, refunded: Decimal, failure_is_final: bool = True
) -> RefundDue | None:
    """What the school owes back on one enrollment, given what it already refunded: a
    family mutual-aid premium once the account is established (shanghai guide Q18), a
    failed account's premium once the failure is final (a freshman's account may be
    fixed and confirmed again while the freshman window is open), money taken before an
    opt-out, and anything paid beyond the premium."""
    left = facts.amount_paid - refunded
    if left <= 0 or facts.state == REFUNDED:
        return None
    if facts.state == ESTABLISHED and facts.payer == FAMILY_AID:
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
