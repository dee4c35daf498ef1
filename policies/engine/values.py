"""What the engine is asked about and what it answers: the insured person (``Member`` or the
``EnrollmentFacts`` its cover follows from), the ``Cover`` dates, one ``Expense`` and its
``ExpenseResult``, and the year's ``Estimate``."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .codes import (
    CARE_TYPES,
    CATEGORIES,
    COVERED,
    ENROLLMENT_KINDS,
    EXCLUSIONS,
    LEVELS,
    check_choice,
    check_not_negative,
)


@dataclass(frozen=True)
class Member:
    """A student whose cover is already known (e.g. stored on the enrollment).

    ``cover_start`` is the first day of benefits, waiting period already included;
    ``waiting_months`` only explains, in the reasons, why earlier expenses pay nothing, and
    ``waiting_from`` (when known) is the day that waiting began, so that an expense before it
    is told apart from one inside it (see ``Cover``).

    ``category`` changes only the catastrophic ratio here. The government / school subsidies of
    deductibles for 低保, 重残 and 家庭经济困难 students (shanghai guide Q9, sjtu art. 18) are
    granted afterwards by the community centre or the school and are out of this engine's scope.
    """

    category: str = "standard"
    cover_start: date | None = None
    cover_end: date | None = None
    waiting_months: int = 0
    waiting_from: date | None = None

    def __post_init__(self) -> None:
        check_choice(self.category, CATEGORIES, "category")
        check_not_negative(self.waiting_months, "waiting months")


@dataclass(frozen=True)
class EnrollmentFacts:
    """How a student enrolled for the policy year; ``cover_for`` turns it into a ``Cover``.

    ``gap_years`` are counted from ``PolicyYearRules.gaps_counted_from_year`` on: that counting
    is the caller's job. ``category`` is an addition to the shared contract (see ``Member``).
    """

    kind: str
    declared_on: date | None = None
    paid_on: date | None = None
    registered_on: date | None = None
    gap_years: int = 0
    back_paid_years: int = 0
    category: str = "standard"

    def __post_init__(self) -> None:
        check_choice(self.kind, ENROLLMENT_KINDS, "enrollment kind")
        check_choice(self.category, CATEGORIES, "category")
        check_not_negative(self.gap_years, "gap years")
        check_not_negative(self.back_paid_years, "back-paid years")


@dataclass(frozen=True)
class Cover:
    """Benefits run from ``start`` (waiting period already served) to ``end``, both inclusive.

    ``waiting_from`` (an addition) is the day the waiting period began, when known; a ``start``
    after ``end`` means no benefits in this year.
    """

    start: date
    end: date
    waiting_months: int
    waiting_from: date | None = None


@dataclass(frozen=True)
class Expense:
    """One bill. Parts of one hospital stay (a transfer) share the same ``stay`` key; a
    per-stay bill without a key is a stay of its own. An emergency rescue before admission
    carries the key of its stay and is settled as part of it (see ``stays``)."""

    date: date
    care: str
    level: str
    in_scope: Decimal
    out_of_scope: Decimal = Decimal(0)
    catastrophic_disease: bool = False
    excluded: str | None = None
    referral: bool = False
    stay: str | None = None

    def __post_init__(self) -> None:
        check_choice(self.care, CARE_TYPES, "care type")
        check_choice(self.level, LEVELS, "facility level")
        if self.excluded is not None:
            check_choice(self.excluded, EXCLUSIONS, "exclusion")
        check_not_negative(self.in_scope, "in-scope amount")
        check_not_negative(self.out_of_scope, "out-of-scope amount")


@dataclass(frozen=True)
class ExpenseResult:
    """The breakdown of one expense; ``status`` (an addition) is one of COVERED, EXCLUDED,
    OUT_OF_COVER, NO_REFERRAL. ``payer`` (one of PAYERS) says who pays ``fund``, so that
    claims can route the payout; None when no fund pays the expense at all."""

    deductible: Decimal
    fund: Decimal
    catastrophic: Decimal
    student: Decimal
    reasons: tuple[str, ...]
    status: str = COVERED
    payer: str | None = None


@dataclass(frozen=True)
class Totals:
    """``fund_by_payer`` splits ``fund`` by who pays it, every payer listed."""

    fund: Decimal
    catastrophic: Decimal
    student: Decimal
    fund_by_payer: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Estimate:
    cover: Cover
    expenses: tuple[ExpenseResult, ...]
    totals: Totals
