"""Incoming files (DESIGN.md §5), one protocol for every importer: a check reads the file
and returns a plan (what would be done, and the problems, each naming its row and
column) without writing anything; the staff confirm; the apply step reads the same kept
file again and does it, once. The roster import runs the same check as a job and shares
the reading, the header finder, the cell cleaner and the `Problem` shape."""

import functools
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from .errors import Refused
from .headers import Header, Labels, Need, find_header, find_table
from .models import IncomingFile
from .retention import upload_retention
from .rows import DataRows
from .spreadsheets import read_sheets
from .writes import refused_writes

# Uploads hold full ID numbers: none is kept longer than office.retention's period
# (UPLOAD_RETENTION_DAYS), confirmed or not (swept hourly by the
# `office.remove_stale_uploads` beat task, and on every upload).
FOLDER = "incoming"


# A message quotes a cell's first characters, never the cell: a file may hold a megabyte
# in one cell, and every message is stored, shown and sent to scripts.
QUOTED_CHARS = 20
MAX_MESSAGE_CHARS = 300


def excerpt(value, limit: int = QUOTED_CHARS) -> str:
    """A cell as a message quotes it: whole when short, else its first `limit`
    characters and how long it was."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…（共 {len(text)} 个字符）"


@dataclass(frozen=True)
class Problem:
    """Why one row (or one cell) of a file cannot be used, in the staff's words; `code`
    is a stable name for scripts where an importer gives one. Messages quote cells
    through `excerpt`; one that is still too long is cut at MAX_MESSAGE_CHARS."""

    row: int
    column: str
    message: str
    code: str = ""

    def __post_init__(self):
        if len(self.message) > MAX_MESSAGE_CHARS:
            object.__setattr__(self, "message", self.message[: MAX_MESSAGE_CHARS - 1] + "…")

    def as_json(self) -> dict:
        data = {"row": self.row, "column": self.column}
        if self.code:
            data["code"] = self.code
        data["message"] = self.message
        return data


@dataclass
class Plan:
    """What a check found, and after the apply step what was done (`applied`). An importer
    subclasses it with what it would change and says it three ways: `preview()` as a
    table for the staff, `as_json()` for scripts, `summary()` in one line. `flagged`
    rows are used but shown with a warning; `problems` rows are left out."""

    header_row: int = 0
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    flagged: list[Problem] = field(default_factory=list)
    applied: bool = False
    skipped: int = 0  # footers and repeated page tops, not data (office.rows)

    # as_json() key -> the staff's word for it, in the order the summary gives them
    summary_labels: ClassVar[Mapping[str, str]] = {}

    def preview(self) -> tuple[list[str], list[list]]:
        raise NotImplementedError

    def as_json(self) -> dict:
        raise NotImplementedError

    def summary(self) -> str:
        """ "数据行 2，已建账 1，…，有问题 0 行": counts as they are, lists by their length
        when not empty, and always how many rows have problems."""
        data = self.as_json()
        parts = []
        for key, label in self.summary_labels.items():
            if key not in data:
                continue
            value = data[key]
            if isinstance(value, list):
                if value:
                    parts.append(f"{label} {len(value)} 行")
            else:
                parts.append(f"{label} {value}")
        parts.append(f"有问题 {len(self.problems)} 行")
        if self.skipped:
            parts.append(f"跳过表尾、重复表头等非数据行 {self.skipped} 行")
        return "，".join(parts)


@dataclass
class Rows:
    """A file read and parsed row by row: the usable rows and the problem rows."""

    header: Header
    rows: int = 0
    parsed: list = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: int = 0  # footers and repeated page tops (office.rows)


def read_rows(
    path: Path,
    *,
    name: str,
    labels: Labels,
    required: tuple[Need, ...],
    parse: Callable[[Header, int, list], object],
    max_lengths: Mapping[str, int] | None = None,
) -> Rows:
    """Every non-blank row after the header through `parse(header, row, cells)`, which
    returns what the row says or a `Problem`; `max_lengths` (field -> the longest value
    the database keeps) is the header's, for `parse` to check. Raises FileRefused
    (HeaderError included) for a file that cannot be used at all."""
    sheet, header = find_table(
        read_sheets(path, name=name),
        find=functools.partial(
            find_header, labels=labels, required=required, max_lengths=max_lengths
        ),
    )
    read = Rows(header=header)
    data = DataRows(sheet, header)
    for row, cells in data:
        read.rows += 1
        parsed = parse(header, row, cells)
        if isinstance(parsed, Problem):
            read.problems.append(parsed)
        else:
            read.parsed.append(parsed)
    read.skipped = len(data.skipped)
    return read


# --- the kept file between the dry run and the confirmation ---------------------------------


class IncomingFileGone(Refused):
    """The confirmation names a file that is no longer waiting: never kept, past the
    retention, or applied already (a double click, a second tab)."""

    def __init__(self):
        super().__init__(_("The uploaded file has expired; upload it again."), code="gone")


def incoming_file_check(
    *,
    upload,
    kind: str,
    check: Callable[..., Plan],
    parameters: Mapping | None = None,
    by=None,
    now: datetime,
) -> tuple[IncomingFile, Plan]:
    """Keep an upload under a name of ours and run its dry run, `check(path=, name=)`.
    `kind` names the importer and `parameters` what the apply step will need (JSON).
    A file the check refuses as a whole is not kept."""
    incoming_files_remove_stale(now=now)
    token = uuid.uuid4().hex
    suffix = Path(upload.name).suffix.lower()
    stored = IncomingFile(
        token=token,
        kind=kind,
        original_name=Path(upload.name).name[:255],
        parameters=dict(parameters or {}),
        uploaded_by=by,
        uploaded_at=now,
    )
    stored.file.save(
        token + (suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ""), upload, save=False
    )
    stored.save()
    try:
        plan = check(path=Path(stored.file.path), name=stored.original_name)
    except Exception:
        _discard(stored)
        raise
    return stored, plan


def incoming_file_find(*, token: str, kind: str, now: datetime) -> IncomingFile:
    """The kept file of `kind` a confirmation names, still waiting; IncomingFileGone if
    there is none."""
    found = IncomingFile.objects.filter(
        token=str(token),
        kind=kind,
        applied_at__isnull=True,
        uploaded_at__gte=now - upload_retention(),
    ).first()
    if found is None or not found.file or not Path(found.file.path).is_file():
        raise IncomingFileGone
    return found


def incoming_file_apply(
    *, incoming_file: IncomingFile, apply: Callable[..., Plan], by=None, now: datetime
) -> Plan:
    """Apply a kept file once, `apply(path=, name=)`, all or nothing; the file is removed
    when it is done. The claim is a conditional UPDATE, the transaction's first write: a
    second confirmation waits for the first and then finds nothing to claim. A write the
    database refuses is a WriteRefused, and the file can be confirmed again."""
    with refused_writes(), transaction.atomic():
        claimed = IncomingFile.objects.filter(
            pk=incoming_file.pk,
            applied_at__isnull=True,
            uploaded_at__gte=now - upload_retention(),
        ).update(applied_at=now, applied_by=by)
        if not claimed:
            raise IncomingFileGone
        plan = apply(path=Path(incoming_file.file.path), name=incoming_file.original_name)
        IncomingFile.objects.filter(pk=incoming_file.pk).update(file="")
        stored = incoming_file.file
        transaction.on_commit(lambda: stored.storage.delete(stored.name))
    return plan


def incoming_files_remove_stale(*, now: datetime) -> int:
    """Remove every kept file older than the retention period, applied or not, and any file left in
    the folder without its record (a crash between the two writes, or uploads kept by
    an earlier version). Returns how many files went."""
    cutoff = now - upload_retention()
    removed = 0
    for stale in IncomingFile.objects.filter(uploaded_at__lt=cutoff):
        if stale.file:
            removed += 1
        _discard(stale)
    folder = Path(settings.MEDIA_ROOT) / FOLDER
    if folder.is_dir():
        kept = {Path(name).name for name in IncomingFile.objects.values_list("file", flat=True)}
        for path in folder.iterdir():
            if (
                path.is_file()
                and path.name not in kept
                and path.stat().st_mtime < cutoff.timestamp()
            ):
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def incoming_file_discard(*, token: str, kind: str) -> bool:
    """Staff give up an upload instead of confirming it: its record and file go now.
    False when it is no longer waiting (applied meanwhile, or past the retention): the
    conditional DELETE waits for a confirmation in progress and then finds nothing."""
    stored = IncomingFile.objects.filter(token=str(token), kind=kind).first()
    if stored is None:
        return False
    deleted, _counts = IncomingFile.objects.filter(pk=stored.pk, applied_at__isnull=True).delete()
    if deleted and stored.file:
        stored.file.storage.delete(stored.file.name)
    return bool(deleted)


def _discard(stored: IncomingFile) -> None:
    if stored.file:
        stored.file.delete(save=False)
    stored.delete()
