"""The year-to-date figures the settlement steps share, and what one step hands back."""

from dataclasses import dataclass, field
from decimal import Decimal

from .money import ZERO
from .plan import StayKey


@dataclass
class Ledger:
    """Year-to-date figures. It lives only inside one ``estimate()`` call, so every figure is
    re-derived from the year's expenses and nothing can be counted twice."""

    yearly_deductible: dict[str, Decimal] = field(default_factory=dict)
    stay_deductible_left: dict[StayKey, Decimal] = field(default_factory=dict)
    fund_by_care: dict[str, Decimal] = field(default_factory=dict)
    fund_by_payer: dict[str, Decimal] = field(default_factory=dict)
    burden: Decimal = ZERO
    catastrophic: Decimal = ZERO


@dataclass(frozen=True)
class Step:
    """What one step of the settlement takes or pays, and the sentence that says why."""

    amount: Decimal
    reason: str
