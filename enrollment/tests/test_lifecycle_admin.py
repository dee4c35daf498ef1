"""The lifecycle in the browser admin, on the demo year (`seed_demo`): every page opens,
the incoming files go upload → dry run → confirm, exports are logged, and the roles
decide who may do what."""

import re
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from enrollment import services, workflow
from enrollment.models import (
    DeclarationBatch,
    Enrollment,
    OptOut,
    Payment,
    PersonalDataAccess,
    Refund,
    Student,
)
from policies.models import PolicyYear

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path, shanghai_2026):
    """The demo school's year, shanghai-2026, as `seed_demo` leaves it."""
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=StringIO())
    shanghai_2026.refresh_from_db()
    return shanghai_2026


@pytest.fixture
def office(client, demo):
    user = User.objects.get(username="admin")
    client.force_login(user)
    return user


def xlsx(rows: list[list], name: str) -> SimpleUploadedFile:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.mark.parametrize(
    ("url", "text"),
    [
        ("admin:enrollment_collectiverun_changelist", "启动集中参保"),
        ("admin:enrollment_collectiverun_start", "医保年度"),
        ("admin:enrollment_declarationbatch_changelist", "新建申报批次"),
        ("admin:enrollment_declarationbatch_create", "报到日期自"),
        ("admin:enrollment_bureau_results", "建账结果"),
        ("admin:enrollment_pending_lists", "待确认"),
        ("admin:enrollment_optout_changelist", "未参保且未签放弃承诺"),
        ("admin:enrollment_optout_add", "承诺书"),
        ("admin:enrollment_students_to_chase", "未参保且未签放弃承诺"),
        ("admin:enrollment_payment_changelist", "导入缴费文件"),
        ("admin:enrollment_payment_add", "收据号"),
        ("admin:enrollment_payments_import", "收据号"),
        ("admin:enrollment_reconciliation", "对账"),
        ("admin:enrollment_refund_changelist", "登记应退费用"),
        ("admin:enrollment_refunds_issue", "家庭共济"),
        ("admin:enrollment_paymentlist_freeze", "待汇缴"),
    ],
)
def test_every_lifecycle_page_opens_in_chinese(client, office, url, text):
    response = client.get(reverse(url))

    assert response.status_code == 200
    assert text in response.content.decode()


def test_the_collective_run_report_lists_counts_and_exceptions(client, office, demo):
    from enrollment.models import CollectiveRun

    run = CollectiveRun.objects.get()
    page = client.get(reverse("admin:enrollment_collectiverun_change", args=[run.pk]))

    text = page.content.decode()
    assert "非全日制" in text and "外籍留学生" in text  # the demo's skipped students
    assert "医学院" in text
    assert f"{run.progress_done} / {run.progress_total}" in text


def window_closes(policy_year, days_from_today: int) -> None:
    PolicyYear.objects.filter(pk=policy_year.pk).update(
        freshman_window_closes_on=timezone.localdate() + timedelta(days=days_from_today)
    )


def test_a_declaration_batch_is_created_downloaded_frozen_and_logged(client, office, demo):
    window_closes(demo, 30)  # whatever the date the tests run on
    Student.objects.filter(registered_on__year=2026).update(registered_on=date(2026, 9, 20))
    freshmen = Enrollment.objects.filter(policy_year=demo, kind=workflow.FRESHMAN)
    # the demo's claims point at some freshmen's enrollments (claims → enrollment)
    apps.get_model("claims", "Claim").objects.filter(enrollment__in=freshmen).delete()
    freshmen.delete()  # not yet declared

    response = client.post(
        reverse("admin:enrollment_declarationbatch_create"),
        {"policy_year": demo.pk, "registered_from": "2026-09-20", "registered_to": "2026-09-20"},
    )
    batch = DeclarationBatch.objects.order_by("-number").first()
    url = reverse("admin:enrollment_declarationbatch_download", args=[batch.pk])
    before_export = client.get(url)  # a plain GET never freezes
    download = client.post(
        reverse("admin:enrollment_declarationbatch_changelist"),
        {"action": "export_and_freeze", "_selected_action": [batch.pk], "post": "yes"},
    )
    again = client.get(url)

    assert response.status_code == 302
    assert before_export.status_code == 404
    assert batch.rows == Enrollment.objects.filter(declaration_batch=batch).count() > 0
    sheet = load_workbook(BytesIO(b"".join(download.streaming_content))).active
    assert next(sheet.iter_rows(values_only=True))[:3] == ("姓名", "证件类型", "证件号码")
    assert sheet.max_row == batch.rows + 1
    batch.refresh_from_db()
    assert batch.is_frozen
    assert b"".join(again.streaming_content) == bytes(batch.content)
    assert PersonalDataAccess.objects.filter(detail=f"{batch}（{batch.rows} 人）").count() == 2


def test_no_batch_once_the_freshman_window_has_closed(client, office, demo):
    window_closes(demo, -1)
    before = DeclarationBatch.objects.count()

    response = client.post(
        reverse("admin:enrollment_declarationbatch_create"),
        {"policy_year": demo.pk, "registered_from": "2026-08-01", "registered_to": "2026-09-30"},
        follow=True,
    )

    assert "新生申报已于" in response.content.decode()
    assert DeclarationBatch.objects.count() == before


def test_finance_cannot_download_a_declaration_batch_with_full_ids(client, demo, staff):
    client.force_login(staff("财务"))
    batch = DeclarationBatch.objects.first()

    response = client.get(reverse("admin:enrollment_declarationbatch_download", args=[batch.pk]))
    listing = client.get(reverse("admin:enrollment_declarationbatch_changelist"))

    assert response.status_code == 403
    assert "/download/" not in listing.content.decode()  # no link they cannot follow


def test_bureau_results_dry_run_then_confirm(client, office, demo):
    waiting = Enrollment.objects.filter(
        policy_year=demo, state=workflow.PENDING_REVIEW
    ).select_related("student")[:2]
    first, second = waiting
    upload = xlsx(
        [
            ["2026 年新生建账结果"],
            ["证件号码", "建账结果", "失败原因"],
            [first.student.id_number, "已建账", ""],
            [second.student.id_number, "建账失败", "相同证件号存在其他医保账户但姓名不同"],
            ["110105200001010000", "已建账", ""],
        ],
        "结果.xlsx",
    )
    url = reverse("admin:enrollment_bureau_results")

    checked = client.post(url, {"policy_year": demo.pk, "file": upload})
    text = checked.content.decode()
    token = re.search(r'name="token" value="([^"]+)"', text).group(1)
    still = Enrollment.objects.get(pk=first.pk).state
    applied = client.post(url, {"policy_year": demo.pk, "token": token}, follow=True)

    assert still == workflow.PENDING_REVIEW  # the dry run wrote nothing
    assert "没有参保记录" in text and first.student.name in text  # a problem, and a move
    assert first.student.id_number not in text  # ID numbers are masked in the report
    assert applied.status_code == 200
    assert "这个字段是必填项" not in applied.content.decode()
    assert Enrollment.objects.get(pk=first.pk).state == workflow.ESTABLISHED
    failed = Enrollment.objects.get(pk=second.pk)
    assert (failed.state, failed.reason) == (
        workflow.FAILED,
        "相同证件号存在其他医保账户但姓名不同",
    )


def test_payment_file_dry_run_then_confirm_flags_a_short_amount(client, office, demo):
    unpaid = list(
        Enrollment.objects.filter(
            policy_year=demo, state=workflow.DECLARED, payer=workflow.STUDENT
        ).select_related("student")[:2]
    )
    upload = xlsx(
        [
            ["学号", "金额", "缴费日期", "缴费方式", "收据号"],
            [unpaid[0].student.student_number, "355.00", "2025-11-25", "微信", "T-1"],
            [unpaid[1].student.student_number, "300", "2025-11-25", "现金", "T-2"],
        ],
        "缴费.xlsx",
    )
    url = reverse("admin:enrollment_payments_import")

    checked = client.post(url, {"policy_year": demo.pk, "file": upload}).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', checked).group(1)
    client.post(url, {"policy_year": demo.pk, "token": token})

    # 355.00 settles the premium (shanghai guide Q2); 300.00 is 55.00 short: flagged
    assert "与应缴 355.00 元不符" in checked
    assert Enrollment.objects.get(pk=unpaid[0].pk).state == workflow.PAID
    short = Enrollment.objects.get(pk=unpaid[1].pk)
    assert (short.state, short.amount_paid) == (workflow.DECLARED, Decimal("300.00"))
    assert Payment.objects.get(receipt_number="T-2").mismatch


def test_an_opt_out_with_a_scan_is_recorded_and_its_viewing_logged(client, office, demo):
    enrollment = (
        Enrollment.objects.filter(policy_year=demo, state=workflow.DECLARED, amount_paid=0)
        .select_related("student")
        .first()
    )
    scan = SimpleUploadedFile("承诺书.pdf", b"%PDF-1.4 signed", content_type="application/pdf")

    response = client.post(
        reverse("admin:enrollment_optout_add"),
        {
            "student": enrollment.student.pk,
            "policy_year": demo.pk,
            "reason": "insured_elsewhere",
            "detail": "",
            "signed_on": "2025-11-28",
            "commitment": scan,
        },
    )
    opt_out = OptOut.objects.get(student=enrollment.student, policy_year=demo)
    viewed = client.get(reverse("admin:enrollment_optout_commitment", args=[opt_out.pk]))

    assert response.status_code == 302
    assert Enrollment.objects.get(pk=enrollment.pk).state == workflow.OPTED_OUT
    assert b"".join(viewed.streaming_content) == b"%PDF-1.4 signed"
    assert PersonalDataAccess.objects.filter(student=enrollment.student).exists()


def test_an_executable_is_not_accepted_as_a_scan(client, office, demo):
    student = Student.objects.filter(enrollments__state=workflow.DECLARED).first()
    response = client.post(
        reverse("admin:enrollment_optout_add"),
        {
            "student": student.pk,
            "policy_year": demo.pk,
            "reason": "insured_elsewhere",
            "signed_on": "2025-11-28",
            "commitment": SimpleUploadedFile("承诺书.pdf", b"MZ\x90\x00"),
        },
    )

    assert response.status_code == 200
    assert "PDF、JPG 或 PNG" in response.content.decode()
    assert not OptOut.objects.filter(student=student, policy_year=demo).exists()


def test_refunds_page_records_what_is_due_and_the_list_downloads(client, office, demo):
    enrollment = Enrollment.objects.filter(policy_year=demo, state=workflow.PAID).first()
    client.post(reverse("admin:enrollment_payment_add"), payment_form(enrollment, "P-2"))
    before = Refund.objects.count()

    client.post(reverse("admin:enrollment_refunds_issue"), {"year": 2026})
    listing = client.get(reverse("admin:enrollment_refund_list") + "?year=2026")

    refund = Refund.objects.get(enrollment=enrollment)
    # paid 355.00 twice: 355.00 back (shanghai guide Q2 premium)
    assert (refund.amount, refund.reason) == (Decimal("355.00"), "duplicate")
    assert Refund.objects.count() == before + 1
    rows = list(load_workbook(BytesIO(b"".join(listing.streaming_content))).active.values)
    assert rows[-1][0] == "合计"
    assert Decimal(str(rows[-1][5])) == sum(Decimal(str(row[5])) for row in rows[1:-1])


def payment_form(enrollment, receipt: str) -> dict:
    return {
        "enrollment": enrollment.pk,
        "amount": "355.00",
        "paid_on": "2025-11-30",
        "channel": "online",
        "receipt_number": receipt,
    }


def test_no_payment_is_recorded_on_an_exempt_enrollment(client, office, demo):
    exempt = Enrollment.objects.filter(policy_year=demo, state=workflow.EXEMPT).first()

    response = client.post(reverse("admin:enrollment_payment_add"), payment_form(exempt, "P-3"))

    assert response.status_code == 200
    assert "不能登记缴费" in response.content.decode()
    assert not Payment.objects.filter(receipt_number="P-3").exists()


def test_reconciliation_shows_totals_per_payer(client, office, demo):
    page = client.get(reverse("admin:enrollment_reconciliation") + "?year=2026")

    text = page.content.decode()
    assert "学生本人" in text and "家庭共济缴费" in text
    assert "已缴费但未建账" in text


def test_family_aid_action_is_refused_after_the_deadline(client, office, demo):
    declared = Enrollment.objects.filter(
        policy_year=demo, state=workflow.DECLARED, payer=workflow.STUDENT
    ).first()

    response = client.post(
        reverse("admin:enrollment_enrollment_changelist"),
        {"action": "choose_family_aid", "_selected_action": [declared.pk]},
        follow=True,
    )

    # today (2026) is long after 2025-12-20 17:00, the deadline for 2026 cover
    assert "已过截止时间" in response.content.decode()
    assert Enrollment.objects.get(pk=declared.pk).payer == workflow.STUDENT


def test_a_change_list_button_shows_only_to_who_holds_its_permission(client, demo, staff):
    start = reverse("admin:enrollment_collectiverun_start")
    changelist = reverse("admin:enrollment_collectiverun_changelist")

    # the demo has two offices: a run of the whole school is school-wide staff's
    client.force_login(staff("医保办", permissions=["school_wide"]))
    clinic = client.get(changelist).content.decode()
    client.force_login(staff("审计"))
    auditor = client.get(changelist)

    assert f'href="{start}"' in clinic  # 医保办 holds add_collectiverun
    assert auditor.status_code == 200
    assert f'href="{start}"' not in auditor.content.decode()
    assert client.get(start).status_code == 403  # the page is guarded like its button


def test_a_frozen_declaration_batch_cannot_be_deleted(client, office, demo):
    frozen = DeclarationBatch.objects.filter(exported_at__isnull=False).first()
    open_batch = DeclarationBatch.objects.create(
        number=DeclarationBatch.objects.count() + 1,
        policy_year=demo,
        registered_from=date(2026, 9, 1),
        registered_to=date(2026, 9, 1),
    )

    with pytest.raises(services.EnrollmentRefused, match="已导出并冻结，不能删除"):
        services.declaration_batch_delete(batch=frozen)
    refused = client.post(
        reverse("admin:enrollment_declarationbatch_delete", args=[frozen.pk]), {"post": "yes"}
    )
    deleted = client.post(
        reverse("admin:enrollment_declarationbatch_delete", args=[open_batch.pk]), {"post": "yes"}
    )

    assert refused.status_code == 403
    assert DeclarationBatch.objects.filter(pk=frozen.pk).exists()
    assert deleted.status_code == 302
    assert not DeclarationBatch.objects.filter(pk=open_batch.pk).exists()


def test_the_chase_list_downloads_as_a_workbook_and_is_logged(client, office, demo):
    url = reverse("admin:enrollment_students_to_chase")
    chased = list(services.students_to_chase(policy_year=demo))

    page = client.get(url, {"policy_year": demo.pk}).content.decode()
    download = client.get(url, {"policy_year": demo.pk, "download": "1"})

    assert chased and chased[0].name in page
    rows = list(load_workbook(BytesIO(b"".join(download.streaming_content))).active.values)
    assert list(rows[0]) == ["学院", "学号", "姓名", "手机号"]
    assert [row[1] for row in rows[1:]] == [s.student_number for s in chased]
    assert PersonalDataAccess.objects.filter(
        action="export", detail=f"未参保且未签放弃承诺 {demo}（{len(chased)} 人）"
    ).exists()


def test_the_refunds_page_names_who_is_owed(client, office, demo):
    enrollment = (
        Enrollment.objects.filter(policy_year=demo, state=workflow.PAID)
        .select_related("student")
        .first()
    )
    client.post(reverse("admin:enrollment_payment_add"), payment_form(enrollment, "P-4"))

    page = client.get(reverse("admin:enrollment_refunds_issue"), {"year": 2026}).content.decode()

    student = enrollment.student
    row = re.search(rf"<tr><td>[^<]*</td><td>{student.student_number}</td>.*?</tr>", page)
    assert row, "the paid-twice student is listed"
    assert f"<td>{student.name}</td><td>355.00</td><td>重复缴费</td>" in row.group(0)
    assert f"<td>{student.college}</td>" in row.group(0)


# --- who may open what ---------------------------------------------------------------------------

PAGES = {
    "collectiverun_start": {"医保办"},
    "declarationbatch_create": {"医保办"},
    "bureau_results": {"医保办"},
    "pending_lists": {"医保办", "学生处", "财务", "审计"},
    "students_to_chase": {"医保办", "学生处", "财务", "审计"},
    "payments_import": {"医保办", "财务"},
    "reconciliation": {"医保办", "学生处", "财务", "审计"},
    "refunds_issue": {"医保办", "财务"},
    "refund_list": {"医保办", "学生处", "财务", "审计"},
}


@pytest.mark.parametrize("role", ["医保办", "学生处", "财务", "审计"])
def test_each_role_opens_only_its_pages(client, staff, role):
    client.force_login(staff(role))

    opened = {
        page
        for page in PAGES
        if client.get(reverse(f"admin:enrollment_{page}") + "?year=2026").status_code == 200
    }

    assert opened == {page for page, roles in PAGES.items() if role in roles}
