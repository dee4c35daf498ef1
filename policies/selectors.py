from django.conf import settings
from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When

from office.errors import Refused

from . import engine
from .models import BenefitRule, CatastrophicTier, PolicyYear

SCALAR_FIELDS = (
    "premium",
    "community_as_level_1",
    "emergency_as_outpatient",
    "maternity_as_inpatient_without_deductible",
    "basic_annual_cap",
    "catastrophic_requires_disease",
    "catastrophic_cap",
    "waiting_fixed_months",
    "waiting_months_per_gap_year",
    "waiting_months_removed_per_back_paid_year",
    "waiting_floor_months",
    "waiting_floor_from_gap_years",
    "gaps_counted_from_year",
    "freshman_august_starts_on_september",
    "freshman_always_starts_on_september",
)


def policy_year_get(*, code: str) -> PolicyYear:
    return PolicyYear.objects.prefetch_related(
        Prefetch("benefit_rules", queryset=BenefitRule.objects.order_by("care", "level")),
        Prefetch("catastrophic_tiers", queryset=CatastrophicTier.objects.order_by("floor")),
    ).get(code=code)


def policy_year_rules(policy_year: PolicyYear) -> engine.PolicyYearRules:
    """The frozen snapshot the rule engine works on."""
    return engine.PolicyYearRules(
        code=policy_year.code,
        year=policy_year.year,
        benefit_rules=tuple(
            engine.BenefitRule(
                care=rule.care,
                level=rule.level,
                ratio=rule.ratio,
                deductible=rule.deductible,
                deductible_basis=rule.deductible_basis,
                counts_toward_yearly_deductible=rule.counts_toward_yearly_deductible,
                annual_limit=rule.annual_limit,
                referral_required=rule.referral_required,
                repeat_stay_factor=rule.repeat_stay_factor,
                repeat_stay_levels=split_levels(rule.repeat_stay_levels),
                payer=rule.payer,
            )
            for rule in policy_year.benefit_rules.all()
        ),
        catastrophic_tiers=tuple(
            engine.CatastrophicTier(
                floor=tier.floor, ratio=tier.ratio, low_income_ratio=tier.low_income_ratio
            )
            for tier in policy_year.catastrophic_tiers.all()
        ),
        **{name: getattr(policy_year, name) for name in SCALAR_FIELDS},
    )


def special_group_treatments(policy_year: PolicyYear) -> dict[str, str]:
    """The year's special groups, category → treatment (SpecialGroupRule): what
    enrollment.workflow.price is given. A category not in it pays the premium itself."""
    return dict(policy_year.special_groups.values_list("category", "treatment"))


def split_levels(value: str) -> tuple[str, ...]:
    return tuple(level.strip() for level in value.split(",") if level.strip())


class PolicyYearAmbiguous(Refused):
    """No policy year of the region for the year asked; the message says which."""


def school_region() -> str:
    """The region code of the school's city (settings.SCHOOL_REGION): the region of every
    bare year a command or page is given."""
    return settings.SCHOOL_REGION


def policy_year_for(*, year: int, region: str | None = None) -> PolicyYear:
    """The policy year of `year` in `region` (a region code), the school's region unless
    another is named (a school that spans two)."""
    region = region or school_region()
    try:
        return PolicyYear.objects.select_related("region").get(year=year, region__code=region)
    except PolicyYear.DoesNotExist:
        raise PolicyYearAmbiguous(
            f"没有 {year} 年度（{region}）的医保年度数据。", code="no_policy_year"
        ) from None


def policy_years_school_first() -> QuerySet[PolicyYear]:
    """Every policy year for a drop-down: the school's region's first, latest year first;
    the other regions' years follow, for a school that spans two."""
    return (
        PolicyYear.objects.select_related("region")
        .annotate(
            other_region=Case(
                When(region__code=school_region(), then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("other_region", "-year", "region__code")
    )
