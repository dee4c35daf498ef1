"""The claims app's part of the home page of the year (office.home, registered in
ClaimsConfig.ready): the year's claims by state, how much was claimed and how much the
approval settled, each count linked to the claims list filtered the same way. Two
grouped queries, whatever the number of claims; what approval stored is read, nothing
is settled again here (claims_report does that for pending claims)."""

from datetime import date
from decimal import Decimal

from django.db.models import Count, Sum
from django.urls import reverse
from django.utils.http import urlencode

from office.home import MONEY, TEXT, Block, Figure, Figures, Link, Table
from office.scoping import in_colleges
from policies.models import PolicyYear

from .. import workflow
from ..models import Claim, ClaimLine

ZERO = Decimal("0.00")
VIEW_CLAIM = "claims.view_claim"
# waiting for the office: what the figures above the table count
TO_HANDLE = (workflow.SUBMITTED, workflow.IN_REVIEW)


def year_blocks(year: str, today: date, colleges=None) -> list[Block]:
    """`colleges`: these colleges' claims only (office.scoping); None for the school's."""
    policy_year = PolicyYear.objects.filter(code=year).first()
    if policy_year is None:
        return []
    by_state = {
        row["state"]: row
        for row in in_colleges(Claim.objects, "student__college", colleges)
        .filter(policy_year=policy_year)
        .values("state")
        .annotate(count=Count("pk"), fund=Sum("fund"), catastrophic=Sum("catastrophic"))
        .order_by()
    }
    claimed = dict(
        in_colleges(ClaimLine.objects, "claim__student__college", colleges)
        .filter(claim__policy_year=policy_year)
        .values("claim__state")
        .annotate(total=Sum("total"))
        .order_by()
        .values_list("claim__state", "total")
    )

    def link(**filters) -> Link:
        query = urlencode({"policy_year__id__exact": policy_year.pk, **filters})
        return Link(f"{reverse('admin:claims_claim_changelist')}?{query}", VIEW_CLAIM)

    rows, totals = [], {"count": 0, "claimed": ZERO, "settled": ZERO}
    for state, label in workflow.LABELS.items():
        row = by_state.get(state, {})
        count = row.get("count", 0)
        settled = (row.get("fund") or ZERO) + (row.get("catastrophic") or ZERO)
        amount = claimed.get(state) or ZERO
        totals["count"] += count
        totals["claimed"] += amount
        totals["settled"] += settled
        rows.append(
            (
                Figure("状态", label, kind=TEXT),
                Figure("件数", count, link=link(state__exact=state)),
                Figure("申请金额", amount, kind=MONEY),
                Figure("核定报销", settled, kind=MONEY),
            )
        )
    approved = by_state.get(workflow.APPROVED, {})
    return [
        Block(
            key="claims",
            title=f"{policy_year.year} 年度报销",
            permission=VIEW_CLAIM,
            order=60,
            groups=(
                Figures(
                    (
                        Figure(
                            "待审核",
                            sum(by_state.get(s, {}).get("count", 0) for s in TO_HANDLE),
                            link=link(state__in=",".join(TO_HANDLE)),
                            note="已提交、审核中",
                        ),
                        Figure(
                            "已批准待支付",
                            (approved.get("fund") or ZERO) + (approved.get("catastrophic") or ZERO),
                            kind=MONEY,
                            link=link(state__exact=workflow.APPROVED),
                        ),
                    )
                ),
            ),
            tables=(
                Table(
                    headers=("状态", "件数", "申请金额", "核定报销"),
                    rows=tuple(rows),
                    total=(
                        Figure("合计", "合计", kind=TEXT),
                        Figure("件数", totals["count"], link=link()),
                        Figure("申请金额", totals["claimed"], kind=MONEY),
                        Figure("核定报销", totals["settled"], kind=MONEY),
                    ),
                ),
            ),
            notes=("核定报销为批准时保存的基金支付与大病保险支付之和；未批准的申请为 0。",),
        )
    ]
