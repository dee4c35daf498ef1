from dataclasses import replace
from datetime import date

import pytest
from django.urls import reverse

from policies import engine, selectors, services
from policies.catalog import CATALOG
from policies.models import CareType, FacilityLevel, Payer, PolicyYear

pytestmark = pytest.mark.django_db


def by_key(snapshot: engine.PolicyYearRules) -> engine.PolicyYearRules:
    return replace(
        snapshot,
        benefit_rules=tuple(sorted(snapshot.benefit_rules, key=lambda r: (r.care, r.level))),
    )


def test_model_choices_match_the_engine():
    assert set(CareType.values) == set(engine.CARE_TYPES)
    assert set(FacilityLevel.values) == set(engine.LEVELS)
    assert set(Payer.values) == set(engine.PAYERS)


def test_wuhan_school_outpatient_fund_is_seeded_and_copied(wuhan_2025, wuhan_2026):
    # wuhan notice 五.1: the school pays ordinary outpatient care; everything else is the
    # basic fund's. A copy for the next year keeps who pays what.
    draft = services.policy_year_copy_to_draft(policy_year=wuhan_2026, year=2027)

    for policy_year in (wuhan_2025, wuhan_2026, draft):
        payers = set(policy_year.benefit_rules.values_list("care", "payer"))
        assert payers == {
            ("outpatient", Payer.SCHOOL_OUTPATIENT_FUND),
            ("inpatient", Payer.BASIC_FUND),
            ("chronic_outpatient", Payer.BASIC_FUND),
        }


@pytest.mark.parametrize("code", ["shanghai-2025", "shanghai-2026", "wuhan-2025"])
def test_seeded_policy_years_are_the_catalog(code):
    policy_year = selectors.policy_year_get(code=code)

    assert policy_year.is_published
    assert by_key(selectors.policy_year_rules(policy_year)) == by_key(CATALOG[code])


def test_seeded_premiums_and_calendar(shanghai_2025, wuhan_2025):
    shanghai, wuhan = shanghai_2025, wuhan_2025

    # shanghai guide Q2: 355元/人/年; wuhan notice 三: 每人400元
    assert (str(shanghai.premium), str(wuhan.premium)) == ("355.00", "400.00")
    # shanghai guide Q3: 2024-11-11 to 2024-12-20; Q18: 共济缴费 by 2024-12-20 17:00
    assert shanghai.collective_window_opens_on == date(2024, 11, 11)
    assert shanghai.collective_window_closes_on == date(2024, 12, 20)
    assert shanghai.family_aid_deadline_at.isoformat() == "2024-12-20T09:00:00+00:00"
    assert shanghai.freshman_premium_waived and not wuhan.freshman_premium_waived


def test_copy_to_draft_makes_next_year_with_the_same_rules(shanghai_2026):
    source = shanghai_2026

    draft = services.policy_year_copy_to_draft(policy_year=source, year=2027)

    assert (draft.code, draft.status) == ("shanghai-2027", PolicyYear.Status.DRAFT)
    assert draft.collective_window_opens_on == date(2026, 11, 11)
    assert draft.benefit_rules.count() == source.benefit_rules.count()
    snapshot = selectors.policy_year_rules(selectors.policy_year_get(code="shanghai-2027"))
    assert by_key(replace(snapshot, code="x", year=0)) == by_key(
        replace(CATALOG["shanghai-2026"], code="x", year=0)
    )
    assert source.benefit_rules.count() == len(CATALOG["shanghai-2026"].benefit_rules)


def test_copy_refuses_an_existing_year(shanghai_2025):
    with pytest.raises(services.PolicyYearError, match="shanghai-2026"):
        services.policy_year_copy_to_draft(policy_year=shanghai_2025, year=2026)


def test_publish_freezes_a_draft(wuhan_2026):
    draft = wuhan_2026

    services.policy_year_publish(policy_year=draft)

    assert PolicyYear.objects.get(code="wuhan-2026").is_published
    with pytest.raises(services.PolicyYearError):
        services.policy_year_publish(policy_year=draft)


def test_a_published_year_is_read_only_in_the_admin(client, clinic_staff, shanghai_2025):
    published = shanghai_2025
    url = reverse("admin:policies_policyyear_change", args=[published.pk])

    page = client.get(url)
    client.post(url, {"premium": "1.00"})

    assert page.status_code == 200
    assert b'name="premium"' not in page.content  # shown, not editable
    published.refresh_from_db()
    assert str(published.premium) == "355.00"


def test_admin_action_copies_to_next_year_and_drafts_stay_editable(
    client, clinic_staff, wuhan_2026
):
    source = wuhan_2026

    client.post(
        reverse("admin:policies_policyyear_changelist"),
        {"action": "copy_to_next_year", "_selected_action": [source.pk]},
    )
    draft = PolicyYear.objects.get(code="wuhan-2027")
    page = client.get(reverse("admin:policies_policyyear_change", args=[draft.pk]))

    assert b'name="premium"' in page.content
