"""Money in (DESIGN.md §1.3, §4.4): premiums collected one by one or from a payment
file, and the family mutual-aid choice. Refunds are in refunds.py, the reconciliation
totals in enrollment.selectors. Every change of money is one transaction with the
enrollment's row locked."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.db.models import Q

from office.incoming import Plan, Problem, read_rows

from .. import incoming, rules, workflow
from ..models import Enrollment, EnrollmentEvent, Payment
from .enrollments import EnrollmentRefused, move_locked

ZERO = Decimal("0.00")
PAYABLE_STATES = (
    workflow.NOT_ESTABLISHED,  # a Wuhan freshman pays for the entry year
    workflow.PENDING_REVIEW,
    workflow.DECLARED,
    workflow.PAID,
    workflow.ESTABLISHED,
)


# --- payments ----------------------------------------------------------------------------------


def payment_problem(enrollment: Enrollment) -> str:
    """Why no payment can be recorded on this enrollment, or "" (asked by the admin form)."""
    if enrollment.state not in PAYABLE_STATES:
        return f"{enrollment}：「{workflow.LABELS[enrollment.state]}」的参保记录不能登记缴费。"
    if enrollment.payer == workflow.GOVERNMENT:
        return f"{enrollment}：保费由政府补助（低保），学校不代收。"
    return ""


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
        problem = payment_problem(current)
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
            current.save(update_fields=["amount_paid", "updated_at"])
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
        }


def payments_import_check(*, path: Path, policy_year, name: str = "") -> PaymentsPlan:
    """Each line is matched to the student's enrollment of the year by student number (or
    ID number). A receipt already recorded for the same student and amount is unchanged,
    so importing the same file twice adds nothing; any other reuse is a problem."""
    read = read_rows(
        path,
        name=name,
        labels=incoming.PAYMENT_LABELS,
        required=incoming.PAYMENT_REQUIRED,
        parse=incoming.parse_payment,
    )
    plan = PaymentsPlan(header_row=read.header.row, rows=read.rows, problems=read.problems)
    lines = read.parsed
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
        "pk", "student__student_number", "student__id_number", "state", "premium_due", "amount_paid"
    ):
        by_number[enrollment["student__student_number"]] = enrollment
        by_id[enrollment["student__id_number"]] = enrollment
    recorded = {
        receipt: (enrollment_id, amount)
        for receipt, enrollment_id, amount in Payment.objects.filter(
            receipt_number__in=[line.receipt_number for line in lines]
        ).values_list("receipt_number", "enrollment_id", "amount")
    }
    receipts = Counter(line.receipt_number for line in lines)
    paid_so_far = {}
    for line in lines:
        enrollment = by_number.get(line.student_number) if line.student_number else None
        enrollment = enrollment or (by_id.get(line.id_number) if line.id_number else None)
        if enrollment is None:
            who = line.student_number or "该证件号码"
            plan.problems.append(
                Problem(line.row, "学号", f"{who} 在 {policy_year} 没有参保记录。")
            )
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
        if enrollment["state"] not in PAYABLE_STATES:
            plan.problems.append(
                Problem(
                    line.row,
                    "学号",
                    f"{line.student_number}：「{workflow.LABELS[enrollment['state']]}」的参保记录不能登记缴费。",
                )
            )
            continue
        already = paid_so_far.get(enrollment["pk"], enrollment["amount_paid"])
        flag = incoming.mismatch(
            amount=line.amount, premium_due=enrollment["premium_due"], already_paid=already
        )
        if flag:
            plan.flagged.append(Problem(line.row, "金额", flag))
        paid_so_far[enrollment["pk"]] = already + line.amount
        plan.lines.append((line, enrollment["pk"]))
    return plan


@transaction.atomic
def payments_import_apply(*, path: Path, policy_year, by=None, name: str = "") -> PaymentsPlan:
    """The dry run again, then every usable line recorded (flagged ones included), all
    or nothing."""
    plan = payments_import_check(path=path, policy_year=policy_year, name=name)
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
    """A relative pays from an employee account. The school still declares and collects;
    the choice must be made by the policy year's deadline (20 Dec 17:00 in Shanghai,
    shanghai guide Q18)."""
    with transaction.atomic():
        current = (
            Enrollment.objects.select_for_update()
            .select_related("policy_year", "student")
            .get(pk=enrollment.pk)
        )
        deadline = current.policy_year.family_aid_deadline_at
        if at > deadline:
            raise EnrollmentRefused(
                f"家庭共济缴费须在 {deadline:%Y-%m-%d %H:%M} 前选择，已过截止时间。"
            )
        if current.kind == workflow.FRESHMAN or current.state not in (
            workflow.DECLARED,
            workflow.PAID,
        ):
            raise EnrollmentRefused(
                f"{current.student}：只有已申报或已缴费的集中参保记录可以改为家庭共济缴费。"
            )
        if current.payer == workflow.FAMILY_AID:
            return current
        if current.payer != workflow.STUDENT:
            raise EnrollmentRefused(
                f"{current.student}：保费由{workflow.PAYER_LABELS[current.payer]}承担，"
                "不改为家庭共济缴费。"
            )
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
