"""One page per student (issue #12): a student's page shows every year — enrollment,
cover, waiting period, payer, payments, refunds, opt-out with its scan, claims, moves —
answers "is this student covered on day X?", and is where the front desk lands when it
types a student number. Links only for who may follow them; full ID numbers only for
who holds view_full_id, logged as before.

The student of these tests (worked from shanghai guide 2024-11, Q3 and Q2):
- 2025: a late enrollment declared on 5 Mar 2025 and paid on 1 Apr 2025 (355.00): a fixed
  waiting period of 3 months from 5 Mar, so benefits from 5 Jun to 31 Dec 2025;
- 2026: a collective enrollment in the window (20 Nov 2025), paid 355.00 on 25 Nov 2025
  and again by mistake (another 355.00), established: covered 1 Jan – 31 Dec 2026, and
  355.00 refunded as paid twice."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.tests.factories import ClaimFactory
from enrollment import services, workflow
from enrollment.models import PersonalDataAccess
from enrollment.tests.factories import (
    EnrollmentFactory,
    LateEnrollmentFactory,
    PaymentFactory,
    StudentFactory,
)
from enrollment.views import student_page

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def student(shanghai_2025, shanghai_2026):
    """The student of the module docstring, with a claim on a 2025 visit."""
    student = StudentFactory(registered_on=date(2024, 9, 1))
    late = LateEnrollmentFactory(student=student, policy_year=shanghai_2025, today=date(2025, 3, 5))
    PaymentFactory(enrollment=late, paid_on=date(2025, 4, 1))
    services.enrollment_transition(enrollment=late, to=workflow.ESTABLISHED)
    collective = EnrollmentFactory(student=student, policy_year=shanghai_2026)
    PaymentFactory(enrollment=collective, paid_on=date(2025, 11, 25))
    PaymentFactory(enrollment=collective, paid_on=date(2025, 11, 26))
    services.enrollment_transition(enrollment=collective, to=workflow.ESTABLISHED)
    services.refunds_issue(year=2026, today=date(2025, 12, 1))
    ClaimFactory(student=student)
    return student


def plain(html: str) -> str:
    """The page's text, cell after cell, without its tags."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def page(client, student, **params):
    return client.get(reverse("admin:enrollment_student_change", args=[student.pk]), params)


def test_the_page_shows_every_year(client, staff, student):
    client.force_login(staff("医保办"))

    text = page(client, student).content.decode()

    assert "上海市 2026（shanghai-2026）" in text and "上海市 2025（shanghai-2025）" in text
    assert text.index("shanghai-2026") < text.index("shanghai-2025")  # the latest first
    # cover dates (Q3: 5 Mar + 3 months = 5 Jun) and the waiting period's start
    assert "2025-06-05 ~ 2025-12-31" in text and "2026-01-01 ~ 2026-12-31" in text
    assert "2025-03-05" in text
    assert workflow.LABELS[workflow.ESTABLISHED] in text
    assert workflow.PAYER_LABELS[workflow.STUDENT] in text
    # payments (two of 355.00 in 2026, one in 2025) and the refund of the second
    assert text.count("355.00") >= 5
    assert "2025-11-26" in text
    # the claim, its number linked, and the history of moves
    claim = student.claims.get()
    assert claim.number in text
    assert reverse("admin:claims_claim_change", args=[claim.pk]) in text
    moved = f"{workflow.LABELS[workflow.DECLARED]} {workflow.LABELS[workflow.PAID]} 收据号"
    assert moved in plain(text)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # before the late declaration: no cover, and no waiting either
        ("2025-03-01", "否。2025-03-01 不在保障期内"),
        # insured from 5 Mar, benefits from 5 Jun: the waiting period (Q3, 不予追溯)
        ("2025-04-01", "参保但在待遇等待期内：2025-04-01"),
        ("2025-07-01", "是。2025-07-01 在上海市 2025（shanghai-2025）的参保（中途参保"),
        ("2026-03-01", "是。2026-03-01 在上海市 2026（shanghai-2026）的参保"),
        # the year before any enrollment
        ("2024-10-01", "在 2024 年度没有参保记录"),
    ],
)
def test_the_page_answers_whether_the_student_is_covered_on_a_day(
    client, staff, student, day, expected
):
    client.force_login(staff("医保办"))

    text = page(client, student, cover_on=day).content.decode()

    assert expected in text


def test_without_a_day_the_answer_is_for_today(client, staff, student, monkeypatch):
    monkeypatch.setattr(student_page, "office_today", lambda: date(2026, 5, 1))
    client.force_login(staff("医保办"))

    text = page(client, student).content.decode()

    assert "是。2026-05-01 在上海市 2026" in text
    assert 'value="2026-05-01"' in text


def test_a_day_that_is_no_date_asks_again(client, staff, student):
    client.force_login(staff("医保办"))

    response = page(client, student, cover_on="not a day")

    assert response.status_code == 200
    assert response.context["cover_form"].errors


def test_a_state_that_gives_no_cover_says_so(client, staff, shanghai_2026):
    declared = EnrollmentFactory(policy_year=shanghai_2026)
    client.force_login(staff("医保办"))

    text = page(client, declared.student, cover_on="2026-03-01").content.decode()

    assert f"状态为「{workflow.LABELS[workflow.DECLARED]}」，建账后才享受待遇" in text


def test_an_opt_out_shows_with_its_scan_to_who_may_open_it(
    client, staff, settings, tmp_path, shanghai_2026
):
    settings.MEDIA_ROOT = tmp_path
    opted_out = StudentFactory()
    opt_out = services.opt_out_record(
        student=opted_out,
        policy_year=shanghai_2026,
        reason="insured_elsewhere",
        signed_on=date(2025, 11, 28),
        commitment=SimpleUploadedFile("承诺书.pdf", PDF, content_type="application/pdf"),
    )
    scan = reverse("admin:enrollment_optout_commitment", args=[opt_out.pk])

    client.force_login(staff("学生处"))
    text = page(client, opted_out, cover_on="2026-03-01").content.decode()
    assert scan in text
    assert "2026 年度已主动放弃参保（2025-11-28 签署承诺书" in text

    client.force_login(staff("", permissions=["view_student"]))
    text = page(client, opted_out).content.decode()
    assert scan not in text and "2025-11-28" in text


def test_links_and_claims_show_only_to_who_may_follow_them(client, staff, student):
    claim = student.claims.get()
    enrollment = student.enrollments.get(policy_year__year=2026)

    client.force_login(staff("学生处"))  # no claims in their role
    text = page(client, student).content.decode()
    assert claim.number not in text
    assert reverse("admin:enrollment_enrollment_change", args=[enrollment.pk]) in text

    client.force_login(staff("", permissions=["view_student"]))
    text = page(client, student).content.decode()
    assert claim.number not in text
    assert reverse("admin:enrollment_enrollment_change", args=[enrollment.pk]) not in text
    assert "2026-01-01 ~ 2026-12-31" in text  # the years themselves still show


@pytest.mark.parametrize(("role", "full"), [("医保办", True), ("财务", False), ("审计", False)])
def test_the_id_number_is_masked_unless_the_user_may_see_it(client, staff, student, role, full):
    user = staff(role)
    client.force_login(user)

    text = page(client, student).content.decode()

    assert (student.id_number in text) is full
    assert student.masked_id_number in text or full
    logged = PersonalDataAccess.objects.filter(user=user, student=student, action="view_full_id")
    assert logged.count() == (1 if full else 0)


def test_the_query_count_does_not_grow_with_the_history(client, staff, student, shanghai_2026):
    client.force_login(staff("医保办"))
    newcomer = EnrollmentFactory(policy_year=shanghai_2026).student
    page(client, newcomer)  # warm the caches a first page fills

    with CaptureQueriesContext(connection) as short:
        page(client, newcomer)
    with CaptureQueriesContext(connection) as long:
        page(client, student)

    assert len(long) == len(short)
    assert len(long) <= 15


def test_a_student_number_typed_at_the_front_desk_lands_on_the_page(client, staff, student):
    client.force_login(staff("财务"))
    changelist = reverse("admin:enrollment_student_changelist")

    response = client.get(changelist, {"q": f" {student.student_number} "})

    assert response.status_code == 302
    assert response.url == reverse("admin:enrollment_student_change", args=[student.pk])


def test_a_number_matching_several_students_stays_on_the_list(client, staff):
    first, second = (
        StudentFactory(student_number="25030001"),
        StudentFactory(student_number="250300011"),
    )
    client.force_login(staff("医保办"))
    changelist = reverse("admin:enrollment_student_changelist")

    # the exact number names one student: the page
    exact = client.get(changelist, {"q": "25030001"})
    # the start of both: the list, with both
    both = client.get(changelist, {"q": "2503000"})
    # with a filter too, the list, filtered
    filtered = client.get(changelist, {"q": "25030001", "college__exact": first.college})

    assert exact.status_code == 302
    assert both.status_code == 200 and both.context["cl"].result_count == 2
    assert filtered.status_code == 200
    assert list(filtered.context["cl"].result_list) == [first, second]


def test_an_id_card_read_at_the_front_desk_lands_on_the_page_for_who_may(client, staff, student):
    changelist = reverse("admin:enrollment_student_changelist")

    client.force_login(staff("医保办"))
    found = client.get(changelist, {"q": student.id_number.lower()})
    client.force_login(staff("财务"))  # may not search by ID number: nothing found
    refused = client.get(changelist, {"q": student.id_number})

    assert found.url == reverse("admin:enrollment_student_change", args=[student.pk])
    assert refused.status_code == 200 and refused.context["cl"].result_count == 0


def test_the_payments_and_refund_amounts_read_with_thousands(client, staff, shanghai_2026):
    enrollment = EnrollmentFactory(policy_year=shanghai_2026)
    PaymentFactory(enrollment=enrollment, amount=Decimal("1355.00"))
    client.force_login(staff("医保办"))

    text = page(client, enrollment.student).content.decode()

    assert "1,355.00" in text


def test_the_years_before_the_portal_are_one_link_away(client, staff, student):
    client.force_login(staff("医保办"))
    text = page(client, student).content.decode()
    url = f"{reverse('admin:enrollment_priorcoverage_changelist')}?student__id__exact={student.pk}"

    assert url in text
    assert client.get(url).status_code == 200
