"""The freshman flow end to end, through real files both ways: the registration list
imported, a declaration batch exported for the bureau's portal, staff confirming in
bulk, and the bureau's results file moving each account to established or failed
(xianda-freshman-confirmation-walkthrough.txt: 未建账 → 已申请待审核 → 已建账 / 建账失败)."""

from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from enrollment import services, workflow
from enrollment.models import Enrollment, Student
from enrollment.tests.files import row, students, xlsx
from office.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

NAME_CLASH = "相同证件号存在其他医保账户但姓名不同"


def test_from_the_registration_list_to_the_bureaus_answer(tmp_path, results_file, shanghai_2026):
    clerk = StaffFactory()
    rows = [*students(4), row(name="留学生", id_number="M12345678", student_number="26999999")]
    rows[-1][1] = "护照"
    roster = xlsx(tmp_path / "新生名单.xlsx", rows, titles=["2026级新生报到注册名单"])
    services.roster_apply(plan=services.roster_check(path=roster), valid_only=True)
    policy_year = shanghai_2026

    batch = services.declaration_batch_create(
        policy_year=policy_year,
        registered_from=date(2026, 9, 1),
        registered_to=date(2026, 9, 1),
        today=date(2026, 9, 2),
        by=clerk,
    )
    upload = load_workbook(BytesIO(services.declaration_batch_export(batch=batch, by=clerk)))
    declared = [r[6] for r in upload.active.iter_rows(min_row=2, values_only=True)]
    moved, refused = services.enrollments_move(
        enrollments=Enrollment.objects.filter(declaration_batch=batch),
        to="pending_review",
        by=clerk,
    )
    first, second, *_ = Student.objects.filter(enrollments__isnull=False).order_by("student_number")
    answer = results_file(
        [[first.id_number, "已建账", ""], [second.id_number, "建账失败", NAME_CLASH]],
        name="建账结果.xlsx",
    )
    plan = services.bureau_results_apply(path=answer, policy_year=policy_year, by=clerk)

    # 5 registered, the passport holder is not eligible: 4 declared, 4 confirmed
    assert declared == ["26000000", "26000001", "26000002", "26000003"]
    assert (moved, refused) == (4, [])
    assert plan.as_json()["established"] == 1 and plan.as_json()["failed"] == 1
    states = dict(Enrollment.objects.values_list("student__student_number", "state"))
    assert states == {
        "26000000": workflow.ESTABLISHED,
        "26000001": workflow.FAILED,
        "26000002": workflow.PENDING_REVIEW,
        "26000003": workflow.PENDING_REVIEW,
    }
    failed = Enrollment.objects.get(student=second)
    assert failed.reason == NAME_CLASH
    assert [e.to_state for e in failed.events.all()] == [
        workflow.NOT_ESTABLISHED,
        workflow.PENDING_REVIEW,
        workflow.FAILED,
    ]
    assert failed.events.get(to_state=workflow.PENDING_REVIEW).by == clerk
    # a Shanghai freshman's entry year is free and covered from registration (guide Q4)
    established = Enrollment.objects.get(student=first)
    assert (established.premium_due, established.cover_start) == (0, date(2026, 9, 1))
