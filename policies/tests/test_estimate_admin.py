import pytest
from django.urls import reverse

from office.tests.factories import StaffFactory
from policies.forms import ExpenseForm
from policies.models import PolicyYear

pytestmark = pytest.mark.django_db


def form_data(policy_year: PolicyYear, expenses: list[dict]) -> dict:
    data = {
        "policy_year": policy_year.pk,
        "category": "standard",
        "cover_start": "2025-01-01",
        "kind": "",
        "gap_years": "0",
        "back_paid_years": "0",
        "expenses-TOTAL_FORMS": str(len(expenses)),
        "expenses-INITIAL_FORMS": "0",
        "expenses-MIN_NUM_FORMS": "0",
        "expenses-MAX_NUM_FORMS": "50",
    }
    for index, expense in enumerate(expenses):
        data.update({f"expenses-{index}-{name}": value for name, value in expense.items()})
    return data


def test_estimate_page_shows_the_breakdown(admin_client, wuhan_2025):
    url = reverse("admin:policies_estimate")
    wuhan = wuhan_2025

    assert admin_client.get(url).status_code == 200
    page = admin_client.post(
        url,
        form_data(
            wuhan,
            # 六.2/六.5: level-2 stay, 400 deductible, 70%: (10400 - 400) × 70% = 7000
            [{"date": "2025-05-01", "care": "inpatient", "level": "2", "in_scope": "10400"}],
        ),
    )

    result = page.context["result"]
    assert result["expenses"][0]["fund"] == "7000.00"
    assert result["totals"]["student"] == "3400.00"
    assert "7,000.00" in page.content.decode()  # as staff write amounts


def test_estimate_page_reports_an_unsupported_care_type(admin_client, shanghai_2025):
    shanghai = shanghai_2025

    page = admin_client.post(
        reverse("admin:policies_estimate"),
        form_data(
            shanghai,
            [{"date": "2025-05-01", "care": "chronic_outpatient", "level": "1", "in_scope": "1"}],
        ),
    )

    assert page.context["result"] is None
    assert "expenses[0].care" in page.context["error"]


def test_estimate_page_needs_a_login(client):
    page = client.get(reverse("admin:policies_estimate"))

    assert page.status_code == 302
    assert "/admin/login/" in page["Location"]


def test_untouched_expense_rows_are_ignored(admin_client, shanghai_2025):
    shanghai = shanghai_2025
    # what a browser sends for a row nobody touched: each select's first option
    fields = ExpenseForm().fields
    untouched = {
        "date": "",
        "in_scope": "",
        "out_of_scope": "",
        "stay": "",
        "care": fields["care"].choices[0][0],
        "level": fields["level"].choices[0][0],
        "excluded": fields["excluded"].choices[0][0],
    }
    # shanghai guide Q7: (1000 - 300 yearly deductible) × 60% at level 2 = 420
    filled = {
        **untouched,
        "date": "2025-03-01",
        "care": "outpatient",
        "level": "2",
        "in_scope": "1000.00",
    }

    page = admin_client.post(
        reverse("admin:policies_estimate"),
        form_data(shanghai, [filled, untouched, untouched, untouched]),
    )

    assert page.context["error"] is None
    assert [line["fund"] for line in page.context["result"]["expenses"]] == ["420.00"]


def test_the_estimate_page_needs_policy_permissions(client):
    client.force_login(StaffFactory(username="nobody"))

    assert client.get(reverse("admin:policies_estimate")).status_code == 403


def test_estimate_page_shows_who_pays(admin_client, wuhan_2025):
    page = admin_client.post(
        reverse("admin:policies_estimate"),
        form_data(
            wuhan_2025,
            # wuhan notice 五.1: the school's outpatient fund, 100 × 70% = 70.00
            [{"date": "2025-05-01", "care": "outpatient", "level": "campus", "in_scope": "100"}],
        ),
    )

    line = page.context["result"]["expenses"][0]
    assert (line["fund"], line["payer"]) == ("70.00", "school_outpatient_fund")
    assert "学校门诊经费" in page.content.decode()


def test_estimate_page_refuses_an_amount_too_large_to_be_money(admin_client, shanghai_2025):
    page = admin_client.post(
        reverse("admin:policies_estimate"),
        form_data(
            shanghai_2025,
            [{"date": "2025-05-01", "care": "outpatient", "level": "1", "in_scope": "1e26"}],
        ),
    )

    assert page.status_code == 200
    assert page.context["result"] is None
    assert "expenses[0].in_scope" in page.context["error"]
