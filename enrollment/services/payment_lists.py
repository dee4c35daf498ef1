"""The tax-bureau payment lists (缴费清单, DESIGN.md §5)."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Sum

from office import exports
from office.errors import Refused
from office.models import sha256_of
from policies.selectors import policy_year_for, school_region

from .. import roster, workflow
from ..models import (
    Enrollment,
    PaymentList,
    PaymentListEntry,
)
from .common import CHUNK
from .enrollments import moves_write

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
PAYMENT_LIST_COLUMNS = exports.columns_of(
    PAYMENT_LIST_HEADER, {"序号": exports.Kind.INTEGER, "应缴金额": exports.Kind.MONEY}
)
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
        return sha256_of(self.content)


def payment_list_open(*, year: int, region: str | None = None):
    """Established enrollments of `year` in `region` (the school's unless another is
    named) whose premium the school collected and has not remitted, in the list's order."""
    return (
        _waiting_to_be_remitted(region)
        .filter(policy_year__year=year)
        .select_related("student")
        .order_by("student__college", "student__student_number", "pk")
    )


def _waiting_to_be_remitted(region: str | None = None):
    """Exempt, opted-out, unpaid and government-paid enrollments never qualify: they are
    not established-and-collected by the school. Nor do family mutual-aid ones where the
    school refunds the premium (shanghai guide Q18); where the bureau returns it to the
    payer instead, the school remits them like any other (wuhan notice 十(三))."""
    return (
        Enrollment.objects.filter(
            policy_year__region__code=region or school_region(),
            state=workflow.ESTABLISHED,
            premium_due__gt=0,
            amount_paid__gte=F("premium_due"),
        )
        .exclude(payer=workflow.GOVERNMENT)
        .exclude(payer=workflow.FAMILY_AID, policy_year__family_aid_refunded_by_school=True)
    )


def payment_list_open_totals() -> list[dict]:
    """Per payment year of the school's region, who is waiting to be remitted and how
    much: shown before a list is frozen, which cannot be undone."""
    return list(
        _waiting_to_be_remitted()
        .values(year=F("policy_year__year"))
        .annotate(rows=Count("pk"), total=Sum("premium_due"))
        .order_by("year")
    )


def payment_list_export_open(*, year: int, region: str | None = None) -> PaymentListFile:
    """The open list as a file, streamed from the database: memory stays flat."""
    rows = (row for _, row in _rows(payment_list_open(year=year, region=region), year))
    return _payment_list_file(None, rows)


@transaction.atomic
def payment_list_freeze(
    *,
    year: int,
    region: str | None = None,
    by=None,
    expected_rows: int | None = None,
    expected_total: Decimal | None = None,
) -> PaymentListFile:
    """Freeze the open list as the next number: record its members and the file itself,
    mark the members remitted (each move checked by the workflow). The file is kept, so
    the list is given again byte for byte whatever changes in the roster or the software.
    `expected_rows`/`expected_total`: what the confirmation showed; a list that changed
    since is refused rather than frozen unseen."""
    open_list = payment_list_open(year=year, region=region)
    members = list(_rows(open_list.select_for_update(of=("self",)), year))
    if not members:
        raise Refused(f"{year} 年度没有待汇缴的记录。", code="nothing_to_remit")
    exported = _payment_list_file(None, (row for _, row in members))
    seen = (expected_rows, expected_total)
    if seen != (None, None) and seen != (exported.rows, exported.total):
        raise Refused(
            f"{year} 年度待汇缴名单在确认后有变化（现为 {exported.rows} 人、"
            f"{exported.total} 元），未冻结：请重新查看后再确认。",
            code="changed",
        )
    payment_list = PaymentList(year=year, rows=exported.rows, total=exported.total, frozen_by=by)
    payment_list.keep_file(exported.content)
    number = _save_with_next_number(payment_list)
    exported = replace(exported, number=number)
    policy_year = policy_year_for(year=year, region=region)
    enrollments = [_enrollment(facts, policy_year) for facts, _ in members]
    PaymentListEntry.objects.bulk_create(
        (
            PaymentListEntry(
                payment_list=payment_list,
                enrollment_id=enrollment.pk,
                position=position,
                amount=enrollment.premium_due,
                row=[str(value) for value in row],
            )
            for position, (enrollment, (_, row)) in enumerate(
                zip(enrollments, members, strict=True), 1
            )
        ),
        batch_size=CHUNK,
    )
    moves_write(enrollments, to=workflow.REMITTED, by=by, reason=f"缴费清单 #{number}")
    return exported


NUMBER_TRIES = 10


def _save_with_next_number(payment_list: PaymentList) -> int:
    """Save the list under the next free number. Two freezes at once (of different years)
    may take the same number: the unique constraint makes the second wait for the first
    to commit and fail, and it then takes the number after (the file does not carry it)."""
    for _ in range(NUMBER_TRIES):
        payment_list.number = (PaymentList.objects.aggregate(last=Max("number"))["last"] or 0) + 1
        try:
            with transaction.atomic():
                payment_list.save(force_insert=True)
        except IntegrityError:
            if not PaymentList.objects.filter(number=payment_list.number).exists():
                raise  # another constraint: not a race for the number
            payment_list.pk = None
        else:
            return payment_list.number
    raise Refused("同时冻结的缴费清单太多，未能取得清单编号，请稍后重试。", code="busy")


def payment_list_export_frozen(*, number: int) -> PaymentListFile:
    """Frozen list `number` again: the file kept when it was frozen, checked against its
    SHA-256 (a mismatch is refused)."""
    payment_list = PaymentList.objects.get(number=number)
    if not payment_list.has_file:
        raise Refused(
            f"缴费清单 #{number} 冻结于 2026 年 11 月升级之前，其文件无法按原字节重建"
            "（见迁移 enrollment 0007）；成员和金额仍在，请联系系统管理员。",
            code="no_file",
        )
    return PaymentListFile(
        number=number,
        rows=payment_list.rows,
        total=payment_list.total,
        content=payment_list.kept_file(),
    )


# the enrollment and what the workflow needs to move it
ENROLLMENT_FIELDS = ("pk", "kind", "state", "payer", "amount_paid", "premium_due")
ROW_FIELDS = (
    *ENROLLMENT_FIELDS,
    "student__name",
    "student__id_type",
    "student__id_number",
    "student__student_number",
    "student__college",
)


def _rows(queryset, year: int) -> Iterator[tuple[tuple, list]]:
    """(the enrollment's workflow facts, its row on the list), read in chunks. The facts
    stay a tuple: only freezing needs them as an Enrollment, and building 60,000 model
    instances for an export would double its time."""
    for values in queryset.values_list(*ROW_FIELDS).iterator(chunk_size=CHUNK):
        _, _, _, payer, _, due, name, id_type, id_number, number, college = values
        note = "" if payer == workflow.STUDENT else workflow.PAYER_LABELS[payer]
        row = [
            name,
            roster.ID_TYPE_LABELS[id_type],
            id_number,
            number,
            college,
            str(year),
            SCHEME,
            PERSON_CATEGORY,
            due,
            note,
        ]
        yield values[: len(ENROLLMENT_FIELDS)], row


def _enrollment(facts: tuple, policy_year) -> Enrollment:
    return Enrollment(**dict(zip(ENROLLMENT_FIELDS, facts, strict=True)), policy_year=policy_year)


def _payment_list_file(number: int | None, rows: Iterable[list]) -> PaymentListFile:
    """The file with its numbered rows and a total row equal to their sum to the fen."""
    count, total = 0, Decimal("0.00")
    with exports.XlsxSheet(PAYMENT_LIST_COLUMNS, sheet="缴费清单") as out:
        for position, row in enumerate(rows, 1):
            count, total = position, total + row[-2]
            out.row([position, *row])
        out.total_row(["合计", "", "", "", "", "", "", "", "", total, f"{count} 人"])
    return PaymentListFile(number=number, rows=count, total=total, content=out.content)
