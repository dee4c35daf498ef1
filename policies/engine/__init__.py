"""The benefit rule engine: pure values in, pure values out.

No Django, no ORM, no settings, no I/O and no clock: everything a rule needs is an argument,
and every number is data of a ``PolicyYearRules`` snapshot (see ``policies/catalog.py``).
No rule branches on a city's name.

Sources (Chinese originals in ``shared/seeds/``):

* shanghai-student-insurance-guide-2024-11.txt (Q3 waiting period, Q4 freshmen, Q7 benefits)
* shanghai-2025-student-insurance-faq.txt (§5 the 2025 benefit table, catastrophic cap)
* sjtu-student-health-and-insurance-rules-2025.txt (art. 27 exclusions, art. 30 maternity)
* wuhan-2025-student-insurance-notice.txt (Q&A 五 outpatient, 六 inpatient, 七 chronic)

One module per step: ``codes`` (the vocabulary), ``money`` (``fen``), ``policy`` and
``values`` (the dataclasses), ``cover`` (cover dates, waiting periods), ``plan`` (rule
lookup, coverage checks), ``stays`` (which stay a keyed expense belongs to), ``deductible``,
``fund`` (and who pays it), ``catastrophic``, and ``settle``, which strings them together
over one ``ledger``.
"""

from .codes import (
    BASIC_FUND,
    CARE_LABELS,
    CARE_TYPES,
    CATEGORIES,
    CATEGORY_LABELS,
    COVERED,
    DEDUCTIBLE_BASES,
    ENROLLMENT_KINDS,
    EXCLUDED,
    EXCLUSION_LABELS,
    EXCLUSIONS,
    LEVEL_LABELS,
    LEVELS,
    LOW_INCOME_CATEGORIES,
    NO_REFERRAL,
    OUT_OF_COVER,
    PAYER_LABELS,
    PAYERS,
    SCHOOL_OUTPATIENT_FUND,
    STAY_CARES,
)
from .cover import add_months, cover_for, max_gap_years, waiting_months
from .money import CENT, ZERO, fen
from .plan import rule_for
from .policy import BenefitRule, CatastrophicTier, PolicyYearRules
from .settle import estimate
from .stays import StayKeyError, stay_cares
from .values import Cover, EnrollmentFacts, Estimate, Expense, ExpenseResult, Member, Totals

__all__ = [
    "BASIC_FUND",
    "CARE_LABELS",
    "CARE_TYPES",
    "CATEGORIES",
    "CATEGORY_LABELS",
    "CENT",
    "COVERED",
    "DEDUCTIBLE_BASES",
    "ENROLLMENT_KINDS",
    "EXCLUDED",
    "EXCLUSIONS",
    "EXCLUSION_LABELS",
    "LEVELS",
    "LEVEL_LABELS",
    "LOW_INCOME_CATEGORIES",
    "NO_REFERRAL",
    "OUT_OF_COVER",
    "PAYERS",
    "PAYER_LABELS",
    "SCHOOL_OUTPATIENT_FUND",
    "STAY_CARES",
    "ZERO",
    "BenefitRule",
    "CatastrophicTier",
    "Cover",
    "EnrollmentFacts",
    "Estimate",
    "Expense",
    "ExpenseResult",
    "Member",
    "PolicyYearRules",
    "StayKeyError",
    "Totals",
    "add_months",
    "cover_for",
    "estimate",
    "fen",
    "max_gap_years",
    "rule_for",
    "stay_cares",
    "waiting_months",
]
