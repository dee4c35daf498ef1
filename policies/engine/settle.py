"""Settling a year's expenses: the coverage checks, then for each paid expense the
deductible, the fund and the catastrophic cover, in that order, over one ledger."""

from collections.abc import Sequence

from .catastrophic import catastrophic_step
from .codes import CATEGORIES, COVERED, PAYERS, check_choice
from .cover import cover_for, member_cover
from .deductible import StayDeductible, deductible_step, stay_deductibles
from .fund import fund_step
from .ledger import Ledger
from .money import ZERO
from .plan import Plan, StayKey, plan_expense
from .policy import PolicyYearRules
from .stays import stay_cares
from .values import EnrollmentFacts, Estimate, Expense, ExpenseResult, Member, Totals


def unpaid(plan: Plan) -> ExpenseResult:
    """An excluded, out-of-cover or referral-less expense: the student pays it all, and it
    takes no deductible and adds nothing to the catastrophic burden."""
    student = plan.in_scope + plan.out_of_scope
    return ExpenseResult(
        deductible=ZERO,
        fund=ZERO,
        catastrophic=ZERO,
        student=student,
        reasons=(*plan.reasons, f"个人自付 {student} 元。"),
        status=plan.status,
    )


def settle_expense(
    rules: PolicyYearRules,
    category: str,
    plan: Plan,
    stays: dict[StayKey, StayDeductible],
    ledger: Ledger,
) -> ExpenseResult:
    """One expense through the steps; out-of-scope amounts are the student's (sjtu art. 27)."""
    if plan.status != COVERED or plan.rule is None:
        return unpaid(plan)
    reasons = list(plan.reasons)
    if plan.out_of_scope:
        reasons.append(f"医保范围外费用 {plan.out_of_scope} 元不予报销，由个人自付。")
    deductible = deductible_step(plan, stays, ledger)
    fund = fund_step(rules, plan.rule, plan.in_scope, deductible.amount, ledger)
    catastrophic = catastrophic_step(
        rules,
        category,
        plan.expense.catastrophic_disease,
        plan.in_scope - fund.amount,
        ledger,
        plan.rule.payer,
    )
    student = plan.in_scope + plan.out_of_scope - fund.amount - catastrophic.amount
    reasons += [deductible.reason, fund.reason, catastrophic.reason, f"个人自付 {student} 元。"]
    return ExpenseResult(
        deductible=deductible.amount,
        fund=fund.amount,
        catastrophic=catastrophic.amount,
        student=student,
        reasons=tuple(reasons),
        payer=plan.rule.payer,
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

    A ``stay`` key that cannot be settled raises ``StayKeyError`` (see ``stays``): an
    emergency rescue joins the stay whose key it carries.

    One look-ahead: a stay's deductible is fixed over all its parts before anything is settled
    (see ``stay_deductibles``), so adding a later, higher-level part of a transfer changes
    what the stay's earlier parts show. Settle a transfer's parts together.
    """
    if isinstance(member, EnrollmentFacts):
        cover = cover_for(rules, member)
    else:
        cover = member_cover(rules, member)
    category = member.category
    check_choice(category, CATEGORIES, "category")

    joined = stay_cares(rules, expenses)
    plans = [
        plan_expense(rules, cover, index, expense, joined) for index, expense in enumerate(expenses)
    ]
    stays = stay_deductibles(plans)
    ledger = Ledger()
    results = tuple(settle_expense(rules, category, plan, stays, ledger) for plan in plans)
    totals = Totals(
        fund=sum((r.fund for r in results), ZERO),
        catastrophic=sum((r.catastrophic for r in results), ZERO),
        student=sum((r.student for r in results), ZERO),
        fund_by_payer={
            payer: sum((r.fund for r in results if r.payer == payer), ZERO) for payer in PAYERS
        },
    )
    return Estimate(cover=cover, expenses=results, totals=totals)
