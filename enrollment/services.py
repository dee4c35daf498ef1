import contextlib
import gc
import hashlib
import logging
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Max
from django.utils import timezone

from policies import rules as policy_rules
from policies.selectors import policy_year_rules

from . import exports, roster, rules, spreadsheets, workflow
from .models import (
    Enrollment,
    EnrollmentEvent,
    PaymentList,
    PaymentListEntry,
    PersonalDataAccess,
    RosterImport,
    Student,
)

logger = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
CHUNK = 2000
PREVIEW_ROWS = 100
STORED_ERRORS = 1000
STUDENT_MAX_LENGTHS = {
    field.name: field.max_length
    for field in Student._meta.concrete_fields
    if isinstance(field, models.CharField)
}


class RosterImportError(Exception):
    """The import was refused as a whole; nothing was written."""


def personal_data_access_record(
    *, user, action: str, student_id: int | str | None = None, detail: str = ""
) -> PersonalDataAccess:
    return PersonalDataAccess.objects.create(
        user=user, action=action, student_id=student_id, detail=detail[:255]
    )


def student_derive_from_id(student: Student) -> None:
    """Birth date and gender follow the ID number whenever it is an 18-character one."""
    if student.id_type in rules.EIGHTEEN_CHAR_ID_TYPES and len(student.id_number) == 18:
        student.birth_date = rules.birth_date_of(student.id_number)
        student.gender = rules.gender_of(student.id_number)


# --- roster import ---------------------------------------------------------------------------


def roster_check(*, path: Path, name: str = "", progress: Progress | None = None) -> roster.Plan:
    """The dry run: read, validate and compare with the roster; writes nothing.
    Raises FileRefused or HeaderError for a file that cannot be used at all."""
    sheet = spreadsheets.read_sheet(path, name=name)
    header = roster.find_header(
        sheet.head, first_row=sheet.first_row, max_lengths=STUDENT_MAX_LENGTHS
    )
    total = max(sheet.height - header.index - 1, 0)
    parsed = []
    with _cyclic_gc_paused():
        for row_number, cells in spreadsheets.iter_data_rows(sheet, header.index):
            parsed.append(roster.parse_row(header, row_number, cells))
            if progress and len(parsed) % CHUNK == 0:
                progress(len(parsed), total)
    del sheet  # the workbook's own copy of every cell is not needed any more
    total = len(parsed)
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
    for chunk in _chunks(unknown_numbers):
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
        for chunk in _chunks(numbers):
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
        for chunk in _chunks(numbers, size=10 * CHUNK):
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE id_type = %s AND id_number = ANY(%s)",
                [id_type, chunk],
            )
            yield from cursor.fetchall()


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


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
    for chunk in _chunks(plan.new):
        _insert_students(chunk, now=now)
        done += len(chunk)
        if progress:
            progress(done, total)
    for chunk in _chunks(plan.updated):
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
    header = [*plan.header.cells, "原行号", "错误原因", "错误代码"]
    rows = [
        [
            *row.cells,
            row.row,
            "；".join(f"「{e.column}」{e.message}" for e in row.errors),
            ",".join(e.code for e in row.errors),
        ]
        for row in plan.rejected_rows
    ]
    return exports.xlsx([header, *rows], sheet="错误行")


# --- the import as a job (admin) -------------------------------------------------------------


def roster_import_start(*, upload, user) -> RosterImport:
    """Keep the uploaded file and queue its dry run; the request returns at once."""
    from . import tasks

    roster_import = _roster_import_create(content=upload.read(), name=upload.name, user=user)
    transaction.on_commit(lambda: _queue(tasks.roster_import_check, roster_import.pk))
    return roster_import


def _queue(task, import_id: int) -> None:
    """Send the job; if the broker cannot take it, say so on the import instead of leaving
    it waiting for a worker that will never hear of it."""
    try:
        task.delay(import_id=import_id)
    except Exception:
        logger.exception("could not queue %s for roster import %s", task.name, import_id)
        RosterImport.objects.filter(pk=import_id).update(
            status=RosterImport.Status.FAILED,
            error="任务队列暂时不可用，文件已保存但未处理。请稍后重新上传。",
        )


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
        uploaded_by=user,
        valid_only=valid_only,
    )
    roster_import.file.save(Path(name).name, ContentFile(content), save=False)
    roster_import.save()
    return roster_import


def roster_import_run_check(*, import_id: int) -> None:
    roster_import = RosterImport.objects.get(pk=import_id)
    if roster_import.status != RosterImport.Status.CHECKING:
        return  # a duplicate delivery of a finished check
    with _failing_job(import_id):
        plan = roster_check(
            path=Path(roster_import.file.path),
            name=roster_import.original_name,
            progress=_progress_of(import_id),
        )
        summary = _summary(plan)
        if plan.rejected_rows:
            summary["error_file"] = roster_import.file.storage.save(
                f"roster-imports/errors/{import_id}.xlsx",
                ContentFile(roster_error_workbook(plan)),
            )
        RosterImport.objects.filter(pk=import_id, status=RosterImport.Status.CHECKING).update(
            status=RosterImport.Status.CHECKED, summary=summary
        )


@contextlib.contextmanager
def _failing_job(import_id: int):
    """A job never stays "checking"/"importing" after it stopped: a refused file says
    why, anything else fails with the error recorded (and logged with its traceback)."""
    try:
        yield
    except (spreadsheets.FileRefused, roster.HeaderError) as exc:
        RosterImport.objects.filter(pk=import_id).update(
            status=RosterImport.Status.REFUSED, error=str(exc)
        )
    except RosterImportError as exc:
        RosterImport.objects.filter(pk=import_id).update(
            status=RosterImport.Status.FAILED, error=str(exc)
        )
    except Exception as exc:
        logger.exception("roster import %s failed", import_id)
        RosterImport.objects.filter(pk=import_id).update(
            status=RosterImport.Status.FAILED,
            error=f"导入失败，未写入任何数据（{type(exc).__name__}: {exc}）。请联系系统管理员。",
        )


def roster_import_confirm(*, roster_import: RosterImport, valid_only: bool) -> bool:
    """Claim the checked import for writing; False when it was already claimed (a double
    click, a second tab): the database decides, so it is written once."""
    from . import tasks

    claimed = RosterImport.objects.filter(
        pk=roster_import.pk, status=RosterImport.Status.CHECKED
    ).update(status=RosterImport.Status.IMPORTING, valid_only=valid_only, progress_done=0)
    if claimed:
        transaction.on_commit(lambda: _queue(tasks.roster_import_commit, roster_import.pk))
    return bool(claimed)


def roster_import_run_commit(*, import_id: int) -> None:
    """Re-check the kept file against the roster as it is now, then write it and mark the
    import done in one transaction, under a lock on the import: a redelivered or
    duplicated task finds it done and does nothing; a worker killed half-way leaves
    nothing written and the job still claimed, so the redelivered task runs it again."""
    if not RosterImport.objects.filter(pk=import_id, status=RosterImport.Status.IMPORTING).exists():
        return
    roster_import = RosterImport.objects.get(pk=import_id)
    with _failing_job(import_id):
        plan = roster_check(
            path=Path(roster_import.file.path),
            name=roster_import.original_name,
            progress=_progress_of(import_id),
        )
        with transaction.atomic():
            locked = RosterImport.objects.select_for_update().get(pk=import_id)
            if locked.status != RosterImport.Status.IMPORTING:
                return
            try:
                result = roster_apply(plan=plan, valid_only=locked.valid_only)
            except IntegrityError as exc:
                raise RosterImportError(
                    "名册在检查之后已被修改（例如另一份名单同时导入了相同的学生），"
                    "未写入任何数据。请重新上传该文件。"
                ) from exc
            locked.status = RosterImport.Status.IMPORTED
            locked.summary = {**locked.summary, **_summary(plan), "result": result}
            locked.imported_at = timezone.now()
            locked.save(update_fields=["status", "summary", "imported_at"])


def _progress_of(import_id: int) -> Progress:
    def report(done: int, total: int) -> None:
        RosterImport.objects.filter(pk=import_id).update(progress_done=done, progress_total=total)

    return report


def _summary(plan: roster.Plan) -> dict:
    data = plan.as_json()
    data["invalid_rows"] = plan.invalid_rows
    data["invalid_total"] = len(data["invalid"])
    data["invalid"] = data["invalid"][:STORED_ERRORS]
    data["ineligible_total"] = len(data["ineligible"])
    data["ineligible"] = data["ineligible"][:STORED_ERRORS]
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


# --- enrollments -----------------------------------------------------------------------------


class EnrollmentRefused(Exception):
    pass


def enrollment_create(
    *, student: Student, policy_year, kind: str, today: date, by=None
) -> Enrollment:
    """A new enrollment priced from its policy year, in its kind's first state, with the
    cover dates of the rule engine. Creating the same student × year twice is refused by
    the database's unique constraint."""
    if kind == workflow.FRESHMAN and today > policy_year.freshman_window_closes_on:
        # shanghai guide Q4: 集中参保期开始后，不再补建立秋季入学新生当年的居保账户
        raise EnrollmentRefused(
            f"{policy_year} 的新生申报已于 {policy_year.freshman_window_closes_on:%Y-%m-%d} 截止"
            "（下一年度集中参保期已开始），不能再为新生建立当年账户。"
        )
    if kind == workflow.FRESHMAN and (
        student.registered_on is None or student.registered_on.year != policy_year.year
    ):
        raise EnrollmentRefused(
            f"{student} 的报到注册时间不在 {policy_year.year} 年，不能按新生参保。"
        )
    pricing = workflow.price(
        kind=kind,
        category=student.subsidy_category,
        premium=policy_year.premium,
        freshman_premium_waived=policy_year.freshman_premium_waived,
    )
    cover = None
    if kind == workflow.FRESHMAN:
        cover = policy_rules.cover_for(
            policy_year_rules(policy_year),
            policy_rules.EnrollmentFacts(kind=kind, registered_on=student.registered_on),
        )
    elif kind == workflow.COLLECTIVE:
        cover = policy_rules.cover_for(
            policy_year_rules(policy_year), policy_rules.EnrollmentFacts(kind=kind)
        )
    with transaction.atomic():
        enrollment = Enrollment.objects.create(
            student=student,
            policy_year=policy_year,
            kind=kind,
            state=pricing.initial_state,
            payer=pricing.payer,
            premium_due=pricing.premium_due,
            cover_start=cover.start if cover else None,
            cover_end=cover.end if cover else None,
            waiting_months=cover.waiting_months if cover else 0,
        )
        EnrollmentEvent.objects.create(enrollment=enrollment, to_state=enrollment.state, by=by)
    return enrollment


def enrollment_transition(
    *, enrollment: Enrollment, to: str, by=None, reason: str = "", amount_paid=None
) -> Enrollment:
    """Move one enrollment to `to` if workflow.check_transition allows it. The row is
    locked first, so two clerks acting at once cannot both move it from the same state."""
    with transaction.atomic():
        current = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        if to == workflow.PAID and not (amount_paid and amount_paid > 0):
            raise workflow.TransitionRefused("记为已缴费须填写实缴金额。")
        workflow.check_transition(_facts(current), to, reason=reason)
        EnrollmentEvent.objects.create(
            enrollment=current, from_state=current.state, to_state=to, reason=reason, by=by
        )
        current.state = to
        current.reason = reason
        if amount_paid is not None:
            current.amount_paid = amount_paid
        current.save(update_fields=["state", "reason", "amount_paid", "updated_at"])
    return current


def _facts(enrollment: Enrollment) -> workflow.Facts:
    return workflow.Facts(
        kind=enrollment.kind,
        state=enrollment.state,
        payer=enrollment.payer,
        amount_paid=enrollment.amount_paid,
        premium_due=enrollment.premium_due,
    )


def enrollments_confirm(*, enrollments, by) -> tuple[int, list[str]]:
    """批量确认: staff confirm for freshmen who cannot use the app. Returns how many moved
    and, for the others, why not."""
    moved, refused = 0, []
    for enrollment in enrollments:
        try:
            enrollment_transition(enrollment=enrollment, to=workflow.PENDING_REVIEW, by=by)
        except workflow.TransitionRefused as exc:
            refused.append(f"{enrollment.student}：{exc}")
        else:
            moved += 1
    return moved, refused


# --- tax-bureau payment lists (缴费清单, DESIGN.md §5) -----------------------------------------

PAYMENT_LIST_HEADER = [
    "序号",
    "姓名",
    "证件类型",
    "证件号码",
    "学号",
    "学院",
    "缴费年度",
    "险种",
    "人员类别",
    "应缴金额",
    "备注",
]
SCHEME = "城乡居民基本医疗保险"
PERSON_CATEGORY = "大学生"


@dataclass(frozen=True)
class PaymentListFile:
    number: int | None
    rows: int
    total: Decimal
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def payment_list_open(*, year: int):
    """Established enrollments of `year` whose premium the school collected and has not
    remitted. Exempt (重残), opted-out, unpaid, government-paid and family mutual-aid
    enrollments never qualify: they are not established-and-collected by the school."""
    return (
        Enrollment.objects.filter(
            policy_year__year=year,
            state=workflow.ESTABLISHED,
            premium_due__gt=0,
            amount_paid__gte=F("premium_due"),
        )
        .exclude(payer__in=[workflow.FAMILY_AID, workflow.GOVERNMENT])
        .select_related("student")
        .order_by("student__college", "student__student_number", "pk")
    )


def payment_list_export_open(*, year: int) -> PaymentListFile:
    rows = [_payment_row(e, year) for e in payment_list_open(year=year)]
    return _payment_list_file(None, rows)


@transaction.atomic
def payment_list_freeze(*, year: int, by=None) -> PaymentListFile:
    """Freeze the open list as the next number: record its rows, mark its members
    remitted (each move checked by the workflow) and keep the file's SHA-256."""
    enrollments = list(payment_list_open(year=year).select_for_update(of=("self",)))
    if not enrollments:
        raise EnrollmentRefused(f"{year} 年度没有待汇缴的记录。")
    rows = [_payment_row(e, year) for e in enrollments]
    number = (PaymentList.objects.aggregate(last=Max("number"))["last"] or 0) + 1
    exported = _payment_list_file(number, rows)
    payment_list = PaymentList.objects.create(
        number=number,
        year=year,
        rows=exported.rows,
        total=exported.total,
        sha256=exported.sha256,
        frozen_by=by,
    )
    PaymentListEntry.objects.bulk_create(
        PaymentListEntry(
            payment_list=payment_list,
            enrollment=enrollment,
            position=position,
            amount=enrollment.premium_due,
            row=_json_row(row),
        )
        for position, (enrollment, row) in enumerate(zip(enrollments, rows, strict=True), 1)
    )
    _transition_many(enrollments, to=workflow.REMITTED, by=by, reason=f"缴费清单 #{number}")
    return exported


def payment_list_export_frozen(*, number: int) -> PaymentListFile:
    """Frozen list `number` again, from the rows recorded when it was frozen."""
    payment_list = PaymentList.objects.get(number=number)
    rows = [
        [*entry.row[:-2], Decimal(entry.row[-2]), entry.row[-1]]
        for entry in payment_list.entries.order_by("position")
    ]
    exported = _payment_list_file(number, rows)
    if exported.sha256 != payment_list.sha256:
        raise EnrollmentRefused(f"缴费清单 #{number} 重新生成的文件与冻结时不一致。")
    return exported


def _payment_row(enrollment: Enrollment, year: int) -> list:
    student = enrollment.student
    note = "" if enrollment.payer == workflow.STUDENT else workflow.PAYER_LABELS[enrollment.payer]
    return [
        student.name,
        roster.ID_TYPE_LABELS[student.id_type],
        student.id_number,
        student.student_number,
        student.college,
        str(year),
        SCHEME,
        PERSON_CATEGORY,
        enrollment.premium_due,
        note,
    ]


def _json_row(row: list) -> list:
    return [str(value) for value in row]


def _payment_list_file(number: int | None, rows: list[list]) -> PaymentListFile:
    total = sum((row[-2] for row in rows), Decimal("0.00"))
    body = [[position, *row] for position, row in enumerate(rows, 1)]
    footer = ["合计", "", "", "", "", "", "", "", "", total, f"{len(rows)} 人"]
    content = exports.xlsx([PAYMENT_LIST_HEADER, *body, footer], sheet="缴费清单")
    return PaymentListFile(number=number, rows=len(rows), total=total, content=content)


def _transition_many(enrollments: list[Enrollment], *, to: str, by, reason: str) -> None:
    """The same move for many enrollments at once: each checked by the workflow, written
    with one conditional UPDATE that must touch exactly those rows."""
    for enrollment in enrollments:
        workflow.check_transition(_facts(enrollment), to, reason=reason)
    by_state = defaultdict(list)
    for enrollment in enrollments:
        by_state[enrollment.state].append(enrollment.pk)
    for state, pks in by_state.items():
        for chunk in _chunks(pks):
            moved = Enrollment.objects.filter(pk__in=chunk, state=state).update(
                state=to, reason=reason, updated_at=timezone.now()
            )
            if moved != len(chunk):
                raise EnrollmentRefused("部分记录已被他人修改，请重试。")
        EnrollmentEvent.objects.bulk_create(
            EnrollmentEvent(enrollment_id=pk, from_state=state, to_state=to, reason=reason, by=by)
            for pk in pks
        )
