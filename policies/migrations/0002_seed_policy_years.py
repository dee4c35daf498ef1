"""Seed data: regions, exclusion categories, the catastrophic disease list and the
published policy years shanghai-2025, shanghai-2026 and wuhan-2025.

The numbers come from policies/catalog.py (each traced there to its seed document); the
calendar dates, which the rule engine does not use, are here."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import migrations

from policies.catalog import CATALOG
from policies.engine import EXCLUSION_LABELS

SHANGHAI_TIME = ZoneInfo("Asia/Shanghai")

REGIONS = {"shanghai": "上海市", "wuhan": "武汉市"}

# shanghai-student-insurance-guide-2024-11.txt Q7 (大病保险范围).
CATASTROPHIC_DISEASES = {
    "uremia_dialysis": "重症尿毒症透析治疗",
    "kidney_transplant": "肾移植抗排异治疗",
    "malignant_tumour": "恶性肿瘤治疗（化学治疗、内分泌特异治疗、放射治疗、同位素治疗、介入治疗、中医治疗）",
    "schizophrenia": "精神分裂症",
    "depression": "中重度抑郁症",
    "mania": "躁狂症",
    "ocd": "强迫症",
    "retardation_mental_disorder": "精神发育迟缓伴发精神障碍",
    "epilepsy_mental_disorder": "癫痫伴发精神障碍",
    "paranoid_psychosis": "偏执性精神病",
    "haemophilia": "血友病",
    "aplastic_anaemia": "再生障碍性贫血",
}

# (collective window, family mutual-aid deadline, freshman declaration window, freshman
# premium waived, source)
CALENDARS = {
    # shanghai-student-insurance-guide-2024-11.txt Q3 (window 2024-11-11 to 2024-12-20),
    # Q18 (共济缴费 by 20 Dec 17:00), Q4 (freshman premium waived); sjtu rules art. 19
    # (freshman lists uploaded "一般为 8-10 月"), closing the day before the next window.
    "shanghai-2025": (
        (date(2024, 11, 11), date(2024, 12, 20)),
        datetime(2024, 12, 20, 17, 0, tzinfo=SHANGHAI_TIME),
        (date(2025, 8, 1), date(2025, 11, 10)),
        True,
        "shanghai-student-insurance-guide-2024-11.txt; shanghai-2025-student-insurance-faq.txt; "
        "sjtu-student-health-and-insurance-rules-2025.txt",
    ),
    # Same calendar one year on, until the city publishes its 2026 notice.
    "shanghai-2026": (
        (date(2025, 11, 11), date(2025, 12, 20)),
        datetime(2025, 12, 20, 17, 0, tzinfo=SHANGHAI_TIME),
        (date(2026, 8, 1), date(2026, 11, 10)),
        True,
        "shanghai-2025 numbers carried over (shanghai-2025-student-insurance-faq.txt §5)",
    ),
    # wuhan-2025-student-insurance-notice.txt gives no window dates: these mirror Shanghai's
    # and are to be edited once the district bureau announces them. The freshman pays the
    # entry-year premium (Q&A 三(三)).
    "wuhan-2025": (
        (date(2024, 11, 11), date(2024, 12, 20)),
        datetime(2024, 12, 20, 17, 0, tzinfo=SHANGHAI_TIME),
        (date(2025, 8, 1), date(2025, 11, 10)),
        False,
        "wuhan-2025-student-insurance-notice.txt (window dates not given there)",
    ),
}

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


def seed(apps, schema_editor):
    Region = apps.get_model("policies", "Region")
    PolicyYear = apps.get_model("policies", "PolicyYear")
    BenefitRule = apps.get_model("policies", "BenefitRule")
    CatastrophicTier = apps.get_model("policies", "CatastrophicTier")
    ExclusionCategory = apps.get_model("policies", "ExclusionCategory")
    CatastrophicDisease = apps.get_model("policies", "CatastrophicDisease")

    for code, name in EXCLUSION_LABELS.items():
        ExclusionCategory.objects.get_or_create(code=code, defaults={"name": name})
    for code, name in CATASTROPHIC_DISEASES.items():
        CatastrophicDisease.objects.get_or_create(code=code, defaults={"name": name})
    regions = {
        code: Region.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in REGIONS.items()
    }

    for code in CALENDARS:  # later years are seeded by later migrations
        rules = CATALOG[code]
        if PolicyYear.objects.filter(code=code).exists():
            continue
        collective, family_aid_deadline, freshman, waived, source = CALENDARS[code]
        policy_year = PolicyYear.objects.create(
            region=regions[code.split("-")[0]],
            year=rules.year,
            code=code,
            status="published",
            freshman_premium_waived=waived,
            collective_window_opens_on=collective[0],
            collective_window_closes_on=collective[1],
            family_aid_deadline_at=family_aid_deadline,
            freshman_window_opens_on=freshman[0],
            freshman_window_closes_on=freshman[1],
            source=source,
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
    dependencies = [("policies", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
