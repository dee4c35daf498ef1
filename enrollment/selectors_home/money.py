"""Premiums collected against due, and refunds."""

from decimal import Decimal

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, Sum

from office import charts
from office.home import MONEY, RATIO, Block, Chart, Figure, Figures, Link
from office.scoping import in_colleges
from policies.models import PolicyYear
from policies.selectors import school_region

from .. import workflow
from ..models import Refund
from .links import changelist, enrollments, page, state_list

ZERO = Decimal("0.00")
# premiums the school collects: not an opted-out student's, not the government's (低保)
NOT_DUE = (workflow.OPTED_OUT,)
NOT_COLLECTED_BY_SCHOOL = (workflow.GOVERNMENT,)


def money(policy_year: PolicyYear, rows: list[dict]) -> Block:
    due_rows = [
        row
        for row in rows
        if row["state"] not in NOT_DUE and row["payer"] not in NOT_COLLECTED_BY_SCHOOL
    ]
    due = sum((row["due"] or ZERO for row in due_rows), ZERO)
    collected = sum((row["paid"] or ZERO for row in rows), ZERO)
    due_states = [state for state in workflow.LABELS if state not in NOT_DUE]
    due_payers = [payer for payer in workflow.PAYER_LABELS if payer not in NOT_COLLECTED_BY_SCHOOL]
    due_link = enrollments(
        policy_year, state__in=state_list(due_states), payer__in=",".join(due_payers)
    )
    payments = Link(
        changelist("enrollment", "payment", {"enrollment__policy_year__id__exact": policy_year.pk}),
        "enrollment.view_payment",
    )
    reconciliation = None
    if policy_year.region.code == school_region():  # 对账 takes the school's region's years
        reconciliation = Link(
            page("enrollment_reconciliation", {"year": policy_year.year}),
            "enrollment.view_payment",
        )
    rate = charts.percent_text(collected, due)
    return Block(
        key="money",
        title="保费收缴",
        permission="enrollment.view_payment",
        order=16,
        groups=(
            Figures(
                (
                    Figure("应收保费", due, kind=MONEY, link=due_link),
                    Figure("已收保费", collected, kind=MONEY, link=payments),
                    Figure("收缴率", rate, kind=RATIO, link=reconciliation, note="对账"),
                )
            ),
        ),
        charts=(
            Chart(
                "progress",
                "已收与应收保费",
                links=(payments,),
                options={
                    "part": collected,
                    "whole": due,
                    "part_label": "已收",
                    "whole_label": "应收",
                },
            ),
        ),
        notes=("应收不含主动放弃学生和政府补助（低保）的保费；已收为学校代收的全部保费。",),
    )


def refunds(policy_year: PolicyYear, colleges=None) -> Block:
    outstanding = ExpressionWrapper(Q(paid_out_on__isnull=True), output_field=BooleanField())
    totals = {
        bool(row["outstanding"]): row
        for row in in_colleges(Refund.objects, "enrollment__student__college", colleges)
        .filter(enrollment__policy_year=policy_year)
        .annotate(outstanding=outstanding)
        .values("outstanding")
        .annotate(count=Count("pk"), amount=Sum("amount"))
        .order_by()
    }

    def figures(outstanding: bool, label: str) -> tuple[Figure, Figure]:
        row = totals.get(outstanding, {"count": 0, "amount": ZERO})
        link = Link(
            changelist(
                "enrollment",
                "refund",
                {
                    "paid_out": "no" if outstanding else "yes",
                    "enrollment__policy_year__id__exact": policy_year.pk,
                },
            ),
            "enrollment.view_refund",
        )
        return (
            Figure(f"{label}笔数", row["count"], link=link),
            Figure(f"{label}金额", row["amount"] or ZERO, kind=MONEY, link=link),
        )

    return Block(
        key="refunds",
        title="退费",
        permission="enrollment.view_refund",
        order=50,
        groups=(Figures((*figures(True, "待付退费"), *figures(False, "已付退费"))),),
    )
