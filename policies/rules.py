"""The benefit rule engine: pure values in, pure values out.

No Django, no ORM, no settings, no I/O and no clock: everything a rule needs is an argument,
and every number is data of a ``PolicyYearRules`` snapshot (see ``policies/catalog.py``).
No rule branches on a city's name.

Sources (Chinese originals in ``shared/seeds/``):

* shanghai-student-insurance-guide-2024-11.txt (Q3 waiting period, Q4 freshmen, Q7 benefits)
* shanghai-2025-student-insurance-faq.txt (§5 the 2025 benefit table, catastrophic cap)
* sjtu-student-health-and-insurance-rules-2025.txt (art. 27 exclusions, art. 30 maternity)
* wuhan-2025-student-insurance-notice.txt (Q&A 五 outpatient, 六 inpatient, 七 chronic)

Money is ``Decimal`` quantised to the fen with ROUND_HALF_UP, through ``fen()`` only.
"""

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CARE_TYPES = ("outpatient", "emergency", "inpatient", "maternity", "chronic_outpatient")
LEVELS = ("campus", "community", "1", "2", "3")
CATEGORIES = ("standard", "low_income_family", "low_income", "severe_disability", "hardship")
EXCLUSIONS = (
    "abroad",
    "checkup",
    "vaccine",
    "ambulance",
    "cosmetic",
    "orthopaedic",
    "third_party",
    "work_injury",
    "alcohol_drugs",
    "non_covered",
)
DEDUCTIBLE_BASES = ("per_year", "per_stay", "none")
ENROLLMENT_KINDS = ("collective", "freshman", "late")
LOW_INCOME_CATEGORIES = ("low_income_family", "low_income")

# Outcome of one expense (ExpenseResult.status).
COVERED = "covered"
EXCLUDED = "excluded"
OUT_OF_COVER = "out_of_cover"
NO_REFERRAL = "no_referral"

CARE_LABELS = {
    "outpatient": "普通门诊",
    "emergency": "急诊",
    "inpatient": "住院",
    "maternity": "生育",
    "chronic_outpatient": "门诊慢特病",
}
LEVEL_LABELS = {
    "campus": "校内医疗机构",
    "community": "社区卫生服务中心",
    "1": "一级医疗机构",
    "2": "二级医疗机构",
    "3": "三级医疗机构",
}
CATEGORY_LABELS = {
    "standard": "普通大学生",
    "low_income_family": "低保家庭",
    "low_income": "低收入家庭",
    "severe_disability": "重残",
    "hardship": "家庭经济困难",
}
# sjtu-student-health-and-insurance-rules-2025.txt art. 27 (不适用范围). Its 传染病防治 has no
# code of its own: record such items as "non_covered".
EXCLUSION_LABELS = {
    "abroad": "境外（含港澳台）就医",
    "checkup": "健康体检",
    "vaccine": "疫苗接种",
    "ambulance": "救护车费",
    "cosmetic": "美容",
    "orthopaedic": "矫形手术",
    "third_party": "应由第三方负担的费用（如交通事故、打架斗殴）",
    "work_injury": "应由工伤保险支付的费用",
    "alcohol_drugs": "酗酒、吸毒所致费用",
    "non_covered": "票据标明的非医保报销范围项目",
}

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def fen(value: Decimal | str | float) -> Decimal:
    """Quantise money to the fen (0.01), rounding half up.

    A float goes through ``str()`` first so that 2.675 rounds like the number as written
    (2.68), not like its binary approximation.
    """
    if isinstance(value, float):
        value = str(value)
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"not an amount of money: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount of money: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def add_months(day: date, months: int) -> date:
    """Same day of the month ``months`` later, clamped to the month's end (31 May + 4 = 30 Sep)."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _check_choice(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")


def _check_ratio(value: Decimal, what: str) -> None:
    if not Decimal(0) <= value <= Decimal(1):
        raise ValueError(f"{what} must be between 0 and 1, got {value}")


def _check_not_negative(value: Decimal | int | None, what: str) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{what} must not be negative, got {value}")


# --- policy data ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BenefitRule:
    """Deductible, ratio and limits for one care type at one facility level."""

    care: str
    level: str
    ratio: Decimal
    deductible: Decimal = Decimal(0)
    deductible_basis: str = "none"
    counts_toward_yearly_deductible: bool = True
    annual_limit: Decimal | None = None
    referral_required: bool = False
    repeat_stay_factor: Decimal | None = None
    repeat_stay_levels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_choice(self.care, CARE_TYPES, "care type")
        _check_choice(self.level, LEVELS, "facility level")
        _check_choice(self.deductible_basis, DEDUCTIBLE_BASES, "deductible basis")
        _check_ratio(self.ratio, f"ratio of {self.care}/{self.level}")
        _check_not_negative(self.deductible, f"deductible of {self.care}/{self.level}")
        _check_not_negative(self.annual_limit, f"annual limit of {self.care}/{self.level}")
        if self.repeat_stay_factor is not None:
            _check_ratio(self.repeat_stay_factor, f"repeat-stay factor of {self.care}/{self.level}")
        for level in self.repeat_stay_levels:
            _check_choice(level, LEVELS, "repeat-stay level")


@dataclass(frozen=True)
class CatastrophicTier:
    """One band of catastrophic cover: ``ratio`` of the yearly burden above ``floor``.

    The band ends where the next tier's floor begins.
    """

    floor: Decimal
    ratio: Decimal
    low_income_ratio: Decimal

    def __post_init__(self) -> None:
        _check_not_negative(self.floor, "catastrophic tier floor")
        _check_ratio(self.ratio, "catastrophic tier ratio")
        _check_ratio(self.low_income_ratio, "catastrophic tier low-income ratio")


@dataclass(frozen=True)
class PolicyYearRules:
    """One region's rules for one calendar year of cover: a frozen snapshot of the policy year.

    ``freshman_always_starts_on_september`` (an addition to the shared contract): Wuhan gives a
    paying freshman 1 Sep - 31 Dec whatever the registration date (wuhan notice Q&A 三(三)).
    """

    code: str
    year: int
    premium: Decimal
    benefit_rules: tuple[BenefitRule, ...]
    community_as_level_1: bool = False
    emergency_as_outpatient: bool = True
    maternity_as_inpatient_without_deductible: bool = False
    basic_annual_cap: Decimal | None = None
    catastrophic_requires_disease: bool = True
    catastrophic_tiers: tuple[CatastrophicTier, ...] = ()
    catastrophic_cap: Decimal | None = None
    waiting_fixed_months: int = 3
    waiting_months_per_gap_year: int = 1
    waiting_months_removed_per_back_paid_year: int = 1
    waiting_floor_months: int = 6
    waiting_floor_from_gap_years: int = 4
    gaps_counted_from_year: int = 2025
    freshman_august_starts_on_september: bool = True
    freshman_always_starts_on_september: bool = False

    def __post_init__(self) -> None:
        seen: set[tuple[str, str]] = set()
        for rule in self.benefit_rules:
            key = (rule.care, rule.level)
            if key in seen:
                raise ValueError(f"{self.code}: two benefit rules for {rule.care}/{rule.level}")
            seen.add(key)
        floors = [tier.floor for tier in self.catastrophic_tiers]
        if floors != sorted(set(floors)):
            raise ValueError(f"{self.code}: catastrophic tier floors must strictly increase")
        _check_not_negative(self.premium, "premium")
        _check_not_negative(self.basic_annual_cap, "basic annual cap")
        _check_not_negative(self.catastrophic_cap, "catastrophic cap")
        for name in (
            "waiting_fixed_months",
            "waiting_months_per_gap_year",
            "waiting_months_removed_per_back_paid_year",
            "waiting_floor_months",
            "waiting_floor_from_gap_years",
        ):
            _check_not_negative(getattr(self, name), name)


# --- the insured person ---------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """A student whose cover is already known (e.g. stored on the enrollment).

    ``cover_start`` is the first day of benefits, waiting period already included;
    ``waiting_months`` only explains, in the reasons, why earlier expenses pay nothing.

    ``category`` changes only the catastrophic ratio here. The government / school subsidies of
    deductibles for 低保, 重残 and 家庭经济困难 students (shanghai guide Q9, sjtu art. 18) are
    granted afterwards by the community centre or the school and are out of this engine's scope.
    """

    category: str = "standard"
    cover_start: date | None = None
    cover_end: date | None = None
    waiting_months: int = 0

    def __post_init__(self) -> None:
        _check_choice(self.category, CATEGORIES, "category")
        _check_not_negative(self.waiting_months, "waiting months")


@dataclass(frozen=True)
class EnrollmentFacts:
    """How a student enrolled for the policy year; ``cover_for`` turns it into a ``Cover``.

    ``gap_years`` are counted from ``PolicyYearRules.gaps_counted_from_year`` on: that counting
    is the caller's job. ``category`` is an addition to the shared contract (see ``Member``).
    """

    kind: str
    declared_on: date | None = None
    paid_on: date | None = None
    registered_on: date | None = None
    gap_years: int = 0
    back_paid_years: int = 0
    category: str = "standard"

    def __post_init__(self) -> None:
        _check_choice(self.kind, ENROLLMENT_KINDS, "enrollment kind")
        _check_choice(self.category, CATEGORIES, "category")
        _check_not_negative(self.gap_years, "gap years")
        _check_not_negative(self.back_paid_years, "back-paid years")


@dataclass(frozen=True)
class Cover:
    """Benefits run from ``start`` (waiting period already served) to ``end``, both inclusive.

    ``waiting_from`` (an addition) is the day the waiting period began, when known; a ``start``
    after ``end`` means no benefits in this year.
    """

    start: date
    end: date
    waiting_months: int
    waiting_from: date | None = None


# --- expenses and results -------------------------------------------------------------------


@dataclass(frozen=True)
class Expense:
    """One bill. Parts of one hospital stay (a transfer) share the same ``stay`` key; a
    per-stay bill without a key is a stay of its own."""

    date: date
    care: str
    level: str
    in_scope: Decimal
    out_of_scope: Decimal = Decimal(0)
    catastrophic_disease: bool = False
    excluded: str | None = None
    referral: bool = False
    stay: str | None = None

    def __post_init__(self) -> None:
        _check_choice(self.care, CARE_TYPES, "care type")
        _check_choice(self.level, LEVELS, "facility level")
        if self.excluded is not None:
            _check_choice(self.excluded, EXCLUSIONS, "exclusion")
        _check_not_negative(self.in_scope, "in-scope amount")
        _check_not_negative(self.out_of_scope, "out-of-scope amount")


@dataclass(frozen=True)
class ExpenseResult:
    """The breakdown of one expense; ``status`` (an addition) is one of COVERED, EXCLUDED,
    OUT_OF_COVER, NO_REFERRAL."""

    deductible: Decimal
    fund: Decimal
    catastrophic: Decimal
    student: Decimal
    reasons: tuple[str, ...]
    status: str = COVERED


@dataclass(frozen=True)
class Totals:
    fund: Decimal
    catastrophic: Decimal
    student: Decimal


@dataclass(frozen=True)
class Estimate:
    cover: Cover
    expenses: tuple[ExpenseResult, ...]
    totals: Totals


# --- waiting period and cover dates ---------------------------------------------------------


def waiting_months(rules: PolicyYearRules, *, gap_years: int, back_paid_years: int) -> int:
    """Months of waiting for a late or non-continuous enrollment.

    Fixed 3 months, plus 1 variable month per gap year, minus 1 variable month per back-paid
    year (the variable part never below 0); after 4 or more gap years fixed + variable is at
    least 6 months (shanghai guide Q5, sjtu art. 20, shanghai faq Q4; 国办发〔2024〕38号).
    A collective, continuous enrollment has no waiting at all: ``cover_for`` never asks.
    """
    _check_not_negative(gap_years, "gap years")
    _check_not_negative(back_paid_years, "back-paid years")
    if back_paid_years > gap_years:
        raise ValueError(f"cannot back-pay {back_paid_years} years with only {gap_years} gap years")
    variable = max(
        gap_years * rules.waiting_months_per_gap_year
        - back_paid_years * rules.waiting_months_removed_per_back_paid_year,
        0,
    )
    total = rules.waiting_fixed_months + variable
    if gap_years >= rules.waiting_floor_from_gap_years:
        total = max(total, rules.waiting_floor_months)
    return total


def cover_for(rules: PolicyYearRules, facts: EnrollmentFacts) -> Cover:
    """Benefit dates for one enrollment in ``rules.year``.

    * collective, continuous: 1 Jan - 31 Dec, no waiting (shanghai guide Q3/Q5);
    * collective with gap years: the waiting runs from 1 January;
    * late: benefits start at the later of (declaration + waiting) and the payment date;
      worked example, shanghai guide Q3: declared 5 Mar 2025, paid before 5 Jun -> 5 Jun 2025;
    * freshman: from the registration date, 1 Sep when registered in August, to 31 Dec and
      without waiting (shanghai guide Q4; wuhan notice Q&A 三(三) for the September rule).
    """
    first_day, last_day = date(rules.year, 1, 1), date(rules.year, 12, 31)
    if facts.kind == "freshman":
        if facts.registered_on is None:
            raise ValueError("a freshman enrollment needs registered_on")
        if facts.registered_on.year != rules.year:
            raise ValueError(
                f"registered on {facts.registered_on}, outside policy year {rules.year}"
            )
        start = facts.registered_on
        september = date(rules.year, 9, 1)
        if rules.freshman_always_starts_on_september or (
            rules.freshman_august_starts_on_september and start.month == 8
        ):
            start = september
        return Cover(start=start, end=last_day, waiting_months=0)

    if facts.kind == "collective":
        if facts.gap_years == 0:
            return Cover(start=first_day, end=last_day, waiting_months=0)
        waiting_from = first_day
    else:  # late
        if facts.declared_on is None or facts.paid_on is None:
            raise ValueError("a late enrollment needs declared_on and paid_on")
        waiting_from = facts.declared_on

    months = waiting_months(rules, gap_years=facts.gap_years, back_paid_years=facts.back_paid_years)
    start = max(add_months(waiting_from, months), first_day)
    if facts.paid_on is not None:
        start = max(start, facts.paid_on)
    return Cover(start=start, end=last_day, waiting_months=months, waiting_from=waiting_from)


def _member_cover(rules: PolicyYearRules, member: Member) -> Cover:
    return Cover(
        start=member.cover_start or date(rules.year, 1, 1),
        end=member.cover_end or date(rules.year, 12, 31),
        waiting_months=member.waiting_months,
    )


# --- rule lookup ----------------------------------------------------------------------------


def rule_for(rules: PolicyYearRules, care: str, level: str) -> BenefitRule:
    """The benefit rule that settles ``care`` at ``level``, after the policy's mappings.

    * emergency -> the outpatient rules when ``emergency_as_outpatient`` (门急诊), so it shares
      the outpatient yearly deductible and any outpatient annual limit;
    * maternity -> the inpatient rule with no deductible when
      ``maternity_as_inpatient_without_deductible`` (wuhan notice 六.6, 生育住院); the returned
      rule keeps ``care="maternity"``, so a maternity stay is not an inpatient stay for the
      repeat-stay count;
    * community -> the level-1 rule when ``community_as_level_1`` and no community rule exists.
    """
    _check_choice(care, CARE_TYPES, "care type")
    _check_choice(level, LEVELS, "facility level")
    lookup_care = care
    if care == "emergency" and rules.emergency_as_outpatient:
        lookup_care = "outpatient"
    elif care == "maternity" and rules.maternity_as_inpatient_without_deductible:
        lookup_care = "inpatient"
    by_key = {(rule.care, rule.level): rule for rule in rules.benefit_rules}
    rule = by_key.get((lookup_care, level))
    if rule is None and level == "community" and rules.community_as_level_1:
        rule = by_key.get((lookup_care, "1"))
    if rule is None:
        raise ValueError(
            f"{rules.code}: no benefit rule for {care} at level {level!r} "
            f"({CARE_LABELS[care]}·{LEVEL_LABELS[level]} is not supported by this policy year)"
        )
    if lookup_care != care and care == "maternity":
        rule = replace(
            rule,
            care="maternity",
            deductible=Decimal(0),
            deductible_basis="none",
            repeat_stay_factor=None,
            repeat_stay_levels=(),
        )
    return rule


# --- settling a year's expenses -------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """An expense after the coverage checks, before any money moves."""

    expense: Expense
    in_scope: Decimal
    out_of_scope: Decimal
    status: str
    reasons: tuple[str, ...]
    rule: BenefitRule | None = None
    stay_key: tuple[str, object] | None = None


@dataclass(frozen=True)
class _StayDeductible:
    amount: Decimal
    full: Decimal
    repeat: bool
    parts: int


@dataclass
class _Ledger:
    """Year-to-date figures. It lives only inside one ``estimate()`` call, so every figure is
    re-derived from the year's expenses and nothing can be counted twice."""

    yearly_deductible: dict[str, Decimal] = field(default_factory=dict)
    stay_deductible_left: dict[tuple[str, object], Decimal] = field(default_factory=dict)
    fund_by_care: dict[str, Decimal] = field(default_factory=dict)
    fund: Decimal = ZERO
    burden: Decimal = ZERO
    catastrophic: Decimal = ZERO


def _percent(ratio: Decimal) -> str:
    return f"{(ratio * 100).normalize():f}%"


def _plan(rules: PolicyYearRules, cover: Cover, index: int, expense: Expense) -> _Plan:
    in_scope, out_of_scope = fen(expense.in_scope), fen(expense.out_of_scope)
    where = f"{expense.date:%Y-%m-%d} {CARE_LABELS[expense.care]}·{LEVEL_LABELS[expense.level]}"

    def not_paid(status: str, why: str) -> _Plan:
        return _Plan(expense, in_scope, out_of_scope, status, (f"{where}：{why}",))

    if expense.excluded is not None:
        # sjtu-student-health-and-insurance-rules-2025.txt art. 27
        label = EXCLUSION_LABELS[expense.excluded]
        return not_paid(EXCLUDED, f"{label}不属于医保支付范围，基金和大病保险均不支付。")
    if expense.date < cover.start:
        in_waiting = cover.waiting_months > 0 and (
            cover.waiting_from is None or expense.date >= cover.waiting_from
        )
        if in_waiting:
            # shanghai guide Q3: 待遇等待期间发生的医疗费用不予追溯
            return not_paid(
                OUT_OF_COVER,
                f"处于 {cover.waiting_months} 个月待遇等待期内，待遇自 {cover.start:%Y-%m-%d} "
                "起享受，等待期内费用不予追溯。",
            )
        return not_paid(OUT_OF_COVER, f"早于待遇开始日期 {cover.start:%Y-%m-%d}，不享受待遇。")
    if expense.date > cover.end:
        return not_paid(OUT_OF_COVER, f"晚于待遇截止日期 {cover.end:%Y-%m-%d}，不享受待遇。")

    rule = rule_for(rules, expense.care, expense.level)
    if rule.referral_required and not expense.referral:
        # wuhan notice Q&A 五.2-3: off-campus outpatient care only with the campus referral
        return not_paid(NO_REFERRAL, "校外门诊须持校医院转诊单，本次无转诊，不予支付。")

    notes = [f"按{CARE_LABELS[rule.care]}·{LEVEL_LABELS[rule.level]}待遇结算"]
    if expense.care == "emergency" and rule.care == "outpatient":
        notes.append("急诊与门诊合并为门急诊，共用年度起付线")
    if expense.level != rule.level:
        notes.append(f"{LEVEL_LABELS[expense.level]}执行{LEVEL_LABELS[rule.level]}标准")
    if expense.care == "maternity" and rules.maternity_as_inpatient_without_deductible:
        notes.append("生育住院执行住院报销比例，不设起付线")
    stay_key = None
    if rule.deductible_basis == "per_stay":
        # Without a stay key every bill is a stay of its own.
        stay_key = (rule.care, expense.stay if expense.stay is not None else ("#", index))
    return _Plan(
        expense,
        in_scope,
        out_of_scope,
        COVERED,
        (f"{where}：{'，'.join(notes)}。",),
        rule,
        stay_key,
    )


def _stay_deductibles(plans: Sequence[_Plan]) -> dict[tuple[str, object], _StayDeductible]:
    """Settle every stay's deductible before any money moves.

    All covered parts of a stay are grouped by their key first, because a transfer's later
    part may be at a higher level: the stay pays the highest deductible among its parts, once
    (wuhan notice 六.4). Stays are ordered by their first part. A stay counts for the repeat
    rule when a part is at one of its rule's ``repeat_stay_levels``; from the second counted
    stay on, parts at those levels use deductible × ``repeat_stay_factor``, never less
    (wuhan notice 六.3: 从第二次住院开始，起付标准减半（不递减）).
    """
    stays: dict[tuple[str, object], list[BenefitRule]] = {}
    for plan in plans:
        if plan.stay_key is not None and plan.rule is not None:
            stays.setdefault(plan.stay_key, []).append(plan.rule)

    counted: dict[str, int] = {}
    settled = {}
    for key, parts in stays.items():
        care = key[0]
        earlier = counted.get(care, 0)
        amounts = []
        for rule in parts:
            amount = fen(rule.deductible)
            if (
                earlier
                and rule.repeat_stay_factor is not None
                and rule.level in rule.repeat_stay_levels
            ):
                amount = fen(amount * rule.repeat_stay_factor)
            amounts.append(amount)
        full = max(fen(rule.deductible) for rule in parts)
        amount = max(amounts)
        settled[key] = _StayDeductible(amount, full, amount < full, len(parts))
        if any(rule.level in rule.repeat_stay_levels for rule in parts):
            counted[care] = earlier + 1
    return settled


def _catastrophic_due(
    tiers: Sequence[CatastrophicTier], burden: Decimal, low_income: bool
) -> Decimal:
    """What the tiers owe, in all, on a yearly burden: each tier pays its ratio on the slice of
    the burden between its floor and the next tier's floor."""
    due = Decimal(0)
    for index, tier in enumerate(tiers):
        if burden <= tier.floor:
            break
        top = burden
        if index + 1 < len(tiers):
            top = min(burden, tiers[index + 1].floor)
        due += (top - tier.floor) * (tier.low_income_ratio if low_income else tier.ratio)
    return fen(due)


def _settle(
    rules: PolicyYearRules,
    category: str,
    plan: _Plan,
    stays: dict[tuple[str, object], _StayDeductible],
    ledger: _Ledger,
) -> ExpenseResult:
    in_scope, out_of_scope = plan.in_scope, plan.out_of_scope
    if plan.status != COVERED or plan.rule is None:
        student = in_scope + out_of_scope
        return ExpenseResult(
            deductible=ZERO,
            fund=ZERO,
            catastrophic=ZERO,
            student=student,
            reasons=(*plan.reasons, f"个人自付 {student} 元。"),
            status=plan.status,
        )

    rule = plan.rule
    reasons = list(plan.reasons)
    if out_of_scope:
        reasons.append(f"医保范围外费用 {out_of_scope} 元不予报销，由个人自付。")

    # Deductible.
    if rule.deductible_basis == "per_year" and rule.counts_toward_yearly_deductible:
        used = ledger.yearly_deductible.get(rule.care, ZERO)
        yearly = fen(rule.deductible)
        deductible = min(max(yearly - used, ZERO), in_scope)
        ledger.yearly_deductible[rule.care] = used + deductible
        reasons.append(
            f"年度起付线 {yearly} 元，此前已累计 {used} 元，本次计入起付线 {deductible} 元。"
        )
    elif rule.deductible_basis == "per_stay" and plan.stay_key is not None:
        stay = stays[plan.stay_key]
        left = ledger.stay_deductible_left.get(plan.stay_key, stay.amount)
        deductible = min(left, in_scope)
        ledger.stay_deductible_left[plan.stay_key] = left - deductible
        how = f"本次住院起付线 {stay.amount} 元"
        if stay.parts > 1:
            how += "（转院视同一次住院，执行较高起付标准）"
        if stay.repeat:
            how += f"（年度内再次住院，起付线由 {stay.full} 元降为 {stay.amount} 元，不再递减）"
        reasons.append(f"{how}，本笔费用承担 {deductible} 元。")
    else:
        deductible = ZERO
        if rule.deductible_basis == "per_year":
            reasons.append("不计入年度起付线，也不设起付线。")
        else:
            reasons.append("不设起付线。")

    # Fund.
    above = in_scope - deductible
    fund = fen(above * rule.ratio)
    part = f"起付线以上 {above} 元" if deductible else f"{above} 元"
    sentence = f"{part}按 {_percent(rule.ratio)} 支付，计 {fund} 元"
    if rule.annual_limit is not None:
        limit = fen(rule.annual_limit)
        room = max(limit - ledger.fund_by_care.get(rule.care, ZERO), ZERO)
        if fund > room:
            fund = room
            sentence += f"；受年度支付限额 {limit} 元所限，实付 {fund} 元"
    if rules.basic_annual_cap is not None:
        cap = fen(rules.basic_annual_cap)
        room = max(cap - ledger.fund, ZERO)
        if fund > room:
            fund = room
            sentence += f"；受基本医保年度最高支付限额 {cap} 元所限，实付 {fund} 元"
    reasons.append(f"基金：{sentence}。")
    ledger.fund_by_care[rule.care] = ledger.fund_by_care.get(rule.care, ZERO) + fund
    ledger.fund += fund

    # Catastrophic cover: progressive on the year's burden, settled per expense as what is due
    # on the new cumulative burden minus what was already paid.
    burden = in_scope - fund
    catastrophic = ZERO
    if not rules.catastrophic_tiers:
        reasons.append("本年度未设大病保险。")
    elif rules.catastrophic_requires_disease and not plan.expense.catastrophic_disease:
        reasons.append("非大病保险病种，大病保险不支付。")
    else:
        cumulative = ledger.burden + burden
        due = _catastrophic_due(
            rules.catastrophic_tiers, cumulative, category in LOW_INCOME_CATEGORIES
        )
        note = ""
        first_floor = fen(rules.catastrophic_tiers[0].floor)
        if cumulative <= first_floor:
            note = f"（年度累计未超过大病保险起付金额 {first_floor} 元）"
        if rules.catastrophic_cap is not None and due > fen(rules.catastrophic_cap):
            due = fen(rules.catastrophic_cap)
            note = f"（已达大病保险年度最高支付限额 {due} 元）"
        # The cap on burden only guards rounding: marginal ratios never exceed 1.
        catastrophic = min(max(due - ledger.catastrophic, ZERO), burden)
        reasons.append(
            f"大病保险：本次个人负担 {burden} 元，年度累计 {cumulative} 元，累计应付 {due} 元"
            f"{note}，此前已付 {ledger.catastrophic} 元，本次支付 {catastrophic} 元。"
        )
        ledger.burden = cumulative
        ledger.catastrophic += catastrophic

    student = in_scope + out_of_scope - fund - catastrophic
    reasons.append(f"个人自付 {student} 元。")
    return ExpenseResult(
        deductible=deductible,
        fund=fund,
        catastrophic=catastrophic,
        student=student,
        reasons=tuple(reasons),
    )


def estimate(
    rules: PolicyYearRules, member: Member | EnrollmentFacts, expenses: Sequence[Expense]
) -> Estimate:
    """Settle a year's expenses for one student, in the order given (settlement order).

    Every year-to-date figure (yearly deductible used, stays so far, fund paid, catastrophic
    burden and payments) is derived here from ``expenses``: pass all of the year's expenses,
    earlier ones first, and read the last result for the newest claim. Results come back in
    input order. Excluded, out-of-cover and referral-less expenses pay nothing, take no
    deductible and add nothing to the catastrophic burden.

    One look-ahead: a stay's deductible is fixed over all its parts before anything is settled
    (see ``_stay_deductibles``), so adding a later, higher-level part of a transfer changes
    what the stay's earlier parts show. Settle a transfer's parts together.
    """
    if isinstance(member, EnrollmentFacts):
        cover = cover_for(rules, member)
    else:
        cover = _member_cover(rules, member)
    category = member.category
    _check_choice(category, CATEGORIES, "category")

    plans = [_plan(rules, cover, index, expense) for index, expense in enumerate(expenses)]
    stays = _stay_deductibles(plans)
    ledger = _Ledger()
    results = tuple(_settle(rules, category, plan, stays, ledger) for plan in plans)
    totals = Totals(
        fund=sum((r.fund for r in results), ZERO),
        catastrophic=sum((r.catastrophic for r in results), ZERO),
        student=sum((r.student for r in results), ZERO),
    )
    return Estimate(cover=cover, expenses=results, totals=totals)
