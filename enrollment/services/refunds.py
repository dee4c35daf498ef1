"""Refunds (退费, DESIGN.md §1.3, §4.4): what the school owes back, recorded once per
enrollment, and the refund list for finance. Every refund is one transaction with the
enrollment's row locked."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce

from office import exports

from .. import workflow
from ..models import Enrollment, Refund
from .enrollments import facts_of, move_locked

ZERO = Decimal("0.00")
REFUND_HEADER = ["序号", "学号", "姓名", "学院", "缴费年度", "退费金额", "退费原因", "登记时间"]
REFUND_COLUMNS = exports.columns_of(
    REFUND_HEADER,
    {"序号": exports.Kind.INTEGER, "退费金额": exports.Kind.MONEY, "登记时间": exports.Kind.DATE},
)


def refunds_due(*, year: int, today: date) -> list[tuple[int, workflow.RefundDue]]:
    """(enrollment pk, what is owed back) for every enrollment of `year` with money to
    return on `today` (workflow.refund_due)."""
    enrollments = (
        Enrollment.objects.filter(policy_year__year=year, amount_paid__gt=0)
        .select_related("policy_year")
        .annotate(refunded=Coalesce(Sum("refunds__amount"), ZERO))
    )
    due = []
    for enrollment in enrollments.order_by("pk"):
        owed = _owed(enrollment, enrollment.refunded, today=today)
        if owed is not None:
            due.append((enrollment.pk, owed))
    return due


def _owed(enrollment: Enrollment, refunded: Decimal, *, today: date) -> workflow.RefundDue | None:
    return workflow.refund_due(
        facts_of(enrollment),
        refunded=refunded,
        failure_is_final=workflow.failure_is_final(
            kind=enrollment.kind,
            freshman_window_closes_on=enrollment.policy_year.freshman_window_closes_on,
            today=today,
        ),
    )


def refunds_issue(*, year: int, today: date, by=None) -> tuple[list[Refund], list[str]]:
    """Record every refund due in `year` on `today`, one enrollment per transaction: its
    row is locked and what is owed worked out again, so two clicks never refund twice.
    Returns the refunds and, for the enrollments the workflow would not move, why."""
    issued, refused = [], []
    for pk, _ in refunds_due(year=year, today=today):
        try:
            with transaction.atomic():
                current = Enrollment.objects.select_for_update().get(pk=pk)
                refunded = current.refunds.aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]
                owed = _owed(current, refunded, today=today)
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
                refund.created_at.date(),
            ]
        )
    footer = ["合计", "", "", "", "", total, f"{len(rows)} 笔", ""]
    content = exports.xlsx(REFUND_COLUMNS, rows, sheet="退费清单", total=footer)
    return content, len(rows), total
