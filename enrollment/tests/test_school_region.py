"""The school's region decides every bare year (issue #14, point 2): SCHOOL_REGION
(default shanghai) picks the policy year of `--year` and of the year-only pages, and its
years come first in the drop-downs; a draft year cannot be run (point 7).

Numbers: 355.00 is Shanghai's premium (shanghai guide Q2), 400.00 Wuhan's (wuhan notice
三(三)); 2025 is seeded for both regions."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from enrollment import selectors, services
from enrollment.forms import PolicyYearForm
from enrollment.models import CollectiveRun, Enrollment
from enrollment.tests.factories import EnrollmentRowFactory, StudentFactory
from policies.forms import EstimateForm
from policies.models import PolicyYear

SHANGHAI_PREMIUM = Decimal("355.00")
WUHAN_PREMIUM = Decimal("400.00")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("region", "expected"), [(None, "shanghai-2025"), ("wuhan", "wuhan-2025")])
def test_a_bare_year_enrols_into_the_school_regions_policy_year(
    region, expected, settings, live_worker
):
    if region:
        settings.SCHOOL_REGION = region
    StudentFactory.create_in_bulk(2, registered_on=date(2024, 9, 1))

    call_command(
        "run_collective_enrollment", "--year", "2025", stdout=StringIO(), stderr=StringIO()
    )

    assert set(Enrollment.objects.values_list("policy_year__code", flat=True)) == {expected}


@pytest.mark.django_db
def test_a_draft_policy_year_is_refused_by_the_command(shanghai_2026):
    PolicyYear.objects.filter(pk=shanghai_2026.pk).update(status=PolicyYear.Status.DRAFT)

    with pytest.raises(CommandError, match="尚未发布（草稿），不能运行集中参保") as refused:
        call_command("run_collective_enrollment", "--year", "2026", stderr=StringIO())

    assert refused.value.returncode == 2
    assert not CollectiveRun.objects.exists()


@pytest.mark.django_db
def test_a_draft_policy_year_is_refused_in_the_admin(client, admin_user, shanghai_2026):
    PolicyYear.objects.filter(pk=shanghai_2026.pk).update(status=PolicyYear.Status.DRAFT)
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:enrollment_collectiverun_start"), {"policy_year": shanghai_2026.pk}
    )

    assert response.status_code == 200
    assert "尚未发布（草稿），不能运行集中参保" in response.content.decode()
    assert not CollectiveRun.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("form_class", [PolicyYearForm, EstimateForm])
@pytest.mark.parametrize("region", ["shanghai", "wuhan"])
def test_the_drop_downs_list_the_school_regions_years_first(form_class, region, settings):
    settings.SCHOOL_REGION = region

    years = list(form_class().fields["policy_year"].queryset)

    regions = [policy_year.region.code for policy_year in years]
    own = regions.count(region)
    assert own >= 1 and regions[:own] == [region] * own
    assert len(set(regions)) > 1  # the other region's years are still offered, after
    assert [y.year for y in years[:own]] == sorted((y.year for y in years[:own]), reverse=True)


@pytest.fixture
def both_regions_2025(shanghai_2025, wuhan_2025):
    """One established, fully paid student in each region's 2025, and one failed paid
    one in each (money to give back)."""
    for seq, policy_year, premium in (
        (1, shanghai_2025, SHANGHAI_PREMIUM),
        (2, wuhan_2025, WUHAN_PREMIUM),
    ):
        EnrollmentRowFactory(
            student__seq=seq, policy_year=policy_year, premium_due=premium, amount_paid=premium
        )
        EnrollmentRowFactory(
            student__seq=seq + 10,
            policy_year=policy_year,
            state="failed",
            premium_due=premium,
            amount_paid=premium,
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("region", "premium"), [("shanghai", SHANGHAI_PREMIUM), ("wuhan", WUHAN_PREMIUM)]
)
def test_the_bare_year_pages_count_the_school_regions_year_only(
    both_regions_2025, region, premium, settings
):
    settings.SCHOOL_REGION = region

    open_list = services.payment_list_export_open(year=2025)
    due = services.refunds_due(year=2025, today=date(2025, 12, 22))
    totals = selectors.reconciliation(year=2025)["totals"]

    assert (open_list.rows, open_list.total) == (1, premium)
    assert [owed.amount for _, owed in due] == [premium]
    assert sum(row["paid"] for row in totals) == 2 * premium
    assert services.payment_list_open_totals() == [{"year": 2025, "rows": 1, "total": premium}]
