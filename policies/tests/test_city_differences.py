"""Issue #14 points 3-5: what differs between Shanghai and Wuhan is policy-year data —
family mutual aid, the freshman flow, the claim window, the catastrophic insurers and the
special groups — seeded from each city's documents (policies/catalog.py PRACTICES),
copied into next year's draft, frozen once published and shown to staff with the
assumed marks.

Seeds: shanghai guide Q4 (随申办 confirmation, entry year free), Q8 (four insurers), Q9
(重残 exempt, 低保 government-paid, hardship school-paid), Q12 (6 months), Q18 (the school
refunds family mutual aid); wuhan notice 三 (批量参保登记, 400 from every student), Q&A
三(三) (full premium before cover), 十 (no deadline, the bureau returns the premium)."""

from datetime import date

import pytest
from django.db import IntegrityError
from django.urls import reverse

from policies import services
from policies.catalog import PRACTICE_FIELDS, PRACTICES, SHANGHAI_PRACTICE
from policies.models import PolicyYear, SpecialGroupRule

pytestmark = pytest.mark.django_db


def change_url(policy_year: PolicyYear) -> str:
    return reverse("admin:policies_policyyear_change", args=[policy_year.pk])


def groups_of(policy_year: PolicyYear) -> dict[str, str]:
    return dict(policy_year.special_groups.values_list("category", "treatment"))


@pytest.mark.parametrize("code", sorted(PRACTICES))
def test_each_seeded_year_carries_its_citys_practice(code):
    policy_year = PolicyYear.objects.get(code=code)
    practice = PRACTICES[code]

    for name in PRACTICE_FIELDS:
        expected = getattr(practice, name)
        assert getattr(policy_year, name) == (
            list(expected) if isinstance(expected, tuple) else expected
        ), name
    assert groups_of(policy_year) == practice.special_groups


def test_shanghai_and_wuhan_differ_as_their_documents_say(
    shanghai_2025, shanghai_2026, wuhan_2025, wuhan_2026
):
    for shanghai in (shanghai_2025, shanghai_2026):
        # guide Q18: 20 Dec 17:00, refunded by the school, collective only
        assert shanghai.family_aid_deadline_at is not None
        assert (shanghai.family_aid_refunded_by_school, shanghai.family_aid_for_freshmen) == (
            True,
            False,
        )
        # guide Q4: freshmen confirm in 随申办, entry year free
        assert (shanghai.freshman_confirms_in_app, shanghai.freshman_confirmation_channel) == (
            True,
            "随申办",
        )
        assert shanghai.freshman_cover_needs_full_premium is False
        assert shanghai.claim_window_months == 6  # guide Q12
        assert len(shanghai.catastrophic_insurers) == 4  # guide Q8
        assert groups_of(shanghai) == {
            "severe_disability": "exempt",
            "low_income_family": "government",
            "hardship": "school_fund",
        }
    for wuhan in (wuhan_2025, wuhan_2026):
        # notice 十: no deadline, the bureau returns the premium, freshmen too
        assert wuhan.family_aid_deadline_at is None
        assert (wuhan.family_aid_refunded_by_school, wuhan.family_aid_for_freshmen) == (
            False,
            True,
        )
        # notice 三: 批量参保登记, no app; Q&A 三(三): cover after the full premium
        assert (wuhan.freshman_confirms_in_app, wuhan.freshman_confirmation_channel) == (
            False,
            "",
        )
        assert wuhan.freshman_cover_needs_full_premium is True
        assert wuhan.catastrophic_insurers == []
        assert groups_of(wuhan) == {}  # notice 三: 400 from every student
        assert {"claim_window_months", "catastrophic_insurers", "special_groups"} <= set(
            wuhan.assumed
        )
        assert "family_aid_deadline_at" not in wuhan.assumed


def test_a_category_is_treated_once_per_year(shanghai_2026):
    with pytest.raises(IntegrityError):
        SpecialGroupRule.objects.create(
            policy_year=shanghai_2026, category="hardship", treatment="government"
        )


def test_the_draft_copy_keeps_the_practice_the_groups_and_no_deadline(shanghai_2026, wuhan_2026):
    shanghai_2027 = services.policy_year_copy_to_draft(policy_year=shanghai_2026, year=2027)
    services.policy_year_publish(policy_year=wuhan_2026)
    wuhan_2027 = services.policy_year_copy_to_draft(policy_year=wuhan_2026, year=2027)

    assert groups_of(shanghai_2027) == SHANGHAI_PRACTICE.special_groups
    assert groups_of(shanghai_2026) == SHANGHAI_PRACTICE.special_groups  # not moved
    # shanghai guide Q18's deadline one year on: 20 Dec 2026 17:00
    assert f"{shanghai_2027.family_aid_deadline_at:%Y-%m-%d}" == "2026-12-20"
    assert wuhan_2027.family_aid_deadline_at is None
    assert groups_of(wuhan_2027) == {}
    for name in PRACTICE_FIELDS:
        assert getattr(wuhan_2027, name) == getattr(wuhan_2026, name), name
    assert "special_groups" in wuhan_2027.assumed


def test_admin_shows_the_special_groups_inline_frozen_once_published(
    client, clinic_staff, shanghai_2025
):
    page = client.get(change_url(shanghai_2025))
    html = page.content.decode()

    (inline,) = [
        formset
        for formset in page.context["inline_admin_formsets"]
        if formset.formset.model is SpecialGroupRule
    ]
    assert inline.formset.total_form_count() == 3
    assert not inline.has_add_permission and not inline.has_change_permission
    shown = [
        SpecialGroupRule._meta.verbose_name_plural,
        *SpecialGroupRule.Treatment.labels,
        PolicyYear._meta.get_field("catastrophic_insurers").verbose_name,
        PolicyYear._meta.get_field("claim_window_months").verbose_name,
    ]
    assert [str(label) for label in shown if str(label).lower() not in html.lower()] == []


def test_a_published_years_practice_stays_frozen(client, clinic_staff, shanghai_2025):
    page = client.get(change_url(shanghai_2025))
    form = page.context["adminform"].form

    assert not {*PRACTICE_FIELDS} & set(form.fields)  # read-only: not in the form
    services.policy_year_calendar_correct(
        policy_year=shanghai_2025,
        values={"collective_window_closes_on": date(2024, 12, 21)},
        user=clinic_staff,
        now=shanghai_2025.family_aid_deadline_at,
    )
    with pytest.raises(services.PolicyYearError, match="只能更正日程日期"):
        services.policy_year_calendar_correct(
            policy_year=shanghai_2025,
            values={"family_aid_refunded_by_school": False},
            user=clinic_staff,
            now=shanghai_2025.family_aid_deadline_at,
        )


def test_wuhan_shows_its_assumed_groups_and_no_shanghai_deadline(client, clinic_staff, wuhan_2025):
    html = client.get(change_url(wuhan_2025)).content.decode()

    assert "未规定低保、重残等困难学生的缴费资助" in html  # the inline's assumed mark
    assert "武汉文件未列出承办大病保险的保险公司" in html
    assert "12月20日" not in html and "17:00" not in html and "随申办" not in html


def posted(form) -> dict:
    """What the browser posts for `form` as shown: each widget's (or sub-widget's) value,
    an unchecked box left out."""
    data = {}
    for bound in form:
        widget = bound.field.widget
        while hasattr(widget, "widget"):  # the admin's related-object wrapper
            widget = widget.widget
        context = widget.get_context(bound.html_name, bound.value(), {})["widget"]
        for shown in context.get("subwidgets") or [context]:
            value = shown["value"]
            if shown.get("type") == "checkbox":
                if shown["attrs"].get("checked"):
                    data[shown["name"]] = "on"
                continue
            if isinstance(value, list):
                value = value[0] if value else ""
            data[shown["name"]] = "" if value is None else value
    return data


def test_the_office_states_a_drafts_special_groups_and_the_mark_goes(
    client, clinic_staff, wuhan_2026
):
    page = client.get(change_url(wuhan_2026))
    data = posted(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(posted(formset.management_form))
        for form in formset.forms:
            data.update(posted(form))
        if formset.model is SpecialGroupRule:
            assert inline.has_add_permission  # a draft's groups may be stated
            data[f"{formset.prefix}-TOTAL_FORMS"] = "1"
            data[f"{formset.prefix}-0-category"] = "low_income_family"
            data[f"{formset.prefix}-0-treatment"] = "government"

    response = client.post(change_url(wuhan_2026), data)

    assert response.status_code == 302, [
        (formset.formset.prefix, formset.formset.errors, formset.formset.non_form_errors())
        for formset in response.context["inline_admin_formsets"]
    ] + [response.context["adminform"].form.errors]
    wuhan_2026.refresh_from_db()
    assert groups_of(wuhan_2026) == {"low_income_family": "government"}
    assert "special_groups" not in wuhan_2026.assumed
    assert "premium" in wuhan_2026.assumed  # the other marks stay
    assert wuhan_2026.family_aid_deadline_at is None
