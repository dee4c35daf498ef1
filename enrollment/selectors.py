from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, OuterRef, Subquery, Sum, When
from django.db.models.functions import Coalesce

from office.errors import Refused
from office.scoping import in_colleges
from policies import engine
from policies.engine import fen
from policies.models import PolicyYear
from policies.selectors import school_region

from . import rules, workflow
from .models import CollectiveRun, Enrollment, OptOut, PriorCoverage, Refund, Student

ELIGIBILITY_FIELDS = tuple(rules.EligibilityFacts.__dataclass_fields__)


def student_eligibility(student: Student) -> rules.Eligibility:
    return rules.eligibility(
        rules.EligibilityFacts(**{name: getattr(student, name) for name in ELIGIBILITY_FIELDS})
    )


def student_pks_with_eligibility(queryset, code: str) -> list[int]:
    """Eligibility is a rule over each student's facts, not a column: evaluated in bulk
    over the few fields it reads. `code` is a reason code, or "eligible"."""
    matching = []
    for pk, *values in queryset.values_list("pk", *ELIGIBILITY_FIELDS).iterator(chunk_size=2000):
        status = rules.eligibility(rules.EligibilityFacts(*values))
        if (status.code or "eligible") == code:
            matching.append(pk)
    return matching


def eligible_students(students: Iterable[Student]) -> list[Student]:
    return [student for student in students if student_eligibility(student).eligible]


@dataclass(frozen=True)
class Cover:
    """A student's cover on one day: the enrollment that gives it, its benefit dates
    (``cover_start`` is after any waiting period) and whether the day falls in the waiting
    period, when the student is insured but nothing is paid (shanghai guide Q3:
    待遇等待期间发生的医疗费用不予追溯)."""

    enrollment: Enrollment
    cover_start: date
    cover_end: date
    waiting_months: int
    in_waiting: bool


def cover_on(*, student: Student, day: date) -> Cover | None:
    """The enrollment that covers `student` on `day`, or None.

    Only an account the bureau established gives cover (sjtu art. 19: 审核建账后，即可享受),
    or the bureau's own for a severe-disability student (DESIGN.md §4.4): the states of
    workflow.was_covered. A freshman is covered once established, from the registration
    date (shanghai guide Q4) even for days before the account existed; a declared or paid
    enrollment is not covered yet, a failed, opted-out or refunded one never was (a
    refunded family mutual-aid premium excepted). An enrollment whose cover dates are not
    known yet (late, not paid) covers nothing, nor a freshman whose year's cover needs the
    full premium while less is paid (wuhan notice Q&A 三(三)). Days from the start of the
    waiting period to `cover_start` come back with ``in_waiting`` set; days before it,
    None."""
    enrollments = Enrollment.objects.filter(
        student=student,
        policy_year__year=day.year,
        cover_start__isnull=False,
        cover_end__gte=day,
    ).select_related("policy_year")
    return cover_among(enrollments, day)


def cover_among(enrollments: Iterable[Enrollment], day: date) -> Cover | None:
    """cover_on over enrollments already read (one student's, in any order): claims check
    thousands of visits against enrollments loaded once."""
    found = []
    for enrollment in sorted(enrollments, key=lambda e: (e.cover_start or date.max, e.pk)):
        if enrollment.cover_start is None or enrollment.cover_end is None:
            continue
        if enrollment.policy_year.year != day.year or enrollment.cover_end < day:
            continue
        if not workflow.was_covered(enrollment.state, enrollment.payer):
            continue
        if cover_waits_for_premium(enrollment):
            continue
        in_waiting = day < enrollment.cover_start
        waiting_from = enrollment_waiting_from(enrollment)
        if in_waiting and (waiting_from is None or day < waiting_from):
            continue
        found.append(
            Cover(
                enrollment=enrollment,
                cover_start=enrollment.cover_start,
                cover_end=enrollment.cover_end,
                waiting_months=enrollment.waiting_months,
                in_waiting=in_waiting,
            )
        )
    # benefits on the day win over a waiting period in another region's year
    return min(found, key=lambda cover: cover.in_waiting, default=None)


def freshmen_confirm_in_app(*, policy_year_id: str | int | None = None) -> bool:
    """Whether staff confirm freshmen on their behalf (批量确认, 已申请待审核): only in a year
    whose freshmen confirm in an app (Shanghai's 随申办; a Wuhan school registers its
    freshmen itself, wuhan notice 三). Without a year, any year of the school's region."""
    years = PolicyYear.objects.filter(region__code=school_region())
    if policy_year_id is not None and str(policy_year_id).isdigit():
        years = PolicyYear.objects.filter(pk=policy_year_id)
    return years.filter(freshman_confirms_in_app=True).exists()


NOT_FULLY_PAID = "未足额缴费"


def cover_waits_for_premium(enrollment: Enrollment) -> bool:
    """workflow.cover_waits_for_premium of an enrollment (its policy year read)."""
    return workflow.cover_waits_for_premium(
        kind=enrollment.kind,
        needs_full_premium=enrollment.policy_year.freshman_cover_needs_full_premium,
        payer=enrollment.payer,
        premium_due=enrollment.premium_due,
        amount_paid=enrollment.amount_paid,
    )


def cover_shown(enrollment: Enrollment) -> str:
    """The enrollment's cover as staff read it in a list: its dates, 未足额缴费 for a
    freshman whose cover waits for the full premium, or "-" when not known yet."""
    if cover_waits_for_premium(enrollment):
        paid, due = enrollment.amount_paid, enrollment.premium_due
        return f"{NOT_FULLY_PAID}（已缴 {paid} 元，应缴 {due} 元）"
    if enrollment.cover_start is None:
        return "-"
    return f"{enrollment.cover_start:%Y-%m-%d} ~ {enrollment.cover_end:%Y-%m-%d}"


def enrollment_waiting_from(enrollment: Enrollment) -> date | None:
    """The day the enrollment's waiting period began, as the rule engine counted it
    (engine.cover_for): a collective enrollment after gap years waits from 1 January, a late
    one from its declaration (Enrollment.declared_on). None without a waiting period."""
    if enrollment.waiting_months == 0:
        return None
    if enrollment.kind == workflow.LATE:
        return enrollment.declared_on
    if enrollment.kind == workflow.COLLECTIVE:
        return date(enrollment.cover_end.year, 1, 1)
    return None


def engine_member(enrollment: Enrollment) -> engine.Member:
    """The rule engine's member for an enrollment: the cover the engine worked out and the
    enrollment stores (services.enrollment_build, enrollment_cover_when_paid), and the
    student's subsidy category, which sets the catastrophic ratio (DESIGN.md §4.4). The
    estimate page and command build the same ``engine.Member`` from typed-in dates
    (policies.estimates.parse_member); this builds it from the row. An enrollment whose
    cover is not known yet (late, not paid; a freshman not fully paid where cover needs
    the full premium) is refused: a member without dates would be covered all year."""
    if cover_waits_for_premium(enrollment):
        raise Refused(
            f"{enrollment} {NOT_FULLY_PAID}：已缴 {enrollment.amount_paid} 元，应缴 "
            f"{enrollment.premium_due} 元，足额缴费后才享受待遇。",
            code="cover_unknown",
        )
    if enrollment.cover_start is None or enrollment.cover_end is None:
        raise Refused(
            f"{enrollment} 尚无待遇起止日期（中途参保缴费后才确定）。", code="cover_unknown"
        )
    return engine.Member(
        category=enrollment.student.subsidy_category,
        cover_start=enrollment.cover_start,
        cover_end=enrollment.cover_end,
        waiting_months=enrollment.waiting_months,
        waiting_from=enrollment_waiting_from(enrollment),
    )


def complete_years(policy_year) -> frozenset[int]:
    """The region's years before `policy_year` whose enrollments the portal holds for
    every student, where a student without cover has a gap year (rules.gap_years): from
    the region's `records_complete_from_year` on, or, where the office has not set it,
    the years whose collective enrollment the portal ran to the end. A year the office
    ran elsewhere is unknown, not a gap."""
    first = policy_year.region.records_complete_from_year
    if first is not None:
        return frozenset(range(first, policy_year.year))
    return frozenset(
        CollectiveRun.objects.filter(
            status=CollectiveRun.Status.DONE,
            policy_year__region=policy_year.region_id,
            policy_year__year__lt=policy_year.year,
        )
        .values_list("policy_year__year", flat=True)
        .distinct()
    )


def histories(student_pks: list[int], policy_year) -> dict[int, rules.History]:
    """Per student, what the portal knows of the years before `policy_year`: enrollments
    and opt-outs in the region (an established account, or an opt-out because the student
    stayed insured elsewhere, is cover), and the prior coverage imported from the
    bureau's or the school's records (历年参保记录, any region)."""
    covered, not_covered, on_record = defaultdict(set), defaultdict(set), defaultdict(set)
    earlier = {
        "policy_year__region": policy_year.region_id,
        "policy_year__year__lt": policy_year.year,
    }
    for student_id, year, state, payer in Enrollment.objects.filter(
        student_id__in=student_pks, **earlier
    ).values_list("student_id", "policy_year__year", "state", "payer"):
        on_record[student_id].add(year)
        if workflow.was_covered(state, payer):
            covered[student_id].add(year)
    for student_id, year, reason in OptOut.objects.filter(
        student_id__in=student_pks, **earlier
    ).values_list("student_id", "policy_year__year", "reason"):
        on_record[student_id].add(year)
        if reason == OptOut.Reason.INSURED_ELSEWHERE:
            covered[student_id].add(year)
    for student_id, year, status in PriorCoverage.objects.filter(
        student_id__in=student_pks, year__lt=policy_year.year
    ).values_list("student_id", "year", "status"):
        on_record[student_id].add(year)
        insured = status == PriorCoverage.Status.COVERED
        (covered if insured else not_covered)[student_id].add(year)
    return {
        pk: rules.History(
            covered=frozenset(covered[pk]),
            not_covered=frozenset(not_covered[pk]),
            on_record=frozenset(on_record[pk]),
        )
        for pk in student_pks
    }


def student_gaps(*, student: Student, policy_year) -> rules.Gaps:
    """One student's gap years before `policy_year` (a late enrollment's waiting)."""
    return rules.gap_years(
        histories([student.pk], policy_year)[student.pk],
        year=policy_year.year,
        entry_year=student.registered_on.year,
        complete_years=complete_years(policy_year),
        counted_from=policy_year.gaps_counted_from_year,
    )


def enrollment_students(pks: Iterable[int]) -> dict[int, tuple[str, str, str]]:
    """Per enrollment, its student's college, student number and name, in one query: for
    pages that list enrollments a use case picked (the refunds due)."""
    return {
        pk: (college, number, name)
        for pk, college, number, name in Enrollment.objects.filter(pk__in=list(pks)).values_list(
            "pk", "student__college", "student__student_number", "student__name"
        )
    }


ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)


def reconciliation(*, year: int, region: str | None = None, colleges=None) -> dict:
    """对账 of `year` in `region` (the school's unless another is named): money held
    without an account (paid, not established, not yet refunded), accounts whose premium
    is not fully collected, and per payer what was due, collected and refunded (an
    opted-out student owes nothing). `colleges`: only theirs (office.scoping)."""
    region = region or school_region()
    of_year = {"policy_year__year": year, "policy_year__region__code": region}
    scoped = in_colleges(Enrollment.objects.filter(**of_year), "student__college", colleges)
    refunded = (
        Refund.objects.filter(enrollment=OuterRef("pk"))
        .values("enrollment")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    enrollments = (
        scoped.select_related("student")
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
        scoped.values("payer")
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
        in_colleges(
            Refund.objects.filter(
                enrollment__policy_year__year=year, enrollment__policy_year__region__code=region
            ),
            "enrollment__student__college",
            colleges,
        )
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
