"""The claim workflow's map, pure: 草稿 → 已提交 → 审核中 → 已批准 | 已驳回, 已批准 → 已支付
(DESIGN.md §4.6), every move allowed and every other refused, with its guard, reason
and permission."""

from itertools import product

import pytest

from claims import workflow
from claims.workflow import Facts, TransitionRefused

ALLOWED = {
    ("draft", "submitted"),
    ("submitted", "in_review"),
    ("submitted", "rejected"),
    ("in_review", "approved"),
    ("in_review", "rejected"),
    ("approved", "paid"),
}
STATES = ["draft", "submitted", "in_review", "approved", "rejected", "paid"]


class User:
    def __init__(self, *perms):
        self.perms = set(perms)

    def has_perm(self, perm):
        return perm in self.perms


def test_the_map_is_the_issues():
    assert {(s, t) for s, targets in workflow.ALLOWED.items() for t in targets} == ALLOWED
    assert workflow.WORKFLOW.states == STATES


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED))
def test_every_allowed_move_passes(source, target):
    workflow.check_transition(Facts(state=source), target, reason="不符合报销条件")


@pytest.mark.parametrize(
    ("source", "target"),
    [pair for pair in product(STATES, STATES) if pair not in ALLOWED],
)
def test_every_other_move_is_refused_in_the_staffs_words(source, target):
    with pytest.raises(TransitionRefused) as refused:
        workflow.check_transition(Facts(state=source), target, reason="x")
    assert refused.value.code == "not_allowed"
    assert workflow.LABELS[source] in refused.value.message


@pytest.mark.parametrize("source", ["submitted", "in_review"])
def test_a_rejection_needs_its_sentence(source):
    with pytest.raises(TransitionRefused) as refused:
        workflow.check_transition(Facts(state=source), "rejected", reason="  ")
    assert refused.value.code == "reason"


def test_review_needs_every_document_and_names_the_missing():
    facts = Facts(state="submitted", missing_documents=("出院小结", "银行卡"))
    with pytest.raises(TransitionRefused) as refused:
        workflow.check_transition(facts, "in_review")
    assert refused.value.code == "guard"
    assert "出院小结、银行卡" in refused.value.message


def test_staff_who_change_claims_review_them_finance_marks_them_paid():
    clerk = User("claims.change_claim")
    finance = User("claims.add_claimpayoutlist")
    assert {t.target for t in workflow.available(Facts(state="in_review"), clerk)} == {
        "approved",
        "rejected",
    }
    assert workflow.available(Facts(state="approved"), clerk) == []
    assert [t.target for t in workflow.available(Facts(state="approved"), finance)] == ["paid"]
    # a review the documents hold back is not offered
    held = Facts(state="submitted", missing_documents=("发票",))
    assert [t.target for t in workflow.available(held, clerk)] == ["rejected"]


def test_admin_actions_come_from_the_map_and_paid_is_not_one():
    actions = {t.action for t in workflow.by_hand(User("claims.change_claim"))}
    assert actions == {"submit_claims", "start_review", "approve_claims", "reject_claims"}
    assert workflow.by_hand(User("claims.add_claimpayoutlist")) == []
    assert workflow.by_hand(User()) == []
