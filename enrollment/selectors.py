from collections import defaultdict
from collections.abc import Iterable

from . import rules, workflow
from .models import CollectiveRun, Enrollment, OptOut, Student

ELIGIBILITY_FIELDS = tuple(rules.EligibilityFacts.__dataclass_fields__)


def student_eligibility(student: Student) -> rules.Eligibility:
    return rules.eligibility(
        rules.EligibilityFacts(**{name: getattr(student, name) for name in ELIGIBILITY_FIELDS})
    )


def student_pks_with_eligibility(queryset, code: str) -> list[int]:
    """Eligibility is a rule over each student's facts, not a column: evaluated in bulk
    over the few fields it reads. `code` is a reason code, or "eligible"."""
    matching = []
    for pk, *values in queryset.values_list("pk", *ELIGIBILITY_FIELDS).iterator(chunk_size=2000):
        status = rules.eligibility(rules.EligibilityFacts(*values))
        if (status.code or "eligible") == code:
            matching.append(pk)
    return matching


def eligible_students(students: Iterable[Student]) -> list[Student]:
    return [student for student in students if student_eligibility(student).eligible]


def recorded_years(policy_year) -> frozenset[int]:
    """The region's years before `policy_year` whose collective enrollment the portal ran
    to the end: only there does a student without an enrollment have a gap year
    (rules.gap_years). A year the office ran elsewhere is unknown, not a gap."""
    return frozenset(
        CollectiveRun.objects.filter(
            status=CollectiveRun.Status.DONE,
            policy_year__region=policy_year.region_id,
            policy_year__year__lt=policy_year.year,
        )
        .values_list("policy_year__year", flat=True)
        .distinct()
    )


def covered_years(student_pks: list[int], policy_year) -> dict[int, set[int]]:
    """Per student, the region's earlier years with cover: an established account, or an
    opt-out because the student stayed insured elsewhere (still continuous cover)."""
    covered = defaultdict(set)
    earlier = {
        "policy_year__region": policy_year.region_id,
        "policy_year__year__lt": policy_year.year,
    }
    for student_id, year, state, payer in Enrollment.objects.filter(
        student_id__in=student_pks, **earlier
    ).values_list("student_id", "policy_year__year", "state", "payer"):
        if workflow.was_covered(state, payer):
            covered[student_id].add(year)
    for student_id, year in OptOut.objects.filter(
        student_id__in=student_pks, reason=OptOut.Reason.INSURED_ELSEWHERE, **earlier
    ).values_list("student_id", "policy_year__year"):
        covered[student_id].add(year)
    return covered
