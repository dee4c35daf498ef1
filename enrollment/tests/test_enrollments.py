"""Creating an enrollment and moving it: a freshman's free first year, one enrollment per
student and year, who moved it, late enrollments and their region, and staff confirming
for freshmen in bulk."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.urls import reverse

from enrollment import services, workflow
from enrollment.models import Enrollment
from enrollment.tests.factories import FreshmanEnrollmentFactory, FreshmanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def freshman():
    return FreshmanFactory(registered_on=date(2026, 8, 28))  # August: covered from 1 Sep


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


def test_a_late_enrollment_takes_this_years_policy_year(freshman, shanghai_2026, admin_user):
    enrollment = services.enrollment_declare_late(
        student=freshman, today=date(2026, 3, 5), by=admin_user
    )

    assert (enrollment.policy_year, enrollment.kind) == (shanghai_2026, workflow.LATE)
    assert enrollment.state == workflow.DECLARED
    with pytest.raises(services.EnrollmentRefused) as refused:
        services.enrollment_declare_late(student=freshman, today=date(2026, 3, 6))
    assert str(refused.value) == f"{freshman} 已有 {shanghai_2026} 的参保记录。"


def test_a_late_enrollment_keeps_the_region_the_student_was_enrolled_in(freshman, wuhan_2025):
    freshman.registered_on = date(2025, 9, 1)
    services.enrollment_create(
        student=freshman, policy_year=wuhan_2025, kind="freshman", today=date(2025, 9, 2)
    )

    # 2025 has a Shanghai and a Wuhan year: the student's own region decides
    with pytest.raises(services.EnrollmentRefused) as refused:
        services.enrollment_declare_late(student=freshman, today=date(2025, 12, 28))
    assert str(refused.value) == f"{freshman} 已有 {wuhan_2025} 的参保记录。"


@pytest.mark.parametrize("region", ["shanghai", "wuhan"])
def test_a_late_enrollment_without_a_region_is_in_the_school_regions_year(
    freshman, region, settings
):
    settings.SCHOOL_REGION = region

    quote = services.enrollment_quote_late(student=freshman, today=date(2025, 3, 6))

    assert quote.policy_year.code == f"{region}-2025"


def test_bulk_confirmation_in_the_admin(client, shanghai_2026, staff):
    enrollments = FreshmanEnrollmentFactory.create_batch(
        3, policy_year=shanghai_2026, today=date(2026, 9, 2)
    )
    services.enrollment_transition(enrollment=enrollments[0], to="pending_review")
    client.force_login(staff("医保办", username="clinic"))

    response = client.post(
        reverse("admin:enrollment_enrollment_changelist"),
        {"action": "confirm_for_students", "_selected_action": [e.pk for e in enrollments]},
        follow=True,
    )

    assert Enrollment.objects.filter(state="pending_review").count() == 3
    shown = [(m.level_tag, m.message) for m in response.context["messages"]]
    already = Enrollment.objects.select_related("student").get(pk=enrollments[0].pk)
    assert shown == [
        ("success", "已为 2 名新生确认参保，状态为已申请待审核。"),  # two moved
        (
            "warning",
            f"{already.student}：「已申请待审核」的参保记录不能变为「已申请待审核」。",
        ),  # the third already was
    ]
    assert set(
        Enrollment.objects.get(pk=enrollments[1].pk).events.values_list("by__username", flat=True)
    ) == {None, "clinic"}
