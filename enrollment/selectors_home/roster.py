"""The year seen from the roster, in one grouped query (the home page's biggest)."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import BooleanField, Count, ExpressionWrapper, F, FilteredRelation, Q, Sum

from office.scoping import in_colleges
from policies.models import PolicyYear

from .. import rules, workflow
from ..models import Student
from ..selectors import ELIGIBILITY_FIELDS

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Roster:
    """The year seen from the roster, in one query: per college, state and payer, the
    enrollments' count, premiums due and amounts paid (`rows`); the eligible students
    not graduated; and among them those neither enrolled nor holding a scanned
    commitment (the chase list, services.students_to_chase)."""

    rows: list[dict]
    eligible: int
    to_chase: int


FACTS = tuple(name for name in ELIGIBILITY_FIELDS if name != "registered_on")


def roster(policy_year: PolicyYear, colleges=None) -> Roster:
    # every student once (of `colleges`, when given), beside the year's enrollment and
    # scanned opt-out if any (one each at most: unique per student and year), grouped by
    # what is counted; the eligibility rule then runs once per group
    groups = (
        in_colleges(Student.objects, "college", colleges)
        .annotate(
            this_year=FilteredRelation(
                "enrollments", condition=Q(enrollments__policy_year=policy_year)
            ),
            signed=FilteredRelation(
                "opt_outs",
                condition=Q(opt_outs__policy_year=policy_year) & ~Q(opt_outs__commitment=""),
            ),
        )
        .annotate(
            registered=_flag(Q(registered_on__isnull=False)),
            has_signed=_flag(Q(signed__id__isnull=False)),
        )
        .values(
            "college",
            *FACTS,
            "registered",
            "has_signed",
            state=F("this_year__state"),
            payer=F("this_year__payer"),
        )
        .annotate(
            count=Count("pk"),
            due=Sum("this_year__premium_due"),
            paid=Sum("this_year__amount_paid"),
        )
        .order_by()
    )
    rows, eligible, to_chase = defaultdict(Counter), 0, 0
    for group in groups:
        if group["state"] is not None:
            row = rows[group["college"], group["state"], group["payer"]]
            row["count"] += group["count"]
            row["due"] += group["due"] or ZERO
            row["paid"] += group["paid"] or ZERO
        if group["school_status"] == "graduated" or not _eligible(group):
            continue
        eligible += group["count"]
        unenrolled = group["state"] in (None, workflow.OPTED_OUT)
        if unenrolled and not group["has_signed"]:
            to_chase += group["count"]
    return Roster(
        rows=[
            {"college": college, "state": state, "payer": payer, **totals}
            for (college, state, payer), totals in rows.items()
        ],
        eligible=eligible,
        to_chase=to_chase,
    )


def _flag(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def _eligible(group: dict) -> bool:
    # the rule reads only whether a registration date is known
    registered_on = date.min if group["registered"] else None
    facts = rules.EligibilityFacts(
        **{name: group[name] for name in FACTS}, registered_on=registered_on
    )
    return rules.eligibility(facts).eligible
