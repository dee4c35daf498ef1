"""The enrollment workflow without a database: every move allowed and refused."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from enrollment import workflow as wf
from policies.catalog import SHANGHAI_PRACTICE

STATES = list(wf.LABELS)


def allowed_pairs():
    for kind, moves in wf.ALLOWED.items():
        for state, targets in moves.items():
            for target in targets:
                yield kind, state, target


def refused_pairs():
    for kind, moves in wf.ALLOWED.items():
        for state in moves:
            for target in STATES:
                if target not in moves[state]:
                    yield kind, state, target


def facts(kind, state, **extra):
    return wf.Facts(
        kind=kind,
        state=state,
        payer=extra.get("payer", wf.FAMILY_AID),
        amount_paid=extra.get("amount_paid", Decimal("355.00")),
        premium_due=extra.get("premium_due", Decimal("355.00")),
        freshman_confirms_in_app=extra.get("freshman_confirms_in_app", True),
    )


@pytest.mark.parametrize(("kind", "state", "target"), list(allowed_pairs()))
def test_every_allowed_move(kind, state, target):
    # some freshman moves are those of a year whose school registers its freshmen (Wuhan)
    in_app = not (kind == wf.FRESHMAN and (state, target) in wf.SCHOOL_REGISTERED)
    wf.check_transition(facts(kind, state, freshman_confirms_in_app=in_app), target, reason="原因")


def test_a_failure_that_may_still_be_fixed_is_not_refunded_yet():
    failed = facts(wf.FRESHMAN, wf.FAILED, payer=wf.STUDENT, premium_due=Decimal("400.00"))

    assert wf.refund_due(failed, refunded=Decimal("0"), failure_is_final=False) is None
    assert wf.refund_due(failed, refunded=Decimal("0")) == wf.RefundDue(
        Decimal("355.00"), "account_failed", True
    )


PREMIUM = Decimal("355.00")  # shanghai guide Q2


@pytest.mark.parametrize(
    ("state", "payer", "paid", "refunded", "expected"),
    [
        # family mutual aid, once established: all 355.00 back (shanghai guide Q18)
        (wf.ESTABLISHED, wf.FAMILY_AID, "355.00", "0", ("355.00", "family_aid", True)),
        (wf.FAILED, wf.STUDENT, "355.00", "0", ("355.00", "account_failed", True)),
        (wf.OPTED_OUT, wf.STUDENT, "300.00", "0", ("300.00", "opted_out", False)),
        # paid 355.00 + 100.00: the 100.00 beyond the premium goes back, the account stands
        (wf.ESTABLISHED, wf.STUDENT, "455.00", "0", ("100.00", "duplicate", False)),
        (wf.PAID, wf.STUDENT, "710.00", "355.00", None),  # the excess was refunded already
        (wf.ESTABLISHED, wf.STUDENT, "355.00", "0", None),
        (wf.DECLARED, wf.STUDENT, "300.00", "0", None),  # short, not over: nothing back
        (wf.REFUNDED, wf.FAMILY_AID, "355.00", "355.00", None),
    ],
)
def test_refund_due(state, payer, paid, refunded, expected):
    owed = wf.refund_due(
        wf.Facts(
            kind=wf.COLLECTIVE,
            state=state,
            payer=payer,
            amount_paid=Decimal(paid),
            premium_due=PREMIUM,
        ),
        refunded=Decimal(refunded),
    )

    if expected is None:
        assert owed is None
    else:
        amount, reason, refunds_state = expected
        assert owed == wf.RefundDue(Decimal(amount), reason, refunds_state)


@pytest.mark.parametrize(("kind", "state", "target"), list(refused_pairs()))
def test_every_other_move_is_refused(kind, state, target):
    with pytest.raises(wf.TransitionRefused, match="不能变为"):
        wf.check_transition(facts(kind, state), target, reason="原因")


def test_the_bureaus_freshman_flow():
    # xianda walkthrough: 未建账 → 已申请待审核 → 已建账 / 建账失败; where the school
    # registers its freshmen (wuhan notice 三) the bureau answers from 未建账 (guarded)
    assert wf.ALLOWED[wf.FRESHMAN][wf.NOT_ESTABLISHED] == {
        wf.PENDING_REVIEW,
        wf.OPTED_OUT,
        wf.ESTABLISHED,
        wf.FAILED,
    }
    assert wf.ALLOWED[wf.FRESHMAN][wf.PENDING_REVIEW] == {wf.ESTABLISHED, wf.FAILED}


@pytest.mark.parametrize("target", [wf.FAILED, wf.OPTED_OUT])
def test_failure_and_opt_out_need_a_reason(target):
    with pytest.raises(wf.TransitionRefused, match="原因"):
        wf.check_transition(facts(wf.COLLECTIVE, wf.DECLARED), target, reason="  ")


def test_nothing_to_refund_when_nothing_was_paid():
    with pytest.raises(wf.TransitionRefused, match="退费"):
        wf.check_transition(facts(wf.COLLECTIVE, wf.FAILED, amount_paid=Decimal("0")), wf.REFUNDED)


def test_only_family_aid_is_refunded_once_established():
    wf.check_transition(facts(wf.COLLECTIVE, wf.ESTABLISHED), wf.REFUNDED)
    with pytest.raises(wf.TransitionRefused, match="家庭共济"):
        wf.check_transition(facts(wf.COLLECTIVE, wf.ESTABLISHED, payer=wf.STUDENT), wf.REFUNDED)


def test_nothing_to_pay_for_a_free_enrollment():
    with pytest.raises(wf.TransitionRefused, match="无需缴费"):
        wf.check_transition(facts(wf.COLLECTIVE, wf.DECLARED, premium_due=Decimal("0")), wf.PAID)


@pytest.mark.parametrize(
    ("kind", "category", "premium", "waived", "expected"),
    [
        # shanghai guide Q2: 355 a year; Q4: the freshman's entry year is free
        ("collective", "standard", "355.00", True, ("355.00", wf.STUDENT, wf.DECLARED)),
        ("freshman", "standard", "355.00", True, ("0.00", wf.STUDENT, wf.NOT_ESTABLISHED)),
        # wuhan notice Q&A 三(三): the freshman pays the 400 of the entry year
        ("freshman", "standard", "400.00", False, ("400.00", wf.STUDENT, wf.NOT_ESTABLISHED)),
        # shanghai guide Q9: 重残 pay nothing and are not declared by the school
        ("collective", "severe_disability", "355.00", True, ("0.00", wf.GOVERNMENT, wf.EXEMPT)),
        # 低保: the government pays; 家庭经济困难: the school may (DESIGN.md §4.4)
        ("collective", "low_income_family", "355.00", True, ("355.00", wf.GOVERNMENT, wf.DECLARED)),
        ("late", "hardship", "355.00", True, ("355.00", wf.SCHOOL_FUND, wf.DECLARED)),
    ],
)
def test_price(kind, category, premium, waived, expected):
    pricing = wf.price(
        kind=kind,
        category=category,
        premium=Decimal(premium),
        freshman_premium_waived=waived,
        special_groups=SHANGHAI_PRACTICE.special_groups,  # shanghai guide Q9
    )

    assert (str(pricing.premium_due), pricing.payer, pricing.initial_state) == expected


@pytest.mark.parametrize(
    ("kind", "today", "final"),
    [
        # the freshman window of shanghai-2025 / wuhan-2025 closes 2025-11-10: until then a
        # failed freshman account may be fixed and confirmed again
        (wf.FRESHMAN, date(2025, 9, 6), False),
        (wf.FRESHMAN, date(2025, 11, 10), False),
        (wf.FRESHMAN, date(2025, 11, 11), True),
        (wf.COLLECTIVE, date(2025, 9, 6), True),
        (wf.LATE, date(2025, 9, 6), True),
    ],
)
def test_a_failure_is_final_once_it_can_no_longer_be_fixed(kind, today, final):
    closes = date(2025, 11, 10)

    assert wf.failure_is_final(kind=kind, freshman_window_closes_on=closes, today=today) is final


@dataclass
class Staff:
    perms: set[str]

    def has_perm(self, perm: str) -> bool:
        return perm in self.perms


CLINIC = Staff({"enrollment.change_enrollment", "enrollment.add_optout"})


def test_available_moves_follow_the_map_and_the_permissions():
    def targets(facts, user):
        return [transition.target for transition in wf.available(facts, user)]

    assert targets(facts(wf.FRESHMAN, wf.NOT_ESTABLISHED), CLINIC) == [
        wf.PENDING_REVIEW,
        wf.OPTED_OUT,
    ]
    assert targets(facts(wf.FRESHMAN, wf.NOT_ESTABLISHED), Staff(set())) == []
    # refunds are finance's (add_refund), and only of what was paid
    finance = Staff({"enrollment.add_refund"})
    assert targets(facts(wf.COLLECTIVE, wf.FAILED), finance) == [wf.REFUNDED]
    assert targets(facts(wf.COLLECTIVE, wf.FAILED, amount_paid=Decimal("0")), finance) == []


def test_staff_confirm_for_freshmen_by_hand_and_nothing_else():
    [confirm] = wf.by_hand(CLINIC)

    assert (confirm.action, confirm.target, confirm.permission) == (
        "confirm_for_students",
        wf.PENDING_REVIEW,
        "change_enrollment",
    )
    assert wf.by_hand(Staff({"enrollment.view_enrollment"})) == []
