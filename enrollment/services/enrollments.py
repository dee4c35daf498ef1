"""Enrollments one by one or many at once; every state change checked by the workflow."""

from collections import defaultdict
from datetime import date

from django.db import transaction
from django.utils import timezone

from office.errors import Refused
from policies import rules as policy_rules
from policies.selectors import policy_year_rules

from .. import rules, workflow
from ..models import Enrollment, EnrollmentEvent, OptOut, Student
from ..selectors import covered_years, recorded_years, student_eligibility
from .common import chunks


class EnrollmentRefused(Refused):
    """An enrollment use case refused (office.errors.Refused for the enrollment app)."""


def enrollment_create(
    *, student: Student, policy_year, kind: str, today: date, by=None
) -> Enrollment:
    """A new enrollment for an eligible student, priced from its policy year, in its kind's
    first state, with the cover dates of the rule engine. Creating the same student × year
    twice is refused by the database's unique constraint."""
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


def enrollment_build(
    *,
    student_id: int,
    category: str,
    registered_on: date | None,
    policy_year,
    rules: policy_rules.PolicyYearRules,
    kind: str,
    gap_years: int = 0,
) -> Enrollment:
    """An unsaved enrollment: premium and payer from workflow.price, cover dates and
    waiting months from the rule engine (a late enrollment gets them once paid)."""
    pricing = workflow.price(
        kind=kind,
        category=category,
        premium=policy_year.premium,
        freshman_premium_waived=policy_year.freshman_premium_waived,
    )
    cover = None
    if kind in (workflow.FRESHMAN, workflow.COLLECTIVE):
        cover = policy_rules.cover_for(
            rules,
            policy_rules.EnrollmentFacts(
                kind=kind, registered_on=registered_on, gap_years=gap_years
            ),
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
    """The one place an enrollment's state changes, on a row the caller has locked:
    checked by the workflow, recorded as an event, the cover of a late enrollment set
    once it is paid (or established without payment: government-paid). `also` names
    fields the caller changed on the row."""
    workflow.check_transition(facts_of(current), to, reason=reason)
    EnrollmentEvent.objects.create(
        enrollment=current, from_state=current.state, to_state=to, reason=reason, by=by
    )
    current.state = to
    current.reason = reason
    fields = ["state", "reason", "updated_at", *(also or [])]
    if to in (workflow.PAID, workflow.ESTABLISHED) and current.cover_start is None:
        # established without a payment (government-paid): only the waiting period counts
        paid_on = paid_on or timezone.localdate(current.created_at)
        fields += enrollment_cover_when_paid(current, paid_on=paid_on)
    current.save(update_fields=fields)


def enrollment_cover_when_paid(enrollment: Enrollment, *, paid_on: date) -> list[str]:
    """A late enrollment's cover is known once it is paid: benefits start at the later of
    declaration + waiting and the payment date (shanghai guide Q3), the waiting growing
    with the gap years in the student's history. Returns the fields it set."""
    if enrollment.kind != workflow.LATE:
        return []
    policy_year = enrollment.policy_year
    year_rules = policy_year_rules(policy_year)
    student = enrollment.student
    gaps = rules.gap_years(
        year=policy_year.year,
        entry_year=student.registered_on.year,
        covered_years=covered_years([student.pk], policy_year).get(student.pk, set()),
        recorded_years=recorded_years(policy_year),
        counted_from=year_rules.gaps_counted_from_year,
    )
    cover = policy_rules.cover_for(
        year_rules,
        policy_rules.EnrollmentFacts(
            kind=workflow.LATE,
            declared_on=timezone.localdate(enrollment.created_at),
            paid_on=paid_on,
            gap_years=gaps,
        ),
    )
    enrollment.cover_start, enrollment.cover_end = cover.start, cover.end
    enrollment.waiting_months = cover.waiting_months
    return ["cover_start", "cover_end", "waiting_months"]


# the enrollment's fields a transition's guards look at
FACT_FIELDS = tuple(workflow.Facts.__dataclass_fields__)


def facts_of(enrollment: Enrollment) -> workflow.Facts:
    return workflow.Facts(**{name: getattr(enrollment, name) for name in FACT_FIELDS})


def enrollments_confirm(*, enrollments, by) -> tuple[int, list[str]]:
    """批量确认: staff confirm for freshmen who cannot use the app. Returns how many moved
    and, for the others, why not."""
    moved, refused = 0, []
    for enrollment in enrollments:
        try:
            enrollment_transition(enrollment=enrollment, to=workflow.PENDING_REVIEW, by=by)
        except workflow.TransitionRefused as exc:
            refused.append(f"{enrollment.student}：{exc}")
        else:
            moved += 1
    return moved, refused


def transition_many(enrollments: list[Enrollment], *, to: str, by, reason: str) -> None:
    """The same move for many enrollments at once: each checked by the workflow, written
    with one conditional UPDATE that must touch exactly those rows."""
    for enrollment in enrollments:
        workflow.check_transition(facts_of(enrollment), to, reason=reason)
    by_state = defaultdict(list)
    for enrollment in enrollments:
        by_state[enrollment.state].append(enrollment.pk)
    for state, pks in by_state.items():
        for chunk in chunks(pks):
            moved = Enrollment.objects.filter(pk__in=chunk, state=state).update(
                state=to, reason=reason, updated_at=timezone.now()
            )
            if moved != len(chunk):
                raise EnrollmentRefused("部分记录已被他人修改，请重试。")
        EnrollmentEvent.objects.bulk_create(
            EnrollmentEvent(enrollment_id=pk, from_state=state, to_state=to, reason=reason, by=by)
            for pk in pks
        )
