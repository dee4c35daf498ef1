"""The seed policy years as pure data (no Django): the fixtures are built from these.

Every number names the seed file in ``shared/seeds/`` it comes from:

* SH-GUIDE = shanghai-student-insurance-guide-2024-11.txt
* SH-FAQ   = shanghai-2025-student-insurance-faq.txt
* SJTU     = sjtu-student-health-and-insurance-rules-2025.txt
* WUHAN    = wuhan-2025-student-insurance-notice.txt
"""

from dataclasses import replace
from decimal import Decimal

from policies.engine import BenefitRule, CatastrophicTier, PolicyYearRules


def _shanghai_stay(care: str) -> tuple[BenefitRule, ...]:
    # Per-stay deductible 50 / 100 / 300 and 80% / 75% / 60%: SH-GUIDE Q7 住院医疗,
    # SH-FAQ §5 住院待遇, SJTU art. 29.
    return (
        BenefitRule(care, "1", Decimal("0.80"), Decimal("50.00"), "per_stay"),
        BenefitRule(care, "2", Decimal("0.75"), Decimal("100.00"), "per_stay"),
        BenefitRule(care, "3", Decimal("0.60"), Decimal("300.00"), "per_stay"),
    )


SHANGHAI_2025 = PolicyYearRules(
    code="shanghai-2025",
    year=2025,
    premium=Decimal("355.00"),  # SH-GUIDE Q2: 355元/人/年
    benefit_rules=(
        # 门急诊 (SH-GUIDE Q7, SH-FAQ §5, SJTU art. 29): campus clinic 80%, not counted toward
        # the deductible; off campus 300 a year, then 70% / 60% / 50% at levels 1 / 2 / 3.
        BenefitRule(
            "outpatient",
            "campus",
            Decimal("0.80"),
            deductible_basis="none",
            counts_toward_yearly_deductible=False,
        ),
        BenefitRule("outpatient", "1", Decimal("0.70"), Decimal("300.00"), "per_year"),
        BenefitRule("outpatient", "2", Decimal("0.60"), Decimal("300.00"), "per_year"),
        BenefitRule("outpatient", "3", Decimal("0.50"), Decimal("300.00"), "per_year"),
        *_shanghai_stay("inpatient"),
        # SJTU art. 30: childbirth costs are paid "按大学生医保的相关规定", i.e. the student
        # rules: a delivery stay is settled as an inpatient stay. Prenatal outpatient visits are
        # entered as care "outpatient".
        *_shanghai_stay("maternity"),
        # No chronic_outpatient rule: none of the Shanghai seeds gives one, so the engine
        # raises ValueError for it.
    ),
    # The seeds give no community-centre row; a community health centre is a level-1 facility.
    community_as_level_1=True,
    emergency_as_outpatient=True,  # SH-GUIDE Q7: 门急诊 share one 300 yearly deductible
    basic_annual_cap=None,  # none in the Shanghai seeds
    # SH-GUIDE Q7 / SJTU art. 31: only for the listed catastrophic diseases, 60% of the
    # personal burden after the basic fund, 65% for 低保 / 低收入 family members.
    catastrophic_requires_disease=True,
    catastrophic_tiers=(CatastrophicTier(Decimal("0.00"), Decimal("0.60"), Decimal("0.65")),),
    catastrophic_cap=Decimal("400000.00"),  # SH-FAQ §5: 年度最高支付限额为 40 万
    # Waiting period, SH-GUIDE Q3/Q5/Q6, SJTU art. 20: fixed 3 months, +1 month per gap year,
    # -1 per back-paid year, at least 6 months after 4+ gap years, gaps counted from 2025.
    waiting_fixed_months=3,
    waiting_months_per_gap_year=1,
    waiting_months_removed_per_back_paid_year=1,
    waiting_floor_months=6,
    waiting_floor_from_gap_years=4,
    gaps_counted_from_year=2025,
    # SH-GUIDE Q4, SJTU art. 19: from registration, 1 Sep when registered in August.
    freshman_august_starts_on_september=True,
    freshman_always_starts_on_september=False,
)

# SH-FAQ §5: "2026 年是否变化需及时关注医保动态": the 2025 numbers until the city publishes.
# Premium 355.00 as in 2025 (SH-GUIDE Q2).
SHANGHAI_2026 = replace(SHANGHAI_2025, code="shanghai-2026", year=2026, premium=Decimal("355.00"))


def _wuhan_stay(level: str, ratio: str, deductible: str) -> BenefitRule:
    # WUHAN 六.2 deductibles 200 / 400 / 800, 六.5 ratios 90% / 70% / 60%; 六.3 from the
    # second stay in the year at a level-2/3 facility the deductible is halved, never further.
    return BenefitRule(
        "inpatient",
        level,
        Decimal(ratio),
        Decimal(deductible),
        "per_stay",
        repeat_stay_factor=Decimal("0.5"),
        repeat_stay_levels=("2", "3"),
    )


def _wuhan_school_outpatient(level: str) -> BenefitRule:
    # WUHAN 五.1: the school pays ordinary outpatient care at >= 70% up to >= 400 a year; we
    # take the minimums. No deductible is mentioned. 五.2-3: off campus only with the campus
    # clinic's referral (转诊单).
    return BenefitRule(
        "outpatient",
        level,
        Decimal("0.70"),
        annual_limit=Decimal("400.00"),
        referral_required=level != "campus",
    )


WUHAN_2025 = PolicyYearRules(
    code="wuhan-2025",
    year=2025,
    premium=Decimal("400.00"),  # WUHAN 三 and Q&A 三: 每人400元
    benefit_rules=(
        *(_wuhan_school_outpatient(level) for level in ("campus", "1", "2", "3")),
        _wuhan_stay("1", "0.90", "200.00"),
        _wuhan_stay("2", "0.70", "400.00"),
        _wuhan_stay("3", "0.60", "800.00"),
        # WUHAN 七: 门诊慢特病 90%; no deductible or level difference is given.
        *(BenefitRule("chronic_outpatient", level, Decimal("0.90")) for level in ("1", "2", "3")),
    ),
    # WUHAN 六.2 / 六.5: a community health centre uses the level-1 deductible and ratio.
    community_as_level_1=True,
    emergency_as_outpatient=True,
    # WUHAN 六.6: 生育住院 follows the inpatient ratios, no deductible, inside the annual cap.
    maternity_as_inpatient_without_deductible=True,
    basic_annual_cap=Decimal("150000.00"),  # WUHAN 六.8: 最高报销 15 万元
    # WUHAN 六.9: any in-scope personal burden, cumulative over the year, paid per settlement:
    # 12,000-30,000 60%, 30,000-100,000 65%, above 100,000 75%; no separate low-income rate.
    catastrophic_requires_disease=False,
    catastrophic_tiers=(
        CatastrophicTier(Decimal("12000.00"), Decimal("0.60"), Decimal("0.60")),
        CatastrophicTier(Decimal("30000.00"), Decimal("0.65"), Decimal("0.65")),
        CatastrophicTier(Decimal("100000.00"), Decimal("0.75"), Decimal("0.75")),
    ),
    catastrophic_cap=Decimal("300000.00"),  # WUHAN 六.9: 年度支付限额为 30 万元
    # WUHAN cites 国办发〔2024〕38号, whose waiting-period rules are the ones SH-GUIDE Q5
    # spells out; the Wuhan notice gives no numbers of its own, so the defaults apply.
    waiting_fixed_months=3,
    waiting_months_per_gap_year=1,
    waiting_months_removed_per_back_paid_year=1,
    waiting_floor_months=6,
    waiting_floor_from_gap_years=4,
    gaps_counted_from_year=2025,
    # WUHAN Q&A 三(三): a freshman who pays gets 1 Sep - 31 Dec of the entry year, no waiting.
    freshman_august_starts_on_september=True,
    freshman_always_starts_on_september=True,
)

CATALOG = {rules.code: rules for rules in (SHANGHAI_2025, SHANGHAI_2026, WUHAN_2025)}
