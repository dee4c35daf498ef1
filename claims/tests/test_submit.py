"""Submitting a claim runs the automatic checks against the database's facts: each
rejection code, reached end to end, with its sentence on the claim and its events.

Worked from the seeds: shanghai-2025 covers a collective student 1 Jan – 31 Dec 2025;
6 months to claim a receipt (shanghai guide Q12); wuhan-2025's school-paid outpatient
care off campus needs the campus clinic's referral (wuhan notice 五.2–五.3)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from claims import services
from claims.models import Claim, ClaimEvent
from claims.tests.factories import (
    ClaimFactory,
    ClaimRowFactory,
    CoveredStudentFactory,
    LineInputFactory,
    ReferralFactory,
    policy_year,
)
from claims.workflow import TransitionRefused
from enrollment.tests.factories import EnrollmentRowFactory

pytestmark = pytest.mark.django_db

SUBMITTED = date(2025, 3, 20)


def submit(claim, today=SUBMITTED) -> Claim:
    return services.claim_submit(claim=claim, today=today)


def test_a_claim_within_every_rule_is_submitted_with_its_payer_and_cover():
    claim = submit(ClaimFactory())
    assert (claim.state, claim.rejection_code, claim.rejection_message) == ("submitted", "", "")
    assert claim.submitted_on == SUBMITTED
    # shanghai-2025 emergency at level 3 follows outpatient, paid by the basic fund
    assert claim.payer == "bureau"
    assert claim.policy_year.code == "shanghai-2025"
    assert claim.enrollment.student_id == claim.student_id
    assert list(claim.events.values_list("from_state", "to_state")) == [("draft", "submitted")]


def test_the_date_it_was_handed_in_is_kept():
    claim = submit(ClaimFactory(submitted_on=date(2025, 3, 15)), today=date(2025, 4, 1))
    assert claim.submitted_on == date(2025, 3, 15)


def assert_rejected(claim: Claim, code: str, *words: str) -> None:
    claim.refresh_from_db()
    assert claim.state == "rejected", claim.rejection_message
    assert claim.rejection_code == code
    for word in words:
        assert word in claim.rejection_message
    events = list(claim.events.values_list("from_state", "to_state", "reason"))
    assert events[0][:2] == ("draft", "submitted")
    assert events[1][:2] == ("submitted", "rejected")
    assert events[1][2].startswith("自动检查未通过")


def test_not_covered_on_the_visit_date():
    claim = submit(ClaimFactory(student=CoveredStudentFactory(covered_in="")))
    assert_rejected(claim, "not_covered", "2025-03-10", "没有有效的医保待遇")
    assert claim.enrollment is None
    assert claim.policy_year.code == "shanghai-2025"  # the school's region's year


def test_a_failed_account_is_no_cover():
    student = CoveredStudentFactory(covered_in="")
    EnrollmentRowFactory(student=student, policy_year=policy_year(), state="failed")
    assert_rejected(submit(ClaimFactory(student=student)), "not_covered")


def test_waiting_period():
    # shanghai guide Q3: declared 5 Mar 2025, 3 months' waiting: benefits from 5 Jun
    student = CoveredStudentFactory(covered_in="")
    EnrollmentRowFactory(
        student=student,
        policy_year=policy_year(),
        kind="late",
        waiting_months=3,
        cover_start=date(2025, 6, 5),
        declared_on=date(2025, 3, 5),
    )
    claim = submit(ClaimFactory(student=student))
    assert_rejected(claim, "waiting_period", "待遇等待期")
    later = submit(
        ClaimFactory(student=student, lines=[LineInputFactory(visit_date=date(2025, 6, 5))]),
        today=date(2025, 6, 20),
    )
    assert later.state == "submitted"


@pytest.mark.parametrize(
    ("submitted_on", "state"),
    # receipt of 10 Mar 2025 + 6 months = 10 Sep 2025, the last day
    [(date(2025, 9, 10), "submitted"), (date(2025, 9, 11), "rejected")],
)
def test_late_submission(submitted_on, state):
    claim = submit(ClaimFactory(), today=submitted_on)
    assert claim.state == state
    if state == "rejected":
        assert_rejected(claim, "late_submission", "6 个月内", "2025-09-10")


def test_no_referral_for_a_referred_outpatient_claim():
    claim = submit(
        ClaimFactory(type="referred_outpatient", lines=[LineInputFactory(care="outpatient")])
    )
    assert_rejected(claim, "no_referral", "转诊单")


def test_a_wuhan_outpatient_visit_off_campus_needs_the_clinics_referral(wuhan_student):
    # wuhan notice 五.2-五.3: the school pays, off campus only with the referral
    lines = [LineInputFactory(care="outpatient", level="2")]
    without = submit(ClaimFactory(student=wuhan_student, type="referred_outpatient", lines=lines))
    assert_rejected(without, "no_referral")

    referral = ReferralFactory(student=wuhan_student, issued_on=date(2025, 3, 1))
    lines = [LineInputFactory(care="outpatient", level="2")]
    claim = submit(
        ClaimFactory(
            student=wuhan_student, type="referred_outpatient", lines=lines, referral=referral
        )
    )
    assert claim.state == "submitted"
    assert claim.payer == "school_outpatient_fund"
    assert claim.policy_year.code == "wuhan-2025"


def test_a_referral_expired_on_the_visit_date_is_none(wuhan_student):
    referral = ReferralFactory(
        student=wuhan_student, issued_on=date(2025, 1, 1), valid_until=date(2025, 3, 9)
    )
    claim = submit(
        ClaimFactory(
            student=wuhan_student,
            type="referred_outpatient",
            lines=[LineInputFactory(care="outpatient", level="2")],
            referral=referral,
        )
    )
    assert_rejected(claim, "no_referral")


def test_another_students_referral_is_refused(wuhan_student):
    referral = ReferralFactory()
    with pytest.raises(services.ClaimRefused):
        ClaimFactory(student=wuhan_student, type="referred_outpatient", referral=referral)


@pytest.mark.parametrize(
    ("registration", "valid_until", "state"),
    [
        ("none", None, "rejected"),
        ("temporary", date(2025, 1, 31), "rejected"),
        ("temporary", date(2025, 6, 30), "submitted"),
        ("long_term", None, "submitted"),
    ],
)
def test_no_remote_registration(registration, valid_until, state):
    claim = submit(
        ClaimFactory(
            type="remote",
            lines=[LineInputFactory(care="outpatient")],
            remote_registration=registration,
            remote_registration_valid_until=valid_until,
        )
    )
    assert claim.out_of_city
    assert claim.state == state
    if state == "rejected":
        assert_rejected(claim, "no_remote_registration", "只有急诊费用可以报销")


def test_out_of_the_city_without_registration_emergency_care_is_claimed():
    claim = submit(ClaimFactory(type="emergency_cash", out_of_city=True))
    assert claim.state == "submitted"


def test_duplicate_receipt_in_a_later_claim():
    first = submit(ClaimFactory(lines=[LineInputFactory(invoice_number="FP-DUP")]))
    again = ClaimFactory(student=first.student, lines=[LineInputFactory(invoice_number="FP-DUP")])
    line = again.lines.get()
    assert line.duplicate_of == first.lines.get()
    assert_rejected(submit(again), "duplicate_receipt", "FP-DUP", "只能报销一次")
    assert first.state == "submitted"


def test_duplicate_receipt_inside_one_claim():
    claim = ClaimFactory(
        lines=[
            LineInputFactory(invoice_number="FP-TWICE"),
            LineInputFactory(invoice_number="FP-TWICE"),
        ]
    )
    first, second = claim.lines.order_by("position")
    assert (first.duplicate_of, second.duplicate_of) == (None, first)
    assert_rejected(submit(claim), "duplicate_receipt")


def test_a_catastrophic_claim_is_the_insurers():
    claim = submit(ClaimFactory(type="catastrophic"))
    assert claim.payer == "insurer"


def test_claims_submitted_together_are_checked_each_on_its_own():
    good = ClaimFactory()
    late = ClaimFactory(lines=[LineInputFactory(invoice_date=date(2024, 8, 1))])
    uncovered = ClaimFactory(student=CoveredStudentFactory(covered_in=""))
    results = services.claims_submit([good, late, uncovered], today=SUBMITTED)
    assert [(c.number, c.state, check.code if check else None) for c, check in results] == [
        (good.number, "submitted", None),
        (late.number, "rejected", "late_submission"),
        (uncovered.number, "rejected", "not_covered"),
    ]
    assert ClaimEvent.objects.count() == 5


def test_a_claim_submitted_twice_is_refused_the_second_time():
    claim = submit(ClaimFactory())
    with pytest.raises(TransitionRefused) as refused:
        submit(claim)
    assert refused.value.message == "「已提交」的报销申请不能变为「已提交」。"


def test_amounts_keep_the_fen():
    line = LineInputFactory(total=Decimal("123.45"), in_scope=Decimal("100.01"))
    stored = ClaimFactory(lines=[line]).lines.get()
    assert (stored.total, stored.in_scope, stored.out_of_scope) == (
        Decimal("123.45"),
        Decimal("100.01"),
        Decimal("23.44"),
    )


def test_a_visit_in_a_year_without_cover_data_has_no_policy_year():
    day = date(2019, 5, 1)
    claim = ClaimFactory(lines=[LineInputFactory(visit_date=day)])
    assert claim.number.startswith("BX2019-")
    claim = submit(claim, today=day + timedelta(days=3))
    assert claim.policy_year is None
    assert claim.rejection_code == "not_covered"


def test_a_claim_without_receipts_is_not_submitted():
    claim = ClaimRowFactory()
    with pytest.raises(services.ClaimRefused) as refused:
        submit(claim)
    assert "没有票据" in refused.value.message
    claim.refresh_from_db()
    assert claim.state == "draft"
