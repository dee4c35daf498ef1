"""Reads for the student pages: the colleges of the roster (for the lists' filters), and
everything one student's page shows, year by year, with the answer to "is this student
covered on day X?"."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.apps import apps
from django.db import connection
from django.db.models import DateTimeField, F, Sum, Value

from . import workflow
from .models import (
    Enrollment,
    EnrollmentEvent,
    OptOut,
    Payment,
    Refund,
    Student,
)
from .selectors import Cover, cover_among, cover_waits_for_premium, enrollment_waiting_from


def colleges() -> list[str]:
    """The roster's colleges, sorted, without reading the roster: a loose index scan
    (one probe of the college index per college) instead of SELECT DISTINCT, which reads
    every student — 200,000 rows for eight names on each change list."""
    table = connection.ops.quote_name(Student._meta.db_table)
    column = connection.ops.quote_name("college")
    sql = (
        f"WITH RECURSIVE found(college) AS ("
        f" SELECT MIN({column}) FROM {table}"
        f" UNION ALL"
        f" SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > found.college)"
        f" FROM found WHERE found.college IS NOT NULL"
        f") SELECT college FROM found WHERE college IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [college for (college,) in cursor.fetchall()]


@dataclass
class StudentYear:
    """What one policy year holds for a student: the enrollment (at most one, by the
    student × year constraint), its payments, refunds and moves, the opt-out and the
    claims."""

    policy_year: object
    enrollment: Enrollment | None = None
    waiting_from: date | None = None
    payments: list[Payment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    events: list[EnrollmentEvent] = field(default_factory=list)
    opt_out: OptOut | None = None
    claims: list = field(default_factory=list)


def student_years(*, student: Student, with_claims: bool = True) -> list[StudentYear]:
    """Every policy year of `student`, the latest first, in a fixed number of queries
    (one per kind of record) whatever the student's history."""
    years: dict[int, StudentYear] = {}

    def year_of(policy_year) -> StudentYear:
        if policy_year.pk not in years:
            years[policy_year.pk] = StudentYear(policy_year=policy_year)
        return years[policy_year.pk]

    enrollments = list(
        Enrollment.objects.filter(student=student).select_related(
            "policy_year__region", "declaration_batch"
        )
    )
    by_pk = {}
    for enrollment in enrollments:
        year = year_of(enrollment.policy_year)
        year.enrollment = enrollment
        year.waiting_from = enrollment_waiting_from(enrollment)
        by_pk[enrollment.pk] = year
    for money in _payments_and_refunds(student):
        year = by_pk[money.enrollment_id]
        (year.payments if isinstance(money, Payment) else year.refunds).append(money)
    events = EnrollmentEvent.objects.filter(enrollment__student=student).select_related("by")
    for event in events.order_by("at", "pk"):
        by_pk[event.enrollment_id].events.append(event)
    opt_outs = OptOut.objects.filter(student=student).select_related(
        "policy_year__region", "recorded_by"
    )
    for opt_out in opt_outs:
        year_of(opt_out.policy_year).opt_out = opt_out
    if with_claims and apps.is_installed("claims"):
        # claims depend on enrollment, not the reverse: read through the relation only
        claims = (
            student.claims.select_related("policy_year__region")
            .annotate(invoiced=Sum("lines__total"))
            .order_by("created_at", "pk")
        )
        for claim in claims:
            if claim.policy_year is not None:
                year_of(claim.policy_year).claims.append(claim)
    return sorted(
        years.values(),
        key=lambda y: (-y.policy_year.year, y.policy_year.region_id, y.policy_year.pk),
    )


# the columns a payment and a refund share in _payments_and_refunds, in SQL order
MONEY_COLUMNS = ("day", "at", "channel_code", "reason_code", "reference", "note")


def _payments_and_refunds(student: Student) -> list[Payment | Refund]:
    """The student's payments and refunds, oldest first, in one query (a UNION of the
    two tables): the page stays within its query budget whatever the history. Rebuilt as
    unsaved rows with the fields the page shows."""
    payments = Payment.objects.filter(enrollment__student=student).annotate(
        kind=Value("payment"),
        day=F("paid_on"),
        at=Value(None, output_field=DateTimeField()),
        channel_code=F("channel"),
        reason_code=Value(""),
        reference=F("receipt_number"),
        note=F("mismatch"),
    )
    refunds = Refund.objects.filter(enrollment__student=student).annotate(
        kind=Value("refund"),
        day=F("paid_out_on"),
        at=F("created_at"),
        channel_code=F("payout_channel"),
        reason_code=F("reason"),
        reference=F("payout_reference"),
        note=Value(""),
    )
    fields = ("kind", "pk", "enrollment_id", "amount", *MONEY_COLUMNS)
    # (SQLite takes no ORDER BY inside a UNION: the models' orderings are cleared)
    rows = (
        payments.order_by()
        .values_list(*fields)
        .union(refunds.order_by().values_list(*fields), all=True)
    )
    found = []
    for kind, pk, enrollment_id, amount, day, at, channel, reason, reference, note in rows:
        if kind == "payment":
            found.append(
                Payment(
                    pk=pk,
                    enrollment_id=enrollment_id,
                    amount=amount,
                    paid_on=day,
                    channel=channel,
                    receipt_number=reference,
                    mismatch=note,
                )
            )
        else:
            found.append(
                Refund(
                    pk=pk,
                    enrollment_id=enrollment_id,
                    amount=amount,
                    reason=reason,
                    created_at=at,
                    paid_out_on=day,
                    payout_channel=channel,
                    payout_reference=reference,
                )
            )
    return sorted(
        found, key=lambda m: (m.paid_on if isinstance(m, Payment) else m.created_at.date(), m.pk)
    )


@dataclass(frozen=True)
class CoverAnswer:
    """The answer to "is this student covered on `day`?": covered (benefits paid),
    in_waiting (insured, nothing paid yet) or neither, and the sentence staff read."""

    day: date
    covered: bool
    in_waiting: bool
    sentence: str


def cover_answer(*, student: Student, day: date, years: Iterable[StudentYear]) -> CoverAnswer:
    """selectors.cover_on over the enrollments the page has read already (cover_among is
    its body), and when there is no cover, why not: no enrollment that year, opted out,
    a state that gives no cover, the premium not fully paid, dates not known yet, or the
    day outside the cover."""
    years = list(years)
    enrollments = [y.enrollment for y in years if y.enrollment is not None]
    cover = cover_among(enrollments, day)
    if cover is not None:
        return _covered(day, cover)
    return CoverAnswer(day, False, False, why_not_covered(student, day, years))


def _covered(day: date, cover: Cover) -> CoverAnswer:
    enrollment = cover.enrollment
    what = (
        f"{enrollment.policy_year}的参保（{enrollment.get_kind_display()}，"
        f"{workflow.LABELS[enrollment.state]}）"
    )
    dates = f"待遇 {cover.cover_start:%Y-%m-%d} 至 {cover.cover_end:%Y-%m-%d}"
    if cover.in_waiting:
        waiting_from = enrollment_waiting_from(enrollment)
        return CoverAnswer(
            day,
            False,
            True,
            f"参保但在待遇等待期内：{day:%Y-%m-%d} 属于{what}的等待期"
            f"（{waiting_from:%Y-%m-%d} 起等待 {cover.waiting_months} 个月），{dates}；"
            "等待期内发生的医疗费用不予报销。",
        )
    return CoverAnswer(day, True, False, f"是。{day:%Y-%m-%d} 在{what}的保障期内：{dates}。")


def why_not_covered(student: Student, day: date, years: list[StudentYear]) -> str:
    """The sentence for a day without cover, from the year the day falls in (a policy
    year is a calendar year)."""
    shown = f"{day:%Y-%m-%d}"
    of_year = [y for y in years if y.policy_year.year == day.year]
    enrollments = [y.enrollment for y in of_year if y.enrollment is not None]
    if not enrollments:
        opt_out = next((y.opt_out for y in of_year if y.opt_out is not None), None)
        if opt_out is not None:
            return (
                f"否。{shown} 不在保障期内：{day.year} 年度已主动放弃参保"
                f"（{opt_out.signed_on:%Y-%m-%d} 签署承诺书，{opt_out.get_reason_display()}）。"
            )
        return f"否。{student.name}在 {day.year} 年度没有参保记录。"
    reasons = [_enrollment_not_covering(enrollment, day) for enrollment in enrollments]
    return f"否。{shown} 不在保障期内：" + "；".join(reasons) + "。"


def _enrollment_not_covering(enrollment: Enrollment, day: date) -> str:
    what = f"{enrollment.policy_year}的参保（{enrollment.get_kind_display()}）"
    state = workflow.LABELS[enrollment.state]
    if not workflow.was_covered(enrollment.state, enrollment.payer):
        if enrollment.state in (workflow.FAILED, workflow.OPTED_OUT, workflow.REFUNDED):
            return f"{what}状态为「{state}」，不享受待遇"
        return f"{what}状态为「{state}」，建账后才享受待遇"
    if cover_waits_for_premium(enrollment):
        return (
            f"{what}未足额缴费（已缴 {enrollment.amount_paid:,.2f} 元，应缴 "
            f"{enrollment.premium_due:,.2f} 元），足额缴费后才享受待遇"
        )
    if enrollment.cover_start is None or enrollment.cover_end is None:
        return f"{what}尚无待遇起止日期（中途参保缴费后才确定）"
    dates = f"{enrollment.cover_start:%Y-%m-%d} 至 {enrollment.cover_end:%Y-%m-%d}"
    if day > enrollment.cover_end:
        return f"{what}的待遇为 {dates}，已于 {enrollment.cover_end:%Y-%m-%d} 结束"
    return f"{what}的待遇为 {dates}，{day:%Y-%m-%d} 尚未开始"
