"""Special groups as policy-year data (issue #14 point 5): which groups are exempt,
government-paid or school-paid comes from the year's SpecialGroupRule rows, for every
way an enrollment is made (collective run, late, freshman, declaration batch); and a
payment file's dry run refuses what its commit refuses.

Seeds: shanghai guide Q9 and sjtu rules art. 18 — 重残 pay nothing and are not declared
(exempt), 低保 are paid by the government, 家庭经济困难 may be paid by the school; premium
355.00 (guide Q2). wuhan notice 三 — the school collects 400.00 from every student, no
special group is named (Q&A 三)."""

import json
import time
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from enrollment import services, workflow
from enrollment.models import Enrollment, Payment, Student
from enrollment.tests.factories import (
    EnrollmentFactory,
    FreshmanEnrollmentFactory,
    LateEnrollmentFactory,
    StudentFactory,
)
from policies.catalog import SHANGHAI_PRACTICE, WUHAN_PRACTICE
from policies.models import SpecialGroupRule
from policies.services import policy_year_publish

CATEGORIES = ("standard", "low_income_family", "low_income", "severe_disability", "hardship")
SHANGHAI_PRICES = {
    "standard": ("355.00", workflow.STUDENT, workflow.DECLARED),
    "low_income_family": ("355.00", workflow.GOVERNMENT, workflow.DECLARED),
    "low_income": ("355.00", workflow.STUDENT, workflow.DECLARED),  # guide Q9 names none
    "severe_disability": ("0.00", workflow.GOVERNMENT, workflow.EXEMPT),
    "hardship": ("355.00", workflow.SCHOOL_FUND, workflow.DECLARED),
}


def priced(enrollment) -> tuple[str, str, str]:
    return (str(enrollment.premium_due), enrollment.payer, enrollment.state)


@pytest.mark.parametrize("category", CATEGORIES)
def test_price_follows_the_years_groups(category):
    shanghai = workflow.price(
        kind=workflow.COLLECTIVE,
        category=category,
        premium=Decimal("355.00"),
        freshman_premium_waived=True,
        special_groups=SHANGHAI_PRACTICE.special_groups,
    )
    wuhan = workflow.price(
        kind=workflow.COLLECTIVE,
        category=category,
        premium=Decimal("400.00"),
        freshman_premium_waived=False,
        special_groups=WUHAN_PRACTICE.special_groups,
    )

    assert (str(shanghai.premium_due), shanghai.payer, shanghai.initial_state) == (
        SHANGHAI_PRICES[category]
    )
    # wuhan: every student pays 400.00 to the school
    assert (str(wuhan.premium_due), wuhan.payer, wuhan.initial_state) == (
        "400.00",
        workflow.STUDENT,
        workflow.DECLARED,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("category", ["low_income_family", "severe_disability", "hardship"])
def test_a_wuhan_student_of_a_special_group_pays_like_any_other(wuhan_2025, category):
    student = StudentFactory(seq=1, subsidy_category=category, registered_on=date(2024, 9, 1))
    freshman = StudentFactory(seq=2, subsidy_category=category, registered_on=date(2025, 9, 1))

    late = LateEnrollmentFactory(student=student, policy_year=wuhan_2025, today=date(2025, 3, 5))
    first_year = FreshmanEnrollmentFactory(
        student=freshman, policy_year=wuhan_2025, today=date(2025, 9, 5)
    )

    assert priced(late) == ("400.00", workflow.STUDENT, workflow.DECLARED)
    assert priced(first_year) == ("400.00", workflow.STUDENT, workflow.NOT_ESTABLISHED)


@pytest.mark.django_db
def test_the_late_quote_prices_from_the_years_groups(wuhan_2025, settings):
    settings.SCHOOL_REGION = "wuhan"
    student = StudentFactory(
        seq=1, subsidy_category="low_income_family", registered_on=date(2024, 9, 1)
    )

    quote = services.enrollment_quote_late(student=student, today=date(2025, 3, 5))

    assert (quote.policy_year, quote.premium_due) == (wuhan_2025, Decimal("400.00"))


@pytest.mark.django_db
def test_a_wuhan_batch_declares_every_special_group(wuhan_2025):
    students = [
        StudentFactory(seq=seq, subsidy_category=category, registered_on=date(2025, 9, 1))
        for seq, category in enumerate(CATEGORIES, 1)
    ]

    batch = services.declaration_batch_create(
        policy_year=wuhan_2025,
        registered_from=date(2025, 9, 1),
        registered_to=date(2025, 9, 1),
        today=date(2025, 9, 5),
    )

    # no exempt group in Wuhan: all five declared, each owing 400.00
    assert batch.rows == 5
    members = Enrollment.objects.filter(declaration_batch=batch)
    assert set(members.values_list("student_id", flat=True)) == {s.pk for s in students}
    assert set(members.values_list("premium_due", "payer")) == {
        (Decimal("400.00"), workflow.STUDENT)
    }


@pytest.mark.django_db
def test_a_rule_the_office_adds_changes_the_years_pricing(wuhan_2026):
    SpecialGroupRule.objects.create(
        policy_year=wuhan_2026, category="low_income_family", treatment="government"
    )
    student = StudentFactory(
        seq=1, subsidy_category="low_income_family", registered_on=date(2024, 9, 1)
    )

    enrollment = EnrollmentFactory(student=student, policy_year=wuhan_2026)

    assert priced(enrollment) == ("400.00", workflow.GOVERNMENT, workflow.DECLARED)


def finished(run, timeout: float = 30):
    """The run once its worker is done (at once when tasks run in-process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if not run.is_running:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run.pk} still running after {timeout}s")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_collective_run_prices_from_the_years_groups(wuhan_2026, live_worker):
    Student.objects.bulk_create(
        StudentFactory.build(seq=seq, subsidy_category=category, registered_on=date(2024, 9, 1))
        for seq, category in enumerate(CATEGORIES, 1)
    )
    policy_year_publish(policy_year=wuhan_2026)
    run = finished(services.collective_run_start(policy_year=wuhan_2026).run)

    assert run.status == run.Status.DONE, run.error
    # notice 三: 5 × 400.00, every one declared and paid by the student
    assert set(
        Enrollment.objects.filter(policy_year=wuhan_2026).values_list(
            "premium_due", "payer", "state"
        )
    ) == {(Decimal("400.00"), workflow.STUDENT, workflow.DECLARED)}
    assert run.summary["created"] == {"declared": 5}


# --- a payment file: the dry run refuses what the commit refuses ---------------------------------


def run_command(*args) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command(*args, stdout=out, stderr=StringIO())
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


@pytest.mark.django_db
def test_a_payment_for_a_government_paid_student_is_a_row_problem(
    payment_file, shanghai_2026, settings
):
    settings.SCHOOL_REGION = "shanghai"
    paying = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)
    dibao = EnrollmentFactory(
        student__seq=2, student__subsidy_category="low_income_family", policy_year=shanghai_2026
    )
    path = payment_file(
        [
            [paying.student.student_number, "355.00", "2025-11-25", "现金", "SJ-0001"],
            [dibao.student.student_number, "355.00", "2025-11-25", "现金", "SJ-0002"],
        ]
    )

    dry_code, dry_out = run_command("import_payments", str(path), "--year", "2026", "--json")
    code, out = run_command("import_payments", str(path), "--year", "2026", "--commit", "--json")

    # guide Q9: 低保 is paid by the government, the school collects nothing
    problem = {
        "row": 3,
        "column": "学号",
        "message": "25020002：保费由政府补助，学校不代收。",
    }
    dry, committed = json.loads(dry_out), json.loads(out)
    assert (dry_code, dry["payments"], dry["problems"]) == (1, 1, [problem])
    assert (code, committed["applied"], committed["problems"]) == (1, True, [problem])
    assert list(Payment.objects.values_list("receipt_number", flat=True)) == ["SJ-0001"]
    assert Enrollment.objects.get(pk=dibao.pk).amount_paid == 0


@pytest.mark.django_db
def test_a_wuhan_dibao_students_payment_is_collected(payment_file, wuhan_2025):
    dibao = EnrollmentFactory(
        student=StudentFactory(
            seq=1, subsidy_category="low_income_family", registered_on=date(2024, 9, 1)
        ),
        policy_year=wuhan_2025,
        today=date(2024, 11, 20),
    )
    path = payment_file([[dibao.student.student_number, "400.00", "2024-11-25", "现金", "WH-0001"]])

    plan = services.payments_import_apply(path=path, policy_year=wuhan_2025)

    assert (plan.problems, len(plan.lines)) == ([], 1)
    assert Enrollment.objects.get(pk=dibao.pk).state == workflow.PAID
