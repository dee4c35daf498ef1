"""Opt-outs (主动放弃, DESIGN.md §1.2, §4.4) and the students 学生处 must chase: eligible,
not enrolled, and without a signed commitment on file."""

from datetime import date

from django.db import transaction

from office import exports
from office.scans import scan_head, scan_keep, scan_problem, scan_removed_on_failure
from office.scoping import in_colleges

from .. import workflow
from ..models import Enrollment, OptOut, Student
from ..selectors import student_pks_with_eligibility
from .enrollments import EnrollmentRefused, enrollment_transition, facts_of


def opt_out_problem(*, student: Student, policy_year, reason: str, detail: str) -> str:
    """Why this opt-out cannot be recorded, or "" (the admin form asks before saving)."""
    if reason == OptOut.Reason.OTHER and not detail.strip():
        return "放弃原因为「其他」时须填写说明。"
    if OptOut.objects.filter(student=student, policy_year=policy_year).exists():
        return f"{student} 已登记过 {policy_year} 的放弃参保。"
    enrollment = Enrollment.objects.filter(student=student, policy_year=policy_year).first()
    if enrollment is not None:
        try:
            workflow.check_transition(facts_of(enrollment), workflow.OPTED_OUT, reason=reason)
        except workflow.TransitionRefused as exc:
            return f"{student}：{exc}"
    return ""


def opt_out_record(
    *,
    student: Student,
    policy_year,
    reason: str,
    signed_on: date,
    detail: str = "",
    commitment=None,
    by=None,
) -> OptOut:
    """Record the signed refusal; an enrollment of that year still open becomes opted
    out (the workflow decides which can). Nothing is kept if anything fails, the scan
    included."""
    problem = opt_out_problem(
        student=student, policy_year=policy_year, reason=reason, detail=detail
    )
    if problem:
        raise EnrollmentRefused(problem)
    opt_out = OptOut(
        student=student,
        policy_year=policy_year,
        reason=reason,
        detail=detail,
        signed_on=signed_on,
        recorded_by=by,
    )
    with scan_removed_on_failure(opt_out, "commitment"), transaction.atomic():
        if commitment is not None:
            _keep_scan(opt_out, commitment)
        opt_out.save()
        enrollment = Enrollment.objects.filter(student=student, policy_year=policy_year).first()
        if enrollment is not None:
            label = OptOut.Reason(reason).label
            enrollment_transition(
                enrollment=enrollment,
                to=workflow.OPTED_OUT,
                by=by,
                reason=f"签署放弃参保承诺书（{label}{'：' + detail if detail else ''}）",
            )
    return opt_out


def opt_out_attach_commitment(*, opt_out: OptOut, commitment) -> OptOut:
    """The scan, brought after the opt-out was recorded (or a clearer one)."""
    previous = opt_out.commitment.name
    with scan_removed_on_failure(opt_out, "commitment"):
        _keep_scan(opt_out, commitment)
        opt_out.save(update_fields=["commitment"])
    if previous:
        opt_out.commitment.storage.delete(previous)
    return opt_out


def _keep_scan(opt_out: OptOut, upload) -> None:
    head = scan_head(upload)
    problem = scan_problem(head, upload.size)
    if problem:
        raise EnrollmentRefused(problem)
    scan_keep(opt_out.commitment, upload, head)


def students_to_chase(*, policy_year, colleges=None):
    """Eligible students at school in the year who are neither enrolled nor hold a scanned
    commitment (an opt-out without its scan counts as not signed): 学生处 must get one or
    the other from them. `colleges`: only theirs (a staff account's scope, office.scoping)."""
    enrolled = (
        Enrollment.objects.filter(policy_year=policy_year)
        .exclude(state=workflow.OPTED_OUT)
        .values("student_id")
    )
    signed = (
        OptOut.objects.filter(policy_year=policy_year).exclude(commitment="").values("student_id")
    )
    unenrolled = (
        in_colleges(Student.objects, "college", colleges)
        .exclude(pk__in=enrolled)
        .exclude(pk__in=signed)
        .exclude(school_status="graduated")
    )
    eligible = student_pks_with_eligibility(unenrolled, "eligible")
    return Student.objects.filter(pk__in=eligible).order_by("college", "student_number")


CHASE_HEADER = ["学院", "学号", "姓名", "手机号"]


def students_to_chase_xlsx(*, policy_year, colleges=None) -> tuple[bytes, int]:
    """The chase list as a workbook for 学生处, and how many students it names."""
    rows = [
        [s.college, s.student_number, s.name, s.phone]
        for s in students_to_chase(policy_year=policy_year, colleges=colleges)
    ]
    return exports.xlsx(exports.columns_of(CHASE_HEADER), rows, sheet="待跟进"), len(rows)
