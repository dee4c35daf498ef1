"""Issue #14 point 6: mark the values of the seeded years that their region's documents do
not give as assumed, with the 政策依据 in Chinese, seed wuhan-2026 as a draft, and give the
roles the calendar corrections' permissions. Values, marks and sources come from
policies/catalog.py (CATALOG and CALENDARS)."""

from django.db import migrations

from config.roles import sync_roles_migration
from policies.catalog import CALENDARS, CATALOG

SEEDED_BY_0002 = ("shanghai-2025", "shanghai-2026", "wuhan-2025")

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


def mark_and_seed(apps, schema_editor):
    Region = apps.get_model("policies", "Region")
    PolicyYear = apps.get_model("policies", "PolicyYear")
    BenefitRule = apps.get_model("policies", "BenefitRule")
    CatastrophicTier = apps.get_model("policies", "CatastrophicTier")

    for code in SEEDED_BY_0002:
        calendar = CALENDARS[code]
        PolicyYear.objects.filter(code=code).update(
            source=calendar.source, assumed=calendar.assumed
        )

    code = "wuhan-2026"
    if PolicyYear.objects.filter(code=code).exists():
        return
    rules, calendar = CATALOG[code], CALENDARS[code]
    policy_year = PolicyYear.objects.create(
        region=Region.objects.get_or_create(code="wuhan", defaults={"name": "武汉市"})[0],
        year=rules.year,
        code=code,
        status=calendar.status,
        freshman_premium_waived=calendar.freshman_premium_waived,
        collective_window_opens_on=calendar.collective_window[0],
        collective_window_closes_on=calendar.collective_window[1],
        # required until 0008 (the catalog now gives Wuhan none): 0009 clears it
        family_aid_deadline_at=calendar.family_aid_deadline_at
        or CALENDARS["shanghai-2026"].family_aid_deadline_at,
        freshman_window_opens_on=calendar.freshman_window[0],
        freshman_window_closes_on=calendar.freshman_window[1],
        source=calendar.source,
        assumed=calendar.assumed,
        **{name: getattr(rules, name) for name in SCALAR_FIELDS},
    )
    BenefitRule.objects.bulk_create(
        BenefitRule(
            policy_year=policy_year,
            care=rule.care,
            level=rule.level,
            ratio=rule.ratio,
            deductible=rule.deductible,
            deductible_basis=rule.deductible_basis,
            counts_toward_yearly_deductible=rule.counts_toward_yearly_deductible,
            annual_limit=rule.annual_limit,
            referral_required=rule.referral_required,
            repeat_stay_factor=rule.repeat_stay_factor,
            repeat_stay_levels=",".join(rule.repeat_stay_levels),
            payer=rule.payer,
        )
        for rule in rules.benefit_rules
    )
    CatastrophicTier.objects.bulk_create(
        CatastrophicTier(
            policy_year=policy_year,
            floor=tier.floor,
            ratio=tier.ratio,
            low_income_ratio=tier.low_income_ratio,
        )
        for tier in rules.catastrophic_tiers
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("policies", "0006_policy_year_assumed_and_calendar_corrections"),
    ]

    operations = [
        migrations.RunPython(mark_and_seed, migrations.RunPython.noop),
        # the calendar corrections' permissions for the roles (config/roles.py)
        migrations.RunPython(sync_roles_migration, migrations.RunPython.noop),
    ]
