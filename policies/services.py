from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from office.errors import Refused

from . import engine, estimates, selectors
from .catalog import CALENDAR_FIELDS
from .models import CalendarCorrection, PolicyYear


class PolicyYearError(Refused):
    pass


def policy_year_code(*, region_code: str, year: int) -> str:
    return f"{region_code}-{year}"


@transaction.atomic
def policy_year_copy_to_draft(*, policy_year: PolicyYear, year: int) -> PolicyYear:
    """Next year's draft: same numbers, rules, special groups and assumed marks, calendar
    dates moved by the year gap. Published years are frozen; this is how their rules
    change."""
    if PolicyYear.objects.filter(region=policy_year.region, year=year).exists():
        raise PolicyYearError(
            _("Policy year %(code)s already exists.")
            % {"code": policy_year_code(region_code=policy_year.region.code, year=year)}
        )
    shift = year - policy_year.year
    source_rules = list(policy_year.benefit_rules.all())
    source_tiers = list(policy_year.catastrophic_tiers.all())
    source_groups = list(policy_year.special_groups.all())
    draft = PolicyYear.objects.get(pk=policy_year.pk)
    draft.pk = None
    draft.year = year
    draft.code = policy_year_code(region_code=policy_year.region.code, year=year)
    draft.status = PolicyYear.Status.DRAFT
    for name in CALENDAR_FIELDS:
        setattr(draft, name, _shift_years(getattr(draft, name), shift))
    draft.save()
    for child in [*source_rules, *source_tiers, *source_groups]:
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


@transaction.atomic
def policy_year_calendar_correct(
    *, policy_year: PolicyYear, values: dict, user, now: datetime
) -> list[CalendarCorrection]:
    """Correct a policy year's dates, published or not, and record each change (who, when,
    old → new) in its history. Only the calendar: the numbers that price or pay stay frozen
    once published. A corrected value is no longer assumed."""
    refused = sorted(set(values) - set(CALENDAR_FIELDS))
    if refused:
        names = "、".join(str(PolicyYear._meta.get_field(name).verbose_name) for name in refused)
        raise PolicyYearError(
            f"{policy_year.code} 只能更正日程日期；{names}不能更改"
            "（已发布年度计价、支付的数字已冻结，请复制为新的草稿年度）。"
        )
    locked = PolicyYear.objects.select_for_update().get(pk=policy_year.pk)
    changes = {
        name: (getattr(locked, name), value)
        for name, value in values.items()
        if getattr(locked, name) != value
    }
    for name, (_old, new) in changes.items():
        setattr(locked, name, new)
    if locked.collective_window_opens_on > locked.collective_window_closes_on:
        raise PolicyYearError("集中参保期的开始日期不能晚于结束日期。")
    if locked.freshman_window_opens_on > locked.freshman_window_closes_on:
        raise PolicyYearError("新生申报期的开始日期不能晚于结束日期。")
    locked.assumed = {k: v for k, v in locked.assumed.items() if k not in changes}
    locked.save(update_fields=[*changes, "assumed"])
    for name in [*changes, "assumed"]:
        setattr(policy_year, name, getattr(locked, name))
    return CalendarCorrection.objects.bulk_create(
        CalendarCorrection(
            policy_year=locked,
            field=name,
            old_value=_shown(old),
            new_value=_shown(new),
            corrected_by=user,
            corrected_at=now,
        )
        for name, (old, new) in changes.items()
    )


def estimate_run(*, request: dict) -> dict:
    """Run the rule engine on an estimate request (see policies/estimates.py) and return the
    JSON-ready breakdown; raises EstimateInputError naming the offending field."""
    if not isinstance(request, dict):
        raise estimates.EstimateInputError("(file)", "应为 JSON 对象")
    code = request.get("policy_year")
    if not isinstance(code, str):
        raise estimates.EstimateInputError("policy_year", "应填写医保年度代码，如 shanghai-2025")
    try:
        policy = selectors.policy_year_rules(selectors.policy_year_get(code=code))
    except PolicyYear.DoesNotExist:
        raise estimates.EstimateInputError(
            "policy_year", f"医保年度 {estimates.quote(code)} 不存在"
        ) from None
    member = estimates.parse_member(request.get("member", {}), policy)
    expenses = estimates.parse_expenses(request.get("expenses"), policy)
    try:
        estimate = engine.estimate(policy, member, expenses)
    except ValueError as exc:  # the parsers refuse all they know of first
        raise estimates.EstimateInputError("member", f"无法试算：{exc}") from exc
    return estimates.estimate_as_json(policy, estimate)


def _shown(value: date | datetime | None) -> str:
    if value is None:
        return "（无）"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _shift_years(value: date | datetime | None, years: int) -> date | datetime | None:
    if value is None:  # no family mutual-aid deadline
        return None
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February into a common year
        return value.replace(year=value.year + years, day=28)
