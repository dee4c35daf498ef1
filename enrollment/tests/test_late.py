"""Late enrollment (中途参保): declared after the collective window, covered once paid,
from the later of declaration + waiting and the payment date.

Worked example, shanghai-student-insurance-guide-2024-11.txt Q3: declared 5 Mar 2025,
paid before 5 Jun → benefits from 5 Jun 2025 (3 fixed months of waiting). A gap year
before adds 1 variable month (Q5; sjtu rules art. 20)."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from enrollment import services, workflow
from enrollment.models import CollectiveRun, Enrollment, Payment
from enrollment.tests.factories import (
    EnrollmentRowFactory,
    LateEnrollmentFactory,
    PaymentFactory,
    StudentFactory,
)

pytestmark = pytest.mark.django_db

AT_SCHOOL_SINCE = date(2024, 9, 1)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def gap_year_2025(shanghai_2025) -> None:
    """2025's collective run was done in the portal: a student at school then without
    cover has one gap year in 2026."""
    CollectiveRun.objects.create(policy_year=shanghai_2025, status=CollectiveRun.Status.DONE)


def test_declared_without_cover_until_paid(shanghai_2025):
    enrollment = LateEnrollmentFactory(policy_year=shanghai_2025, today=date(2025, 3, 5))

    assert (enrollment.state, enrollment.cover_start) == (workflow.DECLARED, None)
    assert enrollment.premium_due == Decimal("355.00")


def test_the_guide_example_paid_within_the_waiting_period(shanghai_2025):
    enrollment = LateEnrollmentFactory(policy_year=shanghai_2025, today=date(2025, 3, 5))
    PaymentFactory(enrollment=enrollment, paid_on=date(2025, 4, 1))
    enrollment.refresh_from_db()

    # 5 Mar + 3 months = 5 Jun, later than the payment on 1 Apr
    assert enrollment.state == workflow.PAID
    assert (enrollment.cover_start, enrollment.cover_end) == (date(2025, 6, 5), date(2025, 12, 31))
    assert enrollment.waiting_months == 3


def test_paid_after_the_waiting_period_starts_on_the_payment_date(shanghai_2025):
    enrollment = LateEnrollmentFactory(policy_year=shanghai_2025, today=date(2025, 3, 5))
    PaymentFactory(enrollment=enrollment, paid_on=date(2025, 7, 10))
    enrollment.refresh_from_db()

    assert enrollment.cover_start == date(2025, 7, 10)


def test_a_gap_year_adds_a_month(shanghai_2025, shanghai_2026):
    """2025's collective run was done in the portal; this student was at school in 2025
    without cover: 3 fixed + 1 variable month from 5 Mar 2026 → 5 Jul 2026."""
    gap_year_2025(shanghai_2025)
    EnrollmentRowFactory(
        student__registered_on=AT_SCHOOL_SINCE,
        policy_year=shanghai_2025,
        state=workflow.REMITTED,
    )

    enrollment = LateEnrollmentFactory(policy_year=shanghai_2026, today=date(2026, 3, 5))
    PaymentFactory(enrollment=enrollment, paid_on=date(2026, 3, 10))
    enrollment.refresh_from_db()

    assert (enrollment.waiting_months, enrollment.cover_start) == (4, date(2026, 7, 5))


@pytest.mark.parametrize(
    "today",
    [
        date(2025, 12, 1),  # inside the 2026 collective window: use the collective run
        date(2027, 1, 5),  # the 2026 policy year is over
    ],
)
def test_late_enrollment_only_after_the_window_and_within_the_year(today, shanghai_2026):
    with pytest.raises(services.EnrollmentRefused, match="中途参保"):
        services.enrollment_create(
            student=StudentFactory(registered_on=AT_SCHOOL_SINCE),
            policy_year=shanghai_2026,
            kind=workflow.LATE,
            today=today,
        )
    assert not Enrollment.objects.exists()


def test_a_government_paid_late_enrollment_gets_its_cover_when_established(shanghai_2025):
    """Declared 5 Mar 2025, established without payment (the government pays): benefits
    after the 3 months of waiting from the declaration, 5 Jun 2025 (shanghai guide Q3)."""
    enrollment = LateEnrollmentFactory(
        student__subsidy_category="low_income_family",
        policy_year=shanghai_2025,
        today=date(2025, 3, 5),
    )

    services.enrollment_transition(enrollment=enrollment, to="established")

    cover = Enrollment.objects.get(pk=enrollment.pk)
    assert (cover.waiting_months, cover.cover_start) == (3, date(2025, 6, 5))


# --- a late enrollment must be able to buy cover inside its year (issue #10, point 10) ------


@pytest.mark.parametrize(
    ("today", "cover_start"),
    [
        # 30 Sep + 3 months = 30 Dec 2025: two days of cover, still inside 2025
        (date(2025, 9, 30), date(2025, 12, 30)),
        # 1 Oct + 3 months = 1 Jan 2026: nothing left of 2025
        (date(2025, 10, 1), None),
        # the reported case: 29 Nov + 3 months = 28 Feb 2026 (no 29 Feb in 2026)
        (date(2025, 11, 29), None),
    ],
)
def test_a_late_enrollment_is_refused_when_its_cover_cannot_start_in_the_year(
    today, cover_start, shanghai_2025
):
    if cover_start is None:
        with pytest.raises(services.EnrollmentRefused, match="不予办理"):
            LateEnrollmentFactory(policy_year=shanghai_2025, today=today)
        assert not Enrollment.objects.exists()
        return
    enrollment = LateEnrollmentFactory(policy_year=shanghai_2025, today=today)
    PaymentFactory(enrollment=enrollment, paid_on=today)
    enrollment.refresh_from_db()
    assert (enrollment.cover_start, enrollment.cover_end) == (cover_start, date(2025, 12, 31))


@pytest.mark.parametrize(
    ("today", "refused"),
    [
        (date(2026, 8, 31), False),  # 3 + 1 months: 31 Dec 2026, the year's last day
        (date(2026, 9, 1), True),  # 1 Jan 2027
    ],
)
def test_a_gap_year_brings_the_last_day_a_month_earlier(
    today, refused, shanghai_2025, shanghai_2026
):
    gap_year_2025(shanghai_2025)
    student = StudentFactory(registered_on=AT_SCHOOL_SINCE)

    if refused:
        with pytest.raises(services.EnrollmentRefused, match="2027-01-01"):
            services.enrollment_declare_late(student=student, today=today)
        assert not Enrollment.objects.exists()
    else:
        quote = services.enrollment_quote_late(student=student, today=today)
        assert (quote.cover.waiting_months, quote.cover.start) == (4, date(2026, 12, 31))


def test_a_payment_too_late_to_start_the_cover_is_not_recorded(shanghai_2025):
    """Declared 30 Sep 2025 (benefits could start 30 Dec), paid 5 Jan 2026: the cover
    would start on the payment date, after 2025 is over."""
    enrollment = LateEnrollmentFactory(policy_year=shanghai_2025, today=date(2025, 9, 30))

    with pytest.raises(services.EnrollmentRefused, match="2026-01-05"):
        PaymentFactory(enrollment=enrollment, paid_on=date(2026, 1, 5))

    enrollment.refresh_from_db()
    assert (enrollment.state, enrollment.amount_paid, enrollment.cover_start) == (
        workflow.DECLARED,
        0,
        None,
    )
    assert not Payment.objects.exists()


def test_a_payment_file_line_too_late_for_any_cover_is_a_problem(payment_file, shanghai_2025):
    enrollment = LateEnrollmentFactory(
        student__seq=1, policy_year=shanghai_2025, today=date(2025, 9, 30)
    )
    path = payment_file(
        [
            [enrollment.student.student_number, "355.00", "2026-01-05", "现金", "SJ-0001"],
            [enrollment.student.student_number, "355.00", "2025-12-01", "现金", "SJ-0002"],
        ]
    )

    plan = services.payments_import_check(path=path, policy_year=shanghai_2025)

    [problem] = plan.problems
    assert (problem.row, problem.column) == (2, "缴费日期")
    assert "2026-01-05" in problem.message
    assert [line.receipt_number for line, _ in plan.lines] == ["SJ-0002"]


def changelist_post(client, data: dict):
    return client.post(reverse("admin:enrollment_student_changelist"), data, follow=True)


@time_machine.travel(datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_the_admin_shows_the_cover_dates_and_records_only_once_confirmed(
    admin_client, shanghai_2026
):
    """On 5 Mar 2026 (the guide's Q3 example a year on): 3 months of waiting, benefits
    from 5 Jun 2026 if paid today, to 31 Dec 2026; 355.00 due (guide Q2)."""
    who = StudentFactory(registered_on=date(2025, 9, 1))
    selection = {"action": "enroll_late", "_selected_action": [who.pk]}

    page = changelist_post(admin_client, selection).content.decode()

    assert not Enrollment.objects.exists()  # nothing recorded before confirming
    assert all(text in page for text in ("2026-06-05", "2026-12-31", "355.00", who.name))
    assert 'name="post" value="yes"' in page

    done = changelist_post(admin_client, {**selection, "post": "yes"}).content.decode()

    enrollment = Enrollment.objects.get(student=who)
    assert (enrollment.kind, enrollment.state) == (workflow.LATE, workflow.DECLARED)
    assert enrollment.policy_year == shanghai_2026
    assert "中途参保" in done


@time_machine.travel(datetime(2026, 11, 29, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_the_admin_refuses_a_late_enrollment_that_would_buy_nothing(admin_client, shanghai_2026):
    """On 29 Nov 2026, 3 months of waiting end on 28 Feb 2027: no cover in 2026."""
    who = StudentFactory(registered_on=date(2025, 9, 1))
    selection = {"action": "enroll_late", "_selected_action": [who.pk]}

    page = changelist_post(admin_client, selection).content.decode()

    assert "2027-02-28" in page and "不予办理" in page
    assert 'value="是的，办理"' not in page  # nothing to confirm
    changelist_post(admin_client, {**selection, "post": "yes"})  # forced: still refused
    assert not Enrollment.objects.exists()
