from collections.abc import Iterable

from django.db import transaction

from . import rules
from .models import PersonalDataAccess, Student


def personal_data_access_record(
    *, user, action: str, student_id: int | str | None = None, detail: str = ""
) -> PersonalDataAccess:
    return PersonalDataAccess.objects.create(
        user=user, action=action, student_id=student_id, detail=detail[:255]
    )


@transaction.atomic
def students_create_missing(*, students: Iterable[Student]) -> int:
    """Insert the students whose student number is not on the roster yet; returns how many.
    Derived fields (birth date, gender) are filled from the ID number."""
    students = list(students)
    existing = set(
        Student.objects.filter(student_number__in=[s.student_number for s in students]).values_list(
            "student_number", flat=True
        )
    )
    new = [s for s in students if s.student_number not in existing]
    for student in new:
        student.birth_date, student.gender = rules.birth_date_and_gender(
            student.id_type, student.id_number
        )
    Student.objects.bulk_create(new, batch_size=500)
    return len(new)
