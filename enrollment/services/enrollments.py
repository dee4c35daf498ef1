"""Enrollments one by one or many at once; every state change checked by the workflow."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import prefetch_related_objects

from office.errors import Refused
from office.transitions import StateWriter
from policies import engine
from policies.selectors import (
    PolicyYearAmbiguous,
    policy_year_for,
    policy_year_rules,
    special_group_treatments,
)

from .. import workflow
from ..models import Enrollment, EnrollmentEvent, OptOut, Student
from ..selectors import student_eligibility, student_gaps


class EnrollmentRefused(Refused):
    """An enrollment use case refused (office.errors.Refused for the enrollment app)."""


def enrollment_create(
    *, student: Student, policy_year, kind: str, today: date, by=None
) -> Enrollment:
    """A new enrollment for an eligible student, priced from its policy year, in its kind's
    first state, with the cover dates of the rule engine. Creating the same student × year
    twice is refused by the database's unique constraint."""
    enrollment_create_problem(student=student, policy_year=policy_year, kind=kind, today=today)
    enrollment = enrollment_build(
        student_id=student.pk,
        category=student.subsidy_category,
        registered_on=student.registered_on,
        policy_year=policy_year,
        rules=policy_year_rules(policy_year),
        kind=kind,
    )
    with transaction.atomic():
        enrollment.save()
        EnrollmentEvent.objects.create(enrollment=enrollment, to_state=enrollment.state, by=by)
    return enrollment


def enrollment_create_problem(
    *, student: Student, policy_year, kind: str, today: date
) -> engine.Cover | None:
    """Raises EnrollmentRefused, with the reason, when `student` cannot be enrolled in
    `policy_year` as `kind` on `today`. A late enrollment whose cover could not start
    inside the year even if paid today is refused too; otherwise its earliest cover (if
    paid today) is returned."""
    if kind == workflow.FRESHMAN and today > policy_year.freshman_window_closes_on:
        # shanghai guide Q4: 集中参保期开始后，不再补建立秋季入学新生当年的居保账户
        raise EnrollmentRefused(
            f"{policy_year} 的新生申报已于 {policy_year.freshman_window_closes_on:%Y-%m-%d} 截止"
            "（下一年度集中参保期已开始），不能再为新生建立当年账户。"
        )
    if kind == workflow.FRESHMAN and (
        student.registered_on is None or student.registered_on.year != policy_year.year
    ):
        raise EnrollmentRefused(
            f"{student} 的报到注册时间不在 {policy_year.year} 年，不能按新生参保。"
        )
    if kind == workflow.LATE and not (
        policy_year.collective_window_closes_on < today <= date(policy_year.year, 12, 31)
    ):
        raise EnrollmentRefused(
            f"中途参保只能在集中参保期（截至 {policy_year.collective_window_closes_on:%Y-%m-%d}）"
            f"之后、{policy_year.year} 年内办理。"
        )
    if OptOut.objects.filter(student=student, policy_year=policy_year).exists():
        raise EnrollmentRefused(f"{student} 已签署 {policy_year} 的放弃参保承诺。")
    status = student_eligibility(student)
    if not status.eligible:
        raise EnrollmentRefused(f"{student} 不符合参保条件：{status.message}")
    if kind == workflow.LATE:
        return late_cover(
            student=student, policy_year=policy_year, declared_on=today, paid_on=today
        )
    return None


def enrollment_build(
    *,
    student_id: int,
    category: str,
    registered_on: date | None,
    policy_year,
    rules: engine.PolicyYearRules,
    kind: str,
    gap_years: int = 0,
    special_groups: dict[str, str] | None = None,
) -> Enrollment:
    """An unsaved enrollment: premium and payer from workflow.price (with the year's
    `special_groups`, read here unless the caller has them), cover dates and waiting
    months from the rule engine (a late enrollment gets them once paid, a freshman whose
    year's cover needs the full premium once it is paid in full)."""
    pricing = workflow.price(
        kind=kind,
        category=category,
        premium=policy_year.premium,
        freshman_premium_waived=policy_year.freshman_premium_waived,
        special_groups=special_group_treatments(policy_year)
        if special_groups is None
        else special_groups,
    )
    cover = None
    if kind == workflow.COLLECTIVE or (
        kind == workflow.FRESHMAN
        and not _cover_waits_for_premium(
            kind=kind, policy_year=policy_year, payer=pricing.payer, premium_due=pricing.premium_due
        )
    ):
        cover = engine.cover_for(
            rules,
            engine.EnrollmentFacts(kind=kind, registered_on=registered_on, gap_years=gap_years),
        )
    return Enrollment(
        student_id=student_id,
        policy_year=policy_year,
        kind=kind,
        state=pricing.initial_state,
        payer=pricing.payer,
        premium_due=pricing.premium_due,
        cover_start=cover.start if cover else None,
        cover_end=cover.end if cover else None,
        waiting_months=cover.waiting_months if cover else 0,
    )


def enrollment_transition(
    *, enrollment: Enrollment, to: str, by=None, reason: str = ""
) -> Enrollment:
    """Move one enrollment to `to` if workflow.check_transition allows it. The row is
    locked first, so two clerks acting at once cannot both move it from the same state.
    Paid comes only from a recorded payment (services.payment_record)."""
    if to == workflow.PAID:
        raise workflow.TransitionRefused("已缴费由缴费记录产生：请在「缴费记录」中登记。")
    with transaction.atomic():
        current = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        move_locked(current, to, by=by, reason=reason)
    return current


def move_locked(
    current: Enrollment,
    to: str,
    *,
    by=None,
    reason: str = "",
    paid_on: date | None = None,
    also: list[str] | None = None,
) -> None:
    """One enrollment's move, on a row the caller has locked, through the one writer.
    `also` names fields the caller changed on the row, saved with it."""
    moves_write([current], to=to, by=by, reason=reason, paid_on=paid_on)
    if also:
        current.save(update_fields=[*also, "updated_at"])


def moves_write(
    enrollments: list[Enrollment],
    *,
    to: str,
    by=None,
    reason: str = "",
    paid_on: date | None = None,
) -> None:
    """The one writer of an enrollment's state, for one row or a payment list's sixty
    thousand (rows the caller has locked): each move checked by the workflow, the states
    written in bulk with an event each (office.transitions), then the cover of a late
    enrollment set once it is paid (or established without payment: government-paid)."""
    with_year_facts(enrollments)
    _WRITER.write(enrollments, to=to, by=by, reason=reason)
    if to not in (workflow.PAID, workflow.ESTABLISHED):
        return
    for enrollment in enrollments:
        if enrollment.cover_start is None:
            # established without a payment (government-paid): only the waiting counts
            fields = enrollment_cover_when_paid(
                enrollment, paid_on=paid_on or enrollment.declared_on
            )
            if fields:
                enrollment.save(update_fields=fields)


def enrollment_cover_when_paid(enrollment: Enrollment, *, paid_on: date) -> list[str]:
    """A late enrollment's cover is known once it is paid (late_cover). Returns the
    fields it set."""
    if enrollment.kind != workflow.LATE:
        return []
    cover = late_cover(
        student=enrollment.student,
        policy_year=enrollment.policy_year,
        declared_on=enrollment.declared_on,
        paid_on=paid_on,
    )
    enrollment.cover_start, enrollment.cover_end = cover.start, cover.end
    enrollment.waiting_months = cover.waiting_months
    return ["cover_start", "cover_end", "waiting_months"]


def freshman_cover_when_paid(enrollment: Enrollment) -> list[str]:
    """A freshman whose year's cover needs the full premium (workflow.
    cover_waits_for_premium) gets the cover dates of the rule engine once what the school
    collected reaches the premium (`enrollment.amount_paid` counts the new payment).
    Returns the fields it set."""
    if enrollment.kind != workflow.FRESHMAN or enrollment.cover_start is not None:
        return []
    if _cover_waits_for_premium(
        kind=enrollment.kind,
        policy_year=enrollment.policy_year,
        payer=enrollment.payer,
        premium_due=enrollment.premium_due,
        amount_paid=enrollment.amount_paid,
    ):
        return []
    cover = engine.cover_for(
        policy_year_rules(enrollment.policy_year),
        engine.EnrollmentFacts(
            kind=workflow.FRESHMAN, registered_on=enrollment.student.registered_on
        ),
    )
    enrollment.cover_start, enrollment.cover_end = cover.start, cover.end
    enrollment.waiting_months = cover.waiting_months
    return ["cover_start", "cover_end", "waiting_months"]


def _cover_waits_for_premium(
    *, kind: str, policy_year, payer: str, premium_due: Decimal, amount_paid=Decimal("0.00")
) -> bool:
    return workflow.cover_waits_for_premium(
        kind=kind,
        needs_full_premium=policy_year.freshman_cover_needs_full_premium,
        payer=payer,
        premium_due=premium_due,
        amount_paid=amount_paid,
    )


def late_cover(*, student: Student, policy_year, declared_on: date, paid_on: date) -> engine.Cover:
    """A late enrollment's benefits: from the later of declaration + waiting and the
    payment date (shanghai guide Q3), the waiting growing with the gap years in the
    student's history (Q5). Refused when they could not start inside the policy year:
    the premium would buy nothing (declared 29 Nov 2025, 3 months of waiting → 28 Feb
    2026, after the 2025 year ends)."""
    year_rules = policy_year_rules(policy_year)
    gaps = student_gaps(student=student, policy_year=policy_year).years
    cover = engine.cover_for(
        year_rules,
        engine.EnrollmentFacts(
            kind=workflow.LATE, declared_on=declared_on, paid_on=paid_on, gap_years=gaps
        ),
    )
    if cover.start > cover.end:
        raise EnrollmentRefused(
            f"{student}：{declared_on:%Y-%m-%d} 申报、{paid_on:%Y-%m-%d} 缴费的中途参保，"
            f"待遇等待期 {cover.waiting_months} 个月，待遇要到 {cover.start:%Y-%m-%d} 才能开始，"
            f"已超出 {policy_year.year} 年度（至 {cover.end:%Y-%m-%d}），缴费将得不到任何待遇，"
            "不予办理。"
        )
    return cover


# the enrollment's fields a transition's guards look at; the others are its policy year's
FACT_FIELDS = tuple(
    name for name in workflow.Facts.__dataclass_fields__ if name not in workflow.YEAR_FACTS
)


def facts_of(enrollment: Enrollment, *, policy_year=None) -> workflow.Facts:
    """The workflow's facts of `enrollment`; `policy_year` saves reading its year again
    when the caller has it."""
    year = policy_year or enrollment.policy_year
    return workflow.Facts(
        **{name: getattr(enrollment, name) for name in FACT_FIELDS},
        **{name: getattr(year, name) for name in workflow.YEAR_FACTS},
    )


def with_year_facts(enrollments) -> None:
    """The policy years of `enrollments` loaded in one query where they are not loaded
    yet: facts_of reads them, and a payment list moves sixty thousand rows at once."""
    prefetch_related_objects(list(enrollments), "policy_year")


_WRITER = StateWriter(
    check=lambda enrollment, to, reason: workflow.check_transition(
        facts_of(enrollment), to, reason=reason
    ),
    event=EnrollmentEvent,
    owner="enrollment",
    stale=workflow.TransitionRefused,
)


def enrollments_move(*, enrollments, to: str, by, reason: str = "") -> tuple[int, list[str]]:
    """A move staff make by hand on a selection (an admin action from the workflow's map),
    each enrollment locked and moved on its own. Returns how many moved and, for the
    others, why not."""
    moved, refused = 0, []
    for enrollment in enrollments:
        try:
            enrollment_transition(enrollment=enrollment, to=to, by=by, reason=reason)
        except workflow.TransitionRefused as exc:
            refused.append(f"{enrollment.student}：{exc}")
        else:
            moved += 1
    return moved, refused


@dataclass(frozen=True)
class LateQuote:
    """What a late enrollment declared `today` would give, if paid the same day: shown
    to staff before anything is recorded."""

    student: Student
    policy_year: object
    premium_due: Decimal
    cover: engine.Cover


def enrollment_quote_late(*, student: Student, today: date) -> LateQuote:
    """中途参保 for `today`'s year, checked but not recorded: its policy year (the region
    the student was last enrolled in; a year may have several), premium and earliest
    cover. Refused, with the reason, as enrollment_declare_late would be."""
    last = student.enrollments.select_related("policy_year__region").first()
    region = last.policy_year.region.code if last else None
    try:
        policy_year = policy_year_for(year=today.year, region=region)
    except PolicyYearAmbiguous as exc:
        raise EnrollmentRefused(f"{student}：{exc}") from exc
    if student.enrollments.filter(policy_year=policy_year).exists():
        raise EnrollmentRefused(f"{student} 已有 {policy_year} 的参保记录。")
    cover = enrollment_create_problem(
        student=student, policy_year=policy_year, kind=workflow.LATE, today=today
    )
    pricing = workflow.price(
        kind=workflow.LATE,
        category=student.subsidy_category,
        premium=policy_year.premium,
        freshman_premium_waived=policy_year.freshman_premium_waived,
        special_groups=special_group_treatments(policy_year),
    )
    return LateQuote(student, policy_year, pricing.premium_due, cover)


def enrollment_declare_late(*, student: Student, today: date, by=None) -> Enrollment:
    """中途参保 for `today`'s year (enrollment_quote_late), recorded."""
    quote = enrollment_quote_late(student=student, today=today)
    return enrollment_create(
        student=student, policy_year=quote.policy_year, kind=workflow.LATE, today=today, by=by
    )
