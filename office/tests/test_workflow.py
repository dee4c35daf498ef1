"""The workflow machinery on a toy workflow of its own, without a database: a leave
request that is drafted, submitted, then approved or rejected (with a reason), and
approved only when it asks for at least one day."""

from dataclasses import dataclass

import pytest

from office.errors import Refused
from office.workflow import Transition, TransitionRefused, Workflow

LABELS = {"draft": "草稿", "submitted": "已提交", "approved": "已批准", "rejected": "已驳回"}


@dataclass(frozen=True)
class Leave:
    state: str
    days: int = 1


@dataclass
class User:
    perms: set[str]

    def has_perm(self, perm: str) -> bool:
        return perm in self.perms


def at_least_a_day(facts: Leave) -> str:
    return "" if facts.days >= 1 else "请假天数须至少一天。"


def leave_workflow(**overrides) -> Workflow:
    values = {
        "name": "leave",
        "app_label": "office",
        "labels": LABELS,
        "initial": "draft",
        "moves": {
            "draft": {"submitted"},
            "submitted": {"approved", "rejected", "draft"},
            "approved": set(),
            "rejected": {"draft"},
        },
        "transitions": {
            "submitted": Transition(permission="add_leave", label="提交", action="submit"),
            "approved": Transition(
                permission="approve_leave", label="批准", guard=at_least_a_day, action="approve"
            ),
            "rejected": Transition(permission="approve_leave", needs_reason=True),
            # back to draft: the clerk who submitted may withdraw; a rejected one is reopened
            ("submitted", "draft"): Transition(permission="add_leave", label="撤回"),
            ("rejected", "draft"): Transition(permission="change_leave", action="reopen"),
        },
        "noun": "请假单",
    }
    return Workflow(**{**values, **overrides})


LEAVE = leave_workflow()
CLERK = User({"office.add_leave"})
MANAGER = User({"office.add_leave", "office.approve_leave", "office.change_leave"})


@pytest.mark.parametrize(
    ("state", "target"),
    [
        ("draft", "submitted"),
        ("submitted", "approved"),
        ("submitted", "draft"),
        ("rejected", "draft"),
    ],
)
def test_moves_in_the_map_pass(state, target):
    LEAVE.check(Leave(state), target)


@pytest.mark.parametrize(
    ("state", "target"),
    [("draft", "approved"), ("approved", "draft"), ("approved", "rejected"), ("draft", "draft")],
)
def test_moves_outside_the_map_are_refused_in_the_staffs_words(state, target):
    with pytest.raises(TransitionRefused) as refused:
        LEAVE.check(Leave(state), target)

    expected = f"「{LABELS[state]}」的请假单不能变为「{LABELS[target]}」。"
    assert (refused.value.message, refused.value.code) == (expected, "not_allowed")
    assert isinstance(refused.value, Refused)


def test_a_move_that_needs_a_reason_is_refused_without_one():
    with pytest.raises(TransitionRefused, match="变为「已驳回」必须填写原因。"):
        LEAVE.check(Leave("submitted"), "rejected", reason="  ")

    LEAVE.check(Leave("submitted"), "rejected", reason="人手不足")


def test_a_guard_refuses_with_its_own_message():
    with pytest.raises(TransitionRefused, match="请假天数须至少一天。") as refused:
        LEAVE.check(Leave("submitted", days=0), "approved")

    assert refused.value.code == "guard"


def test_transitions_know_their_ends_label_and_permission():
    withdraw = LEAVE.transition("submitted", "draft")
    reopen = LEAVE.transition("rejected", "draft")
    reject = LEAVE.transition("submitted", "rejected")

    assert (withdraw.source, withdraw.target, withdraw.label) == ("submitted", "draft", "撤回")
    # a move described by its (source, target) pair wins over one described by its target
    assert (withdraw.permission, reopen.permission) == ("add_leave", "change_leave")
    assert reject.label == "变为「已驳回」"  # no label given: named after its target
    assert LEAVE.transition("draft", "approved") is None


def test_the_map_and_its_states():
    assert LEAVE.as_map() == {
        "draft": {"submitted"},
        "submitted": {"approved", "rejected", "draft"},
        "approved": set(),
        "rejected": {"draft"},
    }
    assert (LEAVE.states, LEAVE.initial) == (list(LABELS), "draft")
    assert LEAVE.label("approved") == "已批准"


def test_available_follows_the_state_the_permissions_and_the_guards():
    def targets(facts, user):
        return [transition.target for transition in LEAVE.available(facts, user)]

    assert targets(Leave("submitted"), MANAGER) == ["draft", "approved", "rejected"]
    assert targets(Leave("submitted"), CLERK) == ["draft"]
    assert targets(Leave("submitted", days=0), MANAGER) == ["draft", "rejected"]
    assert targets(Leave("approved"), MANAGER) == []


def test_by_hand_offers_one_action_per_name_to_who_may_take_it():
    assert [t.action for t in LEAVE.by_hand(CLERK)] == ["submit"]
    assert [t.action for t in LEAVE.by_hand(MANAGER)] == ["submit", "approve", "reopen"]
    assert LEAVE.by_hand(User(set())) == []


@pytest.mark.parametrize(
    "broken",
    [
        # a move nobody described
        {"transitions": {"submitted": Transition(permission="add_leave")}},
        # a target that is not a state of the map
        {"moves": {"draft": {"submitted"}, "submitted": {"archived"}}},
        # a state without a label
        {"labels": {key: LABELS[key] for key in ("draft", "submitted", "approved")}},
        # an initial state outside the map
        {"initial": "archived"},
    ],
)
def test_a_workflow_that_does_not_add_up_is_refused_when_built(broken):
    with pytest.raises(ValueError):
        leave_workflow(**broken)
