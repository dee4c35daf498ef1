from datetime import date, datetime

from django.db import transaction
from django.utils.translation import gettext as _

from office.errors import Refused

from . import engine, estimates, selectors
from .models import PolicyYear


class PolicyYearError(Refused):
    pass


def policy_year_code(*, region_code: str, year: int) -> str:
    return f"{region_code}-{year}"


@transaction.atomic
def policy_year_copy_to_draft(*, policy_year: PolicyYear, year: int) -> PolicyYear:
    """Next year's draft: same numbers and rules, calendar dates moved by the year gap.
    Published years are frozen; this is how their rules change."""
    if PolicyYear.objects.filter(region=policy_year.region, year=year).exists():
        raise PolicyYearError(
            _("Policy year %(code)s already exists.")
            % {"code": policy_year_code(region_code=policy_year.region.code, year=year)}
        )
    shift = year - policy_year.year
    source_rules = list(policy_year.benefit_rules.all())
    source_tiers = list(policy_year.catastrophic_tiers.all())
    draft = PolicyYear.objects.get(pk=policy_year.pk)
    draft.pk = None
    draft.year = year
    draft.code = policy_year_code(region_code=policy_year.region.code, year=year)
    draft.status = PolicyYear.Status.DRAFT
    for name in (
        "collective_window_opens_on",
        "collective_window_closes_on",
        "family_aid_deadline_at",
        "freshman_window_opens_on",
        "freshman_window_closes_on",
    ):
        setattr(draft, name, _shift_years(getattr(draft, name), shift))
    draft.save()
    for child in [*source_rules, *source_tiers]:
        child.pk = None
        child.policy_year = draft
        child.save()
    return draft


@transaction.atomic
def policy_year_publish(*, policy_year: PolicyYear) -> PolicyYear:
    if policy_year.is_published:
        raise PolicyYearError(
            _("Policy year %(code)s is already published.") % {"code": policy_year.code}
        )
    try:
        selectors.policy_year_rules(policy_year)  # the engine's own consistency checks
    except ValueError as exc:
        raise PolicyYearError(str(exc)) from exc
    policy_year.status = PolicyYear.Status.PUBLISHED
    policy_year.save(update_fields=["status"])
    return policy_year


def estimate_run(*, request: dict) -> dict:
    """Run the rule engine on an estimate request (see policies/estimates.py) and return the
    JSON-ready breakdown; raises EstimateInputError naming the offending field."""
    if not isinstance(request, dict):
        raise estimates.EstimateInputError("(file)", "应为 JSON 对象")
    code = request.get("policy_year")
    try:
        policy = selectors.policy_year_rules(selectors.policy_year_get(code=code))
    except PolicyYear.DoesNotExist:
        raise estimates.EstimateInputError("policy_year", f"医保年度 {code!r} 不存在") from None
    member = estimates.parse_member(request.get("member", {}))
    expenses = estimates.parse_expenses(request.get("expenses"), policy)
    try:
        estimate = engine.estimate(policy, member, expenses)
    except ValueError as exc:
        raise estimates.EstimateInputError("member", str(exc)) from exc
    return estimates.estimate_as_json(policy, estimate)


def _shift_years(value: date | datetime, years: int) -> date | datetime:
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February into a common year
        return value.replace(year=value.year + years, day=28)
