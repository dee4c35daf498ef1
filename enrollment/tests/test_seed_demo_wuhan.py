"""`seed_demo` for a Wuhan school (SCHOOL_REGION="wuhan", issue #14): the same story as
Shanghai's demo told with Wuhan's rules (wuhan-2025-student-insurance-notice.txt), every
enrollment in a Wuhan policy year, and a payment list that freezes with its freshmen.

Counts, worked from enrollment/demo.py and seed_demo.py: the roster is the Shanghai
demo's, born elsewhere (360 students, 11 not eligible); the 87 freshmen of 2026 all pay
400 (三(三); Wuhan exempts no special group: 三), so none is exempt and all are declared.
They take the five stories in turn (87 = 17 × 5 + 2): 18 declared only, 18 paid and
waiting for the bureau, 17 paid and established, 17 paid by a relative's employee
account and established (十: freshmen may), 17 paid and failed. No app confirmation
(批量参保登记, 三), so none is 已申请待审核. The payment list takes the 34 established
freshmen, family aid included (十: the bureau returns the premium to the relative, the
school remits as usual)."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from enrollment import services, workflow
from enrollment.models import CollectiveRun, Enrollment, IdType, Refund, Student
from policies.models import PolicyYear

PREMIUM = Decimal("400.00")  # wuhan notice 三


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def wuhan(settings, monkeypatch):
    settings.SCHOOL_REGION = "wuhan"
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-demo-password")


@pytest.mark.django_db
def test_the_wuhan_demo_is_a_wuhan_school_midway_through_its_year(wuhan):
    output = seed()

    assert "已发布" in output  # wuhan-2026 was a draft: the demo published it
    assert PolicyYear.objects.get(code="wuhan-2026").is_published
    assert Student.objects.count() == 360
    resident_ids = Student.objects.filter(id_type=IdType.RESIDENT_ID)
    hubei = resident_ids.filter(id_number__startswith="42").count()
    assert hubei > resident_ids.count() / 2
    assert set(Enrollment.objects.values_list("policy_year__code", flat=True)) == {"wuhan-2026"}
    freshmen = Enrollment.objects.filter(kind=workflow.FRESHMAN)
    assert freshmen.count() == 87
    assert set(freshmen.values_list("premium_due", flat=True)) == {PREMIUM}
    by_state = {
        state: freshmen.filter(state=state).count()
        for state in freshmen.values_list("state", flat=True).distinct()
    }
    assert by_state == {
        workflow.NOT_ESTABLISHED: 36,
        workflow.ESTABLISHED: 34,
        workflow.FAILED: 17,
    }
    assert freshmen.filter(amount_paid=PREMIUM).count() == 18 + 17 + 17 + 17
    family_aid = freshmen.filter(payer=workflow.FAMILY_AID)
    assert family_aid.count() == 17
    assert set(family_aid.values_list("state", flat=True)) == {workflow.ESTABLISHED}
    collective = Enrollment.objects.filter(kind=workflow.COLLECTIVE)
    states = set(collective.values_list("state", flat=True))
    assert {"declared", "paid", "established", "opted_out"} <= states
    assert workflow.EXEMPT not in states
    assert set(collective.values_list("premium_due", flat=True)) == {PREMIUM}
    assert collective.filter(payer=workflow.FAMILY_AID, state=workflow.ESTABLISHED).exists()
    # the bureau returns a family-aid premium to the relative: the school refunds none
    assert Refund.objects.exists()
    assert not Refund.objects.filter(reason="family_aid").exists()


@pytest.mark.django_db
def test_the_wuhan_demo_years_payment_list_freezes_with_its_freshmen(wuhan):
    seed()
    waiting = Enrollment.objects.filter(
        state=workflow.ESTABLISHED, amount_paid__gte=PREMIUM
    ).count()

    frozen = services.payment_list_freeze(year=2026)

    remitted = Enrollment.objects.filter(state=workflow.REMITTED)
    assert frozen.rows == remitted.count() == waiting
    assert frozen.total == frozen.rows * PREMIUM
    assert remitted.filter(kind=workflow.FRESHMAN).count() == 34
    assert remitted.filter(kind=workflow.FRESHMAN, payer=workflow.FAMILY_AID).count() == 17


@pytest.mark.django_db
def test_seeding_wuhan_twice_changes_nothing(wuhan):
    seed()
    enrollments = list(Enrollment.objects.order_by("pk").values())

    output = seed()

    assert list(Enrollment.objects.order_by("pk").values()) == enrollments
    assert "已发布" not in output and "跳过" in output


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_the_wuhan_demo_a_bare_year_runs_into_wuhan_2026(wuhan, live_worker):
    seed()
    enrolled = Enrollment.objects.filter(kind=workflow.COLLECTIVE).count()

    call_command(
        "run_collective_enrollment", "--year", "2026", stdout=StringIO(), stderr=StringIO()
    )

    latest = CollectiveRun.objects.order_by("-pk").first()
    assert latest.policy_year.code == "wuhan-2026"
    assert latest.status == CollectiveRun.Status.DONE
    assert services.collective_run_totals(latest)["created"] == 0  # all enrolled already
    assert Enrollment.objects.filter(kind=workflow.COLLECTIVE).count() == enrolled
    assert not Enrollment.objects.filter(policy_year__region__code="shanghai").exists()
