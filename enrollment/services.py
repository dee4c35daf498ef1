import hashlib
import io
from collections.abc import Callable, Iterable
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from . import roster, rules, spreadsheets
from .models import PersonalDataAccess, RosterImport, Student

Progress = Callable[[int, int], None]
CHUNK = 2000
PREVIEW_ROWS = 100
STORED_ERRORS = 1000


class RosterImportError(Exception):
    """The import was refused as a whole; nothing was written."""


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


# --- roster import ---------------------------------------------------------------------------


def roster_check(*, path: Path, name: str = "", progress: Progress | None = None) -> roster.Plan:
    """The dry run: read, validate and compare with the roster; writes nothing.
    Raises FileRefused or HeaderError for a file that cannot be used at all."""
    sheet = spreadsheets.read_sheet(path, name=name)
    header = roster.find_header(sheet.rows, first_row=sheet.first_row)
    data_rows = list(spreadsheets.iter_data_rows(sheet, header.index))
    del sheet
    total = len(data_rows)
    parsed = []
    for done, (row_number, cells) in enumerate(data_rows, start=1):
        parsed.append(roster.parse_row(header, row_number, cells))
        if progress and done % CHUNK == 0:
            progress(done, total)
    existing_by_key, key_by_student_number = _existing_students(parsed)
    plan = roster.plan_import(
        header,
        parsed,
        existing_by_key=existing_by_key,
        key_by_student_number=key_by_student_number,
    )
    if progress:
        progress(total, total)
    return plan


def _existing_students(parsed: list[roster.ParsedRow]):
    """The roster entries a file touches, by business key and by student number."""
    id_numbers = sorted({r.values["id_number"] for r in parsed if r.values.get("id_number")})
    student_numbers = sorted(
        {r.values["student_number"] for r in parsed if r.values.get("student_number")}
    )
    fields = ("pk", *roster.STUDENT_FIELDS)
    existing_by_key, key_by_student_number = {}, {}
    for lookup, values in (("id_number__in", id_numbers), ("student_number__in", student_numbers)):
        for start in range(0, len(values), CHUNK):
            chunk = values[start : start + CHUNK]
            for student in Student.objects.filter(**{lookup: chunk}).values(*fields):
                key = (student["id_type"], student["id_number"])
                existing_by_key[key] = (student.pop("pk"), student)
                key_by_student_number[student["student_number"]] = key
    return existing_by_key, key_by_student_number


@transaction.atomic
def roster_apply(
    *, plan: roster.Plan, valid_only: bool = False, progress: Progress | None = None
) -> dict:
    """Write a checked plan in one transaction: everything, or with `valid_only` the valid
    rows. A plan with rejected rows and no `valid_only` writes nothing."""
    if plan.rejected_rows and not valid_only:
        raise RosterImportError(
            f"有 {plan.invalid_rows} 行数据有误，未导入任何数据。"
            "请修正后重新导入，或选择「仅导入正确的行」。"
        )
    total = len(plan.new) + len(plan.updated)
    done = 0
    now = timezone.now()
    for start in range(0, len(plan.new), CHUNK):
        chunk = plan.new[start : start + CHUNK]
        Student.objects.bulk_create(
            [Student(**values, created_at=now, updated_at=now) for values in chunk]
        )
        done += len(chunk)
        if progress:
            progress(done, total)
    for start in range(0, len(plan.updated), CHUNK):
        chunk = plan.updated[start : start + CHUNK]
        fields = sorted({name for _, _, changes in chunk for name in changes})
        students = [Student(pk=pk, updated_at=now, **values) for pk, values, _ in chunk]
        Student.objects.bulk_update(students, [*fields, "updated_at"])
        done += len(chunk)
        if progress:
            progress(done, total)
    return {"created": len(plan.new), "updated": len(plan.updated)}


def roster_error_workbook(plan: roster.Plan) -> bytes:
    """The rejected rows as they were, with a reason column: fix and import again."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("错误行")
    sheet.append([_text_cell(sheet, value) for value in [*plan.header.cells, "原行号", "错误原因"]])
    for row in plan.rejected_rows:
        reasons = "；".join(f"[{e.column}] {e.message}（{e.code}）" for e in row.errors)
        sheet.append([_text_cell(sheet, value) for value in [*row.cells, row.row, reasons]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text_cell(sheet, value):
    """Cells keep their text: a value starting with = must not become a formula."""
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    return cell


# --- the import as a job (admin) -------------------------------------------------------------


def roster_import_start(*, upload, user, valid_only: bool = False) -> RosterImport:
    """Keep the uploaded file and queue its dry run; the request returns at once."""
    from . import tasks

    content = upload.read()
    roster_import = RosterImport(
        original_name=Path(upload.name).name[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=user,
        valid_only=valid_only,
    )
    roster_import.file.save(Path(upload.name).name, ContentFile(content), save=False)
    roster_import.save()
    transaction.on_commit(lambda: tasks.roster_import_check.delay(import_id=roster_import.pk))
    return roster_import


def roster_import_run_check(*, import_id: int) -> None:
    roster_import = RosterImport.objects.get(pk=import_id)
    if roster_import.status != RosterImport.Status.CHECKING:
        return  # a duplicate delivery of a finished check
    try:
        plan = roster_check(
            path=Path(roster_import.file.path),
            name=roster_import.original_name,
            progress=_progress_of(import_id),
        )
    except (spreadsheets.FileRefused, roster.HeaderError) as exc:
        RosterImport.objects.filter(pk=import_id).update(
            status=RosterImport.Status.REFUSED, error=str(exc)
        )
        return
    summary = _summary(plan)
    if plan.rejected_rows:
        storage = roster_import.file.storage
        summary["error_file"] = storage.save(
            f"roster-imports/errors/{import_id}.xlsx",
            ContentFile(roster_error_workbook(plan)),
        )
    RosterImport.objects.filter(pk=import_id, status=RosterImport.Status.CHECKING).update(
        status=RosterImport.Status.CHECKED, summary=summary
    )


def roster_import_confirm(*, roster_import: RosterImport, valid_only: bool) -> bool:
    """Claim the checked import for writing; False when it was already claimed (a double
    click, a second tab): the database decides, so it is written once."""
    from . import tasks

    claimed = RosterImport.objects.filter(
        pk=roster_import.pk, status=RosterImport.Status.CHECKED
    ).update(status=RosterImport.Status.IMPORTING, valid_only=valid_only, progress_done=0)
    if claimed:
        transaction.on_commit(lambda: tasks.roster_import_commit.delay(import_id=roster_import.pk))
    return bool(claimed)


def roster_import_run_commit(*, import_id: int) -> None:
    """Re-check the kept file against the roster as it is now and write it. A worker killed
    half-way leaves nothing written (one transaction) and the job still claimed, so the
    redelivered task simply runs again."""
    roster_import = RosterImport.objects.get(pk=import_id)
    if roster_import.status != RosterImport.Status.IMPORTING:
        return
    progress = _progress_of(import_id)
    try:
        plan = roster_check(path=Path(roster_import.file.path), name=roster_import.original_name)
        result = roster_apply(plan=plan, valid_only=roster_import.valid_only, progress=progress)
    except (spreadsheets.FileRefused, roster.HeaderError, RosterImportError) as exc:
        RosterImport.objects.filter(pk=import_id).update(
            status=RosterImport.Status.FAILED, error=str(exc)
        )
        return
    summary = {**roster_import.summary, **_summary(plan), "result": result}
    RosterImport.objects.filter(pk=import_id).update(
        status=RosterImport.Status.IMPORTED, summary=summary, imported_at=timezone.now()
    )


def _progress_of(import_id: int) -> Progress:
    def report(done: int, total: int) -> None:
        RosterImport.objects.filter(pk=import_id).update(progress_done=done, progress_total=total)

    return report


def _summary(plan: roster.Plan) -> dict:
    data = plan.as_json()
    data["invalid_rows"] = plan.invalid_rows
    data["invalid_total"] = len(data["invalid"])
    data["invalid"] = data["invalid"][:STORED_ERRORS]
    data["header_row"] = plan.header.row
    data["unknown_columns"] = plan.header.unknown
    data["preview_new"] = [_preview(values) for values in plan.new[:PREVIEW_ROWS]]
    data["preview_updated"] = [
        {
            "student_number": values["student_number"],
            "name": values["name"],
            "changes": {name: [_plain(old), _plain(new)] for name, (old, new) in changes.items()},
        }
        for _, values, changes in plan.updated[:PREVIEW_ROWS]
    ]
    return data


def _preview(values: dict) -> dict:
    return {
        "student_number": values.get("student_number", ""),
        "name": values.get("name", ""),
        "masked_id_number": rules.mask_id(values.get("id_number", "")),
        "college": values.get("college", ""),
        "registered_on": _plain(values.get("registered_on")),
    }


def _plain(value):
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)
