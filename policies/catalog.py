"""The seed policy years as pure data (no Django): the fixtures are built from these.

Every number names the seed file in ``shared/seeds/`` it comes from:

* SH-GUIDE = shanghai-student-insurance-guide-2024-11.txt
* SH-FAQ   = shanghai-2025-student-insurance-faq.txt
* SJTU     = sjtu-student-health-and-insurance-rules-2025.txt
* WUHAN    = wuhan-2025-student-insurance-notice.txt
* XIANDA   = xianda-freshman-confirmation-walkthrough.txt
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from policies.engine import SCHOOL_OUTPATIENT_FUND, BenefitRule, CatastrophicTier, PolicyYearRules


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
    # clinic's referral (转诊单). The school pays it from its own outpatient fund, not the
    # basic fund: it does not use up the basic annual cap, which 六.8 gives for inpatient care.
    return BenefitRule(
        "outpatient",
        level,
        Decimal("0.70"),
        annual_limit=Decimal("400.00"),
        referral_required=level != "campus",
        payer=SCHOOL_OUTPATIENT_FUND,
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
    # WUHAN cites 国办发〔2024〕38号 but gives no waiting-period numbers of its own (only
    # Q&A 三(三): none for a paying freshman): these are the ones SH-GUIDE Q5 spells out for
    # the same national rule, marked assumed in ASSUMED below.
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

# Until Wuhan publishes its 2026 standard: the 2025 numbers, a draft the office completes.
WUHAN_2026 = replace(WUHAN_2025, code="wuhan-2026", year=2026)

CATALOG = {rules.code: rules for rules in (SHANGHAI_2025, SHANGHAI_2026, WUHAN_2025, WUHAN_2026)}


@dataclass(frozen=True)
class Calendar:
    """A policy year's dates (the rule engine does not use them) and where its values come
    from. ``assumed`` maps a PolicyYear field to why its value is assumed, in the words staff
    see beside it; ``source`` is the 政策依据 shown to staff."""

    collective_window: tuple[date, date]
    family_aid_deadline_at: datetime | None  # None: the region sets no deadline
    freshman_window: tuple[date, date]
    freshman_premium_waived: bool
    source: str
    status: str = "published"
    assumed: dict[str, str] = field(default_factory=dict)


SHANGHAI_TIME = ZoneInfo("Asia/Shanghai")

CALENDAR_FIELDS = (
    "collective_window_opens_on",
    "collective_window_closes_on",
    "family_aid_deadline_at",
    "freshman_window_opens_on",
    "freshman_window_closes_on",
)
WAITING_FIELDS = (
    "waiting_fixed_months",
    "waiting_months_per_gap_year",
    "waiting_months_removed_per_back_paid_year",
    "waiting_floor_months",
    "waiting_floor_from_gap_years",
    "gaps_counted_from_year",
)
NOT_IN_WUHAN_NOTICE = "沿用上海，武汉文件未规定"
# WUHAN 十 sets no deadline for family mutual aid (the parents apply after the school has
# paid): the year has none, which is not an assumption.
WUHAN_ASSUMED = {
    **{
        name: NOT_IN_WUHAN_NOTICE
        for name in (*CALENDAR_FIELDS, *WAITING_FIELDS)
        if name != "family_aid_deadline_at"
    },
    # SH-GUIDE Q12 gives 6 months to claim emergency costs paid in cash; WUHAN none
    "claim_window_months": NOT_IN_WUHAN_NOTICE,
    "catastrophic_insurers": "武汉文件未列出承办大病保险的保险公司，待医保经办部门告知后填写",
    # not a PolicyYear field: the year's special-group rules (SpecialGroupRule), shown on
    # their inline
    "special_groups": "武汉通知（三）只规定学校向每名学生代收400元，未规定低保、重残等"
    "困难学生的缴费资助，故不设特殊群体；如有本地资助政策请补充",
}
NOT_YET_PUBLISHED = "沿用2025年度，2026年度标准尚未公布"

# the documents' titles as staff know them (the seed files under shared/seeds are named in
# English; 0010 replaced those names in the 政策依据 staff read)
SH_GUIDE_TITLE = "《关于居民医保就医结算操作介绍（大学生2024年11月版）》"
SH_FAQ_TITLE = "《上海市城乡居民医疗保险2025年大学生参保热点问答》"
SJTU_RULES_TITLE = "《上海交通大学学生基本健康管理与医疗保障实施细则》（2025年）"

WUHAN_2025_SOURCE = (
    "武汉市医疗保障局《关于切实做好2025年度大学生参保工作的通知》。"
    "集中参保期、新生申报期和待遇等待期该通知"
    "未规定，沿用上海，待所在区医保经办部门公布后更正；家庭共济缴费按该通知第十条办理，"
    "不设截止时间，保费由医保部门退还缴费人。"
)

CALENDARS = {
    # SH-GUIDE Q3 (window 2024-11-11 to 2024-12-20), Q18 (共济缴费 by 20 Dec 17:00), Q4
    # (freshman premium waived); SJTU art. 19 (freshman lists "一般为 8-10 月"), closing the
    # day before the next window.
    "shanghai-2025": Calendar(
        (date(2024, 11, 11), date(2024, 12, 20)),
        datetime(2024, 12, 20, 17, 0, tzinfo=SHANGHAI_TIME),
        (date(2025, 8, 1), date(2025, 11, 10)),
        freshman_premium_waived=True,
        source=f"{SH_GUIDE_TITLE}；{SH_FAQ_TITLE}；{SJTU_RULES_TITLE}。",
    ),
    "shanghai-2026": Calendar(
        (date(2025, 11, 11), date(2025, 12, 20)),
        datetime(2025, 12, 20, 17, 0, tzinfo=SHANGHAI_TIME),
        (date(2026, 8, 1), date(2026, 11, 10)),
        freshman_premium_waived=True,
        source="沿用上海 2025 年度的标准与日程，待上海市公布 2026 年度通知后更正"
        f"（{SH_FAQ_TITLE}第五部分）。",
    ),
    # WUHAN gives no window, deadline or freshman declaration dates: Shanghai's, marked
    # assumed. The freshman pays the entry-year premium (Q&A 三(三)).
    "wuhan-2025": Calendar(
        (date(2024, 11, 11), date(2024, 12, 20)),
        None,  # WUHAN 十: no deadline
        (date(2025, 8, 1), date(2025, 11, 10)),
        freshman_premium_waived=False,
        source=WUHAN_2025_SOURCE,
        assumed=WUHAN_ASSUMED,
    ),
    "wuhan-2026": Calendar(
        (date(2025, 11, 11), date(2025, 12, 20)),
        None,  # WUHAN 十: no deadline
        (date(2026, 8, 1), date(2026, 11, 10)),
        freshman_premium_waived=False,
        source="草稿：沿用武汉 2025 年度的标准与日程，待武汉市公布 2026 年度通知后更正、发布。",
        status="draft",
        assumed={"premium": NOT_YET_PUBLISHED, **WUHAN_ASSUMED},
    ),
}


@dataclass(frozen=True)
class CityPractice:
    """What a region's office does differently in a year (issue #14 points 3-5), as the
    PolicyYear fields of the same names (PRACTICE_FIELDS), and its special groups
    (category → SpecialGroupRule treatment; a category not listed pays itself)."""

    family_aid_refunded_by_school: bool
    family_aid_for_freshmen: bool
    freshman_confirms_in_app: bool
    freshman_confirmation_channel: str
    freshman_cover_needs_full_premium: bool
    claim_window_months: int
    catastrophic_insurers: tuple[str, ...]
    special_groups: dict[str, str] = field(default_factory=dict)


PRACTICE_FIELDS = (
    "family_aid_refunded_by_school",
    "family_aid_for_freshmen",
    "freshman_confirms_in_app",
    "freshman_confirmation_channel",
    "freshman_cover_needs_full_premium",
    "claim_window_months",
    "catastrophic_insurers",
)

SHANGHAI_PRACTICE = CityPractice(
    # SH-GUIDE Q18 / SJTU: "经医保审核为共济建账成功后由各院校退回参保费用": the school
    # refunds what it collected; only collective enrollments (SH-GUIDE Q4: the freshman's
    # entry year is free, nothing to pay by mutual aid).
    family_aid_refunded_by_school=True,
    family_aid_for_freshmen=False,
    # SH-GUIDE Q4: "学生通过随申办APP-居保参保确认事项，完成参保确认及承诺"; XIANDA.
    freshman_confirms_in_app=True,
    freshman_confirmation_channel="随申办",
    # SH-GUIDE Q4: 个人免缴入学当年的居民医保个人缴费部分: cover needs no payment.
    freshman_cover_needs_full_premium=False,
    # SH-GUIDE Q12: "可在凭证开具之日起的6个月内…申请报销".
    claim_window_months=6,
    # SH-GUIDE Q8: "承办城乡居民大病理赔的保险公司有四家".
    catastrophic_insurers=(
        "中国人寿保险股份有限公司上海市分公司",
        "中国人民财产保险股份有限公司上海市分公司",
        "中国太平洋人寿保险有限公司上海市分公司",
        "中国大地财产保险股份有限公司上海分公司",
    ),
    # SH-GUIDE Q9, SJTU art. 18: "本市重残大学生个人不缴费…无需院校申报" (exempt);
    # "低保家庭大学生的个人参保缴费…享受政府补助" (government); "家庭经济困难学生的个人
    # 参保缴费…可由各院校酌情帮助解决" (school fund).
    special_groups={
        "severe_disability": "exempt",
        "low_income_family": "government",
        "hardship": "school_fund",
    },
)

WUHAN_PRACTICE = CityPractice(
    # WUHAN 十(二)-(三): "学校统一完成大学生医保费缴纳后，大学生父母再…申请办理" and
    # "原缴费额将从账户余额返还至个人填报的银行账户中": the bureau returns the premium to
    # the payer, the school refunds nothing and remits as usual; freshmen too (the parents
    # of any 武汉大学生).
    family_aid_refunded_by_school=False,
    family_aid_for_freshmen=True,
    # WUHAN 三: "批量参保登记、医保费代收代缴": the school registers freshmen, no app step.
    freshman_confirms_in_app=False,
    freshman_confirmation_channel="",
    # WUHAN Q&A 三(三): "足额缴纳入学当年…个人应缴保费部分，即可享受入学当年9月1日至
    # 12月31日的居民医保待遇".
    freshman_cover_needs_full_premium=True,
    claim_window_months=6,  # not in WUHAN: SH-GUIDE Q12's, marked assumed
    catastrophic_insurers=(),  # not in WUHAN: marked assumed
    # WUHAN 三: "代收代缴居民医保费" from every student, 400 each: no special groups.
    special_groups={},
)

PRACTICES = {
    "shanghai-2025": SHANGHAI_PRACTICE,
    "shanghai-2026": SHANGHAI_PRACTICE,
    "wuhan-2025": WUHAN_PRACTICE,
    "wuhan-2026": WUHAN_PRACTICE,
}
