"""Issue #14 point 6: a region's own calendar and waiting period, the values its documents
do not give marked as assumed where staff see them, dates of a published year corrected
with a history, and wuhan-2026 seeded as a draft."""

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from policies import selectors, services
from policies.catalog import CALENDAR_FIELDS, CALENDARS, CATALOG, WAITING_FIELDS
from policies.models import CalendarCorrection, PolicyYear

pytestmark = pytest.mark.django_db

MARK = "（沿用上海，武汉文件未规定）"
SHANGHAI_TIME = ZoneInfo("Asia/Shanghai")


def change_url(policy_year: PolicyYear) -> str:
    return reverse("admin:policies_policyyear_change", args=[policy_year.pk])


def calendar_post(page, **values) -> dict:
    """What the change form posts: the inlines' management forms, the dates as shown, and
    the values given."""
    data = {}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
    policy_year = page.context["original"]
    for name in CALENDAR_FIELDS:
        value = getattr(policy_year, name)
        if isinstance(value, datetime):
            local = value.astimezone(SHANGHAI_TIME)
            data[f"{name}_0"], data[f"{name}_1"] = f"{local:%Y-%m-%d}", f"{local:%H:%M:%S}"
        elif value is None:  # wuhan notice 十: no family mutual-aid deadline
            data[f"{name}_0"], data[f"{name}_1"] = "", ""
        else:
            data[name] = value.isoformat()
    data.update(values)
    return data


@pytest.mark.parametrize("code", sorted(CALENDARS))
def test_seeded_calendars_sources_and_marks_are_the_catalog(code):
    policy_year = selectors.policy_year_get(code=code)
    calendar = CALENDARS[code]

    assert (policy_year.collective_window_opens_on, policy_year.collective_window_closes_on) == (
        calendar.collective_window
    )
    assert (policy_year.freshman_window_opens_on, policy_year.freshman_window_closes_on) == (
        calendar.freshman_window
    )
    assert policy_year.family_aid_deadline_at == calendar.family_aid_deadline_at
    assert policy_year.freshman_premium_waived == calendar.freshman_premium_waived
    assert (policy_year.source, policy_year.assumed) == (calendar.source, calendar.assumed)
    assert policy_year.status == calendar.status


def test_wuhan_2026_is_a_draft_with_the_catalogs_rules(wuhan_2026):
    snapshot = selectors.policy_year_rules(selectors.policy_year_get(code="wuhan-2026"))

    assert wuhan_2026.status == PolicyYear.Status.DRAFT
    assert sorted(snapshot.benefit_rules, key=str) == sorted(
        CATALOG["wuhan-2026"].benefit_rules, key=str
    )
    assert replace(snapshot, benefit_rules=()) == replace(CATALOG["wuhan-2026"], benefit_rules=())
    # Wuhan has not published 2026: the 2025 premium is carried over, and marked so.
    assert str(wuhan_2026.premium) == "400.00" and "premium" in wuhan_2026.assumed


def test_wuhan_marks_what_its_notice_does_not_give_and_shanghai_nothing(wuhan_2025, shanghai_2025):
    # wuhan notice: no collective window, freshman declaration dates or waiting-period
    # numbers (only Q&A 三(三): a paying freshman has none), claim window, catastrophic
    # insurers or special groups; 十 sets no mutual-aid deadline at all (none, not assumed).
    copied = {*CALENDAR_FIELDS, *WAITING_FIELDS, "claim_window_months"} - {"family_aid_deadline_at"}
    assert set(wuhan_2025.assumed) == {*copied, "catastrophic_insurers", "special_groups"}
    assert {wuhan_2025.assumed[name] for name in copied} == {"沿用上海，武汉文件未规定"}
    assert wuhan_2025.family_aid_deadline_at is None
    assert shanghai_2025.assumed == {}


def test_waiting_period_has_no_default_a_new_year_must_state_it(client, clinic_staff):
    page = client.get(reverse("admin:policies_policyyear_add"))

    form = page.context["adminform"].form
    assert all(form[name].value() is None for name in WAITING_FIELDS)


def test_admin_shows_the_assumed_marks_and_the_source_in_chinese(
    client, clinic_staff, wuhan_2025, shanghai_2025
):
    wuhan = client.get(change_url(wuhan_2025)).content.decode()
    shanghai = client.get(change_url(shanghai_2025)).content.decode()

    # beside each of the 11 values: 5 editable dates (help text), 6 frozen waiting values
    assert wuhan.count(MARK) == 11
    assert "武汉市医疗保障局" in wuhan and "window dates not given" not in wuhan
    assert "沿用" not in shanghai


def test_office_corrects_a_published_years_dates_with_history(client, clinic_staff, wuhan_2025):
    page = client.get(change_url(wuhan_2025))

    response = client.post(
        change_url(wuhan_2025),
        calendar_post(
            page,
            collective_window_opens_on="2024-10-15",
            collective_window_closes_on="2024-12-31",
            premium="1.00",
            waiting_fixed_months="0",
        ),
    )

    assert response.status_code == 302
    wuhan_2025.refresh_from_db()
    assert wuhan_2025.collective_window_opens_on == date(2024, 10, 15)
    assert wuhan_2025.collective_window_closes_on == date(2024, 12, 31)
    # what prices or pays stays frozen
    assert (str(wuhan_2025.premium), wuhan_2025.waiting_fixed_months) == ("400.00", 3)
    assert wuhan_2025.is_published
    history = {
        c.field: (c.old_value, c.new_value, c.corrected_by)
        for c in CalendarCorrection.objects.filter(policy_year=wuhan_2025)
    }
    assert history == {
        "collective_window_opens_on": ("2024-11-11", "2024-10-15", clinic_staff),
        "collective_window_closes_on": ("2024-12-20", "2024-12-31", clinic_staff),
    }
    # a corrected date is no longer assumed; the others still are
    assert "collective_window_opens_on" not in wuhan_2025.assumed
    assert "freshman_window_closes_on" in wuhan_2025.assumed
    shown = client.get(change_url(wuhan_2025)).content.decode()
    assert shown.count(MARK) == 9 and "2024-10-15" in shown


def test_a_published_years_window_cannot_be_turned_around(client, clinic_staff, wuhan_2025):
    page = client.get(change_url(wuhan_2025))

    response = client.post(
        change_url(wuhan_2025), calendar_post(page, freshman_window_closes_on="2025-07-01")
    )

    assert response.status_code == 200  # the form again, with the error
    wuhan_2025.refresh_from_db()
    assert wuhan_2025.freshman_window_closes_on == date(2025, 11, 10)
    assert not CalendarCorrection.objects.exists()


def test_the_service_refuses_a_pricing_number(clinic_staff, wuhan_2025):
    with pytest.raises(services.PolicyYearError, match="只能更正日程日期"):
        services.policy_year_calendar_correct(
            policy_year=wuhan_2025,
            values={"premium": "1.00", "freshman_window_closes_on": date(2025, 10, 31)},
            user=clinic_staff,
            now=datetime(2025, 9, 1, 9, 0, tzinfo=SHANGHAI_TIME),
        )

    wuhan_2025.refresh_from_db()
    assert str(wuhan_2025.premium) == "400.00"
    assert wuhan_2025.freshman_window_closes_on == date(2025, 11, 10)


def test_the_service_records_a_deadline_in_local_time(clinic_staff, shanghai_2025):
    corrected_at = datetime(2024, 11, 20, 10, 0, tzinfo=SHANGHAI_TIME)

    (correction,) = services.policy_year_calendar_correct(
        policy_year=shanghai_2025,
        values={"family_aid_deadline_at": datetime(2024, 12, 25, 17, 0, tzinfo=SHANGHAI_TIME)},
        user=clinic_staff,
        now=corrected_at,
    )

    assert (correction.old_value, correction.new_value) == ("2024-12-20 17:00", "2024-12-25 17:00")
    assert correction.corrected_at == corrected_at
