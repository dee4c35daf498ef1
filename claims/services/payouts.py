"""报销支付清单 (DESIGN.md §5, issue #11): the approved claims the school pays out of its
own money, handed to finance as a list, frozen once paid.

Which claims the school pays: those whose payer is the school's outpatient fund
(学校门诊统筹, Wuhan notice 五.1–五.3: the school reviews and pays ordinary outpatient care
itself). The basic fund's claims (零星报销) are paid by the bureau (医保经办机构, Shanghai
guide Q12) and catastrophic claims by the student's insurer (guide Q8): the office only
tracks them, so they never appear on a list the school's finance pays from.

A claim without a bank account (收款账户) cannot be paid: it waits, shown on the freeze
page, until one is recorded (a claim with nothing to pay is listed without one)."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from office import exports
from office.errors import Refused
from office.models import sha256_of

from .. import rules, workflow
from ..models import Claim, ClaimLine, ClaimPayoutEntry, ClaimPayoutList
from .common import claims_write

SCHOOL_PAYS = (rules.SCHOOL_OUTPATIENT_FUND,)
CHUNK = 2000
PREVIEW_ROWS = 200

PAYOUT_HEADER = [
    "序号",
    "申请单号",
    "姓名",
    "学号",
    "学院",
    "报销类型",
    "就诊日期",
    "应付金额",
    "收款账户",
    "备注",
]
PAYOUT_COLUMNS = exports.columns_of(
    PAYOUT_HEADER,
    {"序号": exports.Kind.INTEGER, "就诊日期": exports.Kind.DATE, "应付金额": exports.Kind.MONEY},
)
# places in a row without its 序号
VISIT = PAYOUT_HEADER.index("就诊日期") - 1
AMOUNT = PAYOUT_HEADER.index("应付金额") - 1
ACCOUNT = PAYOUT_HEADER.index("收款账户") - 1


@dataclass(frozen=True)
class ClaimPayoutFile:
    number: int | None
    rows: int
    total: Decimal
    content: bytes

    @property
    def sha256(self) -> str:
        return sha256_of(self.content)


def _school_pays_unlisted():
    return Claim.objects.filter(
        state=workflow.APPROVED, payer__in=SCHOOL_PAYS, payout_entry__isnull=True
    )


def _payable():
    """A claim can be paid with an account to pay into, or with nothing to pay."""
    return Q(fund=0) | ~Q(bank_account="")


def claim_payout_open(*, year: int):
    """The approved claims of policy year `year` the school pays and has not listed yet,
    in the list's order (college, student, claim)."""
    return (
        _school_pays_unlisted()
        .filter(_payable(), policy_year__year=year)
        .order_by("student__college", "student__student_number", "number")
    )


def claim_payout_open_totals() -> list[dict]:
    """Per year, the claims waiting to be paid and how much, and those held back for want
    of a bank account: shown before a list is frozen, which cannot be undone."""
    waiting = _school_pays_unlisted().values(year=F("policy_year__year"))
    return list(
        waiting.annotate(
            rows=Count("pk", filter=_payable()),
            total=Sum("fund", filter=_payable(), default=Decimal("0.00")),
            held=Count("pk", filter=~_payable()),
        ).order_by("year")
    )


def claim_payout_export_open(*, year: int) -> ClaimPayoutFile:
    """The open list as a file (full bank accounts: it is finance's), not frozen."""
    return _payout_file(None, (row for _, row in _rows(claim_payout_open(year=year))))


@dataclass(frozen=True)
class ClaimPayoutPreview:
    rows: list[list]  # the first ones, bank accounts masked
    count: int
    total: Decimal


def claim_payout_preview(*, year: int, limit: int = PREVIEW_ROWS) -> ClaimPayoutPreview:
    """What the freeze page shows of the open list: its first `limit` rows with bank
    accounts masked, how many rows it has and their total."""
    rows, count, total = [], 0, Decimal("0.00")
    for count, (_, row) in enumerate(_rows(claim_payout_open(year=year)), 1):
        total += row[AMOUNT]
        if count <= limit:
            shown = list(row)
            shown[ACCOUNT] = rules.mask_bank_account(shown[ACCOUNT])
            rows.append([count, *shown])
    return ClaimPayoutPreview(rows=rows, count=count, total=total)


@transaction.atomic
def claim_payout_freeze(
    *,
    year: int,
    by=None,
    expected_rows: int | None = None,
    expected_total: Decimal | None = None,
) -> ClaimPayoutFile:
    """Freeze the open list as the next number: record its claims and the file itself,
    and mark the claims paid (each move checked by the workflow), all or nothing. The
    file is kept, so the list is given again byte for byte whatever changes afterwards.
    `expected_rows`/`expected_total`: what the staff saw in the preview; a list that
    changed since is refused rather than frozen unseen."""
    members = list(_rows(claim_payout_open(year=year).select_for_update(of=("self",))))
    if not members:
        raise Refused(f"{year} 年度没有待支付的报销申请。", code="nothing_to_pay")
    exported = _payout_file(None, (row for _, row in members))
    if (expected_rows is not None and expected_rows != exported.rows) or (
        expected_total is not None and expected_total != exported.total
    ):
        raise Refused(
            f"预览后待支付清单已变化（现为 {exported.rows} 笔，合计 {exported.total} 元），"
            "请重新预览后再冻结。",
            code="changed",
        )
    payout_list = ClaimPayoutList(year=year, rows=exported.rows, total=exported.total, frozen_by=by)
    payout_list.keep_file(exported.content)
    number = _save_with_next_number(payout_list)
    claims = [claim for claim, _ in members]
    ClaimPayoutEntry.objects.bulk_create(
        (
            ClaimPayoutEntry(
                payout_list=payout_list,
                claim_id=claim.pk,
                position=position,
                amount=row[AMOUNT],
                row=[_as_text(value) for value in row],
            )
            for position, (claim, row) in enumerate(members, 1)
        ),
        batch_size=CHUNK,
    )
    claims_write(
        claims, to=workflow.PAID, by=by, reason=f"报销支付清单 #{number}", on_payout_list=True
    )
    return replace(exported, number=number)


NUMBER_TRIES = 10


def _save_with_next_number(payout_list: ClaimPayoutList) -> int:
    """Save the list under the next free number. Two freezes at once (of different years)
    may take the same number: the unique constraint makes the second wait for the first
    to commit and fail, and it then takes the number after (the file does not carry it)."""
    for _ in range(NUMBER_TRIES):
        last = ClaimPayoutList.objects.aggregate(last=Max("number"))["last"] or 0
        payout_list.number = last + 1
        try:
            with transaction.atomic():
                payout_list.save(force_insert=True)
        except IntegrityError:
            if not ClaimPayoutList.objects.filter(number=payout_list.number).exists():
                raise  # another constraint: not a race for the number
            payout_list.pk = None
        else:
            return payout_list.number
    raise Refused("同时冻结的报销支付清单太多，未能取得清单编号，请稍后重试。", code="busy")


def claim_payout_export_frozen(*, number: int) -> ClaimPayoutFile:
    """Frozen list `number` again: the file kept when it was frozen, checked against its
    SHA-256 (a mismatch is refused). ClaimPayoutList.DoesNotExist for an unknown number."""
    payout_list = ClaimPayoutList.objects.get(number=number)
    return ClaimPayoutFile(
        number=number,
        rows=payout_list.rows,
        total=payout_list.total,
        content=payout_list.kept_file(),
    )


# what the workflow needs to move the claim, then what its row shows
ROW_FIELDS = (
    "pk",
    "state",
    "payer",
    "number",
    "student__name",
    "student__student_number",
    "student__college",
    "type",
    "first_visit",
    "fund",
    "bank_account",
    "channel",
    "receipts",
)


def _rows(queryset) -> Iterator[tuple[Claim, list]]:
    """(the claim as the workflow sees it, its row on the list without 序号), read in
    chunks. The visit date and receipt count are subqueries, not a GROUP BY, so the
    claims can be locked (FOR UPDATE) in the same query."""
    lines = ClaimLine.objects.filter(claim=OuterRef("pk"))
    queryset = queryset.annotate(
        first_visit=Subquery(lines.order_by("visit_date").values("visit_date")[:1]),
        receipts=Subquery(lines.order_by().values("claim").annotate(n=Count("pk")).values("n")[:1]),
    )
    for values in queryset.values_list(*ROW_FIELDS).iterator(chunk_size=CHUNK):
        pk, state, payer, number, name, student_number, college, kind, visit, fund = values[:10]
        account, channel, receipts = values[10:]
        amount = fund or Decimal("0.00")
        row = [
            number,
            name,
            student_number,
            college,
            rules.TYPE_LABELS.get(kind, kind),
            visit,
            amount,
            account,
            _note(channel=channel, receipts=receipts or 0, amount=amount),
        ]
        yield Claim(pk=pk, state=state, payer=payer, number=number), row


def _note(*, channel: str, receipts: int, amount: Decimal) -> str:
    notes = []
    if receipts > 1:
        notes.append(f"{receipts} 张票据")
    if channel == rules.PROXY:
        notes.append("代办")
    if not amount:
        notes.append("无应付金额")
    return "；".join(notes)


def _as_text(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _payout_file(number: int | None, rows: Iterable[list]) -> ClaimPayoutFile:
    """The file with its numbered rows and a total row equal to their sum to the fen."""
    count, total = 0, Decimal("0.00")
    with exports.XlsxSheet(PAYOUT_COLUMNS, sheet="报销支付清单") as out:
        for position, row in enumerate(rows, 1):
            count, total = position, total + row[AMOUNT]
            out.row([position, *row])
        out.total_row(["合计", "", "", "", "", "", "", total, "", f"{count} 笔"])
    return ClaimPayoutFile(number=number, rows=count, total=total, content=out.content)


# --- paying a frozen list out ------------------------------------------------------------


@dataclass(frozen=True)
class ListsPaidOut:
    """What one payout did: lists paid out now and their total; lists that had been paid
    out before and were left as they were."""

    paid: int
    total: Decimal
    already_paid: int


def claim_payout_lists_pay_out(
    *,
    lists: Iterable[int],
    paid_out_on: date,
    channel: str,
    reference: str = "",
    by=None,
    today: date,
) -> ListsPaidOut:
    """Record that finance paid the frozen payout lists whose primary keys are `lists` on
    `paid_out_on` through `channel`, as it records a refund paid out
    (enrollment.services.refunds_pay_out): all or nothing, once. A list already paid out
    keeps its date, channel, reference and who; a date after today, or before the list
    was frozen, is refused."""
    reference = reference.strip()
    if channel not in ClaimPayoutList.Channel.values:
        raise Refused(f"付款方式「{channel}」无效。", code="payout_channel")
    if paid_out_on > today:
        raise Refused(
            f"付款日期 {paid_out_on} 晚于今天（{today}），不能登记尚未发生的付款。",
            code="payout_in_future",
        )
    limit = ClaimPayoutList._meta.get_field("payout_reference").max_length
    if len(reference) > limit:
        raise Refused(f"付款凭证号最多 {limit} 个字符。", code="payout_reference")
    # in key order, so two payouts of overlapping selections lock rows in the same order
    pks = sorted(set(lists))
    with transaction.atomic():
        outstanding = list(
            ClaimPayoutList.objects.filter(pk__in=pks, paid_out_on__isnull=True)
            .order_by("pk")
            .select_for_update()
            .values_list("pk", "number", "frozen_at", "total")
        )
        for _pk, number, frozen_at, _total in outstanding:
            frozen_on = timezone.localdate(frozen_at)
            if paid_out_on < frozen_on:
                raise Refused(
                    f"报销支付清单 #{number} 于 {frozen_on} 冻结，付款日期 {paid_out_on} "
                    "不能早于冻结日期。",
                    code="payout_before_freeze",
                )
        paid = ClaimPayoutList.objects.filter(pk__in=[row[0] for row in outstanding]).update(
            paid_out_on=paid_out_on,
            payout_channel=channel,
            payout_reference=reference,
            paid_out_by=by,
        )
        total = sum((row[3] for row in outstanding), Decimal("0.00"))
        already_paid = ClaimPayoutList.objects.filter(pk__in=pks).count() - len(outstanding)
    return ListsPaidOut(paid=paid, total=total, already_paid=already_paid)
