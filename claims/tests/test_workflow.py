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


def test_staff_who_change_claims_review_them_and_record_the_bureaus_payment():
    clerk = User("claims.change_claim")
    finance = User("claims.add_claimpayoutlist")
    assert {t.target for t in workflow.available(Facts(state="in_review"), clerk)} == {
        "approved",
        "rejected",
    }
    for payer in ("bureau", "insurer"):
        approved = Facts(state="approved", payer=payer)
        assert [t.target for t in workflow.available(approved, clerk)] == ["paid"]
        assert workflow.available(approved, finance) == []
    # the school's claims are paid by a payout list, not by hand
    school = Facts(state="approved", payer="school_outpatient_fund")
    assert workflow.available(school, clerk) == []
    # a review the documents hold back is not offered
    held = Facts(state="submitted", missing_documents=("发票",))
    assert [t.target for t in workflow.available(held, clerk)] == ["rejected"]


def test_the_school_pays_its_claims_only_through_a_payout_list():
    school = "school_outpatient_fund"
    with pytest.raises(TransitionRefused) as refused:
        workflow.check_transition(Facts(state="approved", payer=school), "paid")
    assert refused.value.code == "guard"
    assert "报销支付清单" in refused.value.message
    workflow.check_transition(Facts(state="approved", payer=school, on_payout_list=True), "paid")
    with pytest.raises(TransitionRefused):  # a list pays only the school's claims
        workflow.check_transition(
            Facts(state="approved", payer="bureau", on_payout_list=True), "paid"
        )


def test_admin_actions_come_from_the_map():
    actions = {t.action for t in workflow.by_hand(User("claims.change_claim"))}
    assert actions == {
        "submit_claims",
        "start_review",
        "approve_claims",
        "reject_claims",
        "record_payment",
    }
    assert workflow.by_hand(User("claims.add_claimpayoutlist")) == []
    assert workflow.by_hand(User()) == []
