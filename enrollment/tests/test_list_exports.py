"""Change lists exported as filtered (issue #12): django-import-export's admin export
through office.resources — Chinese headers, IDs masked for who may not see them, money
as numbers, formulas neutralised, every export in the personal-data access log."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from enrollment.models import PersonalDataAccess
from enrollment.tests.factories import EnrollmentRowFactory, PaymentFactory, StudentFactory

XLSX, CSV = "0", "1"  # office.resources.FORMATS, in the form's order


def export(client, model: str, *, query: str = "", file_format: str = XLSX, fields=()):
    """POST the export form of `model`'s change list (filters in `query`), as the page
    does; `fields` names the resource columns to keep (all when empty)."""
    url = reverse(f"admin:enrollment_{model}_export") + query
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    data = {"format": file_format, "resource": "0"}
    for name, field in form.fields.items():
        wanted = not fields or any(name.endswith(f"_{column}") for column in fields)
        if getattr(field, "is_selectable_field", False) and wanted:
            data[name] = "on"
    return client.post(url, data)


def rows_of(response) -> list[list]:
    sheet = load_workbook(BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def students(db):
    return [
        StudentFactory(seq=1, college="医学院"),
        StudentFactory(seq=2, college="法学院", name='=HYPERLINK("http://x")'),
    ]


def test_the_student_list_exports_as_filtered_with_ids_masked(client, staff, students):
    client.force_login(staff("财务"))

    response = export(client, "student", query="?college=法学院")

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert "filename*=utf-8''" in response["Content-Disposition"]  # 学生-….xlsx
    header, *rows = rows_of(response)
    assert header[:5] == ["学号", "姓名", "证件类型", "证件号码", "学院"]
    assert [row[0] for row in rows] == ["25020002"]  # 法学院 only: the filter applies
    assert rows[0][3] == students[1].masked_id_number
    assert students[1].id_number not in response.content.decode("latin-1")


def test_who_may_see_full_ids_exports_them_and_the_log_says_so(client, staff, students):
    user = staff("医保办")
    client.force_login(user)

    response = export(client, "student")

    _header, *rows = rows_of(response)
    assert sorted(row[3] for row in rows) == sorted(s.id_number for s in students)
    entry = PersonalDataAccess.objects.get(user=user, action=PersonalDataAccess.Action.EXPORT)
    assert "2 行" in entry.detail and "含完整证件号" in entry.detail


def test_an_export_is_logged_with_its_rows_and_filters(client, staff, students):
    user = staff("财务")
    client.force_login(user)

    export(client, "student", query="?college=医学院")

    entry = PersonalDataAccess.objects.get(user=user)
    assert entry.action == PersonalDataAccess.Action.EXPORT
    assert "1 行" in entry.detail
    assert "college=" in entry.detail
    assert "含完整证件号" not in entry.detail


def test_a_formula_in_a_cell_stays_text(client, staff, students):
    client.force_login(staff("医保办"))

    xlsx = export(client, "student", query="?college=法学院")
    csv = export(client, "student", query="?college=法学院", file_format=CSV)

    sheet = load_workbook(BytesIO(xlsx.content)).active
    assert sheet["B2"].value == '=HYPERLINK("http://x")'
    assert sheet["B2"].data_type == "s"  # a string cell, not a formula
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("学号,姓名")
    assert "'=HYPERLINK" in text  # neutralised for a spreadsheet


def test_money_is_exported_as_a_number_to_the_fen(client, staff, shanghai_2026):
    client.force_login(staff("财务"))
    EnrollmentRowFactory(policy_year=shanghai_2026, premium_due=Decimal("355.00"))

    response = export(client, "enrollment", fields=("student_number", "premium_due", "state"))

    header, row = rows_of(response)
    assert header == ["学号", "状态", "应缴保费"]
    assert row[1] == "已建账"  # the state's label, not its code
    assert row[2] == 355  # a number, shown with its fen (#,##0.00)
    cell = load_workbook(BytesIO(response.content)).active["C2"]
    assert cell.number_format == "#,##0.00"


def test_payments_export_with_their_student(client, staff, shanghai_2026):
    client.force_login(staff("财务"))
    enrollment = EnrollmentRowFactory(policy_year=shanghai_2026, state="declared")
    PaymentFactory(enrollment=enrollment, receipt_number="R-1")

    header, row = rows_of(export(client, "payment"))

    assert header[:6] == ["收据号", "学号", "姓名", "学院", "医保年度", "金额"]
    assert row[:2] == ["R-1", enrollment.student.student_number]
    assert row[4] == "上海市 2026"


def test_the_export_button_shows_on_each_list_for_who_may_view_it(client, staff, students):
    client.force_login(staff("财务"))

    for model in ("student", "enrollment", "payment", "refund", "optout"):
        page = client.get(reverse(f"admin:enrollment_{model}_changelist"), {"o": "1"})
        export_url = reverse(f"admin:enrollment_{model}_export")
        assert export_url in page.content.decode(), model


def test_a_list_the_user_may_not_view_has_no_export(client, staff):
    client.force_login(staff("院系联络人"))  # no money

    assert client.get(reverse("admin:enrollment_payment_export")).status_code == 403
