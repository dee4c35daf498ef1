"""The enrollment app's part of the home page of the year (office.home, registered in
EnrollmentConfig.ready): the years to pick from, where the year's enrollments stand,
the rate per college, the freshmen's daily confirmations, money collected and due,
refunds and the year's deadlines.

A handful of aggregate queries, whatever the roster's size: the students beside their
enrollment of the year, grouped by college, state, payer and the facts eligibility reads
(counts and money at once; the rule then runs once per group, not per student), events
per day, refunds by payout. Every number links to the change list, filtered through its
query string, that lists the same rows."""

from datetime import date

from office.home import Block, Years
from policies.models import PolicyYear
from policies.selectors import policy_years_school_first, school_region

from .dates import deadlines
from .money import money, refunds
from .roster import roster
from .standing import colleges as college_rates
from .standing import freshmen, standing


def policy_years(today: date) -> Years:
    """Every policy year, the school's region's first (as in the forms); by default the
    school's region's year of `today`, else its latest year before it."""
    years = list(policy_years_school_first())
    own = [year for year in years if year.region.code == school_region()]
    current = next((year for year in own if year.year == today.year), None)
    current = current or next((year for year in own if year.year < today.year), None)
    current = current or (own or years or [None])[0]
    return Years(
        choices=tuple((year.code, f"{year.region.name} {year.year}") for year in years),
        default=current.code if current else "",
    )


def year_blocks(year: str, today: date, colleges=None) -> list[Block]:
    """`colleges`: the figures of these colleges only (a staff account's office, office.
    scoping); None for the whole school."""
    policy_year = PolicyYear.objects.select_related("region").filter(code=year).first()
    if policy_year is None:
        return []
    year_roster = roster(policy_year, colleges)
    return [
        standing(policy_year, year_roster),
        college_rates(policy_year, year_roster.rows),
        *freshmen(policy_year, today, colleges),
        money(policy_year, year_roster.rows),
        refunds(policy_year, colleges),
        deadlines(policy_year),
    ]
