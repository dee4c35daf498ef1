"""The tax-bureau payment lists (缴费清单, DESIGN.md §5)."""

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Max

from .. import exports, roster, workflow
from ..models import (
    Enrollment,
    PaymentList,
    PaymentListEntry,
)
from .enrollments import EnrollmentRefused, transition_many

PAYMENT_LIST_HEADER = [
    "序号",
    "姓名",
    "证件类型",
    "证件号码",
    "学号",
    "学院",
    "缴费年度",
    "险种",
    "人员类别",
    "应缴金额",
    "备注",
]
SCHEME = "城乡居民基本医疗保险"
PERSON_CATEGORY = "大学生"


@dataclass(frozen=True)
class PaymentListFile:
    number: int | None
    rows: int
    total: Decimal
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def payment_list_open(*, year: int):
    """Established enrollments of `year` whose premium the school collected and has not
    remitted. Exempt (重残), opted-out, unpaid, government-paid and family mutual-aid
    enrollments never qualify: they are not established-and-collected by the school."""
    return (
        Enrollment.objects.filter(
            policy_year__year=year,
            state=workflow.ESTABLISHED,
            premium_due__gt=0,
            amount_paid__gte=F("premium_due"),
        )
        .exclude(payer__in=[workflow.FAMILY_AID, workflow.GOVERNMENT])
        .select_related("student")
        .order_by("student__college", "student__student_number", "pk")
    )


def payment_list_export_open(*, year: int) -> PaymentListFile:
    rows = [_payment_row(e, year) for e in payment_list_open(year=year)]
    return _payment_list_file(None, rows)


@transaction.atomic
def payment_list_freeze(*, year: int, by=None) -> PaymentListFile:
    """Freeze the open list as the next number: record its rows, mark its members
    remitted (each move checked by the workflow) and keep the file's SHA-256."""
    enrollments = list(payment_list_open(year=year).select_for_update(of=("self",)))
    if not enrollments:
        raise EnrollmentRefused(f"{year} 年度没有待汇缴的记录。")
    rows = [_payment_row(e, year) for e in enrollments]
    number = (PaymentList.objects.aggregate(last=Max("number"))["last"] or 0) + 1
    exported = _payment_list_file(number, rows)
    payment_list = PaymentList.objects.create(
        number=number,
        year=year,
        rows=exported.rows,
        total=exported.total,
        sha256=exported.sha256,
        frozen_by=by,
    )
    PaymentListEntry.objects.bulk_create(
        PaymentListEntry(
            payment_list=payment_list,
            enrollment=enrollment,
            position=position,
            amount=enrollment.premium_due,
            row=_json_row(row),
        )
        for position, (enrollment, row) in enumerate(zip(enrollments, rows, strict=True), 1)
    )
    transition_many(enrollments, to=workflow.REMITTED, by=by, reason=f"缴费清单 #{number}")
    return exported


def payment_list_export_frozen(*, number: int) -> PaymentListFile:
    """Frozen list `number` again, from the rows recorded when it was frozen."""
    payment_list = PaymentList.objects.get(number=number)
    rows = [
        [*entry.row[:-2], Decimal(entry.row[-2]), entry.row[-1]]
        for entry in payment_list.entries.order_by("position")
    ]
    exported = _payment_list_file(number, rows)
    if exported.sha256 != payment_list.sha256:
        raise EnrollmentRefused(f"缴费清单 #{number} 重新生成的文件与冻结时不一致。")
    return exported


def _payment_row(enrollment: Enrollment, year: int) -> list:
    student = enrollment.student
    note = "" if enrollment.payer == workflow.STUDENT else workflow.PAYER_LABELS[enrollment.payer]
    return [
        student.name,
        roster.ID_TYPE_LABELS[student.id_type],
        student.id_number,
        student.student_number,
        student.college,
        str(year),
        SCHEME,
        PERSON_CATEGORY,
        enrollment.premium_due,
        note,
    ]


def _json_row(row: list) -> list:
    return [str(value) for value in row]


def _payment_list_file(number: int | None, rows: list[list]) -> PaymentListFile:
    total = sum((row[-2] for row in rows), Decimal("0.00"))
    body = [[position, *row] for position, row in enumerate(rows, 1)]
    footer = ["合计", "", "", "", "", "", "", "", "", total, f"{len(rows)} 人"]
    content = exports.xlsx([PAYMENT_LIST_HEADER, *body, footer], sheet="缴费清单")
    return PaymentListFile(number=number, rows=len(rows), total=total, content=content)
