"""Cover dates and waiting periods: when a student's benefits start and end in a policy
year."""

import calendar
from datetime import date

from .codes import check_not_negative
from .policy import PolicyYearRules
from .values import Cover, EnrollmentFacts, Member


def add_months(day: date, months: int) -> date:
    """Same day of the month ``months`` later, clamped to the month's end (31 May + 4 = 30 Sep)."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def waiting_months(rules: PolicyYearRules, *, gap_years: int, back_paid_years: int) -> int:
    """Months of waiting for a late or non-continuous enrollment.

    Fixed 3 months, plus 1 variable month per gap year, minus 1 variable month per back-paid
    year (the variable part never below 0); after 4 or more gap years fixed + variable is at
    least 6 months (shanghai guide Q5, sjtu art. 20, shanghai faq Q4; 国办发〔2024〕38号).
    A collective, continuous enrollment has no waiting at all: ``cover_for`` never asks.
    """
    check_not_negative(gap_years, "gap years")
    check_not_negative(back_paid_years, "back-paid years")
    if back_paid_years > gap_years:
        raise ValueError(f"cannot back-pay {back_paid_years} years with only {gap_years} gap years")
    variable = max(
        gap_years * rules.waiting_months_per_gap_year
        - back_paid_years * rules.waiting_months_removed_per_back_paid_year,
        0,
    )
    total = rules.waiting_fixed_months + variable
    if gap_years >= rules.waiting_floor_from_gap_years:
        total = max(total, rules.waiting_floor_months)
    return total


def max_gap_years(rules: PolicyYearRules) -> int:
    """The most gap years an enrollment in ``rules.year`` can have: continuity counts from the
    ``gaps_counted_from_year`` scheme year on, and earlier years are neither continuous nor
    gaps (shanghai guide Q6: 连续参保的年限从参加2025年居民医保开始计算。以前年度是否参加，
    不纳入连续参保年限和断保年限的计算)."""
    return max(rules.year - rules.gaps_counted_from_year, 0)


def cover_for(rules: PolicyYearRules, facts: EnrollmentFacts) -> Cover:
    """Benefit dates for one enrollment in ``rules.year``.

    * collective, continuous: 1 Jan - 31 Dec, no waiting (shanghai guide Q3/Q5);
    * collective with gap years: the waiting runs from 1 January;
    * late: benefits start at the later of (declaration + waiting) and the payment date;
      worked example, shanghai guide Q3: declared 5 Mar 2025, paid before 5 Jun -> 5 Jun 2025;
    * freshman: from the registration date, 1 Sep when registered in August, to 31 Dec and
      without waiting (shanghai guide Q4; wuhan notice Q&A 三(三) for the September rule).
    """
    first_day, last_day = date(rules.year, 1, 1), date(rules.year, 12, 31)
    if facts.kind == "freshman":
        if facts.registered_on is None:
            raise ValueError("a freshman enrollment needs registered_on")
        if facts.registered_on.year != rules.year:
            raise ValueError(
                f"registered on {facts.registered_on}, outside policy year {rules.year}"
            )
        start = facts.registered_on
        september = date(rules.year, 9, 1)
        if rules.freshman_always_starts_on_september or (
            rules.freshman_august_starts_on_september and start.month == 8
        ):
            start = september
        return Cover(start=start, end=last_day, waiting_months=0)

    if facts.kind == "collective":
        if facts.gap_years == 0:
            return Cover(start=first_day, end=last_day, waiting_months=0)
        waiting_from = first_day
    else:  # late
        if facts.declared_on is None or facts.paid_on is None:
            raise ValueError("a late enrollment needs declared_on and paid_on")
        waiting_from = facts.declared_on

    months = waiting_months(rules, gap_years=facts.gap_years, back_paid_years=facts.back_paid_years)
    start = max(add_months(waiting_from, months), first_day)
    if facts.paid_on is not None:
        start = max(start, facts.paid_on)
    return Cover(start=start, end=last_day, waiting_months=months, waiting_from=waiting_from)


def member_cover(rules: PolicyYearRules, member: Member) -> Cover:
    """A known cover: the whole policy year where the member leaves a date open."""
    return Cover(
        start=member.cover_start or date(rules.year, 1, 1),
        end=member.cover_end or date(rules.year, 12, 31),
        waiting_months=member.waiting_months,
        waiting_from=member.waiting_from,
    )
