"""Money in and out (DESIGN.md §1.3, §4.4): premiums collected one by one or from a
payment file, the family mutual-aid choice, refunds and the reconciliation totals.
Every change of money is one transaction with the enrollment's row locked."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.db.models import Case, Count, DecimalField, F, OuterRef, Q, Subquery, Sum, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from policies.rules import fen

from .. import exports, incoming, rules, workflow
from ..models import Enrollment, EnrollmentEvent, Payment, Refund
from .common import incoming_rows
from .enrollments import EnrollmentRefused, facts_of, move_locked

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)
PAYABLE_STATES = (
    workflow.NOT_ESTABLISHED,  # a Wuhan freshman pays for the entry year
    workflow.PENDING_REVIEW,
    workflow.DECLARED,
    workflow.PAID,
    workflow.ESTABLISHED,
)
REFUND_HEADER = ["序号", "学号", "姓名", "学院", "缴费年度", "退费金额", "退费原因", "登记时间"]


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
class PaymentsPlan:
    header_row: int = 0
    rows: int = 0
    lines: list[tuple[incoming.PaymentLine, int]] = field(default_factory=list)
    flagged: list[incoming.Problem] = field(default_factory=list)
    unchanged: int = 0
    problems: list[incoming.Problem] = field(default_factory=list)
    applied: bool = False

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
    read = incoming_rows(
        path,
        name=name,
        labels=incoming.PAYMENT_LABELS,
        required=incoming.PAYMENT_REQUIRED,
        parse=incoming.parse_payment,
    )
    plan = PaymentsPlan(header_row=read.header_row, rows=read.rows, problems=read.problems)
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
                incoming.Problem(line.row, "学号", f"{who} 在 {policy_year} 没有参保记录。")
            )
            continue
        if receipts[line.receipt_number] > 1:
            plan.problems.append(
                incoming.Problem(
                    line.row, "收据号", f"收据号 {line.receipt_number} 在文件中出现多次。"
                )
            )
            continue
        if line.receipt_number in recorded:
            if recorded[line.receipt_number] == (enrollment["pk"], line.amount):
                plan.unchanged += 1
            else:
                plan.problems.append(
                    incoming.Problem(
                        line.row, "收据号", f"收据号 {line.receipt_number} 已登记在其他缴费上。"
                    )
                )
            continue
        if enrollment["state"] not in PAYABLE_STATES:
            plan.problems.append(
                incoming.Problem(
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
            plan.flagged.append(incoming.Problem(line.row, "金额", flag))
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


# --- refunds -----------------------------------------------------------------------------------


def refunds_due(*, year: int) -> list[tuple[int, workflow.RefundDue]]:
    """(enrollment pk, what is owed back) for every enrollment of `year` with money to
    return (workflow.refund_due)."""
    enrollments = (
        Enrollment.objects.filter(policy_year__year=year, amount_paid__gt=0)
        .select_related("policy_year")
        .annotate(refunded=Coalesce(Sum("refunds__amount"), ZERO))
    )
    due = []
    for enrollment in enrollments.order_by("pk"):
        owed = _owed(enrollment, enrollment.refunded)
        if owed is not None:
            due.append((enrollment.pk, owed))
    return due


def _owed(enrollment: Enrollment, refunded: Decimal) -> workflow.RefundDue | None:
    window_open = timezone.localdate() <= enrollment.policy_year.freshman_window_closes_on
    return workflow.refund_due(
        facts_of(enrollment),
        refunded=refunded,
        failure_is_final=not (enrollment.kind == workflow.FRESHMAN and window_open),
    )


def refunds_issue(*, year: int, by=None) -> tuple[list[Refund], list[str]]:
    """Record every refund due in `year`, one enrollment per transaction: its row is
    locked and what is owed worked out again, so two clicks never refund twice. Returns
    the refunds and, for the enrollments the workflow would not move, why."""
    issued, refused = [], []
    for pk, _ in refunds_due(year=year):
        try:
            with transaction.atomic():
                current = Enrollment.objects.select_for_update().get(pk=pk)
                refunded = current.refunds.aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]
                owed = _owed(current, refunded)
                if owed is None:
                    continue
                if owed.refunds_state:
                    move_locked(current, workflow.REFUNDED, by=by, reason=f"退费 {owed.amount} 元")
                issued.append(
                    Refund.objects.create(
                        enrollment=current, amount=owed.amount, reason=owed.reason, created_by=by
                    )
                )
        except workflow.TransitionRefused as exc:
            refused.append(f"{current.student}：{exc}")
    return issued, refused


def refund_list_xlsx(*, year: int) -> tuple[bytes, int, Decimal]:
    """The refund list for finance: every refund of `year` and a total row."""
    refunds = (
        Refund.objects.filter(enrollment__policy_year__year=year)
        .select_related("enrollment__student")
        .order_by("enrollment__student__college", "enrollment__student__student_number", "pk")
    )
    rows, total = [], ZERO
    for position, refund in enumerate(refunds, 1):
        student = refund.enrollment.student
        total += refund.amount
        rows.append(
            [
                position,
                student.student_number,
                student.name,
                student.college,
                str(year),
                refund.amount,
                str(refund.get_reason_display()),
                f"{refund.created_at:%Y-%m-%d}",
            ]
        )
    footer = ["合计", "", "", "", "", total, f"{len(rows)} 笔", ""]
    return exports.xlsx([REFUND_HEADER, *rows, footer], sheet="退费清单"), len(rows), total


# --- reconciliation ----------------------------------------------------------------------------


def reconciliation(*, year: int) -> dict:
    """对账: money held without an account (paid, not established, not yet refunded),
    accounts whose premium is not fully collected, and per payer what was due, collected
    and refunded (an opted-out student owes nothing)."""
    refunded = (
        Refund.objects.filter(enrollment=OuterRef("pk"))
        .values("enrollment")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    enrollments = (
        Enrollment.objects.filter(policy_year__year=year)
        .select_related("student")
        .annotate(refunded=Coalesce(Subquery(refunded), ZERO, output_field=MONEY))
        .order_by("student__college", "student__student_number")
    )
    paid_not_established = enrollments.filter(
        amount_paid__gt=F("refunded"),
        state__in=[
            workflow.NOT_ESTABLISHED,
            workflow.PENDING_REVIEW,
            workflow.DECLARED,
            workflow.PAID,
            workflow.FAILED,
            workflow.OPTED_OUT,
        ],
    )
    established_not_paid = (
        enrollments.filter(state=workflow.ESTABLISHED, premium_due__gt=0)
        .exclude(payer=workflow.GOVERNMENT)
        .filter(amount_paid__lt=F("premium_due"))
    )
    per_payer = (
        Enrollment.objects.filter(policy_year__year=year)
        .values("payer")
        .annotate(
            count=Count("pk"),
            due=Coalesce(
                Sum(
                    Case(
                        When(state=workflow.OPTED_OUT, then=ZERO),
                        default=F("premium_due"),
                        output_field=MONEY,
                    )
                ),
                ZERO,
                output_field=MONEY,
            ),
            paid=Coalesce(Sum("amount_paid"), ZERO, output_field=MONEY),
        )
        .order_by("payer")
    )
    refunds = dict(
        Refund.objects.filter(enrollment__policy_year__year=year)
        .values("enrollment__payer")
        .annotate(total=Sum("amount"))
        .values_list("enrollment__payer", "total")
    )
    totals = []
    for row in per_payer:
        back = fen(refunds.get(row["payer"], ZERO))
        totals.append(
            {
                "payer": row["payer"],
                "label": workflow.PAYER_LABELS[row["payer"]],
                "count": row["count"],
                "due": fen(row["due"]),
                "paid": fen(row["paid"]),
                "refunded": back,
                "net": fen(row["paid"]) - back,
            }
        )
    return {
        "paid_not_established": paid_not_established,
        "established_not_paid": established_not_paid,
        "totals": totals,
    }
