"""Edges found in review: concurrent refunds, a Wuhan freshman's failed account, opted-out
students never declared and still chased, a scan that tries to be a web page, payers
that family mutual aid must not replace, and who may open each new admin page."""

import os
import threading
import time
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from enrollment import services, workflow
from enrollment.models import Enrollment, OptOut, Refund
from enrollment.tests.test_money import collective, fresh, pay, student
from policies.models import PolicyYear

pytestmark = pytest.mark.django_db


@pytest.fixture
def shanghai_2026():
    return PolicyYear.objects.get(code="shanghai-2026")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_clicks_on_record_refunds_refund_once(shanghai_2026):
    enrollment = collective(1, shanghai_2026)
    pay(enrollment)
    pay(enrollment)  # paid twice: 355.00 back, once
    barrier = threading.Barrier(2)

    def issue():
        try:
            barrier.wait()
            services.refunds_issue(year=2026)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert list(Refund.objects.values_list("amount", flat=True)) == [Decimal("355.00")]


def test_a_wuhan_freshmans_failed_account_is_refunded_without_blocking_the_year():
    """Wuhan charges the freshman year, 400.00 (wuhan notice Q&A 三(三))."""
    wuhan = PolicyYear.objects.get(code="wuhan-2025")
    freshman = student(1, registered_on=date(2025, 9, 1))
    enrollment = services.enrollment_create(
        student=freshman, policy_year=wuhan, kind="freshman", today=date(2025, 9, 5)
    )
    services.payment_record(
        enrollment=enrollment,
        amount=Decimal("400.00"),
        paid_on=date(2025, 9, 5),
        channel="online",
        receipt_number="WH-1",
    )
    services.enrollment_transition(enrollment=enrollment, to="pending_review")
    services.enrollment_transition(enrollment=enrollment, to="failed", reason="姓名不符")

    issued, refused = services.refunds_issue(year=2025)

    assert refused == []
    assert [(r.amount, r.reason) for r in issued] == [(Decimal("400.00"), "account_failed")]
    assert fresh(enrollment).state == workflow.REFUNDED


def test_an_opted_out_freshman_is_never_declared(shanghai_2026):
    staying, leaving = (student(n, registered_on=date(2026, 9, 1)) for n in (1, 2))
    OptOut.objects.create(
        student=leaving,
        policy_year=shanghai_2026,
        reason=OptOut.Reason.INSURED_ELSEWHERE,
        signed_on=date(2026, 9, 1),
    )

    batch = services.declaration_batch_create(
        policy_year=shanghai_2026,
        registered_from=date(2026, 9, 1),
        registered_to=date(2026, 9, 1),
        today=date(2026, 9, 2),
    )

    assert [e.student for e in batch.enrollments.all()] == [staying]
    with pytest.raises(services.EnrollmentRefused, match="放弃参保"):
        services.enrollment_create(
            student=leaving, policy_year=shanghai_2026, kind="freshman", today=date(2026, 9, 2)
        )


def test_an_opt_out_without_its_scan_is_chased_until_the_scan_arrives(
    shanghai_2026, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    enrollment = collective(1, shanghai_2026)
    opt_out = services.opt_out_record(
        student=enrollment.student,
        policy_year=shanghai_2026,
        reason="insured_elsewhere",
        signed_on=date(2025, 11, 28),
    )
    chased = list(services.students_to_chase(policy_year=shanghai_2026))

    services.opt_out_attach_commitment(
        opt_out=opt_out, commitment=SimpleUploadedFile("scan.pdf", b"%PDF-1.4 signed")
    )

    assert fresh(enrollment).state == workflow.OPTED_OUT
    assert chased == [enrollment.student]
    assert list(services.students_to_chase(policy_year=shanghai_2026)) == []


def test_a_web_page_dressed_as_a_pdf_is_stored_and_served_as_a_pdf(
    admin_client, shanghai_2026, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    enrollment = collective(1, shanghai_2026)
    trap = SimpleUploadedFile("scan.html", b"%PDF-1.4<script>alert(1)</script>", "text/html")
    opt_out = services.opt_out_record(
        student=enrollment.student,
        policy_year=shanghai_2026,
        reason="insured_elsewhere",
        signed_on=date(2025, 11, 28),
        commitment=trap,
    )

    response = admin_client.get(reverse("admin:enrollment_optout_commitment", args=[opt_out.pk]))

    assert opt_out.commitment.name.endswith(".pdf") and "scan" not in opt_out.commitment.name
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_scan_stored_under_its_own_name_is_only_downloaded(
    admin_client, shanghai_2026, settings, tmp_path
):
    """Scans stored before names were ours keep the uploaded name: typed by content."""
    settings.MEDIA_ROOT = tmp_path
    enrollment = collective(1, shanghai_2026)
    opt_out = OptOut.objects.create(
        student=enrollment.student,
        policy_year=shanghai_2026,
        reason="insured_elsewhere",
        signed_on=date(2025, 11, 28),
    )
    opt_out.commitment.save("旧.html", ContentFile(b"<script>alert(1)</script>"))

    response = admin_client.get(reverse("admin:enrollment_optout_commitment", args=[opt_out.pk]))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("category", ["hardship", "low_income_family"])
def test_family_aid_never_replaces_the_school_fund_or_the_government(shanghai_2026, category):
    enrollment = collective(1, shanghai_2026, subsidy_category=category)

    with pytest.raises(services.EnrollmentRefused, match="不改为家庭共济缴费"):
        services.enrollment_choose_family_aid(
            enrollment=enrollment, at=shanghai_2026.family_aid_deadline_at
        )
    assert fresh(enrollment).payer != workflow.FAMILY_AID


def test_a_government_paid_account_is_established_without_collection(shanghai_2026):
    enrollment = collective(1, shanghai_2026, subsidy_category="low_income_family")

    services.enrollment_transition(enrollment=enrollment, to="established")

    assert (fresh(enrollment).state, fresh(enrollment).amount_paid) == ("established", 0)
    assert list(services.payment_list_open(year=2026)) == []  # nothing to remit


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
def test_each_role_opens_only_its_pages(client, role):
    user = User.objects.create_user(username="u", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)

    opened = {
        page
        for page in PAGES
        if client.get(reverse(f"admin:enrollment_{page}") + "?year=2026").status_code == 200
    }

    assert opened == {page for page, roles in PAGES.items() if role in roles}


def test_no_payment_is_taken_for_a_government_paid_student(shanghai_2026):
    enrollment = collective(1, shanghai_2026, subsidy_category="low_income_family")

    with pytest.raises(services.EnrollmentRefused, match="学校不代收"):
        pay(enrollment)
    assert fresh(enrollment).amount_paid == 0


def test_a_government_paid_late_enrollment_gets_its_cover_when_established():
    """Declared 5 Mar 2025, established without payment (the government pays): benefits
    after the 3 months of waiting from the declaration, 5 Jun 2025 (shanghai guide Q3)."""
    year_2025 = PolicyYear.objects.get(code="shanghai-2025")
    who = student(1, subsidy_category="low_income_family", registered_on=date(2024, 9, 1))
    enrollment = services.enrollment_create(
        student=who, policy_year=year_2025, kind="late", today=date(2025, 3, 5)
    )
    declared = timezone.make_aware(datetime(2025, 3, 5))
    Enrollment.objects.filter(pk=enrollment.pk).update(created_at=declared)

    services.enrollment_transition(enrollment=enrollment, to="established")

    cover = fresh(enrollment)
    assert (cover.waiting_months, cover.cover_start) == (3, date(2025, 6, 5))


def test_paid_comes_only_from_a_recorded_payment(shanghai_2026):
    enrollment = collective(1, shanghai_2026)

    with pytest.raises(workflow.TransitionRefused, match="缴费记录"):
        services.enrollment_transition(enrollment=enrollment, to="paid")


def test_unconfirmed_uploads_are_removed_after_a_day(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    old = services.incoming_upload_path("a" * 32 + ".xlsx")
    new = services.incoming_upload_path("b" * 32 + ".xlsx")
    old.parent.mkdir(parents=True)
    old.write_bytes(b"x")
    new.write_bytes(b"x")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))

    removed = services.incoming_uploads_remove_stale()

    assert removed == 1
    assert (old.exists(), new.exists()) == (False, True)
