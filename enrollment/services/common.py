"""What every enrollment use case shares: chunked work, progress reports, the
personal-data access log and reading the files that come back."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings

from .. import incoming, spreadsheets
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


@dataclass
class IncomingRows:
    """A results or payment file read and parsed: the usable rows and the problem rows."""

    header_row: int
    rows: int = 0
    parsed: list = field(default_factory=list)
    problems: list[incoming.Problem] = field(default_factory=list)


def incoming_rows(
    path: Path, *, name: str, labels: dict, required: tuple, parse: Callable
) -> IncomingRows:
    """Raises FileRefused or HeaderError for a file that cannot be used at all."""
    sheet = spreadsheets.read_sheet(path, name=name)
    columns = incoming.find_columns(
        sheet.head, first_row=sheet.first_row, labels=labels, required=required
    )
    read = IncomingRows(header_row=columns.row)
    for row, cells in spreadsheets.iter_data_rows(sheet, columns.index):
        read.rows += 1
        parsed = parse(columns, row, cells)
        if isinstance(parsed, incoming.Problem):
            read.problems.append(parsed)
        else:
            read.parsed.append(parsed)
    return read


INCOMING_KEPT_FOR = timedelta(days=1)


def incoming_upload_path(token: str) -> Path:
    """Where an uploaded results or payment file waits between the dry run and the
    confirmation (the admin names it with a random token)."""
    return Path(settings.MEDIA_ROOT) / "incoming" / token


def incoming_uploads_remove_stale(*, now: datetime | None = None) -> int:
    """Uploads never confirmed hold full ID numbers: none is kept beyond a day (run
    hourly by beat, and on every upload)."""
    folder = Path(settings.MEDIA_ROOT) / "incoming"
    if not folder.is_dir():
        return 0
    cutoff = (now or datetime.now(UTC)).timestamp() - INCOMING_KEPT_FOR.total_seconds()
    removed = 0
    for path in folder.iterdir():
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
