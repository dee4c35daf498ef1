"""Refunds (退费, DESIGN.md §1.3, §4.4): what the school owes back, recorded once per
enrollment; the refund list of what finance has still to pay; and paying refunds out.
Every refund is one transaction with the enrollment's row locked; a payout is one
transaction with the refunds' rows locked."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from office import exports
from office.scoping import in_colleges
from policies.models import PolicyYear
from policies.selectors import school_region

from .. import workflow
from ..models import Enrollment, Refund
from .enrollments import EnrollmentRefused, facts_of, move_locked

ZERO = Decimal("0.00")
PAYOUT_CHUNK = 2000
REFUND_HEADER = ["序号", "学号", "姓名", "学院", "缴费年度", "退费金额", "退费原因", "登记时间"]
REFUND_COLUMNS = exports.columns_of(
    REFUND_HEADER,
    {"序号": exports.Kind.INTEGER, "退费金额": exports.Kind.MONEY, "登记时间": exports.Kind.DATE},
)


def refunds_due(
    *, year: int, today: date, region: str | None = None
) -> list[tuple[int, workflow.RefundDue]]:
    """(enrollment pk, what is owed back) for every enrollment of `year` in `region` (the
    school's unless another is named) with money to return on `today`
    (workflow.refund_due)."""
    enrollments = (
        Enrollment.objects.filter(
            policy_year__year=year,
            policy_year__region__code=region or school_region(),
            amount_paid__gt=0,
        )
        .select_related("policy_year")
        .annotate(refunded=Coalesce(Sum("refunds__amount"), ZERO))
    )
    due = []
    for enrollment in enrollments.order_by("pk"):
        owed = _owed(enrollment, enrollment.refunded, today=today)
        if owed is not None:
            due.append((enrollment.pk, owed))
    return due


def school_refunds_family_aid(*, year: int | None = None, region: str | None = None) -> bool:
    """Whether the school refunds family mutual-aid premiums in `year` of `region` (the
    school's unless another is named; the latest year when none is given): shanghai guide
    Q18 yes, wuhan notice 十(三) no, the bureau returns them to the payer."""
    years = PolicyYear.objects.filter(region__code=region or school_region())
    if year is not None:
        years = years.filter(year=year)
    flag = years.order_by("-year").values_list("family_aid_refunded_by_school", flat=True).first()
    return bool(flag)


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


def refunds_issue(
    *, year: int, today: date, region: str | None = None, by=None
) -> tuple[list[Refund], list[str]]:
    """Record every refund due in `year` on `today`, one enrollment per transaction: its
    row is locked and what is owed worked out again, so two clicks never refund twice.
    Returns the refunds and, for the enrollments the workflow would not move, why."""
    issued, refused = [], []
    for pk, _ in refunds_due(year=year, today=today, region=region):
        try:
            with transaction.atomic():
                current = (
                    Enrollment.objects.select_related("policy_year")
                    .select_for_update(of=("self",))
                    .get(pk=pk)
                )
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


def refund_list_xlsx(
    *, year: int, region: str | None = None, colleges=None
) -> tuple[bytes, int, Decimal]:
    """The refund list for finance: every refund of `year` in `region` (the school's
    unless another is named) not yet paid out, and a total row. What was paid out has
    left the list; the admin's refunds show it. `colleges`: only theirs (office.scoping)."""
    refunds = (
        _outstanding(region, colleges)
        .filter(enrollment__policy_year__year=year)
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
                timezone.localdate(refund.created_at),
            ]
        )
    footer = ["合计", "", "", "", "", total, f"{len(rows)} 笔", ""]
    content = exports.xlsx(REFUND_COLUMNS, rows, sheet="退费清单", total=footer)
    return content, len(rows), total


def refunds_outstanding(
    *, region: str | None = None, colleges=None
) -> list[tuple[int, int, Decimal]]:
    """(year, refunds, total) still to pay out, per policy year of `region` (the school's
    unless another is named), latest year first; of `colleges` only, when given."""
    per_year = (
        _outstanding(region, colleges)
        .values_list("enrollment__policy_year__year")
        .annotate(count=Count("pk"), total=Sum("amount"))
        .order_by("-enrollment__policy_year__year")
    )
    return [(year, count, total) for year, count, total in per_year]


def _outstanding(region: str | None = None, colleges=None):
    outstanding = Refund.objects.filter(
        paid_out_on__isnull=True, enrollment__policy_year__region__code=region or school_region()
    )
    return in_colleges(outstanding, "enrollment__student__college", colleges)


@dataclass(frozen=True)
class Payout:
    """What one payout did: refunds paid out now and their total; refunds that had been
    paid out before and were left as they were."""

    paid: int
    total: Decimal
    already_paid: int


def refunds_pay_out(
    *,
    refunds: Iterable[int],
    paid_out_on: date,
    channel: str,
    reference: str = "",
    by=None,
    today: date,
) -> Payout:
    """Mark the refunds whose primary keys are `refunds` paid out on `paid_out_on` through
    `channel`. All or nothing, and once only: the outstanding ones are locked and marked
    in one transaction; one already paid out keeps its date, channel, reference and who,
    so a second mark (or two clicks at once) changes nothing."""
    reference = reference.strip()
    if channel not in Refund.Channel.values:
        raise EnrollmentRefused(f"付款方式「{channel}」无效。", code="payout_channel")
    if paid_out_on > today:
        raise EnrollmentRefused(
            f"付款日期 {paid_out_on} 晚于今天（{today}），不能登记尚未发生的付款。",
            code="payout_in_future",
        )
    limit = Refund._meta.get_field("payout_reference").max_length
    if len(reference) > limit:
        raise EnrollmentRefused(f"付款凭证号最多 {limit} 个字符。", code="payout_reference")
    # in key order, so two payouts of overlapping selections lock rows in the same order
    # and one waits for the other instead of deadlocking; in chunks, within the number of
    # parameters a query may carry
    pks = sorted(set(refunds))
    paid, total, already_paid = 0, ZERO, 0
    with transaction.atomic():
        for first in range(0, len(pks), PAYOUT_CHUNK):
            chunk = pks[first : first + PAYOUT_CHUNK]
            outstanding = dict(
                Refund.objects.filter(pk__in=chunk, paid_out_on__isnull=True)
                .order_by("pk")
                .select_for_update()
                .values_list("pk", "amount")
            )
            paid += Refund.objects.filter(pk__in=list(outstanding)).update(
                paid_out_on=paid_out_on,
                payout_channel=channel,
                payout_reference=reference,
                paid_out_by=by,
            )
            total += sum(outstanding.values(), ZERO)
            already_paid += Refund.objects.filter(pk__in=chunk).count() - len(outstanding)
    return Payout(paid=paid, total=total, already_paid=already_paid)
