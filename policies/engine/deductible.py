"""The deductible (起付线): once a year for outpatient care, once per stay for inpatient
care, with the transfer and repeat-stay rules of a stay settled before any money moves."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from .codes import STAY_CARES
from .ledger import Ledger, Step
from .money import ZERO, fen
from .plan import Plan, StayKey
from .policy import BenefitRule


@dataclass(frozen=True)
class StayDeductible:
    amount: Decimal
    full: Decimal
    repeat: bool
    parts: int  # bills of the stay itself: more than one is a transfer
    rescue: bool = False  # an emergency rescue before admission joined it


def stay_deductibles(plans: Sequence[Plan]) -> dict[StayKey, StayDeductible]:
    """Settle every stay's deductible before any money moves.

    All covered parts of a stay are grouped by their key first, because a transfer's later
    part may be at a higher level: the stay pays the highest deductible among its parts, once
    (wuhan notice 六.4). Stays are ordered by their first part. A stay counts for the repeat
    rule when a part is at one of its rule's ``repeat_stay_levels``; from the second counted
    stay on, parts at those levels use deductible × ``repeat_stay_factor``, never less
    (wuhan notice 六.3: 从第二次住院开始，起付标准减半（不递减）). An emergency rescue that
    joined the stay (see ``stays``) is one of its parts (wuhan notice 六.7).
    """
    stays: dict[StayKey, list[BenefitRule]] = {}
    rescues: dict[StayKey, int] = {}
    for plan in plans:
        if plan.stay_key is not None and plan.rule is not None:
            stays.setdefault(plan.stay_key, []).append(plan.rule)
            if plan.expense.care not in STAY_CARES:
                rescues[plan.stay_key] = rescues.get(plan.stay_key, 0) + 1

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
        rescue = rescues.get(key, 0)
        settled[key] = StayDeductible(amount, full, amount < full, len(parts) - rescue, rescue > 0)
        if any(rule.level in rule.repeat_stay_levels for rule in parts):
            counted[care] = earlier + 1
    return settled


def deductible_step(plan: Plan, stays: dict[StayKey, StayDeductible], ledger: Ledger) -> Step:
    """The part of the in-scope amount the student bears before the fund pays.

    * per year: what is left of the care type's yearly deductible (shanghai guide Q7: 门急诊
      300 a year; the campus clinic is not counted);
    * per stay: what is left of the stay's deductible (shanghai guide Q7 住院; wuhan notice
      六.2-六.4), the stay settled by ``stay_deductibles``;
    * otherwise none.
    """
    rule, in_scope = plan.rule, plan.in_scope
    if rule.deductible_basis == "per_year" and rule.counts_toward_yearly_deductible:
        used = ledger.yearly_deductible.get(rule.care, ZERO)
        yearly = fen(rule.deductible)
        deductible = min(max(yearly - used, ZERO), in_scope)
        ledger.yearly_deductible[rule.care] = used + deductible
        return Step(
            deductible,
            f"年度起付线 {yearly} 元，此前已累计 {used} 元，本次计入起付线 {deductible} 元。",
        )
    if rule.deductible_basis == "per_stay" and plan.stay_key is not None:
        stay = stays[plan.stay_key]
        left = ledger.stay_deductible_left.get(plan.stay_key, stay.amount)
        deductible = min(left, in_scope)
        ledger.stay_deductible_left[plan.stay_key] = left - deductible
        how = f"本次住院起付线 {stay.amount} 元"
        if stay.parts > 1:
            how += "（转院视同一次住院，执行较高起付标准）"
        if stay.rescue:
            how += "（含入院前门诊紧急抢救费用）"
        if stay.repeat:
            how += f"（年度内再次住院，起付线由 {stay.full} 元降为 {stay.amount} 元，不再递减）"
        return Step(deductible, f"{how}，本笔费用承担 {deductible} 元。")
    if rule.deductible_basis == "per_year":
        return Step(ZERO, "不计入年度起付线，也不设起付线。")
    return Step(ZERO, "不设起付线。")
