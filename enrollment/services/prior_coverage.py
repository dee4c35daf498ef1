"""Prior coverage (历年参保记录) comes in: a dry run, then the usable rows written and the
waiting periods that depended on them counted again, before anyone pays."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Min, Q
from django.utils import timezone

from office.errors import Refused
from office.incoming import Plan, Problem, read_rows
from policies import engine
from policies.models import PolicyYear
from policies.selectors import policy_year_rules

from .. import prior_coverage, rules, workflow
from ..models import Enrollment, PriorCoverage, Student
from ..selectors import complete_years, histories
from .common import chunks

SUMMARY_LABELS = {
    "rows": "数据行",
    "new": "新增",
    "changed": "更改",
    "unchanged": "无变化",
    "not_counted": "不计断保的年度（已略过）",
    "recounted": "重算等待期",
}
# A collective enrollment nobody has paid for yet: its waiting may still be corrected.
RECOUNTED_STATES = (workflow.DECLARED, workflow.EXEMPT)


@dataclass(frozen=True)
class Record:
    line: prior_coverage.Line
    student_id: int
    student_number: str
    name: str
    previous: str  # the status on record before, "" when there was none


@dataclass
class PriorCoveragePlan(Plan):
    """What a prior-coverage file would record (or recorded), and after it is applied how
    many unpaid collective enrollments had their waiting period counted again."""

    records: list[Record] = field(default_factory=list)
    unchanged: int = 0
    not_counted: int = 0
    recounted: int = 0

    summary_labels = SUMMARY_LABELS

    def preview(self) -> tuple[list[str], list[list]]:
        header = ["行", "学号", "姓名", "年度", "参保状态", "原记录"]
        rows = [
            [
                record.line.row,
                record.student_number,
                record.name,
                record.line.year,
                prior_coverage.STATUS_LABELS[record.line.status],
                prior_coverage.STATUS_LABELS.get(record.previous, "—"),
            ]
            for record in self.records
        ]
        return header, rows

    def as_json(self) -> dict:
        return {
            "rows": self.rows,
            "new": sum(1 for record in self.records if not record.previous),
            "changed": sum(1 for record in self.records if record.previous),
            "unchanged": self.unchanged,
            "not_counted": self.not_counted,
            "recounted": self.recounted,
            "problems": [problem.as_json() for problem in self.problems],
            "applied": self.applied,
        }


def prior_coverage_check(*, path: Path, today: date, name: str = "") -> PriorCoveragePlan:
    """Match each row to a student by ID number or student number. Unknown students, a
    number and an ID naming two people, a name that is not the roster's, a year still to
    come and a student × year given two different statuses are problems; years before
    gap years count (2025, shanghai guide Q6) are left out, counted."""
    read = read_rows(
        path,
        name=name,
        labels=prior_coverage.LABELS,
        required=prior_coverage.REQUIRED,
        parse=prior_coverage.parse_line,
    )
    plan = PriorCoveragePlan(header_row=read.header.row, rows=read.rows, problems=read.problems)
    counted_from = _counted_from()
    lines = []
    for line in read.parsed:
        if line.year > today.year:
            plan.problems.append(
                Problem(line.row, "年度", f"{line.year} 年还没有到，不能有参保记录。")
            )
        elif line.year < counted_from:
            plan.not_counted += 1
        else:
            lines.append(line)
    by_id, by_number = _students(lines)
    matched = []
    for line in lines:
        student, problem = _student_of(line, by_id, by_number)
        if problem:
            plan.problems.append(problem)
        else:
            matched.append((line, student))
    statuses = defaultdict(set)
    for line, student in matched:
        statuses[student.pk, line.year].add(line.status)
    on_record = _on_record({student.pk for _, student in matched})
    done = set()
    for line, student in matched:
        key = (student.pk, line.year)
        if len(statuses[key]) > 1:
            plan.problems.append(
                Problem(
                    line.row,
                    "参保状态",
                    f"{student.student_number} 的 {line.year} 年在文件中既有参保又有未参保，"
                    "请核对后只保留一种。",
                )
            )
            continue
        previous = on_record.get(key, "")
        if previous == line.status or key in done:
            plan.unchanged += 1
            continue
        done.add(key)
        plan.records.append(
            Record(line, student.pk, student.student_number, student.name, previous)
        )
    return plan


class PriorCoverageRefused(Refused):
    """A prior-coverage file that cannot be written (office.errors.Refused)."""


def prior_coverage_apply(*, path: Path, today: date, by=None, name: str = "") -> PriorCoveragePlan:
    """The dry run again, then its records, all or nothing, and the waiting periods of
    the students' unpaid collective enrollments counted again with them."""
    plan = prior_coverage_check(path=path, today=today, name=name)
    source = Path(name or path.name).name[:255]
    try:
        with transaction.atomic():
            _write(plan.records, source=source, by=by)
            plan.recounted = waiting_recount(
                student_pks={record.student_id for record in plan.records}
            )
    except IntegrityError as exc:
        # the check found no record for these student × years: one was written since
        raise PriorCoverageRefused(
            "写入历年参保记录时，同一学生同一年度的记录已经存在（检查之后刚被写入）。"
            "本次没有写入任何内容，请重新检查文件后再导入。",
            code="integrity",
        ) from exc
    plan.applied = True
    return plan


def _write(records: list[Record], *, source: str, by) -> None:
    PriorCoverage.objects.bulk_create(
        PriorCoverage(
            student_id=record.student_id,
            year=record.line.year,
            status=record.line.status,
            source=source,
            recorded_by=by,
        )
        for record in records
        if not record.previous
    )
    for record in records:
        if record.previous:
            PriorCoverage.objects.filter(
                student_id=record.student_id, year=record.line.year
            ).update(
                status=record.line.status, source=source, recorded_by=by, recorded_at=timezone.now()
            )


def waiting_recount(*, student_pks: set[int]) -> int:
    """Count again the gap years, cover and waiting of these students' collective
    enrollments that nobody has paid for yet, from what is now known of their history.
    Returns how many changed; paid ones keep what was declared with them."""
    return sum(_recount(chunk) for chunk in chunks(sorted(student_pks)))


def _recount(student_pks: list[int]) -> int:
    pending = Enrollment.objects.filter(
        student_id__in=student_pks,
        kind=workflow.COLLECTIVE,
        state__in=RECOUNTED_STATES,
        amount_paid=0,
    ).select_related("policy_year__region", "student")
    per_year = defaultdict(list)
    for enrollment in pending:
        per_year[enrollment.policy_year].append(enrollment)
    changed = []
    for policy_year, enrollments in per_year.items():
        year_rules = policy_year_rules(policy_year)
        complete = complete_years(policy_year)
        history = histories([enrollment.student_id for enrollment in enrollments], policy_year)
        for enrollment in enrollments:
            registered_on = enrollment.student.registered_on
            gaps = rules.gap_years(
                history[enrollment.student_id],
                year=policy_year.year,
                entry_year=registered_on.year,
                complete_years=complete,
                counted_from=year_rules.gaps_counted_from_year,
            )
            cover = engine.cover_for(
                year_rules,
                engine.EnrollmentFacts(
                    kind=workflow.COLLECTIVE, registered_on=registered_on, gap_years=gaps.years
                ),
            )
            now = (cover.start, cover.end, cover.waiting_months, gaps.unrecorded)
            if now != _cover_of(enrollment):
                (
                    enrollment.cover_start,
                    enrollment.cover_end,
                    enrollment.waiting_months,
                    enrollment.unrecorded_gap_years,
                ) = now
                enrollment.updated_at = timezone.now()
                changed.append(enrollment)
    Enrollment.objects.bulk_update(
        changed,
        ["cover_start", "cover_end", "waiting_months", "unrecorded_gap_years", "updated_at"],
    )
    return len(changed)


def _cover_of(enrollment: Enrollment) -> tuple:
    return (
        enrollment.cover_start,
        enrollment.cover_end,
        enrollment.waiting_months,
        enrollment.unrecorded_gap_years,
    )


def _counted_from() -> int:
    """The first scheme year gap years count from in any policy year (2025)."""
    first = PolicyYear.objects.aggregate(first=Min("gaps_counted_from_year"))["first"]
    return first or PolicyYear._meta.get_field("gaps_counted_from_year").default


def _students(lines: list) -> tuple[dict[str, Student], dict[str, Student]]:
    """The students the lines name, by ID number and by student number, a chunk of
    numbers per query."""
    ids = sorted({line.id_number for line in lines if line.id_number})
    numbers = sorted({line.student_number for line in lines if line.student_number})
    found = [
        *(Q(id_number__in=chunk) for chunk in chunks(ids)),
        *(Q(student_number__in=chunk) for chunk in chunks(numbers)),
    ]
    by_id, by_number = {}, {}
    for lookup in found:
        for student in Student.objects.filter(lookup).only(
            "pk", "id_number", "student_number", "name"
        ):
            by_id[student.id_number] = student
            by_number[student.student_number] = student
    return by_id, by_number


def _student_of(line, by_id: dict, by_number: dict) -> tuple[Student | None, Problem | None]:
    by_the_id = by_id.get(line.id_number) if line.id_number else None
    by_the_number = by_number.get(line.student_number) if line.student_number else None
    if line.id_number and by_the_id is None:
        shown = rules.mask_id(line.id_number)
        return None, Problem(line.row, "证件号码", f"证件号码 {shown} 不在学生名册中。")
    if line.student_number and by_the_number is None:
        shown = prior_coverage.quoted(line.student_number)
        return None, Problem(line.row, "学号", f"学号 {shown} 不在学生名册中。")
    if by_the_id and by_the_number and by_the_id.pk != by_the_number.pk:
        return None, Problem(
            line.row, "学号", f"学号 {by_the_number.student_number} 与证件号码不是同一位学生。"
        )
    student = by_the_id or by_the_number
    if line.name and not prior_coverage.same_name(line.name, student.name):
        shown = prior_coverage.quoted(line.name)
        return None, Problem(
            line.row,
            "姓名",
            f"姓名「{shown}」与学生名册中 {student.student_number} 的姓名「{student.name}」不符。",
        )
    return student, None


def _on_record(student_pks: set[int]) -> dict[tuple[int, int], str]:
    found = {}
    for chunk in chunks(sorted(student_pks)):
        for student_id, year, status in PriorCoverage.objects.filter(
            student_id__in=chunk
        ).values_list("student_id", "year", "status"):
            found[student_id, year] = status
    return found
