"""Freshman declarations (DESIGN.md §1.1): batches for the bureau's portal, the pending
lists per college, and the bureau's results coming back."""

import functools
import operator
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from office import exports
from office.incoming import Plan, Problem, excerpt, read_rows
from office.scoping import in_colleges
from office.writes import max_lengths, refused_writes
from policies.selectors import policy_year_rules, special_group_treatments

from .. import incoming, roster, rules, workflow
from ..models import DeclarationBatch, Enrollment, EnrollmentEvent, Student
from ..selectors import cover_shown, cover_waits_for_premium, eligible_students
from .enrollments import (
    FACT_FIELDS,
    EnrollmentRefused,
    enrollment_build,
    enrollment_transition,
    facts_of,
)

DECLARATION_HEADER = [
    "姓名",
    "证件类型",
    "证件号码",
    "院校名称",
    "学院名称",
    "专业名称",
    "学号",
    "报到注册时间",
]
PENDING_HEADER = ["学院", "专业", "学号", "姓名", "手机号", "报到注册时间", "状态"]
DECLARATION_COLUMNS = exports.columns_of(DECLARATION_HEADER, {"报到注册时间": exports.Kind.DATE})
PENDING_COLUMNS = exports.columns_of(PENDING_HEADER, {"报到注册时间": exports.Kind.DATE})


# --- declaration batches -----------------------------------------------------------------------


@transaction.atomic
def declaration_batch_create(
    *, policy_year, registered_from: date, registered_to: date, today: date, by=None
) -> DeclarationBatch:
    """The eligible freshmen registered in the range, not declared yet nor opted out,
    grouped as the next batch. Their freshman enrollments are created first where missing; severe
    disability is never declared (the bureau creates those accounts, DESIGN.md §4.4)."""
    if registered_from > registered_to:
        raise EnrollmentRefused("开始日期晚于结束日期。")
    if today > policy_year.freshman_window_closes_on:
        raise EnrollmentRefused(
            f"{policy_year} 的新生申报已于 {policy_year.freshman_window_closes_on:%Y-%m-%d} 截止。"
        )
    students = (
        Student.objects.filter(
            registered_on__range=(registered_from, registered_to),
            registered_on__year=policy_year.year,
        )
        .exclude(enrollments__policy_year=policy_year)
        .exclude(opt_outs__policy_year=policy_year)
    )
    year_rules = policy_year_rules(policy_year)
    special_groups = special_group_treatments(policy_year)
    created = [
        enrollment_build(
            student_id=student.pk,
            category=student.subsidy_category,
            registered_on=student.registered_on,
            policy_year=policy_year,
            rules=year_rules,
            kind=workflow.FRESHMAN,
            special_groups=special_groups,
        )
        for student in eligible_students(students)
    ]
    Enrollment.objects.bulk_create(created)
    EnrollmentEvent.objects.bulk_create(
        EnrollmentEvent(enrollment_id=enrollment.pk, to_state=enrollment.state, by=by)
        for enrollment in created
    )
    members = Enrollment.objects.filter(
        policy_year=policy_year,
        kind=workflow.FRESHMAN,
        declaration_batch__isnull=True,
        student__registered_on__range=(registered_from, registered_to),
    ).exclude(state__in=[workflow.EXEMPT, workflow.OPTED_OUT])
    number = (DeclarationBatch.objects.aggregate(last=Max("number"))["last"] or 0) + 1
    batch = DeclarationBatch.objects.create(
        number=number,
        policy_year=policy_year,
        registered_from=registered_from,
        registered_to=registered_to,
        created_by=by,
    )
    batch.rows = members.update(declaration_batch=batch)
    if not batch.rows:
        raise EnrollmentRefused(
            f"{registered_from:%Y-%m-%d} 至 {registered_to:%Y-%m-%d} 报到的新生中没有待申报的学生。"
        )
    batch.save(update_fields=["rows"])
    return batch


@transaction.atomic
def declaration_batch_export(*, batch: DeclarationBatch, by=None) -> bytes:
    """The upload file for the bureau's portal. The first export freezes the batch; later
    ones return the same bytes."""
    batch = DeclarationBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.is_frozen:
        return batch.kept_file()
    # a member who opted out before the first upload is not declared
    members = (
        batch.enrollments.exclude(state__in=[workflow.OPTED_OUT, workflow.EXEMPT])
        .select_related("student")
        .order_by("student__college", "student__student_number")
    )
    rows = [
        [
            student.name,
            roster.ID_TYPE_LABELS[student.id_type],
            student.id_number,
            student.school,
            student.college,
            student.major,
            student.student_number,
            student.registered_on,
        ]
        for student in (enrollment.student for enrollment in members)
    ]
    content = exports.xlsx(DECLARATION_COLUMNS, rows, sheet="申报名单")
    batch.keep_file(content)
    batch.rows = len(rows)
    batch.exported_at = timezone.now()
    batch.exported_by = by
    batch.save(update_fields=["content", "sha256", "rows", "exported_at", "exported_by"])
    return content


def declaration_batch_delete(*, batch: DeclarationBatch) -> None:
    """A batch not exported yet may go (its freshmen wait for the next one); a frozen
    batch's file went to the bureau, so the batch stays as the record of it."""
    with transaction.atomic():
        locked = DeclarationBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.is_frozen:
            raise EnrollmentRefused(f"{locked} 已导出并冻结，不能删除。")
        locked.delete()


# --- pending confirmations per college ---------------------------------------------------------


def pending_list_name(policy_year) -> str:
    """What the pending list of `policy_year` holds, as its title and file name say."""
    if policy_year.freshman_confirms_in_app:
        return "待确认名单"
    if policy_year.freshman_cover_needs_full_premium:
        return "未足额缴费名单"
    return "新生待办名单"


def pending_confirmations(*, policy_year, college: str | None = None, colleges=None):
    """Freshmen of the year whose cover still waits on them, for counsellors to chase:
    where freshmen confirm in an app, those who have not (未建账); where the entry year's
    cover needs the full premium, those who have not paid it in full (未足额缴费, wuhan
    notice Q&A 三(三)). Where the school registers its freshmen and cover needs no
    payment, nobody. `colleges`: only theirs (a staff account's scope, office.scoping)."""
    waiting = []
    if policy_year.freshman_confirms_in_app:
        waiting.append(Q(state=workflow.NOT_ESTABLISHED))
    if policy_year.freshman_cover_needs_full_premium:
        # workflow.cover_waits_for_premium, over the states an account may still become
        # or be covered from
        waiting.append(
            Q(
                state__in=[
                    workflow.NOT_ESTABLISHED,
                    workflow.PENDING_REVIEW,
                    workflow.ESTABLISHED,
                ],
                amount_paid__lt=F("premium_due"),
            )
            & ~Q(payer=workflow.GOVERNMENT)
        )
    if not waiting:
        return Enrollment.objects.none()
    pending = (
        Enrollment.objects.filter(policy_year=policy_year, kind=workflow.FRESHMAN)
        .filter(functools.reduce(operator.or_, waiting))
        .select_related("student", "policy_year")
    )
    if college:
        pending = pending.filter(student__college=college)
    pending = in_colleges(pending, "student__college", colleges)
    return pending.order_by("student__college", "student__major", "student__student_number")


def pending_counts(*, policy_year, colleges=None) -> list[tuple[str, int]]:
    pending = pending_confirmations(policy_year=policy_year, colleges=colleges)
    counts = Counter(pending.values_list("student__college", flat=True))
    return sorted(counts.items())


def pending_list_xlsx(
    *, policy_year, college: str | None = None, colleges=None
) -> tuple[bytes, int]:
    rows = [
        [
            s.college,
            s.major,
            s.student_number,
            s.name,
            s.phone,
            s.registered_on,
            _pending_state(e),
        ]
        for e in pending_confirmations(policy_year=policy_year, college=college, colleges=colleges)
        for s in [e.student]
    ]
    return exports.xlsx(PENDING_COLUMNS, rows, sheet=pending_list_name(policy_year)), len(rows)


def _pending_state(enrollment: Enrollment) -> str:
    if cover_waits_for_premium(enrollment):
        return f"{workflow.LABELS[enrollment.state]}，{cover_shown(enrollment)}"
    return workflow.LABELS[enrollment.state]


# --- the bureau's results ----------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    result: incoming.Result
    enrollment_id: int
    name: str
    state: str


@dataclass
class ResultsPlan(Plan):
    """A dry run of a results file: what would move, and what cannot be used and why."""

    moves: list[Move] = field(default_factory=list)
    unchanged: int = 0

    summary_labels = incoming.SUMMARY_LABELS

    def preview(self) -> tuple[list[str], list[list]]:
        """What would move (or moved), for the staff; ID numbers masked."""
        header = ["行", "姓名", "证件号码", "原状态", "建账结果", "失败原因"]
        rows = [
            [
                move.result.row,
                move.name,
                rules.mask_id(move.result.id_number),
                workflow.LABELS[move.state],
                workflow.LABELS[move.result.outcome],
                move.result.reason,
            ]
            for move in self.moves
        ]
        return header, rows

    def as_json(self) -> dict:
        return {
            "rows": self.rows,
            "established": sum(1 for m in self.moves if m.result.outcome == workflow.ESTABLISHED),
            "failed": sum(1 for m in self.moves if m.result.outcome == workflow.FAILED),
            "unchanged": self.unchanged,
            "problems": [problem.as_json() for problem in self.problems],
            "applied": self.applied,
            "skipped": self.skipped,
        }


# a failure's reason is kept on the enrollment and on its event: the shorter of the two
REASON_MAX_LENGTH = {
    "reason": min(
        max_lengths(Enrollment, ["reason"])["reason"],
        max_lengths(EnrollmentEvent, ["reason"])["reason"],
    )
}


def bureau_results_check(*, path: Path, policy_year, name: str = "") -> ResultsPlan:
    """Match each row to the year's enrollment by ID number. Unknown numbers, numbers
    given twice and moves the workflow refuses are problems; nothing is guessed."""
    read = read_rows(
        path,
        name=name,
        labels=incoming.RESULT_LABELS,
        required=incoming.RESULT_REQUIRED,
        parse=incoming.parse_result,
        max_lengths=REASON_MAX_LENGTH,
    )
    plan = ResultsPlan(
        header_row=read.header.row, rows=read.rows, problems=read.problems, skipped=read.skipped
    )
    results = read.parsed
    seen = Counter(result.id_number for result in results)
    enrollments = {
        enrollment.student.id_number: enrollment
        for enrollment in Enrollment.objects.filter(
            policy_year=policy_year, student__id_number__in=list(seen)
        )
        .select_related("student")
        .only(*FACT_FIELDS, "student__id_number", "student__name")
    }
    for result in results:
        shown = _shown(result)
        if seen[result.id_number] > 1:
            plan.problems.append(
                Problem(result.row, "证件号码", f"{shown} 在文件中出现多次，请核对后只保留一行。")
            )
            continue
        found = enrollments.get(result.id_number)
        if found is None:
            plan.problems.append(
                Problem(result.row, "证件号码", f"{shown} 在 {policy_year} 没有参保记录。")
            )
            continue
        if found.state == result.outcome:
            plan.unchanged += 1
            continue
        try:
            workflow.check_transition(
                facts_of(found, policy_year=policy_year), result.outcome, reason=result.reason
            )
        except workflow.TransitionRefused as exc:
            plan.problems.append(Problem(result.row, "建账结果", f"{shown}：{exc}"))
            continue
        plan.moves.append(Move(result, found.pk, found.student.name, found.state))
    return plan


def _shown(result: incoming.Result) -> str:
    return f"{excerpt(result.name) or '证件号码'} {rules.mask_id(result.id_number)}"


@refused_writes()
@transaction.atomic
def bureau_results_apply(*, path: Path, policy_year, by=None, name: str = "") -> ResultsPlan:
    """The dry run again, then its moves, all or nothing; problem rows are left for the
    staff (they are in the returned plan)."""
    plan = bureau_results_check(path=path, policy_year=policy_year, name=name)
    for move in plan.moves:
        enrollment_transition(
            enrollment=Enrollment(pk=move.enrollment_id),
            to=move.result.outcome,
            by=by,
            reason=move.result.reason or "医保部门返回：已建账",
        )
    plan.applied = True
    return plan
