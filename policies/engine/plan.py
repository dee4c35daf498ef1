"""Before any money moves: which benefit rule settles an expense, and whether it is paid at
all (excluded kinds, outside the cover dates or in a waiting period, no referral)."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from .codes import (
    CARE_LABELS,
    CARE_TYPES,
    COVERED,
    EXCLUDED,
    EXCLUSION_LABELS,
    LEVEL_LABELS,
    LEVELS,
    NO_REFERRAL,
    OUT_OF_COVER,
    check_choice,
)
from .money import fen
from .policy import BenefitRule, PolicyYearRules
from .values import Cover, Expense

StayKey = tuple[str, object]


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
    check_choice(care, CARE_TYPES, "care type")
    check_choice(level, LEVELS, "facility level")
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


@dataclass(frozen=True)
class Plan:
    """An expense after the coverage checks, before any money moves."""

    expense: Expense
    in_scope: Decimal
    out_of_scope: Decimal
    status: str
    reasons: tuple[str, ...]
    rule: BenefitRule | None = None
    stay_key: StayKey | None = None


def plan_expense(
    rules: PolicyYearRules,
    cover: Cover,
    index: int,
    expense: Expense,
    joined: Mapping[str, str],
) -> Plan:
    """The coverage checks, in order: excluded kind, before cover (in a waiting period or
    not), after cover, then the benefit rule and its referral requirement.

    ``joined`` maps the stay key of an emergency rescue to the care of the stay it joins
    (``stays.stay_cares``): the rescue is settled by that stay's rule at its own level."""
    in_scope, out_of_scope = fen(expense.in_scope), fen(expense.out_of_scope)
    where = f"{expense.date:%Y-%m-%d} {CARE_LABELS[expense.care]}·{LEVEL_LABELS[expense.level]}"

    def not_paid(status: str, why: str) -> Plan:
        return Plan(expense, in_scope, out_of_scope, status, (f"{where}：{why}",))

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

    rescue = expense.care == "emergency" and expense.stay is not None
    care = joined[expense.stay] if rescue else expense.care
    rule = rule_for(rules, care, expense.level)
    if rule.referral_required and not expense.referral:
        # wuhan notice Q&A 五.2-3: off-campus outpatient care only with the campus referral
        return not_paid(NO_REFERRAL, "校外门诊须持校医院转诊单，本次无转诊，不予支付。")

    notes = [f"按{CARE_LABELS[rule.care]}·{LEVEL_LABELS[rule.level]}待遇结算"]
    if expense.care == "emergency" and rule.care == "outpatient":
        notes.append("急诊与门诊合并为门急诊，共用年度起付线")
    if rescue and care != expense.care:
        notes.append(
            f"门诊紧急抢救后{CARE_LABELS[care]}，抢救费用并入同一次住院（“{expense.stay}”）"
        )
    if expense.level != rule.level:
        notes.append(f"{LEVEL_LABELS[expense.level]}执行{LEVEL_LABELS[rule.level]}标准")
    if expense.care == "maternity" and rules.maternity_as_inpatient_without_deductible:
        notes.append("生育住院执行住院报销比例，不设起付线")
    stay_key = None
    if rule.deductible_basis == "per_stay":
        # Without a stay key every bill is a stay of its own.
        stay_key = (rule.care, expense.stay if expense.stay is not None else ("#", index))
    return Plan(
        expense,
        in_scope,
        out_of_scope,
        COVERED,
        (f"{where}：{'，'.join(notes)}。",),
        rule,
        stay_key,
    )
