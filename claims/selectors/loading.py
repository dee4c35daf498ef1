"""Claims loaded as plain facts for claims.breakdowns: once per student and policy year, a
few queries per two thousand students, never one per claim."""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from enrollment.models import Enrollment
from enrollment.selectors import cover_among, engine_member
from office.errors import Refused
from policies import engine
from policies.models import PolicyYear
from policies.selectors import policy_year_get, policy_year_rules

from .. import breakdowns, rules, workflow
from ..models import ClaimLine, Referral

CHUNK = 2000
MONEY = ("fund", "catastrophic", "student")
CLAIM_FIELDS = (
    "pk",
    "number",
    "state",
    "type",
    "payer",
    "student_id",
    "policy_year_id",
    "enrollment_id",
    "referral_id",
    "approval_sequence",
    "rejection_code",
    "rejection_message",
    "fund",
    "catastrophic",
    "student_pays",
)
LINE_FIELDS = (
    "pk",
    "claim_id",
    "position",
    "invoice_number",
    "visit_date",
    "care",
    "level",
    "total",
    "in_scope",
    "out_of_scope",
    "catastrophic_disease",
    "excluded",
    "stay_key",
    "fund",
    "catastrophic",
    "student",
    "status",
    "steps",
)


def chunks(values: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# ---- loading: rows → plain facts --------------------------------------------------------


@dataclass
class YearClaims:
    """One student's claims of one policy year, as rows and as the engine's facts, with the
    rules and member to settle them (None when no enrollment covers them)."""

    student_id: int
    rules: engine.PolicyYearRules | None
    member: engine.Member | None
    rows: list[dict] = field(default_factory=list)
    lines: dict[int, list[dict]] = field(default_factory=dict)
    facts: list[breakdowns.ClaimFacts] = field(default_factory=list)

    def results(self) -> dict[int, breakdowns.ClaimResult]:
        return breakdowns.year_breakdowns(self.rules, self.member, self.facts)

    def stored(self) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
        return {
            row["pk"]: (row["fund"], row["catastrophic"], row["student_pays"])
            for row in self.rows
            if row["approval_sequence"] is not None and row["fund"] is not None
        }

    def differences(self) -> list[breakdowns.Difference]:
        return breakdowns.differences(self.rules, self.member, self.facts, self.stored())


class Loader:
    """Rule snapshots, members and referrals, each read once however many claims ask."""

    def __init__(self) -> None:
        self._rules: dict[int, engine.PolicyYearRules] = {}

    def rules(self, policy_year_id: int | None) -> engine.PolicyYearRules | None:
        if policy_year_id is None:
            return None
        if policy_year_id not in self._rules:
            code = PolicyYear.objects.values_list("code", flat=True).get(pk=policy_year_id)
            self._rules[policy_year_id] = policy_year_rules(policy_year_get(code=code))
        return self._rules[policy_year_id]

    def years(self, claims: Iterable[dict]) -> list[YearClaims]:
        """Group claim rows (values of CLAIM_FIELDS) by student and policy year, with their
        lines and everything the engine needs. A claim not submitted yet has no cover
        recorded: it is given the one its first visit falls in, as submission would."""
        rows = list(claims)
        lines = lines_of([row["pk"] for row in rows])
        rows, members = _with_cover(rows, lines)
        referrals = _referrals([row["referral_id"] for row in rows])
        members.update(_members([row["enrollment_id"] for row in rows], skip=members))
        grouped: dict[tuple[int, int | None], YearClaims] = {}
        for row in rows:
            key = (row["student_id"], row["policy_year_id"])
            group = grouped.get(key)
            if group is None:
                group = grouped[key] = YearClaims(row["student_id"], self.rules(key[1]), None)
            if group.member is None and row["enrollment_id"] is not None:
                group.member = members.get(row["enrollment_id"])
            group.rows.append(row)
            group.lines[row["pk"]] = lines.get(row["pk"], [])
            referral = referrals.get(row["referral_id"])
            if referral is not None and referral["student_id"] != row["student_id"]:
                referral = None
            group.facts.append(claim_facts(row, group.lines[row["pk"]], referral))
        return list(grouped.values())


def _with_cover(
    rows: list[dict], lines: dict[int, list[dict]]
) -> tuple[list[dict], dict[int, engine.Member]]:
    """`rows` with the enrollment and policy year of the cover on the first visit of each
    draft (claims.services.submit does the same on submission), and those members."""
    drafts = [
        row
        for row in rows
        if row["enrollment_id"] is None and row["state"] == workflow.DRAFT and lines.get(row["pk"])
    ]
    if not drafts:
        return rows, {}
    enrollments: dict[int, list[Enrollment]] = defaultdict(list)
    for chunk in chunks(sorted({row["student_id"] for row in drafts})):
        for enrollment in Enrollment.objects.filter(
            student_id__in=chunk, cover_start__isnull=False
        ).select_related("policy_year", "student"):
            enrollments[enrollment.student_id].append(enrollment)
    members: dict[int, engine.Member] = {}
    resolved = {}
    for row in drafts:
        first_visit = min(line["visit_date"] for line in lines[row["pk"]])
        cover = cover_among(enrollments.get(row["student_id"], ()), first_visit)
        if cover is None:
            continue
        enrollment = cover.enrollment
        resolved[row["pk"]] = {
            **row,
            "enrollment_id": enrollment.pk,
            "policy_year_id": enrollment.policy_year_id,
        }
        if enrollment.pk not in members:
            with suppress(Refused):  # a cover not known yet: nothing to settle against
                members[enrollment.pk] = engine_member(enrollment)
    return [resolved.get(row["pk"], row) for row in rows], members


def claim_facts(row: dict, lines: list[dict], referral: dict | None) -> breakdowns.ClaimFacts:
    """A claim row and its line rows as the engine's facts. A receipt has a referral when
    the claim's referral is the student's and runs on its visit date (wuhan notice 五.3)."""
    return breakdowns.ClaimFacts(
        key=row["pk"],
        number=row["number"],
        state=row["state"],
        approval_sequence=row["approval_sequence"],
        rejection=row["rejection_message"],
        lines=tuple(
            breakdowns.LineFacts(
                key=line["pk"],
                invoice=line["invoice_number"],
                visit_date=line["visit_date"],
                care=line["care"],
                level=line["level"],
                in_scope=line["in_scope"],
                out_of_scope=line["out_of_scope"],
                catastrophic_disease=bool(line["catastrophic_disease"]),
                excluded=line["excluded"] or None,
                referral=referral is not None
                and rules.referral_valid(
                    issued_on=referral["issued_on"],
                    valid_until=referral["valid_until"],
                    day=line["visit_date"],
                ),
                stay=line["stay_key"] or None,
            )
            for line in lines
        ),
    )


def lines_of(claim_ids: Sequence[int]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = defaultdict(list)
    for chunk in chunks(sorted(claim_ids)):
        for line in (
            ClaimLine.objects.filter(claim_id__in=chunk)
            .order_by("claim_id", "position")
            .values(*LINE_FIELDS)
        ):
            found[line["claim_id"]].append(line)
    return found


def _referrals(pks: Iterable[int | None]) -> dict[int, dict]:
    wanted = sorted({pk for pk in pks if pk})
    found = {}
    for chunk in chunks(wanted):
        for referral in Referral.objects.filter(pk__in=chunk).values(
            "pk", "student_id", "issued_on", "valid_until"
        ):
            found[referral["pk"]] = referral
    return found


def _members(pks: Iterable[int | None], *, skip=()) -> dict[int, engine.Member]:
    """The engine's member of each enrollment whose cover is known."""
    wanted = sorted({pk for pk in pks if pk and pk not in skip})
    found = {}
    for chunk in chunks(wanted):
        for enrollment in Enrollment.objects.filter(pk__in=chunk).select_related(
            "student", "policy_year"
        ):
            try:
                found[enrollment.pk] = engine_member(enrollment)
            except Refused:
                continue
    return found


def year_claims(year: int) -> Q:
    """The claims of calendar year `year`: those of its policy years, and those no policy
    year took (no cover on the visit) numbered for a visit that year (BX{year}-…)."""
    return Q(policy_year__year=year) | Q(policy_year__isnull=True, number__startswith=f"BX{year}-")
