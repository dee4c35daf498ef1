"""Catastrophic cover (大病保险): the second layer, on the personal burden the basic fund
leaves, progressive over the year's cumulative burden."""

from collections.abc import Sequence
from decimal import Decimal

from .codes import BASIC_FUND, LOW_INCOME_CATEGORIES, PAYER_LABELS
from .ledger import Ledger, Step
from .money import ZERO, fen
from .policy import CatastrophicTier, PolicyYearRules


def catastrophic_due(
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


def catastrophic_step(
    rules: PolicyYearRules,
    category: str,
    disease: bool,
    burden: Decimal,
    ledger: Ledger,
    payer: str = BASIC_FUND,
) -> Step:
    """Settled per expense as what is due on the new cumulative burden minus what was already
    paid: shanghai guide Q7 (2) and sjtu art. 31, 60% of the burden for the listed diseases
    (65% for 低保 / 低收入), cap 40 万 (shanghai faq §5); wuhan notice 六.9, any burden, tiers
    from 12,000, cap 30 万.

    Catastrophic cover is the second layer of the basic scheme (wuhan notice 六.9: 参加城乡居民
    医保的同时，同步参加了城乡居民大病保险): care the school pays from its own outpatient fund
    (五.1) is outside it, so it is not paid and its burden is not accumulated."""
    if not rules.catastrophic_tiers:
        return Step(ZERO, "本年度未设大病保险。")
    if payer != BASIC_FUND:
        return Step(ZERO, f"{PAYER_LABELS[payer]}支付的费用不属于大病保险范围，大病保险不支付。")
    if rules.catastrophic_requires_disease and not disease:
        return Step(ZERO, "非大病保险病种，大病保险不支付。")
    cumulative = ledger.burden + burden
    due = catastrophic_due(rules.catastrophic_tiers, cumulative, category in LOW_INCOME_CATEGORIES)
    note = ""
    first_floor = fen(rules.catastrophic_tiers[0].floor)
    if cumulative <= first_floor:
        note = f"（年度累计未超过大病保险起付金额 {first_floor} 元）"
    if rules.catastrophic_cap is not None and due > fen(rules.catastrophic_cap):
        due = fen(rules.catastrophic_cap)
        note = f"（已达大病保险年度最高支付限额 {due} 元）"
    # The cap on burden only guards rounding: marginal ratios never exceed 1.
    catastrophic = min(max(due - ledger.catastrophic, ZERO), burden)
    reason = (
        f"大病保险：本次个人负担 {burden} 元，年度累计 {cumulative} 元，累计应付 {due} 元"
        f"{note}，此前已付 {ledger.catastrophic} 元，本次支付 {catastrophic} 元。"
    )
    ledger.burden = cumulative
    ledger.catastrophic += catastrophic
    return Step(catastrophic, reason)
