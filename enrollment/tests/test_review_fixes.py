"""Cases found in review: personal data through side doors, jobs that must not hang,
row numbers, lengths, hand-kept flags."""

from datetime import date

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from openpyxl import Workbook

from enrollment import roster, services
from enrollment.models import RosterImport, Student
from enrollment.rules import EligibilityFacts, eligibility
from enrollment.services.roster_import import _roster_import_create
from enrollment.tests.files import HEADER, resident_id, row, students, xlsx
from office import cells, spreadsheets

pytestmark = pytest.mark.django_db


def login(client, role, username=None):
    user = User.objects.create_user(username=username or role, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def test_id_numbers_cannot_be_probed_through_url_filters(client):
    Student.objects.bulk_create(
        [
            Student(
                name="张三",
                id_number=resident_id(),
                student_number="1",
                school="示范大学",
                college="医学院",
                education_level="undergraduate",
            )
        ]
    )
    login(client, "审计")
    url = reverse("admin:enrollment_student_changelist")

    assert client.get(url, {"id_number__startswith": "3"}).status_code == 400
    assert client.get(url, {"id_number": resident_id()}).status_code == 400


def test_messages_do_not_repeat_full_id_numbers():
    number = "110105194912310021"  # wrong check digit

    _, code, message = roster.check_id_number("resident_id", number)

    assert code == "id_checksum"
    assert number not in message and "110*****21" in message


def test_error_workbook_is_for_its_uploader_or_full_id_viewers(client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    uploader = User.objects.create_user(username="u", password="x", is_staff=True)
    path = xlsx(tmp_path / "r.xlsx", [row(id_number="123")])
    roster_import = services.roster_import_file(
        content=path.read_bytes(), name="r.xlsx", user=uploader
    )
    url = reverse("admin:enrollment_rosterimport_errors", args=[roster_import.pk])

    login(client, "学生处", username="other")  # may import, may not see others' full IDs
    assert client.get(url).status_code == 403
    login(client, "医保办", username="clinic")
    assert client.get(url).status_code == 200


def test_row_numbers_when_the_sheet_starts_below_row_one(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    for column, name in enumerate(HEADER, start=2):  # header on row 4, from column B
        sheet.cell(row=4, column=column, value=name)
    for offset, values in enumerate([*students(2), row(student_number="x", id_number="1")]):
        for column, value in enumerate(values, start=2):
            sheet.cell(row=5 + offset, column=column, value=value)
    path = tmp_path / "offset.xlsx"
    workbook.save(path)

    plan = services.roster_check(path=path)

    assert plan.header.row == 4
    assert [(e.row, e.code) for e in plan.invalid] == [(7, "id_format")]


def test_a_csv_cell_too_large_for_the_reader_is_refused(tmp_path):
    path = tmp_path / "huge-cell.csv"
    path.write_bytes(("姓名," + '"' + "x" * 200_000 + '"\n').encode())

    with pytest.raises(spreadsheets.FileRefused) as refused:
        spreadsheets.read_sheet(path)

    assert "csv" in refused.value.message


def test_the_import_rechecks_against_the_roster_as_it_is_now(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    user = User.objects.create_user(username="u", password="x")
    path = xlsx(tmp_path / "r.xlsx", students(3))
    roster_import = _roster_import_create(content=path.read_bytes(), name="r.xlsx", user=user)
    services.roster_import_run_check(import_id=roster_import.pk)
    RosterImport.objects.filter(pk=roster_import.pk).update(status="importing")
    # someone else imports one of the same students in between
    services.roster_apply(plan=services.roster_check(path=xlsx(tmp_path / "s.xlsx", students(1))))

    services.roster_import_run_commit(import_id=roster_import.pk)

    roster_import.refresh_from_db()
    assert roster_import.status == "imported"
    assert roster_import.summary["result"] == {"created": 2, "updated": 0}
    assert Student.objects.count() == 3


def test_over_long_values_are_row_errors(tmp_path):
    plan = services.roster_check(path=xlsx(tmp_path / "r.xlsx", [row(**{"学院名称": "学" * 120})]))

    assert [(e.column, e.code) for e in plan.invalid] == [("学院名称", "too_long")]


def test_control_characters_are_cleaned():
    assert cells.clean_text("张\x0b三\t") == "张 三"


def test_a_blank_special_category_keeps_what_staff_recorded(tmp_path):
    services.roster_apply(plan=services.roster_check(path=xlsx(tmp_path / "a.xlsx", [row()])))
    Student.objects.update(subsidy_category="low_income_family", insured_elsewhere=True)
    header = [*HEADER, "特殊类别"]

    plan = services.roster_check(path=xlsx(tmp_path / "b.xlsx", [[*row(), ""]], header=header))
    services.roster_apply(plan=plan)

    assert plan.unchanged == 1
    student = Student.objects.get()
    assert (student.subsidy_category, student.insured_elsewhere) == ("low_income_family", True)


@pytest.mark.parametrize("nationality", ["香港特别行政区", "Hong Kong", "中国台湾省", "澳门"])
def test_hong_kong_macao_taiwan_students_are_not_foreign(nationality):
    facts = EligibilityFacts(
        id_type="hk_macao_pass", nationality=nationality, registered_on=date(2026, 9, 1)
    )

    assert eligibility(facts).eligible


def test_the_student_form_checks_and_normalises_id_numbers(client):
    from enrollment.forms import StudentForm

    base = {
        "name": "张三",
        "id_type": "resident_id",
        "student_number": "1",
        "school": "示范大学",
        "college": "医学院",
        "education_level": "undergraduate",
        "study_mode": "full_time",
        "school_status": "studying",
        "subsidy_category": "standard",
        "training_mode": "regular",
    }

    bad = StudentForm(data={**base, "id_number": "3101152005040516A9"})
    good = StudentForm(data={**base, "id_number": "11010519491231002x"})

    assert not bad.is_valid() and "id_number" in bad.errors
    assert good.is_valid(), good.errors
    assert good.cleaned_data["id_number"] == "11010519491231002X"


def test_the_estimate_page_needs_policy_permissions(client):
    User.objects.create_user(username="nobody", password="x", is_staff=True)
    client.login(username="nobody", password="x")

    assert client.get(reverse("admin:policies_estimate")).status_code == 403


def test_an_unexpected_error_fails_the_job_instead_of_leaving_it_running(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    user = User.objects.create_user(username="u", password="x")
    path = xlsx(tmp_path / "r.xlsx", students(2))
    roster_import = _roster_import_create(content=path.read_bytes(), name="r.xlsx", user=user)
    roster_import.file.storage.delete(roster_import.file.name)  # the kept file went missing

    services.roster_import_run_check(import_id=roster_import.pk)

    roster_import.refresh_from_db()
    assert roster_import.status == "failed"
    assert "未写入任何数据" in roster_import.error
