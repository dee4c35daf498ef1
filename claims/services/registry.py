"""Referrals and catastrophic insurer choices."""

from datetime import date

from django.db import IntegrityError, transaction

from enrollment.models import Student

from ..models import Facility, InsurerChoice, Referral
from .common import ClaimRefused


def insurer_choose(
    *, student: Student, policy_year, insurer: str, chosen_on: date, by=None
) -> InsurerChoice:
    """Record the catastrophic insurer `student` chose for `policy_year`, one of the
    year's insurers (shanghai guide Q8). Once chosen it stays for the year: a second
    choice is refused, here and by the database (insurer_choice_once_per_year)."""
    insurer = insurer.strip()
    insurers = list(policy_year.catastrophic_insurers or [])
    if not insurers:
        raise ClaimRefused(f"{policy_year} 没有登记大病保险承办机构。", code="no_insurers")
    if insurer not in insurers:
        raise ClaimRefused(
            f"「{insurer}」不是 {policy_year} 的大病保险承办机构（可选：{'、'.join(insurers)}）。",
            code="unknown_insurer",
        )
    existing = InsurerChoice.objects.filter(student=student, policy_year=policy_year).first()
    if existing is not None:
        raise _already_chosen(existing)
    try:
        with transaction.atomic():
            return InsurerChoice.objects.create(
                student=student,
                policy_year=policy_year,
                insurer=insurer,
                chosen_on=chosen_on,
                recorded_by=by,
            )
    except IntegrityError:
        existing = InsurerChoice.objects.get(student=student, policy_year=policy_year)
        raise _already_chosen(existing) from None


def _already_chosen(existing: InsurerChoice) -> ClaimRefused:
    return ClaimRefused(
        f"{existing.student} 已于 {existing.chosen_on} 选择 {existing.policy_year.year} 年度的"
        f"大病保险承办机构「{existing.insurer}」，年度内不能更改。",
        code="insurer_chosen",
    )


def referral_issue(
    *,
    number: str,
    student: Student,
    facility: Facility,
    issued_on: date,
    valid_until: date,
    by=None,
) -> Referral:
    """The campus clinic's referral (转诊单) of `student` to `facility`, valid from the day
    it is issued to `valid_until` (wuhan notice 五.2)."""
    number = number.strip()
    if not number:
        raise ClaimRefused("转诊单须有编号。", code="invalid")
    if valid_until < issued_on:
        raise ClaimRefused("转诊单的有效期不能早于开具日期。", code="invalid")
    if Referral.objects.filter(number=number).exists():
        raise ClaimRefused(f"转诊单编号 {number} 已存在。", code="duplicate")
    return Referral.objects.create(
        number=number,
        student=student,
        facility=facility,
        issued_on=issued_on,
        valid_until=valid_until,
        issued_by=by,
    )
