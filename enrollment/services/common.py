"""What every enrollment use case shares: chunked work, progress reports and the
personal-data access log."""

from collections.abc import Callable, Iterable

from ..models import PersonalDataAccess

Progress = Callable[[int, int], None]
CHUNK = 2000


def chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def personal_data_access_record(
    *, user, action: str, student_id: int | str | None = None, detail: str = ""
) -> PersonalDataAccess:
    return PersonalDataAccess.objects.create(
        user=user, action=action, student_id=student_id, detail=detail[:255]
    )
