"""Late enrollment (中途参保): declared after the collective window, covered once paid,
from the later of declaration + waiting and the payment date.

Worked example, shanghai-student-insurance-guide-2024-11.txt Q3: declared 5 Mar 2025,
paid before 5 Jun → benefits from 5 Jun 2025 (3 fixed months of waiting). A gap year
before adds 1 variable month (Q5; sjtu rules art. 20)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from enrollment import services, workflow
from enrollment.models import CollectiveRun, Enrollment
from enrollment.tests.factories import (
    EnrollmentRowFactory,
    LateEnrollmentFactory,
    PaymentFactory,
    StudentFactory,
)
from policies.models import PolicyYear
from policies.services import policy_year_copy_to_draft

pytestmark = pytest.mark.django_db

AT_SCHOOL_SINCE = date(2024, 9, 1)


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
    CollectiveRun.objects.create(policy_year=shanghai_2025, status=CollectiveRun.Status.DONE)
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


def test_admin_action_declares_a_late_enrollment_for_this_year(admin_client):
    today = timezone.localdate()
    this_year = PolicyYear.objects.filter(year=today.year, region__code="shanghai").first()
    if this_year is None:  # the seeded years end in 2026; later years are drafted as usual
        latest = PolicyYear.objects.filter(region__code="shanghai").order_by("-year").first()
        this_year = policy_year_copy_to_draft(policy_year=latest, year=today.year)
    PolicyYear.objects.filter(pk=this_year.pk).update(
        collective_window_closes_on=date(today.year - 1, 12, 20)
    )
    who = StudentFactory(registered_on=date(today.year - 1, 9, 1))

    response = admin_client.post(
        reverse("admin:enrollment_student_changelist"),
        {"action": "enroll_late", "_selected_action": [who.pk]},
        follow=True,
    )

    enrollment = Enrollment.objects.get(student=who)
    assert (enrollment.kind, enrollment.state) == (workflow.LATE, workflow.DECLARED)
    assert enrollment.policy_year == this_year
    assert "中途参保" in response.content.decode()


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
