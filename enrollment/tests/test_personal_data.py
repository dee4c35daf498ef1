"""Full ID numbers (issue points 16 and 17), page by page and role by role.

Who sees them follows the SJTU rules art. 25 (学生处 provide the roster and remit to the
tax bureau; 财务 handle money): 医保办 and 学生处 hold `view_full_id`, 财务 and 审计
never. Lists show masked numbers to everyone; a full number shows on a student's own page
and in the bureaus' files only, and each showing or download is logged.

Why the birth date matters: a masked number `310*****23` shows positions 1-3 and 17-18.
With the birth date (positions 7-14) beside it, positions 4-6 and 15-16 remain:
10^3 × 10^2 = 100,000 bodies, of which about one in 11 has the shown check digit, so
about 9,100 numbers are possible; a dry run that says whether a number is on the roster
then finds the real one."""

from datetime import date
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace
from zipfile import BadZipFile

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from stdnum.cn import ric

from config.roles import LIAISON, ROLES
from enrollment import services, workflow
from enrollment.models import Enrollment, PaymentList, PersonalDataAccess
from enrollment.tests.factories import (
    EnrollmentFactory,
    FreshmanFactory,
    PaymentFactory,
    StudentFactory,
)
from enrollment.tests.files import resident_id, row, xlsx
from office.tests.factories import OfficeFactory, StaffFactory

pytestmark = pytest.mark.django_db

FULL_ID_ROLES = {"医保办", "学生处"}
ROLE_NAMES = list(ROLES)
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def year(settings, tmp_path, shanghai_2026, staff):
    """A year with a student on every page: remitted on a frozen payment list, declared,
    opted out, a declared freshman in an exported batch, and a roster import with a row in
    error (so it has an error workbook)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    remitted = EnrollmentFactory(policy_year=shanghai_2026)
    PaymentFactory(enrollment=remitted)
    services.enrollment_transition(enrollment=remitted, to=workflow.ESTABLISHED)
    services.payment_list_freeze(year=2026)
    declared = EnrollmentFactory(policy_year=shanghai_2026)
    opted_out = StudentFactory()
    services.opt_out_record(
        student=opted_out,
        policy_year=shanghai_2026,
        reason="insured_elsewhere",
        signed_on=date(2025, 11, 28),
    )
    freshman = FreshmanFactory(registered_on=date(2026, 9, 2))
    batch = services.declaration_batch_create(
        policy_year=shanghai_2026,
        registered_from=date(2026, 9, 1),
        registered_to=date(2026, 9, 2),
        today=date(2026, 9, 3),
    )
    services.declaration_batch_export(batch=batch)
    newcomer = resident_id(seq=77)
    roster = xlsx(
        tmp_path / "名单.xlsx",
        [row(id_number="123"), row(name="李四", id_number=newcomer, student_number="2601077")],
    )
    roster_import = services.roster_import_file(
        content=roster.read_bytes(), name="名单.xlsx", user=staff("医保办")
    )
    students = [remitted.student, declared.student, opted_out, freshman]
    for student in students:  # as the roster import and the student form do
        services.student_derive_from_id(student)
        student.save()
    return SimpleNamespace(
        policy_year=shanghai_2026,
        students=students,
        id_numbers=[student.id_number for student in students] + [newcomer],
        enrollment=declared,
        batch=batch,
        payment_list=PaymentList.objects.get(),
        roster_import=roster_import,
    )


def shown(response) -> str:
    """What a page or a download shows: the HTML, or every cell of a workbook."""
    if response.status_code != 200:
        return ""
    if not getattr(response, "streaming", False):
        return response.content.decode()
    content = b"".join(response.streaming_content)
    try:
        workbook = load_workbook(BytesIO(content), read_only=True)
    except BadZipFile:
        return content.decode("utf-8", "replace")
    return " ".join(
        str(value)
        for sheet in workbook.worksheets
        for values in sheet.iter_rows(values_only=True)
        for value in values
        if value is not None
    )


def member(staff, role: str):
    """A staff account in `role`; a college's liaison is given the students' college
    (医学院, the factories'), or they would see none of them (office.scoping)."""
    if role != LIAISON:
        return staff(role)
    OfficeFactory(colleges=["医学院"])
    return StaffFactory(role=role, own_colleges=["医学院"])


def pages_showing_students(year) -> list[str]:
    """Every page and download that names students (their own pages aside)."""
    policy_year = year.policy_year.pk
    student = year.students[0]
    return [
        reverse("admin:enrollment_student_changelist"),
        reverse("admin:enrollment_student_changelist") + f"?q={student.name}",
        reverse("admin:enrollment_enrollment_changelist"),
        reverse("admin:enrollment_enrollment_change", args=[year.enrollment.pk]),
        reverse("admin:enrollment_optout_changelist"),
        reverse("admin:enrollment_payment_changelist"),
        reverse("admin:enrollment_refund_changelist"),
        reverse("admin:enrollment_refunds_outstanding"),
        reverse("admin:enrollment_refund_list") + "?year=2026",
        reverse("admin:enrollment_paymentlist_changelist"),
        reverse("admin:enrollment_paymentlist_change", args=[year.payment_list.pk]),
        reverse("admin:enrollment_declarationbatch_changelist"),
        reverse("admin:enrollment_declarationbatch_change", args=[year.batch.pk]),
        reverse("admin:enrollment_rosterimport_changelist"),
        reverse("admin:enrollment_rosterimport_change", args=[year.roster_import.pk]),
        reverse("admin:enrollment_personaldataaccess_changelist"),
        reverse("admin:enrollment_priorcoverage_changelist"),
        reverse("admin:enrollment_pending_lists") + f"?policy_year={policy_year}",
        reverse("admin:enrollment_pending_lists") + f"?policy_year={policy_year}&college=",
        reverse("admin:enrollment_students_to_chase") + f"?policy_year={policy_year}",
        reverse("admin:enrollment_students_to_chase") + f"?policy_year={policy_year}&download=1",
        reverse("admin:enrollment_reconciliation") + "?year=2026",
    ]


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_no_list_page_or_download_shows_a_full_id_number(client, staff, year, role):
    client.force_login(member(staff, role))

    for url in pages_showing_students(year):
        response = client.get(url)
        text = shown(response)

        assert response.status_code in (200, 403), url
        assert not [number for number in year.id_numbers if number in text], url
    listing = client.get(reverse("admin:enrollment_student_changelist")).content.decode()
    assert all(student.masked_id_number in listing for student in year.students)


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_searching_by_a_full_number_finds_only_for_who_may_see_it(client, staff, year, role):
    client.force_login(staff(role))
    student = year.students[0]

    found = client.get(reverse("admin:enrollment_student_changelist"), {"q": student.id_number})

    # (the page repeats what was typed, in the search box and the filters' links)
    if role in FULL_ID_ROLES:  # found: the front desk lands on the student's page
        assert found.url == reverse("admin:enrollment_student_change", args=[student.pk])
    else:
        assert found.context["cl"].result_count == 0


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_a_students_own_page_shows_the_full_number_only_to_who_may_see_it(
    client, staff, year, role
):
    user = member(staff, role)
    client.force_login(user)
    student = year.students[0]

    text = client.get(reverse("admin:enrollment_student_change", args=[student.pk])).content
    text = text.decode()

    logged = PersonalDataAccess.objects.filter(user=user, student=student, action="view_full_id")
    if role in FULL_ID_ROLES:
        assert student.id_number in text
        assert "出生日期" in text and "性别" in text
        assert logged.count() == 1
    else:
        assert student.id_number not in text and student.masked_id_number in text
        # beside the masked number they would leave ~9,100 candidates (module docstring)
        assert "出生日期" not in text and "性别" not in text
        assert f"{student.birth_date.year}年" not in text
        assert not logged.exists()


# who may download which file with full ID numbers (README, Roles)
FILES = {
    "paymentlist_download": FULL_ID_ROLES,
    "declarationbatch_download": {"医保办"},
    "rosterimport_errors": FULL_ID_ROLES,
}


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_files_with_full_ids_and_their_links_are_for_who_may_take_them(client, staff, year, role):
    user = member(staff, role)
    client.force_login(user)
    files = {
        "paymentlist_download": (
            reverse("admin:enrollment_paymentlist_download", args=[year.payment_list.pk]),
            reverse("admin:enrollment_paymentlist_changelist"),
        ),
        "declarationbatch_download": (
            reverse("admin:enrollment_declarationbatch_download", args=[year.batch.pk]),
            reverse("admin:enrollment_declarationbatch_changelist"),
        ),
        "rosterimport_errors": (
            reverse("admin:enrollment_rosterimport_errors", args=[year.roster_import.pk]),
            reverse("admin:enrollment_rosterimport_change", args=[year.roster_import.pk]),
        ),
    }

    for name, (url, listing) in files.items():
        page = client.get(listing)
        download = client.get(url)
        allowed = role in FILES[name]

        assert page.status_code == 200 or role == LIAISON, listing  # no lists of files
        assert (f'href="{url}"' in page.content.decode()) == allowed, name
        assert download.status_code == (200 if allowed else 403), name
    assert PersonalDataAccess.objects.filter(user=user, action="export").count() == len(
        [name for name, roles in FILES.items() if role in roles]
    )


def candidate(real: str) -> str:
    """Another checksum-valid number with the same masked form and birth date."""
    for seq in range(100):
        body = f"{real[:14]}{seq:02d}{real[16]}"
        if body + real[17] != real and ric.calc_check_digit(body + "0") == real[17]:
            return body + real[17]
    raise AssertionError("no candidate")


PAYMENT_HEADER = ["学号", "证件号码", "金额", "缴费日期", "缴费方式", "收据号"]


def payment_upload(rows: list[list]) -> SimpleUploadedFile:
    workbook = Workbook()
    workbook.active.append(PAYMENT_HEADER)
    for index, (student_number, id_number) in enumerate(rows):
        workbook.active.append(
            [student_number, id_number, "355.00", "2025-11-25", "微信", f"T-{index}"]
        )
    buffer = BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("缴费.xlsx", buffer.getvalue())


def dry_run(client, year, rows: list[list]) -> dict:
    """What the payments import's dry run says: the rows it would apply, and the reason
    given for each row it would leave out."""
    response = client.post(
        reverse("admin:enrollment_payments_import"),
        {"policy_year": year.policy_year.pk, "file": payment_upload(rows)},
    )
    assert response.status_code == 200
    tables = response.context["tables"]
    return {
        "applied": [line[0] for line in tables[0].rows],
        "problems": {line[0]: line[2] for table in tables[1:] for line in table.rows},
    }


def test_a_payment_dry_run_does_not_tell_finance_which_number_is_real(client, staff, year):
    real = year.enrollment.student.id_number  # declared, 355.00 due
    fake = candidate(real)
    client.force_login(staff("财务"))

    result = dry_run(client, year, [["", real], ["", fake]])

    # rows 2 and 3 (the header is row 1): neither is matched, both for the same reason
    assert result["applied"] == []
    assert set(result["problems"]) == {2, 3}
    assert result["problems"][2] == result["problems"][3]
    assert "学号" in result["problems"][2]


def test_who_may_see_full_numbers_still_matches_payment_rows_by_them(client, staff, year):
    real = year.enrollment.student.id_number
    client.force_login(staff("医保办"))

    result = dry_run(client, year, [["", real], ["", candidate(real)]])

    assert result["applied"] == [2]
    assert "没有参保记录" in result["problems"][3]


@pytest.mark.parametrize(
    ("url", "permissions"),
    [
        ("admin:enrollment_roster_upload", ["add_rosterimport", "view_rosterimport"]),
        ("admin:enrollment_bureau_results", ["change_enrollment", "view_enrollment"]),
        ("admin:enrollment_student_add", ["add_student", "view_student"]),
    ],
)
def test_pages_keyed_by_full_numbers_are_closed_without_them(client, url, permissions):
    client.force_login(StaffFactory(permissions=permissions))
    refused = client.get(reverse(url)).status_code
    client.force_login(StaffFactory(permissions=[*permissions, "view_full_id"]))
    allowed = client.get(reverse(url)).status_code

    assert (refused, allowed) == (403, 200)


def test_no_roster_import_link_for_who_may_not_import(client, staff):
    upload = reverse("admin:enrollment_roster_upload")
    client.force_login(StaffFactory(permissions=["add_rosterimport", "view_student"]))
    without = client.get(reverse("admin:enrollment_student_changelist")).content.decode()
    client.force_login(staff("学生处"))
    student_affairs = client.get(reverse("admin:enrollment_student_changelist")).content.decode()

    assert upload not in without
    assert upload in student_affairs


# --- the roles and the README agree ----------------------------------------------------------


def codenames(role: str) -> set[str]:
    return set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))


def readme_roles() -> dict[str, list[str]]:
    section = README.read_text(encoding="utf-8").split("## Roles", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:-1] for line in section.splitlines() if line.startswith("| ")]
    return {cells[0].strip(): [cell.strip() for cell in cells] for cells in rows[1:]}


def test_the_readme_says_who_sees_full_numbers_as_the_permissions_do():
    table = readme_roles()
    files = {  # a file in the README's last column, and the permissions that give it
        "缴费清单": {"export_paymentlist", "view_full_id"},
        "申报上传文件": {"add_declarationbatch", "view_full_id"},
        "错误行": {"add_rosterimport", "view_full_id"},
    }

    assert set(table) == set(ROLES)
    for role, cells in table.items():
        granted = codenames(role)
        assert (cells[3] == "yes") == ("view_full_id" in granted), role
        for name, needs in files.items():
            assert (name in cells[4]) == (needs <= granted), (role, name)
    assert {role for role in ROLES if "view_full_id" in codenames(role)} == FULL_ID_ROLES


def test_every_role_that_imports_or_exports_by_id_number_sees_full_numbers():
    keyed_by_id = {"add_student", "add_rosterimport", "export_paymentlist"}

    for role in ROLES:
        granted = codenames(role)
        if granted & keyed_by_id:
            assert "view_full_id" in granted, role


def test_finance_still_import_payment_rows_by_student_number(client, staff, year):
    """A row with a 学号 is matched by it and its 证件号码 is not looked at (a wrong one
    changes nothing), as before."""
    student = year.enrollment.student
    client.force_login(staff("财务"))

    result = dry_run(client, year, [[student.student_number, candidate(student.id_number)]])

    assert result == {"applied": [2], "problems": {}}
    assert Enrollment.objects.get(pk=year.enrollment.pk).amount_paid == 0  # a dry run
