"""The roster import: a dry run, then the import, as a job the admin can follow."""

import contextlib
import functools
import gc
import hashlib
import logging
import operator
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import connection, models, transaction
from django.utils import timezone

from office import exports, headers, spreadsheets
from office.errors import Refused
from office.incoming import excerpt
from office.jobs import Superseded, enqueue, job_progress_reporter, job_requeue
from office.rows import DataRows
from office.writes import refused_writes

from .. import roster, rules
from ..models import (
    RosterImport,
    Student,
)
from .common import CHUNK, Progress, chunks
from .roster_report import roster_summary

logger = logging.getLogger(__name__)
STUDENT_MAX_LENGTHS = {
    field.name: field.max_length
    for field in Student._meta.concrete_fields
    if isinstance(field, models.CharField)
}


class RosterImportError(Refused):
    """The import was refused as a whole; nothing was written."""


def student_derive_from_id(student: Student) -> None:
    """Birth date and gender follow the ID number whenever it is an 18-character one."""
    if student.id_type in rules.EIGHTEEN_CHAR_ID_TYPES and len(student.id_number) == 18:
        student.birth_date = rules.birth_date_of(student.id_number)
        student.gender = rules.gender_of(student.id_number)


# --- roster import ---------------------------------------------------------------------------


def roster_check(*, path: Path, name: str = "", progress: Progress | None = None) -> roster.Plan:
    """The dry run: read, validate and compare with the roster; writes nothing.
    Raises FileRefused (HeaderError included) for a file that cannot be used at all."""
    sheet, header = headers.find_table(
        spreadsheets.read_sheets(path, name=name),
        find=functools.partial(roster.find_header, max_lengths=STUDENT_MAX_LENGTHS),
    )
    total = max(sheet.height - header.index - 1, 0)
    parsed = []
    data = DataRows(sheet, header)
    with _cyclic_gc_paused():
        for row_number, cells in data:
            parsed.append(roster.parse_row(header, row_number, cells))
            if progress and len(parsed) % CHUNK == 0:
                progress(len(parsed), total)
    skipped = len(data.skipped)
    del sheet, data  # the workbook's own copy of every cell is not needed any more
    total = len(parsed)
    existing_by_key, key_by_student_number = _existing_students(parsed)
    plan = roster.plan_import(
        header,
        parsed,
        existing_by_key=existing_by_key,
        key_by_student_number=key_by_student_number,
    )
    plan.skipped = skipped
    if progress:
        progress(total, total)
    return plan


@contextlib.contextmanager
def _cyclic_gc_paused():
    """Parsing allocates a few containers per row and none of them form cycles; without
    the pause the collector rescans the growing heap over and over (a third of the time
    of a 60,000-row file)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _existing_students(parsed: list[roster.ParsedRow]):
    """The roster entries a file touches, by business key, and the owners of its student
    numbers. Full records are fetched once, by ID number; student numbers only need their
    owner's key."""
    fields = ("pk", *roster.EXISTING_FIELDS)
    existing_by_key, key_by_student_number = {}, {}
    id_numbers = defaultdict(set)  # by ID type, so the lookups use the business-key index
    for row in parsed:
        if row.values.get("id_type") and row.values.get("id_number"):
            id_numbers[row.values["id_type"]].add(row.values["id_number"])
    for id_type, numbers in id_numbers.items():
        for pk, *record in _students_with_ids(id_type, sorted(numbers), fields):
            key = (id_type, record[roster.EXISTING_INDEX["id_number"]])
            existing_by_key[key] = (pk, tuple(record))
            key_by_student_number[record[roster.EXISTING_INDEX["student_number"]]] = key
    unknown_numbers = sorted(
        {r.values["student_number"] for r in parsed if r.values.get("student_number")}
        - key_by_student_number.keys()
    )
    for chunk in chunks(unknown_numbers):
        owners = Student.objects.filter(student_number__in=chunk).values_list(
            "student_number", "id_type", "id_number"
        )
        for number, id_type, id_number in owners:
            key_by_student_number[number] = (id_type, id_number)
    return existing_by_key, key_by_student_number


def _students_with_ids(id_type: str, numbers: list[str], fields: tuple) -> Iterable[tuple]:
    """Rows of `fields` for these ID numbers. On PostgreSQL one array parameter per query:
    an `IN (%s, …)` of thousands of placeholders costs more to build than to run."""
    if connection.vendor != "postgresql":
        for chunk in chunks(numbers):
            matches = Student.objects.filter(id_type=id_type, id_number__in=chunk)
            yield from matches.values_list(*fields)
        return
    meta = Student._meta
    columns = ", ".join(
        connection.ops.quote_name(meta.pk.column if name == "pk" else meta.get_field(name).column)
        for name in fields
    )
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        for chunk in chunks(numbers, size=10 * CHUNK):
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE id_type = %s AND id_number = ANY(%s)",
                [id_type, chunk],
            )
            yield from cursor.fetchall()


@refused_writes()
@transaction.atomic
def roster_apply(
    *, plan: roster.Plan, valid_only: bool = False, progress: Progress | None = None
) -> dict:
    """Write a checked plan in one transaction: everything, or with `valid_only` the valid
    rows. A plan with rejected rows and no `valid_only` writes nothing; so does a write
    the database refuses (a WriteRefused saying which rule: office.writes)."""
    if plan.rejected_rows and not valid_only:
        raise RosterImportError(
            f"有 {plan.invalid_rows} 行数据有误，未导入任何数据。"
            "请修正后重新导入，或选择「仅导入正确的行」。"
        )
    total = len(plan.new) + len(plan.updated)
    done = 0
    now = timezone.now()
    for chunk in chunks(plan.new):
        _insert_students(chunk, now=now)
        done += len(chunk)
        if progress:
            progress(done, total)
    for chunk in chunks(plan.updated):
        fields = sorted({name for _, _, changes in chunk for name in changes})
        students = [Student(pk=pk, updated_at=now, **values) for pk, values, _ in chunk]
        Student.objects.bulk_update(students, [*fields, "updated_at"])
        done += len(chunk)
        if progress:
            progress(done, total)
    return {"created": len(plan.new), "updated": len(plan.updated)}


def _insert_students(rows: list[dict], *, now) -> None:
    """Insert validated rows as they are. bulk_create would spend most of an import pushing
    every value through the field layer again; these values are already clean, so only
    SQLite's date adapters apply. PostgreSQL gets COPY, others executemany."""
    fields = [f for f in Student._meta.concrete_fields if not f.primary_key]
    template = {field.name: field.get_default() for field in fields}
    template.update(created_at=now, updated_at=now)
    record_of = operator.itemgetter(*template)
    records = [record_of(template | values) for values in rows]
    table = connection.ops.quote_name(Student._meta.db_table)
    names = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for record in records:
                    copy.write_row(record)
            return
        adapters = [
            (index, connection.ops.adapt_datetimefield_value)
            if isinstance(field, models.DateTimeField)
            else (index, connection.ops.adapt_datefield_value)
            for index, field in enumerate(fields)
            if isinstance(field, models.DateField)
        ]
        if adapters:
            records = [_adapted(record, adapters) for record in records]
        marks = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", records)


def _adapted(record: tuple, adapters) -> tuple:
    record = list(record)
    for index, adapt in adapters:
        record[index] = adapt(record[index])
    return tuple(record)


def roster_error_workbook(plan: roster.Plan) -> bytes:
    """The rejected rows as they were, with a reason column: fix and import again."""
    columns = [
        *(exports.Column(cell, exports.Kind.AS_READ) for cell in plan.header.cells),
        exports.Column("原行号", exports.Kind.INTEGER),
        exports.Column("错误原因"),
        exports.Column("错误代码"),
    ]
    rows = [
        [
            *row.cells,
            row.row,
            "；".join(f"「{e.column}」{e.message}" for e in row.errors),
            ",".join(e.code for e in row.errors),
        ]
        for row in plan.rejected_rows
    ]
    return exports.xlsx(columns, rows, sheet="错误行")


# --- the import as a job (admin) -------------------------------------------------------------


def roster_import_start(*, upload, user) -> RosterImport:
    """Keep the uploaded file and queue its dry run; the request returns at once."""
    roster_import = _roster_import_create(content=upload.read(), name=upload.name, user=user)
    enqueue("enrollment.roster_import_check", job=roster_import, import_id=roster_import.pk)
    return roster_import


def roster_import_file(*, content: bytes, name: str, user) -> RosterImport:
    """Check and import a file in this process, recorded like an upload (seed_demo)."""
    roster_import = _roster_import_create(content=content, name=name, user=user)
    roster_import_run_check(import_id=roster_import.pk)
    RosterImport.objects.filter(pk=roster_import.pk, status=RosterImport.Status.CHECKED).update(
        status=RosterImport.Status.IMPORTING
    )
    roster_import_run_commit(import_id=roster_import.pk)
    roster_import.refresh_from_db()
    return roster_import


def _roster_import_create(*, content: bytes, name: str, user, valid_only: bool = False):
    roster_import = RosterImport(
        original_name=Path(name).name[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        started_by=user,
        valid_only=valid_only,
        heartbeat_at=timezone.now(),
    )
    roster_import.file.save(Path(name).name, ContentFile(content), save=False)
    roster_import.save()
    return roster_import


def roster_import_run_check(*, import_id: int, attempt: int | None = None) -> None:
    """The dry run as `attempt` (by default the import's current one)."""
    roster_import = RosterImport.objects.get(pk=import_id)
    if roster_import.status != RosterImport.Status.CHECKING:
        return  # a duplicate delivery of a finished check
    attempt = roster_import.attempt if attempt is None else attempt
    if not RosterImport.beat(import_id, attempt=attempt):
        return  # queued again meanwhile: the newer attempt checks it
    with _failing_job(import_id, attempt):
        plan = roster_check(
            path=Path(roster_import.file.path),
            name=roster_import.original_name,
            progress=job_progress_reporter(RosterImport, import_id, attempt=attempt),
        )
        produced_file = ""
        if plan.rejected_rows:
            produced_file = roster_import.produced_file.storage.save(
                f"roster-imports/errors/{import_id}.xlsx",
                ContentFile(roster_error_workbook(plan)),
            )
        RosterImport.objects.filter(
            pk=import_id, status=RosterImport.Status.CHECKING, attempt=attempt
        ).update(
            status=RosterImport.Status.CHECKED,
            heartbeat_at=timezone.now(),
            summary=roster_summary(plan),
            produced_file=produced_file,
        )


@contextlib.contextmanager
def _failing_job(import_id: int, attempt: int):
    """A job never stays "checking"/"importing" after it stopped: a refused file says
    why, anything else fails with the error recorded (and logged with its traceback).
    A worker whose attempt was superseded (its job queued again) just stops."""
    try:
        yield
    except Superseded:
        logger.warning("roster import %s: attempt %s superseded, stopped", import_id, attempt)
    except spreadsheets.FileRefused as exc:  # HeaderError included
        RosterImport.mark_failed(
            import_id, str(exc), status=RosterImport.Status.REFUSED, attempt=attempt
        )
    except Refused as exc:  # RosterImportError, and a write the database refused
        RosterImport.mark_failed(import_id, str(exc), attempt=attempt)
    except Exception as exc:
        logger.exception("roster import %s failed", import_id)
        RosterImport.mark_failed(
            import_id,
            f"导入失败，未写入任何数据（{type(exc).__name__}: {excerpt(str(exc), 200)}）。"
            "请联系系统管理员。",
            attempt=attempt,
        )


def roster_import_confirm(*, roster_import: RosterImport, valid_only: bool) -> bool:
    """Claim the checked import for writing; False when it was already claimed (a double
    click, a second tab): the database decides, so it is written once. Rows in error are
    left out only when asked (`valid_only`). Confirming an import whose worker was lost
    while importing carries it on (as the beat would) and counts as claimed."""
    if roster_import.summary.get("invalid_rows") and not valid_only:
        raise RosterImportError("部分行有错误：请修正后重新上传，或勾选「仅导入正确的行」。")
    claimed = RosterImport.objects.filter(
        pk=roster_import.pk, status=RosterImport.Status.CHECKED, attempt=roster_import.attempt
    ).update(
        status=RosterImport.Status.IMPORTING,
        valid_only=valid_only,
        progress_done=0,
        heartbeat_at=timezone.now(),
    )
    if claimed:
        enqueue(
            "enrollment.roster_import_commit",
            job=roster_import,
            import_id=roster_import.pk,
            attempt=roster_import.attempt,
        )
        return True
    roster_import.refresh_from_db()
    return job_requeue(roster_import)


def roster_import_run_commit(*, import_id: int, attempt: int | None = None) -> None:
    """Re-check the kept file against the roster as it is now, then write it and mark the
    import done in one transaction, under a lock on the import: a redelivered or
    duplicated task finds it done and does nothing; a worker killed half-way leaves
    nothing written and the job still claimed, so it is queued again (office.jobs) under
    a new attempt. A lost worker's commit, should it come back, holds the old attempt and
    is never written."""
    roster_import = RosterImport.objects.filter(
        pk=import_id, status=RosterImport.Status.IMPORTING
    ).first()
    if roster_import is None:
        return
    attempt = roster_import.attempt if attempt is None else attempt
    if not RosterImport.beat(import_id, attempt=attempt):
        return  # queued again meanwhile: the newer attempt writes it
    with _failing_job(import_id, attempt):
        plan = roster_check(
            path=Path(roster_import.file.path),
            name=roster_import.original_name,
            progress=job_progress_reporter(RosterImport, import_id, attempt=attempt),
        )
        with transaction.atomic():
            locked = RosterImport.objects.select_for_update().get(pk=import_id)
            if locked.status != RosterImport.Status.IMPORTING or locked.attempt != attempt:
                return
            result = roster_apply(plan=plan, valid_only=locked.valid_only)
            locked.status = RosterImport.Status.IMPORTED
            locked.summary = {**locked.summary, **roster_summary(plan), "result": result}
            locked.finished_at = locked.heartbeat_at = timezone.now()
            locked.save(update_fields=["status", "summary", "finished_at", "heartbeat_at"])
