from collections.abc import Iterable

from . import rules
from .models import Student

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
