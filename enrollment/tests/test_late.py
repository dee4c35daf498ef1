"""Late enrollment (中途参保): declared after the collective window, covered once paid,
from the later of declaration + waiting and the payment date.

Worked example, shanghai-student-insurance-guide-2024-11.txt Q3: declared 5 Mar 2025,
paid before 5 Jun → benefits from 5 Jun 2025 (3 fixed months of waiting). A gap year
before adds 1 variable month (Q5; sjtu rules art. 20)."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from enrollment import services, workflow
from enrollment.models import CollectiveRun, Enrollment, Student
from enrollment.tests.files import resident_id
from policies.models import PolicyYear
from policies.services import policy_year_copy_to_draft

pytestmark = pytest.mark.django_db


def student(seq: int = 1, registered_on=date(2024, 9, 1)) -> Student:
    return Student.objects.create(
        name=f"学生{seq}",
        id_number=resident_id(seq=seq),
        student_number=f"L{seq:05d}",
        school="示范大学",
        college="医学院",
        education_level="undergraduate",
        registered_on=registered_on,
        nationality="中国",
    )


def late(who: Student, code: str, declared_on: date) -> Enrollment:
    enrollment = services.enrollment_create(
        student=who,
        policy_year=PolicyYear.objects.get(code=code),
        kind=workflow.LATE,
        today=declared_on,
    )
    declared_at = timezone.make_aware(datetime.combine(declared_on, datetime.min.time()))
    Enrollment.objects.filter(pk=enrollment.pk).update(created_at=declared_at)
    return Enrollment.objects.get(pk=enrollment.pk)


def pay(enrollment: Enrollment, paid_on: date) -> Enrollment:
    services.payment_record(
        enrollment=enrollment,
        amount=Decimal("355.00"),
        paid_on=paid_on,
        channel="online",
        receipt_number=f"R-{enrollment.pk}-{paid_on}",
    )
    return Enrollment.objects.get(pk=enrollment.pk)


def test_declared_without_cover_until_paid():
    enrollment = late(student(), "shanghai-2025", date(2025, 3, 5))

    assert (enrollment.state, enrollment.cover_start) == (workflow.DECLARED, None)
    assert enrollment.premium_due == Decimal("355.00")


def test_the_guide_example_paid_within_the_waiting_period():
    enrollment = pay(late(student(), "shanghai-2025", date(2025, 3, 5)), date(2025, 4, 1))

    # 5 Mar + 3 months = 5 Jun, later than the payment on 1 Apr
    assert enrollment.state == workflow.PAID
    assert (enrollment.cover_start, enrollment.cover_end) == (date(2025, 6, 5), date(2025, 12, 31))
    assert enrollment.waiting_months == 3


def test_paid_after_the_waiting_period_starts_on_the_payment_date():
    enrollment = pay(late(student(), "shanghai-2025", date(2025, 3, 5)), date(2025, 7, 10))

    assert enrollment.cover_start == date(2025, 7, 10)


def test_a_gap_year_adds_a_month():
    """2025's collective run was done in the portal; this student was at school in 2025
    without cover: 3 fixed + 1 variable month from 5 Mar 2026 → 5 Jul 2026."""
    year_2025 = PolicyYear.objects.get(code="shanghai-2025")
    CollectiveRun.objects.create(policy_year=year_2025, status=CollectiveRun.Status.DONE)
    Enrollment.objects.create(
        student=student(2),
        policy_year=year_2025,
        kind=workflow.COLLECTIVE,
        state=workflow.REMITTED,
        payer=workflow.STUDENT,
        premium_due=Decimal("355.00"),
    )

    enrollment = pay(late(student(1), "shanghai-2026", date(2026, 3, 5)), date(2026, 3, 10))

    assert (enrollment.waiting_months, enrollment.cover_start) == (4, date(2026, 7, 5))


@pytest.mark.parametrize(
    "today",
    [
        date(2025, 12, 1),  # inside the 2026 collective window: use the collective run
        date(2027, 1, 5),  # the 2026 policy year is over
    ],
)
def test_late_enrollment_only_after_the_window_and_within_the_year(today):
    with pytest.raises(services.EnrollmentRefused, match="中途参保"):
        services.enrollment_create(
            student=student(),
            policy_year=PolicyYear.objects.get(code="shanghai-2026"),
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
    who = student(registered_on=date(today.year - 1, 9, 1))

    response = admin_client.post(
        reverse("admin:enrollment_student_changelist"),
        {"action": "enroll_late", "_selected_action": [who.pk]},
        follow=True,
    )

    enrollment = Enrollment.objects.get(student=who)
    assert (enrollment.kind, enrollment.state) == (workflow.LATE, workflow.DECLARED)
    assert enrollment.policy_year == this_year
    assert "中途参保" in response.content.decode()
