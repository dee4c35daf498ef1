"""Opt-outs (主动放弃, DESIGN.md §1.2, §4.4) and the students 学生处 must chase: eligible,
not enrolled, and without a signed commitment on file."""

from datetime import date

from django.db import transaction

from .. import workflow
from ..models import Enrollment, OptOut, Student
from ..selectors import student_pks_with_eligibility
from .enrollments import EnrollmentRefused, enrollment_transition, facts_of

MAX_COMMITMENT_BYTES = 5 * 1024 * 1024
# what a scan may be, by its first bytes: the name and the browser's word are not trusted
COMMITMENT_SIGNATURES = {
    b"%PDF-": "pdf",
    b"\xff\xd8\xff": "jpg",
    b"\x89PNG\r\n\x1a\n": "png",
}


def commitment_problem(head: bytes, size: int) -> str:
    """Why a scanned commitment cannot be kept, or "" when it can."""
    if size > MAX_COMMITMENT_BYTES:
        return f"扫描件超过 {MAX_COMMITMENT_BYTES // (1024 * 1024)} MB，请压缩后再上传。"
    if not any(head.startswith(signature) for signature in COMMITMENT_SIGNATURES):
        return "扫描件须为 PDF、JPG 或 PNG 文件。"
    return ""


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
    out (the workflow decides which can)."""
    problem = opt_out_problem(
        student=student, policy_year=policy_year, reason=reason, detail=detail
    )
    if problem:
        raise EnrollmentRefused(problem)
    with transaction.atomic():
        opt_out = OptOut(
            student=student,
            policy_year=policy_year,
            reason=reason,
            detail=detail,
            signed_on=signed_on,
            recorded_by=by,
        )
        if commitment is not None:
            opt_out.commitment.save(commitment.name, commitment, save=False)
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


def students_to_chase(*, policy_year):
    """Eligible students at school in the year with no enrollment for it and no scanned
    commitment: 学生处 must get either an enrollment or a signed commitment from them."""
    enrolled = Enrollment.objects.filter(policy_year=policy_year).values("student_id")
    signed = (
        OptOut.objects.filter(policy_year=policy_year).exclude(commitment="").values("student_id")
    )
    unenrolled = (
        Student.objects.exclude(pk__in=enrolled)
        .exclude(pk__in=signed)
        .exclude(school_status="graduated")
    )
    eligible = student_pks_with_eligibility(unenrolled, "eligible")
    return Student.objects.filter(pk__in=eligible).order_by("college", "student_number")
