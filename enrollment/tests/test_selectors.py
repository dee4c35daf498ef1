"""What the claims app asks of enrollments: is a student covered on a day, by which
enrollment, in a waiting period or not (cover_on), and the rule engine's member for an
enrollment (engine_member). Seeds: shanghai-student-insurance-guide-2024-11.txt Q3
(waiting, worked example) and Q4 (freshmen), sjtu-student-health-and-insurance-rules-2025.txt
art. 19 (cover once the account is established)."""

from datetime import date
from decimal import Decimal

import pytest

from enrollment import services, workflow
from enrollment.selectors import cover_on, engine_member
from enrollment.tests.factories import (
    EnrollmentFactory,
    EnrollmentRowFactory,
    LateEnrollmentFactory,
    PaymentFactory,
    StudentFactory,
)
from office.errors import Refused
from policies import engine
from policies.selectors import policy_year_rules

pytestmark = pytest.mark.django_db

AT_SCHOOL_SINCE = date(2024, 9, 1)


def test_a_collective_enrollment_covers_the_year_once_established(shanghai_2026):
    enrollment = EnrollmentFactory(
        student__registered_on=AT_SCHOOL_SINCE,
        policy_year=shanghai_2026,
        kind=workflow.COLLECTIVE,
        today=date(2025, 11, 20),
    )
    student = enrollment.student
    assert cover_on(student=student, day=date(2026, 3, 1)) is None  # declared, no account yet

    services.enrollment_transition(enrollment=enrollment, to=workflow.ESTABLISHED)

    cover = cover_on(student=student, day=date(2026, 3, 1))
    assert cover.enrollment == enrollment
    assert (cover.cover_start, cover.cover_end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert (cover.waiting_months, cover.in_waiting) == (0, False)
    assert cover_on(student=student, day=date(2025, 12, 31)) is None  # the year before
    assert cover_on(student=student, day=date(2027, 1, 1)) is None  # the year after


@pytest.mark.parametrize(
    ("state", "payer", "covered"),
    [
        (workflow.DECLARED, workflow.STUDENT, False),
        (workflow.PAID, workflow.STUDENT, False),
        (workflow.ESTABLISHED, workflow.STUDENT, True),
        (workflow.REMITTED, workflow.STUDENT, True),
        (workflow.EXEMPT, workflow.GOVERNMENT, True),  # 重残: the bureau's own account
        (workflow.FAILED, workflow.STUDENT, False),
        (workflow.OPTED_OUT, workflow.STUDENT, False),
        (workflow.REFUNDED, workflow.STUDENT, False),  # a failed account's premium back
        (workflow.REFUNDED, workflow.FAMILY_AID, True),  # refunded because established
    ],
)
def test_only_an_established_account_gives_cover(shanghai_2025, state, payer, covered):
    student = StudentFactory(registered_on=AT_SCHOOL_SINCE)
    EnrollmentRowFactory(student=student, policy_year=shanghai_2025, state=state, payer=payer)

    cover = cover_on(student=student, day=date(2025, 6, 1))

    assert (cover is not None) is covered


def test_another_students_enrollment_does_not_cover(shanghai_2025):
    EnrollmentRowFactory(
        student__registered_on=AT_SCHOOL_SINCE,
        policy_year=shanghai_2025,
        state=workflow.ESTABLISHED,
    )

    assert (
        cover_on(student=StudentFactory(registered_on=AT_SCHOOL_SINCE), day=date(2025, 6, 1))
        is None
    )


def test_a_freshman_is_covered_from_registration_once_established(shanghai_2025):
    # SH-GUIDE Q4: from the registration date, no waiting, once confirmed and established
    student = StudentFactory(registered_on=date(2025, 9, 10))
    enrollment = EnrollmentFactory(
        student=student,
        policy_year=shanghai_2025,
        kind=workflow.FRESHMAN,
        today=date(2025, 9, 12),
    )
    services.enrollment_transition(enrollment=enrollment, to=workflow.PENDING_REVIEW)
    assert cover_on(student=student, day=date(2025, 9, 20)) is None  # confirmed, not established

    services.enrollment_transition(enrollment=enrollment, to=workflow.ESTABLISHED)

    assert cover_on(student=student, day=date(2025, 9, 9)) is None  # before registration
    cover = cover_on(student=student, day=date(2025, 9, 10))
    assert (cover.enrollment, cover.in_waiting) == (enrollment, False)


def test_a_late_enrollment_waits_from_its_declaration(shanghai_2025):
    # SH-GUIDE Q3: declared 5 Mar 2025, paid before 5 Jun -> benefits from 5 Jun 2025
    enrollment = LateEnrollmentFactory(policy_year=shanghai_2025, today=date(2025, 3, 5))
    student = enrollment.student
    PaymentFactory(enrollment=enrollment, paid_on=date(2025, 4, 1))
    assert cover_on(student=student, day=date(2025, 6, 5)) is None  # paid, no account yet
    services.enrollment_transition(enrollment=enrollment, to=workflow.ESTABLISHED)

    assert cover_on(student=student, day=date(2025, 3, 4)) is None  # not yet declared
    waiting = cover_on(student=student, day=date(2025, 3, 5))
    assert (waiting.cover_start, waiting.waiting_months, waiting.in_waiting) == (
        date(2025, 6, 5),
        3,
        True,
    )
    assert cover_on(student=student, day=date(2025, 6, 4)).in_waiting is True
    assert cover_on(student=student, day=date(2025, 6, 5)).in_waiting is False


def test_a_collective_enrollment_after_a_gap_waits_from_1_january(shanghai_2026):
    # SH-GUIDE Q5: 3 fixed + 1 variable month after one gap year, counted from 1 January
    student = StudentFactory(registered_on=AT_SCHOOL_SINCE)
    EnrollmentRowFactory(
        student=student,
        policy_year=shanghai_2026,
        state=workflow.ESTABLISHED,
        cover_start=date(2026, 5, 1),
        waiting_months=4,
    )

    assert cover_on(student=student, day=date(2026, 1, 1)).in_waiting is True
    assert cover_on(student=student, day=date(2026, 5, 1)).in_waiting is False


def test_a_late_enrollment_without_cover_dates_covers_nothing(shanghai_2025):
    student = StudentFactory(registered_on=AT_SCHOOL_SINCE)
    enrollment = EnrollmentRowFactory(
        student=student,
        policy_year=shanghai_2025,
        state=workflow.ESTABLISHED,
        kind=workflow.LATE,
        cover_start=None,
        cover_end=None,
    )

    assert cover_on(student=student, day=date(2025, 6, 1)) is None
    with pytest.raises(Refused, match="尚无待遇起止日期"):
        engine_member(enrollment)


def test_engine_member_carries_the_stored_cover_and_the_category(shanghai_2025):
    student = StudentFactory(registered_on=AT_SCHOOL_SINCE, subsidy_category="low_income")
    enrollment = EnrollmentRowFactory(
        student=student,
        policy_year=shanghai_2025,
        state=workflow.ESTABLISHED,
        cover_start=date(2025, 4, 1),
        waiting_months=3,
    )

    member = engine_member(enrollment)

    assert member == engine.Member(
        category="low_income",
        cover_start=date(2025, 4, 1),
        cover_end=date(2025, 12, 31),
        waiting_months=3,
        waiting_from=date(2025, 1, 1),
    )


def test_engine_member_settles_like_the_office_expects(shanghai_2025):
    student = StudentFactory(registered_on=AT_SCHOOL_SINCE, subsidy_category="low_income")
    enrollment = EnrollmentRowFactory(
        student=student,
        policy_year=shanghai_2025,
        state=workflow.ESTABLISHED,
        kind=workflow.LATE,
        cover_start=date(2025, 6, 5),
        waiting_months=3,
        declared_on=date(2025, 3, 5),
    )
    stay = {"care": "inpatient", "level": "3", "catastrophic_disease": True}

    result = engine.estimate(
        policy_year_rules(enrollment.policy_year),
        engine_member(enrollment),
        [
            engine.Expense(date=date(2025, 3, 1), in_scope=Decimal("100.00"), **stay),
            engine.Expense(date=date(2025, 4, 1), in_scope=Decimal("100.00"), **stay),
            engine.Expense(date=date(2025, 7, 1), in_scope=Decimal("10300.00"), **stay),
        ],
    )

    before, waiting, paid = result.expenses
    assert "早于待遇开始日期" in before.reasons[0]  # before the declaration
    assert "待遇等待期" in waiting.reasons[0]  # SH-GUIDE Q3: 不予追溯
    # SH-GUIDE Q7: L3 deductible 300, 60%: fund (10300-300)*60% = 6000.00, burden 4300.00;
    # catastrophic 65% for 低收入 (sjtu art. 31): 4300*65% = 2795.00
    assert (paid.fund, paid.catastrophic, paid.student) == (
        Decimal("6000.00"),
        Decimal("2795.00"),
        Decimal("1505.00"),
    )
