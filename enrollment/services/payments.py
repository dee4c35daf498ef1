"""Money in (DESIGN.md §1.3, §4.4): premiums collected one by one or from a payment
file, and the family mutual-aid choice. Refunds are in refunds.py, the reconciliation
totals in enrollment.selectors. Every change of money is one transaction with the
enrollment's row locked."""

import functools
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from office.incoming import Plan, Problem, excerpt, read_rows
from office.writes import amount_ceiling, max_lengths, refused_writes

from .. import incoming, rules, workflow
from ..models import Enrollment, EnrollmentEvent, OptOut, Payment
from .enrollments import EnrollmentRefused, freshman_cover_when_paid, late_cover, move_locked

ZERO = Decimal("0.00")
# what the database keeps, checked in the dry run rather than refused at the commit
PAYMENT_MAX_LENGTHS = max_lengths(Payment, ["receipt_number"])
AMOUNT_BELOW = amount_ceiling(Payment, "amount")
PAID_BELOW = amount_ceiling(Enrollment, "amount_paid")
PAYABLE_STATES = (
    workflow.NOT_ESTABLISHED,  # a Wuhan freshman pays for the entry year
    workflow.PENDING_REVIEW,
    workflow.DECLARED,
    workflow.PAID,
    workflow.ESTABLISHED,
)


# --- payments ----------------------------------------------------------------------------------


def payment_problem(enrollment: Enrollment) -> str:
    """Why no payment can be recorded on this enrollment, or "" (asked by the admin form
    and by payment_record; a payment file's dry run asks payable_problem)."""
    if enrollment.state == workflow.OPTED_OUT:
        return opted_out_message(enrollment.student, enrollment.policy_year)
    problem = payable_problem(state=enrollment.state, payer=enrollment.payer)
    return f"{enrollment}：{problem}" if problem else ""


def payable_problem(*, state: str, payer: str) -> str:
    """Why the school collects nothing on an enrollment in `state` paid by `payer`, or "":
    the same check for one payment and for a file's dry run, so the dry run refuses what
    the commit would."""
    if state not in PAYABLE_STATES:
        return f"「{workflow.LABELS[state]}」的参保记录不能登记缴费。"
    if payer == workflow.GOVERNMENT:
        return "保费由政府补助，学校不代收。"
    return ""


def opted_out_message(who, policy_year) -> str:
    return f"{who} 已签署 {policy_year} 的放弃参保承诺（主动放弃），不能登记缴费。"


def late_payment_problem(enrollment: Enrollment, *, paid_on: date) -> str:
    """Why a payment on `paid_on` would buy a late enrollment nothing (its cover could
    not start inside the policy year: late_cover), or ""."""
    if enrollment.kind != workflow.LATE or enrollment.state != workflow.DECLARED:
        return ""
    try:
        late_cover(
            student=enrollment.student,
            policy_year=enrollment.policy_year,
            declared_on=enrollment.declared_on,
            paid_on=paid_on,
        )
    except EnrollmentRefused as exc:
        return str(exc)
    return ""


def receipt_recorded(receipt_number: str) -> str:
    """Where a receipt number is already recorded, or "": a receipt is recorded once."""
    payment = (
        Payment.objects.select_related("enrollment__student", "enrollment__policy_year")
        .filter(receipt_number=receipt_number)
        .first()
    )
    if payment is None:
        return ""
    return (
        f"收据号 {receipt_number} 已登记过（{payment.enrollment}，{payment.amount} 元，"
        f"{payment.paid_on:%Y-%m-%d}），不能重复登记。"
    )


def payment_repeats(*, enrollment: Enrollment, amount: Decimal, paid_on: date) -> list[str]:
    """Payments of the same enrollment, amount and date already recorded: most likely the
    same money entered twice, so staff see them before a manual payment is saved."""
    return [
        f"{enrollment} 已有一笔 {paid_on:%Y-%m-%d} 缴纳的 {amount} 元（收据号 {receipt}）。"
        for receipt in Payment.objects.filter(
            enrollment=enrollment, amount=amount, paid_on=paid_on
        ).values_list("receipt_number", flat=True)
    ]


def payment_record(
    *,
    enrollment: Enrollment,
    amount: Decimal,
    paid_on: date,
    channel: str,
    receipt_number: str,
    by=None,
) -> Payment:
    """One collected premium. An amount that does not settle what is outstanding is kept
    and flagged (`mismatch`); a declared enrollment whose premium is covered becomes paid."""
    with transaction.atomic():
        current = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        problem = payment_problem(current) or late_payment_problem(current, paid_on=paid_on)
        if problem:
            raise EnrollmentRefused(problem)
        if Payment.objects.filter(receipt_number=receipt_number).exists():
            raise EnrollmentRefused(f"收据号 {receipt_number} 已登记过。")
        payment = Payment.objects.create(
            enrollment=current,
            amount=amount,
            paid_on=paid_on,
            channel=channel,
            receipt_number=receipt_number,
            mismatch=incoming.mismatch(
                amount=amount, premium_due=current.premium_due, already_paid=current.amount_paid
            ),
            recorded_by=by,
        )
        current.amount_paid += amount
        if current.state == workflow.DECLARED and current.amount_paid >= current.premium_due > 0:
            move_locked(
                current,
                workflow.PAID,
                by=by,
                reason=f"收据号 {receipt_number}",
                paid_on=paid_on,
                also=["amount_paid"],
            )
        else:
            # a freshman whose cover needs the full premium is covered once it is paid
            cover = freshman_cover_when_paid(current)
            current.save(update_fields=["amount_paid", "updated_at", *cover])
    return payment


@dataclass
class PaymentsPlan(Plan):
    """A dry run of a payment file: the lines to record (amounts that do not settle the
    premium are `flagged`), and what cannot be used and why."""

    lines: list[tuple[incoming.PaymentLine, int]] = field(default_factory=list)
    unchanged: int = 0

    summary_labels = incoming.SUMMARY_LABELS

    def preview(self) -> tuple[list[str], list[list]]:
        header = ["行", "学号", "金额", "缴费日期", "缴费方式", "收据号"]
        channels = dict(Payment.Channel.choices)
        rows = [
            [
                line.row,
                line.student_number or rules.mask_id(line.id_number),
                line.amount,
                f"{line.paid_on:%Y-%m-%d}",
                str(channels[line.channel]),
                line.receipt_number,
            ]
            for line, _ in self.lines
        ]
        return header, rows

    def as_json(self) -> dict:
        return {
            "rows": self.rows,
            "payments": len(self.lines),
            "total": str(sum((line.amount for line, _ in self.lines), ZERO)),
            "unchanged": self.unchanged,
            "flagged": [problem.as_json() for problem in self.flagged],
            "problems": [problem.as_json() for problem in self.problems],
            "applied": self.applied,
            "skipped": self.skipped,
        }


def payments_import_check(
    *, path: Path, policy_year, name: str = "", by_id_number: bool = True
) -> PaymentsPlan:
    """Each line is matched to the student's enrollment of the year by student number (or
    ID number, unless `by_id_number` is off: for who may not see full ID numbers). A
    receipt already recorded for the same student and amount is unchanged, so importing
    the same file twice adds nothing; any other reuse is a problem."""
    read = read_rows(
        path,
        name=name,
        labels=incoming.PAYMENT_LABELS,
        required=incoming.PAYMENT_REQUIRED,
        parse=functools.partial(incoming.parse_payment, amount_below=AMOUNT_BELOW),
        max_lengths=PAYMENT_MAX_LENGTHS,
    )
    plan = PaymentsPlan(
        header_row=read.header.row, rows=read.rows, problems=read.problems, skipped=read.skipped
    )
    lines = read.parsed if by_id_number else _by_student_number(read.parsed, plan)
    enrollments = Enrollment.objects.filter(policy_year=policy_year).filter(
        Q(
            student__student_number__in=[
                line.student_number for line in lines if line.student_number
            ]
        )
        | Q(student__id_number__in=[line.id_number for line in lines if line.id_number])
    )
    by_number, by_id = {}, {}
    for enrollment in enrollments.values(
        "pk",
        "student__student_number",
        "student__id_number",
        "state",
        "payer",
        "premium_due",
        "amount_paid",
    ):
        by_number[enrollment["student__student_number"]] = enrollment
        by_id[enrollment["student__id_number"]] = enrollment
    recorded = {
        receipt: (enrollment_id, amount)
        for receipt, enrollment_id, amount in Payment.objects.filter(
            receipt_number__in=[line.receipt_number for line in lines]
        ).values_list("receipt_number", "enrollment_id", "amount")
    }
    opted_out = _opted_out(lines, policy_year)
    late_declared = set(
        enrollments.filter(kind=workflow.LATE, state=workflow.DECLARED).values_list("pk", flat=True)
    )
    receipts = Counter(line.receipt_number for line in lines)
    paid_so_far = {}
    for line in lines:
        enrollment = by_number.get(line.student_number) if line.student_number else None
        enrollment = enrollment or (by_id.get(line.id_number) if line.id_number else None)
        if enrollment is None:
            who = excerpt(line.student_number) or "该证件号码"
            message = f"{who} 在 {policy_year} 没有参保记录。"
            if line.student_number in opted_out or line.id_number in opted_out:
                message = opted_out_message(who, policy_year)
            plan.problems.append(Problem(line.row, "学号", message))
            continue
        if receipts[line.receipt_number] > 1:
            plan.problems.append(
                Problem(line.row, "收据号", f"收据号 {line.receipt_number} 在文件中出现多次。")
            )
            continue
        if line.receipt_number in recorded:
            if recorded[line.receipt_number] == (enrollment["pk"], line.amount):
                plan.unchanged += 1
            else:
                plan.problems.append(
                    Problem(
                        line.row, "收据号", f"收据号 {line.receipt_number} 已登记在其他缴费上。"
                    )
                )
            continue
        if enrollment["state"] == workflow.OPTED_OUT:
            who = line.student_number or "该证件号码"
            plan.problems.append(Problem(line.row, "学号", opted_out_message(who, policy_year)))
            continue
        if enrollment["pk"] in late_declared:
            late = Enrollment.objects.select_related("student", "policy_year").get(
                pk=enrollment["pk"]
            )
            problem = late_payment_problem(late, paid_on=line.paid_on)
            if problem:
                plan.problems.append(Problem(line.row, "缴费日期", problem))
                continue
        problem = payable_problem(state=enrollment["state"], payer=enrollment["payer"])
        if problem:
            who = line.student_number or rules.mask_id(line.id_number)
            plan.problems.append(Problem(line.row, "学号", f"{who}：{problem}"))
            continue
        already = paid_so_far.get(enrollment["pk"], enrollment["amount_paid"])
        if already + line.amount >= PAID_BELOW:
            plan.problems.append(
                Problem(
                    line.row,
                    "金额",
                    f"已缴金额将达到 {already + line.amount} 元，超出可登记的范围。",
                )
            )
            continue
        flag = incoming.mismatch(
            amount=line.amount, premium_due=enrollment["premium_due"], already_paid=already
        )
        if flag:
            plan.flagged.append(Problem(line.row, "金额", flag))
        paid_so_far[enrollment["pk"]] = already + line.amount
        plan.lines.append((line, enrollment["pk"]))
    return plan


def _opted_out(lines, policy_year) -> set[str]:
    """Student and ID numbers of the file's students who opted out of the year (they may
    have no enrollment at all: the collective run skipped them)."""
    numbers = [line.student_number for line in lines if line.student_number]
    ids = [line.id_number for line in lines if line.id_number]
    found = OptOut.objects.filter(policy_year=policy_year).filter(
        Q(student__student_number__in=numbers) | Q(student__id_number__in=ids)
    )
    return {
        value
        for pair in found.values_list("student__student_number", "student__id_number")
        for value in pair
        if value
    }


def _by_student_number(lines: list, plan: PaymentsPlan) -> list:
    """The lines without their ID numbers. Whether a line matched would tell who may not
    see full ID numbers which of the few thousand numbers possible for a student is the
    real one, so a line with an ID number only is left out, whether it matches or not."""
    kept = []
    for line in lines:
        if line.student_number:
            kept.append(replace(line, id_number=""))
        else:
            plan.problems.append(Problem(line.row, "学号", ID_NUMBER_NOT_MATCHED))
    return kept


ID_NUMBER_NOT_MATCHED = (
    "没有学号：只有可查看完整证件号码的人员才能按证件号码核对缴费，请补填学号后重新上传。"
)


@refused_writes()
@transaction.atomic
def payments_import_apply(
    *, path: Path, policy_year, by=None, name: str = "", by_id_number: bool = True
) -> PaymentsPlan:
    """The dry run again, then every usable line recorded (flagged ones included), all
    or nothing."""
    plan = payments_import_check(
        path=path, policy_year=policy_year, name=name, by_id_number=by_id_number
    )
    for line, enrollment_id in plan.lines:
        payment_record(
            enrollment=Enrollment(pk=enrollment_id),
            amount=line.amount,
            paid_on=line.paid_on,
            channel=line.channel,
            receipt_number=line.receipt_number,
            by=by,
        )
    plan.applied = True
    return plan


# --- family mutual aid (家庭共济缴费) -------------------------------------------------------------


def enrollment_choose_family_aid(*, enrollment: Enrollment, at: datetime, by=None) -> Enrollment:
    """A relative pays from an employee account. The school still declares and collects.
    Where the policy year sets a deadline the choice must be made by it (20 Dec 17:00 in
    Shanghai, shanghai guide Q18); Wuhan sets none (notice 十). Which enrollments may
    switch is workflow.family_aid_problem."""
    with transaction.atomic():
        current = (
            Enrollment.objects.select_for_update()
            .select_related("policy_year", "student")
            .get(pk=enrollment.pk)
        )
        policy_year = current.policy_year
        deadline = policy_year.family_aid_deadline_at
        if deadline is not None and at > deadline:
            raise EnrollmentRefused(
                f"家庭共济缴费须在 {timezone.localtime(deadline):%Y-%m-%d %H:%M} 前选择，"
                "已过截止时间。"
            )
        problem = workflow.family_aid_problem(
            kind=current.kind,
            state=current.state,
            payer=current.payer,
            refunded_by_school=policy_year.family_aid_refunded_by_school,
            for_freshmen=policy_year.family_aid_for_freshmen,
        )
        if problem:
            raise EnrollmentRefused(f"{current.student}：{problem}")
        if current.payer == workflow.FAMILY_AID:
            return current
        current.payer = workflow.FAMILY_AID
        current.save(update_fields=["payer", "updated_at"])
        EnrollmentEvent.objects.create(
            enrollment=current,
            from_state=current.state,
            to_state=current.state,
            reason="改为家庭共济缴费（亲属职工医保账户代缴）",
            by=by,
        )
    return current
