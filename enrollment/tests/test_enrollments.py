from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.db import IntegrityError
from django.urls import reverse

from enrollment import demo, services, workflow
from enrollment.models import Enrollment, Student
from policies.models import PolicyYear

pytestmark = pytest.mark.django_db


@pytest.fixture
def freshman():
    student = demo.demo_students(entry_year=2026, count=1)[0]
    student.registered_on = date(2026, 8, 28)
    student.save()
    return student


@pytest.fixture
def shanghai_2026():
    return PolicyYear.objects.get(code="shanghai-2026")


def test_a_freshman_enrollment_is_free_in_shanghai_and_covered_from_september(
    freshman, shanghai_2026
):
    enrollment = services.enrollment_create(
        student=freshman, policy_year=shanghai_2026, kind="freshman", today=date(2026, 9, 2)
    )

    # shanghai guide Q4: registered in August -> 1 Sep to 31 Dec; entry year premium waived
    assert (enrollment.state, enrollment.premium_due) == ("not_established", Decimal("0.00"))
    assert (enrollment.cover_start, enrollment.cover_end) == (date(2026, 9, 1), date(2026, 12, 31))
    assert list(enrollment.events.values_list("from_state", "to_state")) == [
        ("", "not_established")
    ]


def test_no_freshman_account_once_the_next_collective_window_opened(freshman, shanghai_2026):
    with pytest.raises(services.EnrollmentRefused, match="截止"):
        services.enrollment_create(
            student=freshman, policy_year=shanghai_2026, kind="freshman", today=date(2026, 11, 22)
        )
    assert not Enrollment.objects.exists()


def test_a_freshman_of_another_year_is_refused(freshman, shanghai_2026):
    freshman.registered_on = date(2025, 9, 1)

    with pytest.raises(services.EnrollmentRefused, match="报到注册时间"):
        services.enrollment_create(
            student=freshman, policy_year=shanghai_2026, kind="freshman", today=date(2026, 9, 2)
        )


def test_one_enrollment_per_student_and_year(freshman, shanghai_2026):
    services.enrollment_create(
        student=freshman, policy_year=shanghai_2026, kind="freshman", today=date(2026, 9, 2)
    )

    with pytest.raises(IntegrityError):
        services.enrollment_create(
            student=freshman, policy_year=shanghai_2026, kind="freshman", today=date(2026, 9, 2)
        )


def test_transitions_record_who_did_what(freshman, shanghai_2026, admin_user):
    enrollment = services.enrollment_create(
        student=freshman, policy_year=shanghai_2026, kind="freshman", today=date(2026, 9, 2)
    )

    services.enrollment_transition(enrollment=enrollment, to="pending_review", by=admin_user)
    failed = services.enrollment_transition(
        enrollment=enrollment,
        to="failed",
        by=admin_user,
        reason="相同证件号存在其他医保账户但姓名不同",
    )
    with pytest.raises(workflow.TransitionRefused):
        services.enrollment_transition(enrollment=enrollment, to="established", by=admin_user)

    assert (failed.state, failed.reason) == ("failed", "相同证件号存在其他医保账户但姓名不同")
    assert list(failed.events.values_list("from_state", "to_state", "by__username")) == [
        ("", "not_established", None),
        ("not_established", "pending_review", "admin"),
        ("pending_review", "failed", "admin"),
    ]


def test_bulk_confirmation_in_the_admin(client, shanghai_2026):
    students = demo.demo_students(entry_year=2026, count=3)
    for student in students:
        student.registered_on = date(2026, 9, 1)
        student.subsidy_category = "standard"  # a severe-disability student is never declared
    Student.objects.bulk_create(students)
    enrollments = [
        services.enrollment_create(
            student=student, policy_year=shanghai_2026, kind="freshman", today=date(2026, 9, 2)
        )
        for student in Student.objects.all()
    ]
    services.enrollment_transition(enrollment=enrollments[0], to="pending_review")
    user = User.objects.create_user(username="clinic", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="医保办"))
    client.force_login(user)

    response = client.post(
        reverse("admin:enrollment_enrollment_changelist"),
        {"action": "confirm_for_students", "_selected_action": [e.pk for e in enrollments]},
        follow=True,
    )

    assert Enrollment.objects.filter(state="pending_review").count() == 3
    page = response.content.decode()
    assert "2" in page and "不能变为" in page  # two moved, the third already was
    assert set(
        Enrollment.objects.get(pk=enrollments[1].pk).events.values_list("by__username", flat=True)
    ) == {None, "clinic"}
