"""The policy year as the engine sees it: a frozen snapshot of its numbers and benefit
rules (see ``policies/catalog.py`` for the seeded years), validated on creation."""

from dataclasses import dataclass
from decimal import Decimal

from .codes import (
    BASIC_FUND,
    CARE_TYPES,
    DEDUCTIBLE_BASES,
    LEVELS,
    PAYERS,
    check_choice,
    check_not_negative,
    check_ratio,
)


@dataclass(frozen=True)
class BenefitRule:
    """Deductible, ratio and limits for one care type at one facility level, and who pays
    the fund's share (``payer``): the basic fund, or the school from its own outpatient fund
    (wuhan notice 五.1), which is outside the basic annual cap and catastrophic cover."""

    care: str
    level: str
    ratio: Decimal
    deductible: Decimal = Decimal(0)
    deductible_basis: str = "none"
    counts_toward_yearly_deductible: bool = True
    annual_limit: Decimal | None = None
    referral_required: bool = False
    repeat_stay_factor: Decimal | None = None
    repeat_stay_levels: tuple[str, ...] = ()
    payer: str = BASIC_FUND

    def __post_init__(self) -> None:
        check_choice(self.care, CARE_TYPES, "care type")
        check_choice(self.payer, PAYERS, "payer")
        check_choice(self.level, LEVELS, "facility level")
        check_choice(self.deductible_basis, DEDUCTIBLE_BASES, "deductible basis")
        check_ratio(self.ratio, f"ratio of {self.care}/{self.level}")
        check_not_negative(self.deductible, f"deductible of {self.care}/{self.level}")
        check_not_negative(self.annual_limit, f"annual limit of {self.care}/{self.level}")
        if self.repeat_stay_factor is not None:
            check_ratio(self.repeat_stay_factor, f"repeat-stay factor of {self.care}/{self.level}")
        for level in self.repeat_stay_levels:
            check_choice(level, LEVELS, "repeat-stay level")


@dataclass(frozen=True)
class CatastrophicTier:
    """One band of catastrophic cover: ``ratio`` of the yearly burden above ``floor``.

    The band ends where the next tier's floor begins.
    """

    floor: Decimal
    ratio: Decimal
    low_income_ratio: Decimal

    def __post_init__(self) -> None:
        check_not_negative(self.floor, "catastrophic tier floor")
        check_ratio(self.ratio, "catastrophic tier ratio")
        check_ratio(self.low_income_ratio, "catastrophic tier low-income ratio")


@dataclass(frozen=True)
class PolicyYearRules:
    """One region's rules for one calendar year of cover: a frozen snapshot of the policy year.

    ``freshman_always_starts_on_september`` (an addition to the shared contract): Wuhan gives a
    paying freshman 1 Sep - 31 Dec whatever the registration date (wuhan notice Q&A 三(三)).
    """

    code: str
    year: int
    premium: Decimal
    benefit_rules: tuple[BenefitRule, ...]
    community_as_level_1: bool = False
    emergency_as_outpatient: bool = True
    maternity_as_inpatient_without_deductible: bool = False
    basic_annual_cap: Decimal | None = None
    catastrophic_requires_disease: bool = True
    catastrophic_tiers: tuple[CatastrophicTier, ...] = ()
    catastrophic_cap: Decimal | None = None
    waiting_fixed_months: int = 3
    waiting_months_per_gap_year: int = 1
    waiting_months_removed_per_back_paid_year: int = 1
    waiting_floor_months: int = 6
    waiting_floor_from_gap_years: int = 4
    gaps_counted_from_year: int = 2025
    freshman_august_starts_on_september: bool = True
    freshman_always_starts_on_september: bool = False

    def __post_init__(self) -> None:
        seen: set[tuple[str, str]] = set()
        for rule in self.benefit_rules:
            key = (rule.care, rule.level)
            if key in seen:
                raise ValueError(f"{self.code}: two benefit rules for {rule.care}/{rule.level}")
            seen.add(key)
        floors = [tier.floor for tier in self.catastrophic_tiers]
        if floors != sorted(set(floors)):
            raise ValueError(f"{self.code}: catastrophic tier floors must strictly increase")
        check_not_negative(self.premium, "premium")
        check_not_negative(self.basic_annual_cap, "basic annual cap")
        check_not_negative(self.catastrophic_cap, "catastrophic cap")
        for name in (
            "waiting_fixed_months",
            "waiting_months_per_gap_year",
            "waiting_months_removed_per_back_paid_year",
            "waiting_floor_months",
            "waiting_floor_from_gap_years",
        ):
            check_not_negative(getattr(self, name), name)
