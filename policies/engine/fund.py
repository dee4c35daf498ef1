"""What the scheme pays: the rule's ratio above the deductible, within the care type's annual
limit and, for the basic fund, the policy year's basic annual cap."""

from decimal import Decimal

from .codes import BASIC_FUND, PAYER_LABELS
from .ledger import Ledger, Step
from .money import ZERO, fen, percent
from .policy import BenefitRule, PolicyYearRules


def fund_step(
    rules: PolicyYearRules,
    rule: BenefitRule,
    in_scope: Decimal,
    deductible: Decimal,
    ledger: Ledger,
) -> Step:
    """The ratio of the facility level (shanghai guide Q7; wuhan notice 五.1, 六.5, 七), then
    the care type's annual limit (wuhan notice 五.1: the school's outpatient 400 a year) and
    the basic annual cap (wuhan notice 六.8: 15 万元), each taking what is left of it.

    Only what the basic fund pays counts toward the basic annual cap: care the school pays
    from its own outpatient fund (``rule.payer``, wuhan notice 五.1) neither uses it up nor
    is limited by it."""
    above = in_scope - deductible
    fund = fen(above * rule.ratio)
    part = f"起付线以上 {above} 元" if deductible else f"{above} 元"
    sentence = f"{part}按 {percent(rule.ratio)} 支付，计 {fund} 元"
    if rule.annual_limit is not None:
        limit = fen(rule.annual_limit)
        room = max(limit - ledger.fund_by_care.get(rule.care, ZERO), ZERO)
        if fund > room:
            fund = room
            sentence += f"；受年度支付限额 {limit} 元所限，实付 {fund} 元"
    paid_before = ledger.fund_by_payer.get(rule.payer, ZERO)
    if rules.basic_annual_cap is not None and rule.payer == BASIC_FUND:
        cap = fen(rules.basic_annual_cap)
        room = max(cap - paid_before, ZERO)
        if fund > room:
            fund = room
            sentence += f"；受基本医保年度最高支付限额 {cap} 元所限，实付 {fund} 元"
    ledger.fund_by_care[rule.care] = ledger.fund_by_care.get(rule.care, ZERO) + fund
    ledger.fund_by_payer[rule.payer] = paid_before + fund
    return Step(fund, f"{PAYER_LABELS[rule.payer]}：{sentence}。")
