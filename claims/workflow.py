"""The claim workflow, pure: 草稿 → 已提交 → 审核中 → 已批准 | 已驳回, 已批准 → 已支付
(DESIGN.md §4.6), as one office.workflow.Workflow. Every change of a claim's state is
checked here and written by office.transitions.StateWriter (claims.services), never by
a field assignment elsewhere.

Who makes each move: staff submit, review, approve and reject (change_claim); a claim
that fails an automatic check on submission goes 已提交 → 已驳回 with the check's code and
sentence. A claim the school pays from its outpatient fund is paid only by a frozen payout
list (报销支付清单); one the bureau or the insurer pays is marked paid by hand
(change_claim) when the office learns of the payer's payment, its date and amount
recorded (claims.services.payments)."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from office.workflow import Transition, Workflow
from office.workflow import TransitionRefused as TransitionRefused

from . import rules

DRAFT = "draft"
SUBMITTED = "submitted"
IN_REVIEW = "in_review"
APPROVED = "approved"
REJECTED = "rejected"
PAID = "paid"

LABELS = {
    DRAFT: "草稿",
    SUBMITTED: "已提交",
    IN_REVIEW: "审核中",
    APPROVED: "已批准",
    REJECTED: "已驳回",
    PAID: "已支付",
}

ALLOWED: dict[str, set[str]] = {
    DRAFT: {SUBMITTED},
    # the automatic checks reject a submitted claim (claims.rules.check_claim)
    SUBMITTED: {IN_REVIEW, REJECTED},
    IN_REVIEW: {APPROVED, REJECTED},
    APPROVED: {PAID},
    REJECTED: set(),
    PAID: set(),
}


@dataclass(frozen=True)
class Facts:
    """What a transition's guards look at: the state, the labels of the required
    documents not yet received (claims.rules.missing_documents), who pays the claim and
    whether a payout list is paying it now."""

    state: str
    missing_documents: Sequence[str] = ()
    payer: str = ""
    on_payout_list: bool = False


def _documents_complete(facts: Facts) -> str:
    """A claim goes to review only with every required document received (DESIGN.md
    §4.6); the refusal names what is missing."""
    if not facts.missing_documents:
        return ""
    return f"材料不全，不能进入审核。缺少：{'、'.join(facts.missing_documents)}。"


def _paid_by_its_payer(facts: Facts) -> str:
    """The school pays its claims through a payout list, so that finance pays each once
    (claims.services.payouts); the bureau and the insurer pay theirs themselves, and the
    office records it by hand."""
    if facts.payer == rules.SCHOOL_OUTPATIENT_FUND and not facts.on_payout_list:
        return "学校门诊统筹支付的报销申请通过报销支付清单支付：冻结清单时自动变为「已支付」。"
    if facts.on_payout_list and facts.payer != rules.SCHOOL_OUTPATIENT_FUND:
        return "报销支付清单只列学校门诊统筹支付的报销申请。"
    return ""


TRANSITIONS = {
    SUBMITTED: Transition(permission="change_claim", label=_("Submit"), action="submit_claims"),
    IN_REVIEW: Transition(
        permission="change_claim",
        label=_("Start review"),
        guard=_documents_complete,
        action="start_review",
    ),
    APPROVED: Transition(permission="change_claim", label=_("Approve"), action="approve_claims"),
    REJECTED: Transition(
        permission="change_claim", label=_("Reject"), needs_reason=True, action="reject_claims"
    ),
    # by hand for the bureau's and the insurer's claims (claims.services.payments); the
    # school's through a frozen payout list (claims.services.payouts)
    PAID: Transition(
        permission="change_claim",
        label=_("Record the payer's payment"),
        guard=_paid_by_its_payer,
        action="record_payment",
    ),
}

WORKFLOW = Workflow(
    name="claim",
    app_label="claims",
    labels=LABELS,
    initial=DRAFT,
    moves=ALLOWED,
    transitions=TRANSITIONS,
    noun="报销申请",
)


def check_transition(facts: Facts, target: str, *, reason: str = "") -> None:
    """Raise TransitionRefused unless `facts.state` → `target` is allowed: a rejection
    needs its sentence, a review every required document."""
    WORKFLOW.check(facts, target, reason=reason)


def available(facts: Facts, user) -> list[Transition]:
    return WORKFLOW.available(facts, user)


def by_hand(user) -> list[Transition]:
    """The moves `user` may make by hand on a selection of claims, one per admin action."""
    return WORKFLOW.by_hand(user)
