"""The database facts claims are checked against, read once for many claims: each
student's enrollments (for cover on a visit date), the policy years' rule snapshots (for
the benefit rule of a receipt's care and level) and referrals. An import of fifty
thousand claims asks a few queries, not a few per claim."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from enrollment.models import Enrollment
from enrollment.selectors import Cover, cover_among
from office.errors import Refused
from policies import engine
from policies.models import PolicyYear
from policies.selectors import policy_year_for, policy_year_get, policy_year_rules

from ..models import Referral

CHUNK = 2000


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Covers:
    """The cover of each of `student_ids` on any day, from their enrollments read once."""

    def __init__(self, student_ids: Iterable[int]):
        self._by_student: dict[int, list[Enrollment]] = defaultdict(list)
        for chunk in _chunks(sorted(set(student_ids))):
            for enrollment in Enrollment.objects.filter(
                student_id__in=chunk, cover_start__isnull=False
            ).select_related("policy_year"):
                self._by_student[enrollment.student_id].append(enrollment)

    def on(self, student_id: int, day: date) -> Cover | None:
        return cover_among(self._by_student.get(student_id, ()), day)


class PolicyYears:
    """Policy years by visit year (the school's region, for a visit nobody covers) and
    their rule snapshots, each read once."""

    def __init__(self):
        self._school: dict[int, PolicyYear | None] = {}
        self._rules: dict[int, engine.PolicyYearRules] = {}

    def of_school(self, year: int) -> PolicyYear | None:
        if year not in self._school:
            try:
                self._school[year] = policy_year_for(year=year)
            except Refused:
                self._school[year] = None
        return self._school[year]

    def rules(self, policy_year: PolicyYear) -> engine.PolicyYearRules:
        if policy_year.pk not in self._rules:
            self._rules[policy_year.pk] = policy_year_rules(policy_year_get(code=policy_year.code))
        return self._rules[policy_year.pk]

    def referral_required(self, policy_year: PolicyYear | None, care: str, level: str) -> bool:
        """Whether the year's benefit rule for `care` at `level` asks for a referral (a
        care the year does not settle asks for none: the engine says so on approval)."""
        if policy_year is None:
            return False
        try:
            return engine.rule_for(self.rules(policy_year), care, level).referral_required
        except ValueError:
            return False

    def payer(self, policy_year: PolicyYear | None, care: str, level: str) -> str | None:
        """Who pays the fund's share of `care` at `level` in the year (engine.PAYERS)."""
        if policy_year is None:
            return None
        try:
            return engine.rule_for(self.rules(policy_year), care, level).payer
        except ValueError:
            return None


def referrals_by_pk(pks: Iterable[int | None]) -> dict[int, Referral]:
    wanted = sorted({pk for pk in pks if pk})
    found: dict[int, Referral] = {}
    for chunk in _chunks(wanted):
        found.update(Referral.objects.in_bulk(chunk))
    return found
