"""Offices (issue #12) in the enrollment app: a role × office × page matrix. The school has
two offices (office/tests/fixtures.py `two_offices`): 校医院医保办 holds 法学院 and 外国语学院,
医学院门诊部医保办 holds 医学院. Each college has a student with a 2026 collective enrollment
(paid, with a refund), a 2025 opt-out with its scan and a prior-coverage record; a
freshman not yet confirmed (the pending lists); and an eligible student with no
enrollment (the chase list). Every role, as a user of 校医院医保办, sees only 法学院 and
外国语学院 on every change list and page; a school-wide account sees all three; the
liaison of 法学院 sees 法学院 only, no money page and no full ID number. The claims
app's lists are claims/tests/test_office_scope.py's."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from config.roles import LIAISON
from enrollment import services, workflow
from enrollment.models import Enrollment, OptOut, Payment, PriorCoverage, Refund, Student
from enrollment.tests.factories import (
    EnrollmentFactory,
    FreshmanEnrollmentFactory,
    PaymentFactory,
    StudentFactory,
)
from office import home
from office.admin_offices import unassigned_colleges
from office.scoping import ScopedAdmin, scope_of
from office.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

COLLEGES = ["法学院", "外国语学院", "医学院"]
CAMPUS = {"法学院", "外国语学院"}
ROLES = ["医保办", "学生处", "财务", "审计"]
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"

# change list → the lookup from its rows to the student's college
LISTS = {
    "enrollment_student": "college",
    "enrollment_enrollment": "student__college",
    "enrollment_payment": "enrollment__student__college",
    "enrollment_refund": "enrollment__student__college",
    "enrollment_optout": "student__college",
    "enrollment_priorcoverage": "student__college",
}
MODELS = {
    "enrollment_student": Student,
    "enrollment_enrollment": Enrollment,
    "enrollment_payment": Payment,
    "enrollment_refund": Refund,
    "enrollment_optout": OptOut,
    "enrollment_priorcoverage": PriorCoverage,
}
# pages acting on every office's students at once: school-wide staff only
WHOLE_SCHOOL_PAGES = [
    "enrollment_roster_upload",
    "enrollment_payments_import",
    "enrollment_refunds_issue",
    "enrollment_priorcoverage_import",
    "enrollment_paymentlist_freeze",
    "enrollment_declarationbatch_create",
    "enrollment_bureau_results",
    "enrollment_collectiverun_start",
]


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def school(two_offices, shanghai_2025, shanghai_2026):
    """Per college: `student` (enrolled 2026 and paid, a refund, opted out of 2025 with a
    scan, covered in 2024), `freshman` (2026, not confirmed), `loner` (eligible, nothing)."""
    records = {}
    for n, college in enumerate(COLLEGES):
        student = StudentFactory(seq=10 * n + 1, college=college)
        enrollment = EnrollmentFactory(student=student, policy_year=shanghai_2026)
        PaymentFactory(enrollment=enrollment)  # 355.00: paid
        Refund.objects.create(enrollment=enrollment, amount=Decimal("10.00"), reason="duplicate")
        opt_out = services.opt_out_record(
            student=student,
            policy_year=shanghai_2025,
            reason=OptOut.Reason.INSURED_ELSEWHERE,
            signed_on=date(2024, 11, 20),
            commitment=SimpleUploadedFile("承诺书.pdf", PDF, content_type="application/pdf"),
        )
        PriorCoverage.objects.create(student=student, year=2024, status="covered")
        freshman = FreshmanEnrollmentFactory(
            student__seq=10 * n + 2, student__college=college, policy_year=shanghai_2026
        )
        loner = StudentFactory(seq=10 * n + 3, college=college)
        records[college] = {
            "student": student,
            "enrollment": enrollment,
            "opt_out": opt_out,
            "freshman": freshman,
            "loner": loner,
        }
    return records


@pytest.fixture
def campus_user(two_offices):
    """`campus_user("财务")`: an account of 校医院医保办 in that role."""
    campus, _medical = two_offices
    return lambda role: StaffFactory(role=role, office=campus)


@pytest.fixture
def head(two_offices):
    """The head of 校医院医保办, with school-wide access."""
    return StaffFactory(role="医保办", office=two_offices[0], permissions=["school_wide"])


@pytest.fixture
def liaison(two_offices):
    return StaffFactory(role=LIAISON, office=two_offices[0], own_colleges=["法学院"])


def colleges_listed(client, name: str) -> set[str] | int:
    """The colleges of the rows a change list shows, or its status when refused."""
    response = client.get(reverse(f"admin:{name}_changelist"))
    if response.status_code != 200:
        return response.status_code
    return set(response.context["cl"].queryset.values_list(LISTS[name], flat=True))


def record_of(school, name: str, college: str):
    """The college's record a change list shows."""
    own = school[college]
    return {
        "enrollment_student": lambda: own["student"],
        "enrollment_enrollment": lambda: own["enrollment"],
        "enrollment_payment": lambda: Payment.objects.get(enrollment=own["enrollment"]),
        "enrollment_refund": lambda: Refund.objects.get(enrollment=own["enrollment"]),
        "enrollment_optout": lambda: own["opt_out"],
        "enrollment_priorcoverage": lambda: PriorCoverage.objects.get(student=own["student"]),
    }[name]()


def table_colleges(response) -> set[str]:
    return {row[0] for table in response.context["tables"] for row in table.rows}


# --- the change lists and the records' pages ---------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(LISTS))
def test_an_office_user_sees_only_the_office_records(client, school, campus_user, role, name):
    user = campus_user(role)
    client.force_login(user)
    app, model = name.split("_")

    listed = colleges_listed(client, name)

    if not user.has_perm(f"{app}.view_{model}"):
        assert listed == 403
        return
    assert listed == CAMPUS
    own = record_of(school, name, "法学院")
    other = record_of(school, name, "医学院")
    own = client.get(reverse(f"admin:{name}_change", args=[own.pk]))
    other = client.get(reverse(f"admin:{name}_change", args=[other.pk]))
    assert own.status_code == 200
    assert other.status_code == 302  # "doesn't exist", as for a record deleted
    assert other.url == reverse("admin:index")


@pytest.mark.parametrize("name", list(LISTS))
def test_school_wide_access_sees_every_office(client, school, head, name):
    client.force_login(head)

    assert colleges_listed(client, name) == set(COLLEGES)


@pytest.mark.parametrize("name", list(LISTS))
def test_the_liaison_sees_only_the_colleges_given_to_them_and_no_money(
    client, school, liaison, name
):
    client.force_login(liaison)

    # students, their enrollments and opt-outs; no payments, refunds or prior coverage
    readable = ("enrollment_student", "enrollment_enrollment", "enrollment_optout")
    expected = {"法学院"} if name in readable else 403
    assert colleges_listed(client, name) == expected


def test_a_school_without_offices_is_unchanged(client, shanghai_2026, staff):
    StudentFactory(college="医学院")
    StudentFactory(college="法学院")
    client.force_login(staff("财务"))

    listed = client.get(reverse("admin:enrollment_student_changelist")).context["cl"].queryset

    assert set(listed.values_list("college", flat=True)) == {"医学院", "法学院"}


def test_the_front_desk_search_does_not_land_on_another_offices_student(
    client, school, campus_user
):
    client.force_login(campus_user("医保办"))
    other = school["医学院"]["student"]

    response = client.get(
        reverse("admin:enrollment_student_changelist"), {"q": other.student_number}
    )

    assert response.status_code == 200  # the list, empty: no redirect to their page
    assert list(response.context["cl"].queryset) == []


def test_the_college_filter_offers_the_office_colleges(client, school, campus_user):
    client.force_login(campus_user("医保办"))

    response = client.get(reverse("admin:enrollment_student_changelist"))

    college_filter = next(
        spec for spec in response.context["cl"].filter_specs if spec.field_path == "college"
    )
    assert sorted(college_filter.lookup_choices) == sorted(CAMPUS)


# --- the pages that list students ---------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_pending_and_chase_lists_show_the_office_colleges(
    client, school, campus_user, shanghai_2026, sheet_rows, role
):
    client.force_login(campus_user(role))
    year = {"policy_year": shanghai_2026.pk}

    pending = client.get(reverse("admin:enrollment_pending_lists"), year)
    pending_file = client.get(reverse("admin:enrollment_pending_lists"), {**year, "college": ""})
    other_college = client.get(
        reverse("admin:enrollment_pending_lists"), {**year, "college": "医学院"}
    )
    chase = client.get(reverse("admin:enrollment_students_to_chase"), year)
    chase_file = client.get(reverse("admin:enrollment_students_to_chase"), {**year, "download": 1})

    assert table_colleges(pending) == CAMPUS
    assert {row[0] for row in sheet_rows(b"".join(pending_file.streaming_content))[1:]} == CAMPUS
    assert len(sheet_rows(b"".join(other_college.streaming_content))) == 1  # the header only
    assert table_colleges(chase) == CAMPUS
    assert {row[0] for row in sheet_rows(b"".join(chase_file.streaming_content))[1:]} == CAMPUS


@pytest.mark.parametrize("role", ["医保办", "财务", "审计"])
def test_the_money_pages_show_the_office_colleges(client, school, campus_user, sheet_rows, role):
    client.force_login(campus_user(role))

    reconciliation = client.get(reverse("admin:enrollment_reconciliation"), {"year": 2026})
    outstanding = client.get(reverse("admin:enrollment_refunds_outstanding"))
    refund_list = client.get(reverse("admin:enrollment_refund_list"), {"year": 2026})

    totals, paid_not_established, _unpaid = reconciliation.context["tables"]
    assert {row[0] for row in paid_not_established.rows} == CAMPUS
    # the two campus colleges: 2 collective + 2 freshmen enrollments of 2026
    assert sum(row[1] for row in totals.rows) == 4
    # 2 refunds × 10.00 = 20.00
    assert [row[:3] for row in outstanding.context["tables"][0].rows] == [
        [2026, 2, Decimal("20.00")]
    ]
    rows = sheet_rows(b"".join(refund_list.streaming_content))
    assert {row[3] for row in rows[1:-1]} == CAMPUS  # between the header and the total


def test_the_liaison_opens_no_money_page(client, school, liaison):
    client.force_login(liaison)

    for name in ("reconciliation", "refunds_outstanding", "refund_list"):
        assert client.get(reverse(f"admin:enrollment_{name}"), {"year": 2026}).status_code == 403


def test_a_scan_of_another_office_is_not_found(client, school, campus_user):
    client.force_login(campus_user("学生处"))

    own = client.get(
        reverse("admin:enrollment_optout_commitment", args=[school["法学院"]["opt_out"].pk])
    )
    other = client.get(
        reverse("admin:enrollment_optout_commitment", args=[school["医学院"]["opt_out"].pk])
    )

    assert own.status_code == 200
    assert other.status_code == 404


def test_pages_for_the_whole_school_are_school_wide_staffs(client, school, campus_user, head):
    client.force_login(campus_user("医保办"))
    refused = {
        name: client.get(reverse(f"admin:{name}")).status_code for name in WHOLE_SCHOOL_PAGES
    }
    payments = client.get(reverse("admin:enrollment_payment_changelist"))

    client.force_login(head)
    opened = {name: client.get(reverse(f"admin:{name}")).status_code for name in WHOLE_SCHOOL_PAGES}

    assert set(refused.values()) == {403}
    assert set(opened.values()) == {200}
    # the buttons follow: reconciliation stays, the file import goes
    links = [url for url, _label in payments.context["extra_links"]]
    assert links == [reverse("admin:enrollment_reconciliation")]


def test_the_whole_schools_records_are_listed_but_not_opened(client, school, campus_user):
    run = services.collective_run_start(policy_year=school["法学院"]["enrollment"].policy_year)
    client.force_login(campus_user("医保办"))

    listed = client.get(reverse("admin:enrollment_collectiverun_changelist"))
    opened = client.get(reverse("admin:enrollment_collectiverun_change", args=[run.run.pk]))

    assert listed.status_code == 200
    assert reverse("admin:enrollment_collectiverun_change", args=[run.run.pk]) not in (
        listed.content.decode()
    )
    assert opened.status_code == 403


# --- acting ------------------------------------------------------------------------------------


def test_an_opt_out_is_recorded_only_for_the_office_students(client, school, campus_user):
    client.force_login(campus_user("学生处"))
    other = school["医学院"]["loner"]

    response = client.post(
        reverse("admin:enrollment_optout_add"),
        {
            "student": other.pk,
            "policy_year": school["医学院"]["enrollment"].policy_year_id,
            "reason": OptOut.Reason.INSURED_ELSEWHERE,
            "signed_on": "2025-11-20",
        },
    )

    assert response.status_code == 200  # the form again
    assert "student" in response.context["adminform"].form.errors
    assert not OptOut.objects.filter(student=other).exists()


def test_the_student_autocomplete_offers_the_office_students(client, school, campus_user):
    client.force_login(campus_user("学生处"))

    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "enrollment",
            "model_name": "optout",
            "field_name": "student",
            "term": "学生",
        },
    )

    names = {result["text"] for result in response.json()["results"]}
    assert names and all(
        Student.objects.get(pk=result["id"]).college in CAMPUS
        for result in response.json()["results"]
    )


def test_the_liaison_confirms_for_their_freshmen_only(client, school, liaison):
    client.force_login(liaison)
    own, other = school["法学院"]["freshman"], school["外国语学院"]["freshman"]

    offered = client.get(reverse("admin:enrollment_enrollment_changelist")).context["action_form"]
    client.post(
        reverse("admin:enrollment_enrollment_changelist"),
        {"action": "confirm_for_students", "_selected_action": [own.pk, other.pk]},
    )

    # confirming is theirs; who pays (family mutual aid) is a money matter, not offered
    assert [name for name, _label in offered.fields["action"].choices] == [
        "",
        "confirm_for_students",
    ]
    assert Enrollment.objects.get(pk=own.pk).state == workflow.PENDING_REVIEW
    assert Enrollment.objects.get(pk=other.pk).state == workflow.NOT_ESTABLISHED


def test_the_liaison_sees_no_full_id_number(client, school, liaison):
    client.force_login(liaison)
    student = school["法学院"]["student"]

    page = client.get(reverse("admin:enrollment_student_change", args=[student.pk]))

    content = page.content.decode()
    assert page.status_code == 200
    assert student.masked_id_number in content
    assert student.id_number not in content


# --- every admin of students' records is scoped ------------------------------------------------


def _path_to_student(model, depth: int = 3) -> str | None:
    if model is Student:
        return "college"
    if depth == 0:
        return None
    for field in model._meta.get_fields():
        if field.many_to_one and field.concrete and field.related_model is not None:
            rest = _path_to_student(field.related_model, depth - 1)
            if rest is not None:
                return f"{field.name}__{rest}"
    return None


# the access log: who saw what is read as a whole by who audits
NOT_SCOPED = {"enrollment.personaldataaccess"}


def test_every_admin_of_students_records_is_scoped_by_the_college():
    checked = []
    for model, model_admin in admin.site._registry.items():
        path = _path_to_student(model)
        if path is None or model._meta.label_lower in NOT_SCOPED:
            continue
        assert isinstance(model_admin, ScopedAdmin), model._meta.label
        assert model_admin.college_path == path, model._meta.label
        checked.append(model._meta.label_lower)
    assert {"enrollment.student", "enrollment.payment", "claims.claim"} <= set(checked)


def test_the_offices_page_names_the_colleges_no_office_holds(client, school, head):
    StudentFactory(college="数学科学学院")
    client.force_login(head)

    response = client.get(reverse("admin:office_office_changelist"), follow=True)

    assert unassigned_colleges() == ["数学科学学院"]
    assert "数学科学学院" in response.content.decode()


# --- the home page of the year: the office's figures -----------------------------------------


def test_the_home_page_gives_the_office_figures(client, school, campus_user, head):
    clerk = campus_user("医保办")
    client.force_login(clerk)
    page = client.get(reverse("admin:index"), {"year": "shanghai-2026"})
    client.force_login(head)
    everyone = client.get(reverse("admin:index"), {"year": "shanghai-2026"})

    blocks = home.year_blocks(
        "shanghai-2026", today=date(2026, 9, 15), colleges=scope_of(clerk).colleges
    )
    rates = next(block for block in blocks if block.key == "colleges")
    assert {bar.label for bar in rates.charts[0].items} == CAMPUS
    assert page.context["home"]["scope_label"] == "校医院医保办"
    assert "校医院医保办" in page.content.decode()
    assert everyone.context["home"]["scope_label"] == ""  # the whole school's, as before
    # 4 enrollments of 2026 in the campus colleges, 6 in the school (hand count: 2 × 2, 3 × 2)
    assert _enrollments_counted(page) == 4
    assert _enrollments_counted(everyone) == 6


def test_the_home_page_gives_the_liaison_their_college_and_no_money(client, school, liaison):
    client.force_login(liaison)

    page = client.get(reverse("admin:index"), {"year": "shanghai-2026"})

    blocks = {block["key"] for block in page.context["home"]["blocks"]}
    assert "colleges" in blocks
    assert not blocks & {"money", "refunds", "claims"}
    assert page.context["home"]["scope_label"] == "法学院"
    assert _enrollments_counted(page) == 2  # the student's and the freshman's


def _enrollments_counted(page) -> int:
    """The year-standing block's 参保记录 (the year's enrollments)."""
    standing = next(block for block in page.context["home"]["blocks"] if block["key"] == "standing")
    figures = [figure for group in standing["groups"] for figure in group["figures"]]
    return int(next(f["text"] for f in figures if f["label"] == "参保记录").replace(",", ""))
