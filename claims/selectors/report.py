"""The claims of a policy year by state, type and level: issue #11's claims_report."""

from decimal import Decimal

from django.db.models import Q

from policies import engine
from policies.engine import ZERO
from policies.selectors import policy_year_for, school_region

from .. import rules, workflow
from ..models import Claim
from .loading import CLAIM_FIELDS, MONEY, Loader, YearClaims, chunks
from .statement import money, stored_totals


def claims_report(*, year: int, region: str | None = None) -> dict:
    """Issue #11's claims_report for the policy year of `year` in the school's region (or
    `region`): claims by state, type and level, and the total, each amount as approved
    (stored) or as it would be settled now; a rejected claim pays nothing.

    A claim counts once in each breakdown, so each adds up to the total: by level, at the
    highest level among its receipts (a transfer counts where it ended). Claims no policy
    year took (no cover on the visit) count in the school's region's report."""
    policy_year = policy_year_for(year=year, region=region)
    which = Q(policy_year=policy_year)
    if policy_year.region.code == school_region():
        which |= Q(policy_year__isnull=True, number__startswith=f"BX{year}-")
    buckets = {
        "by_state": {state: _bucket() for state in workflow.LABELS},
        "by_type": {kind: _bucket() for kind in rules.TYPE_LABELS},
        "by_level": {level: _bucket() for level in engine.LEVELS},
    }
    total = _bucket()
    loader = Loader()
    students = list(
        Claim.objects.filter(which).values_list("student_id", flat=True).distinct().order_by()
    )
    for chunk in chunks(sorted(students)):
        rows = Claim.objects.filter(which, student_id__in=chunk).values(*CLAIM_FIELDS)
        for group in loader.years(rows):
            results = group.results() if _any_pending(group) else {}
            for row in group.rows:
                lines = group.lines[row["pk"]]
                if row["approval_sequence"] is not None:
                    amounts = stored_totals(row)
                else:
                    amounts = results[row["pk"]].amounts()
                claimed = sum((line["total"] for line in lines), ZERO)
                level = max(
                    (line["level"] for line in lines), key=engine.LEVELS.index, default="campus"
                )
                for bucket in (
                    buckets["by_state"][row["state"]],
                    buckets["by_type"][row["type"]],
                    buckets["by_level"][level],
                    total,
                ):
                    _add(bucket, claimed, amounts)
    return {
        "year": year,
        **{
            name: {key: _bucket_json(b) for key, b in found.items()}
            for name, found in buckets.items()
        },
        "total": _bucket_json(total),
    }


def _any_pending(group: YearClaims) -> bool:
    return any(row["approval_sequence"] is None for row in group.rows)


def _bucket() -> dict:
    return {"count": 0, "claimed": ZERO, "fund": ZERO, "catastrophic": ZERO, "student": ZERO}


def _add(bucket: dict, claimed: Decimal, amounts: tuple[Decimal, Decimal, Decimal]) -> None:
    bucket["count"] += 1
    bucket["claimed"] += claimed
    for name, amount in zip(MONEY, amounts, strict=True):
        bucket[name] += amount


def _bucket_json(bucket: dict) -> dict:
    return {name: value if name == "count" else money(value) for name, value in bucket.items()}
