"""Property tests for the pure rule engine (hypothesis; no database, no Django).

They run over the seed policy years of ``policies.catalog`` and over randomly built policy
years with small caps and limits, so that every cap and limit binds often.
"""

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.catalog import CATALOG
from policies.engine import (
    BASIC_FUND,
    CARE_TYPES,
    CATEGORIES,
    COVERED,
    DEDUCTIBLE_BASES,
    EXCLUSIONS,
    LEVELS,
    PAYERS,
    STAY_CARES,
    BenefitRule,
    CatastrophicTier,
    EnrollmentFacts,
    Estimate,
    Expense,
    Member,
    PolicyYearRules,
    StayKeyError,
    estimate,
    fen,
    rule_for,
    stay_cares,
)

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def cents(amount: int) -> Decimal:
    return Decimal(amount).scaleb(-2)


def money(high: int) -> st.SearchStrategy[Decimal]:
    """Amounts with exactly two places up to ``high`` yuan."""
    return st.integers(0, high * 100).map(cents)


ratios = st.integers(0, 100).map(lambda n: (Decimal(n) / 100).quantize(Decimal("0.01")))
# Strategies are built once: hypothesis validates every new strategy object, which is slow.
levels_subset = st.lists(st.sampled_from(LEVELS), unique=True, max_size=5)
repeat_levels = st.lists(st.sampled_from(LEVELS), unique=True, max_size=3).map(tuple)
deductibles = money(1000)
bases = st.sampled_from(DEDUCTIBLE_BASES)
annual_limits = st.none() | money(2000)
factors = st.none() | ratios
floors_lists = st.lists(st.integers(0, 5_000_000), unique=True, max_size=4)
basic_caps = st.none() | money(20_000)
catastrophic_caps = st.none() | money(10_000)
payers = st.sampled_from(PAYERS)


@st.composite
def random_benefit_rules(draw) -> tuple[BenefitRule, ...]:
    rules = []
    for care in CARE_TYPES:
        for level in draw(levels_subset):
            rules.append(
                BenefitRule(
                    care,
                    level,
                    draw(ratios),
                    draw(deductibles),
                    draw(bases),
                    counts_toward_yearly_deductible=draw(st.booleans()),
                    annual_limit=draw(annual_limits),
                    referral_required=draw(st.booleans()),
                    repeat_stay_factor=draw(factors),
                    repeat_stay_levels=draw(repeat_levels),
                    payer=draw(payers),
                )
            )
    return tuple(rules)


@st.composite
def random_policy_years(draw) -> PolicyYearRules:
    floors = sorted(draw(floors_lists))
    return PolicyYearRules(
        code="random",
        year=draw(st.sampled_from([2025, 2026])),
        premium=Decimal("1.00"),
        benefit_rules=draw(random_benefit_rules()),
        community_as_level_1=draw(st.booleans()),
        emergency_as_outpatient=draw(st.booleans()),
        maternity_as_inpatient_without_deductible=draw(st.booleans()),
        basic_annual_cap=draw(basic_caps),
        catastrophic_requires_disease=draw(st.booleans()),
        catastrophic_tiers=tuple(
            CatastrophicTier(cents(floor), draw(ratios), draw(ratios)) for floor in floors
        ),
        catastrophic_cap=draw(catastrophic_caps),
    )


policy_years = st.sampled_from(list(CATALOG.values())) | random_policy_years()


def supported(rules: PolicyYearRules) -> list[tuple[str, str]]:
    combos = []
    for care in CARE_TYPES:
        for level in LEVELS:
            try:
                rule_for(rules, care, level)
            except ValueError:
                continue
            combos.append((care, level))
    return combos


def days_in(year: int, before: int = 0, after: int = 0) -> st.SearchStrategy[date]:
    return st.dates(
        date(year, 1, 1) - timedelta(days=before), date(year, 12, 31) + timedelta(days=after)
    )


@st.composite
def members(draw, year: int) -> Member | EnrollmentFacts:
    category = draw(st.sampled_from(CATEGORIES))
    kind = draw(st.sampled_from(["member", "collective", "late", "freshman"]))
    if kind == "member":
        return Member(
            category=category,
            cover_start=draw(st.none() | days_in(year)),
            cover_end=draw(st.none() | days_in(year)),
            waiting_months=draw(st.integers(0, 9)),
        )
    gap_years = draw(st.integers(0, 7))
    back_paid_years = draw(st.integers(0, gap_years))
    if kind == "freshman":
        return EnrollmentFacts(
            kind="freshman", registered_on=draw(days_in(year)), category=category
        )
    return EnrollmentFacts(
        kind=kind,
        declared_on=draw(days_in(year, before=20)),
        paid_on=draw(days_in(year, before=40)),
        gap_years=gap_years,
        back_paid_years=back_paid_years,
        category=category,
    )


in_scope_amounts = money(3_000) | st.integers(0, 60_000_000).map(cents)  # to 600,000.00: caps bind
out_of_scope_amounts = st.just(Decimal(0)) | money(2_000)
exclusions = st.none() | st.none() | st.none() | st.sampled_from(EXCLUSIONS)
stay_keys = st.sampled_from([None, None, "a", "b", "c"])


def settleable_stays(combos: list[tuple[str, str]], drawn: list[Expense]) -> list[Expense]:
    """The drawn expenses with stay keys only where a request may carry them: on stay care,
    and on an emergency rescue whose key names one kind of stay the rescue's level has a rule
    for. Keys anywhere else are refused, which ``test_a_stay_key_is_never_ignored`` checks."""
    kinds: dict[str, set[str]] = defaultdict(set)
    for item in drawn:
        if item.stay is not None and item.care in STAY_CARES:
            kinds[item.stay].add(item.care)
    kept = []
    for item in drawn:
        found = kinds.get(item.stay, set())
        joins = (
            item.care == "emergency"
            and len(found) == 1
            and (next(iter(found)), item.level) in combos
        )
        if item.stay is not None and item.care not in STAY_CARES and not joins:
            item = replace(item, stay=None)
        kept.append(item)
    return kept


@st.composite
def expenses(draw, rules: PolicyYearRules, combos: list[tuple[str, str]]) -> list[Expense]:
    care_levels = st.sampled_from(combos)
    days = days_in(rules.year, before=10, after=10)
    drawn = []
    for _ in range(draw(st.integers(0, 12))):
        care, level = draw(care_levels)
        drawn.append(
            Expense(
                date=draw(days),
                care=care,
                level=level,
                in_scope=draw(in_scope_amounts),
                out_of_scope=draw(out_of_scope_amounts),
                catastrophic_disease=draw(st.booleans()),
                excluded=draw(exclusions),
                referral=draw(st.booleans()),
                stay=draw(stay_keys),
            )
        )
    return drawn


@st.composite
def cases(draw) -> tuple[PolicyYearRules, Member | EnrollmentFacts, list[Expense]]:
    rules = draw(policy_years)
    combos = supported(rules)
    items = draw(expenses(rules, combos)) if combos else []
    return rules, draw(members(rules.year)), settleable_stays(combos, items)


@st.composite
def cases_with_any_stay_keys(draw):
    rules = draw(policy_years)
    combos = supported(rules)
    items = draw(expenses(rules, combos)) if combos else []
    return rules, draw(members(rules.year)), items


def two_places(value: Decimal) -> bool:
    return value.as_tuple().exponent == -2


@SETTINGS
@given(cases())
def test_every_yuan_is_paid_by_someone_exactly_once(case):
    rules, member, items = case
    result = estimate(rules, member, items)
    assert len(result.expenses) == len(items)
    for item, paid in zip(items, result.expenses, strict=True):
        assert paid.fund + paid.catastrophic + paid.student == item.in_scope + item.out_of_scope
        # out-of-scope is never reimbursed, and the deductible is part of the in-scope amount
        assert paid.student >= item.out_of_scope
        assert paid.deductible + paid.fund <= item.in_scope
        assert paid.reasons and all(paid.reasons)


@SETTINGS
@given(cases())
def test_nothing_is_negative_and_every_amount_has_two_places(case):
    rules, member, items = case
    result = estimate(rules, member, items)
    amounts = [result.totals.fund, result.totals.catastrophic, result.totals.student]
    for paid in result.expenses:
        amounts += [paid.deductible, paid.fund, paid.catastrophic, paid.student]
    assert all(amount >= 0 for amount in amounts)
    assert all(two_places(amount) for amount in amounts)


@SETTINGS
@given(cases())
def test_totals_add_up_and_stay_under_the_caps(case):
    rules, member, items = case
    result = estimate(rules, member, items)
    assert result.totals.fund == sum(p.fund for p in result.expenses)
    assert result.totals.catastrophic == sum(p.catastrophic for p in result.expenses)
    assert result.totals.student == sum(p.student for p in result.expenses)
    assert sum(result.totals.fund_by_payer.values()) == result.totals.fund
    for payer in PAYERS:
        paid = [p.fund for p in result.expenses if p.payer == payer]
        assert result.totals.fund_by_payer[payer] == sum(paid, Decimal(0))
    if rules.basic_annual_cap is not None:
        # only the basic fund's payments count toward the basic annual cap (wuhan notice 六.8)
        assert result.totals.fund_by_payer[BASIC_FUND] <= rules.basic_annual_cap
    if rules.catastrophic_cap is not None:
        assert result.totals.catastrophic <= rules.catastrophic_cap
    if not rules.catastrophic_tiers:
        assert result.totals.catastrophic == 0


@SETTINGS
@given(cases())
def test_unpaid_expenses_pay_nothing_and_consume_nothing(case):
    rules, member, items = case
    result = estimate(rules, member, items)
    for item, paid in zip(items, result.expenses, strict=True):
        if paid.status != COVERED:
            assert (paid.deductible, paid.fund, paid.catastrophic) == (0, 0, 0)
            assert paid.student == item.in_scope + item.out_of_scope
    # dropping the unpaid expenses changes nothing for the others
    kept = [
        item for item, paid in zip(items, result.expenses, strict=True) if paid.status == COVERED
    ]
    kept_stays = {item.stay for item in kept if item.care in STAY_CARES}
    if all(item.care in STAY_CARES or item.stay in kept_stays | {None} for item in kept):
        # (a rescue whose stay was dropped would have nothing left to join)
        again = estimate(rules, member, kept)
        assert list(again.expenses) == [p for p in result.expenses if p.status == COVERED]


def _deductible_and_limit_checks(rules: PolicyYearRules, items, result: Estimate) -> None:
    yearly_used: dict[str, Decimal] = defaultdict(Decimal)
    yearly_bound: dict[str, Decimal] = defaultdict(Decimal)
    fund_by_care: dict[str, Decimal] = defaultdict(Decimal)
    stays: dict[tuple, list[tuple[BenefitRule, Decimal]]] = defaultdict(list)
    joined = stay_cares(rules, items)
    for index, (item, paid) in enumerate(zip(items, result.expenses, strict=True)):
        if paid.status != COVERED:
            continue
        care = joined.get(item.stay, item.care) if item.care == "emergency" else item.care
        rule = rule_for(rules, care, item.level)
        assert paid.payer == rule.payer
        fund_by_care[rule.care] += paid.fund
        if rule.annual_limit is not None:
            # a limited rule pays only within what is left of its limit; fund paid earlier
            # under an unlimited rule of the same care may already exceed it, and then it
            # pays nothing
            assert paid.fund == 0 or fund_by_care[rule.care] <= rule.annual_limit
        if rule.deductible_basis == "per_year" and rule.counts_toward_yearly_deductible:
            yearly_used[rule.care] += paid.deductible
            yearly_bound[rule.care] = max(yearly_bound[rule.care], rule.deductible)
            assert yearly_used[rule.care] <= yearly_bound[rule.care]
        elif rule.deductible_basis == "per_stay":
            key = (rule.care, item.stay if item.stay is not None else index)
            stays[key].append((rule, paid.deductible))
        else:
            assert paid.deductible == 0
    for parts in stays.values():
        # one deductible per stay, never more than the highest of its parts
        assert sum(taken for _, taken in parts) <= max(rule.deductible for rule, _ in parts)


@SETTINGS
@given(cases())
def test_deductibles_and_annual_limits_are_never_counted_twice(case):
    rules, member, items = case
    _deductible_and_limit_checks(rules, items, estimate(rules, member, items))


@SETTINGS
@given(cases(), st.integers(0, 12))
def test_a_prefix_settles_the_same_when_no_stay_spans_the_cut(case, cut):
    rules, member, items = case
    cut = min(cut, len(items))
    before = {item.stay for item in items[:cut] if item.stay is not None}
    after = {item.stay for item in items[cut:] if item.stay is not None}
    whole = estimate(rules, member, items)
    if not before & after:
        prefix = estimate(rules, member, items[:cut])
        assert prefix.expenses == whole.expenses[:cut]


@SETTINGS
@given(cases_with_any_stay_keys())
def test_a_stay_key_is_never_ignored(case):
    rules, member, items = case
    refused = [
        index
        for index, item in enumerate(items)
        if item.stay is not None and item.care not in (*STAY_CARES, "emergency")
    ]
    try:
        estimate(rules, member, items)
    except StayKeyError as error:
        assert items[error.index].stay is not None
        assert items[error.index].care not in STAY_CARES
    else:
        assert refused == []


@SETTINGS
@given(
    st.sampled_from(list(CATALOG.values())),
    st.lists(
        st.tuples(
            st.decimals(min_value=0, max_value=100_000, places=3),
            st.decimals(min_value=0, max_value=1_000, places=3),
        ),
        max_size=6,
    ),
)
def test_amounts_with_more_places_are_quantised_to_the_fen_first(rules, amounts):
    items = [
        Expense(date(rules.year, 6, 1), "outpatient", "campus", in_scope, out_of_scope)
        for in_scope, out_of_scope in amounts
    ]
    result = estimate(rules, Member(), items)
    for (in_scope, out_of_scope), paid in zip(amounts, result.expenses, strict=True):
        assert paid.fund + paid.catastrophic + paid.student == fen(in_scope) + fen(out_of_scope)
        assert all(two_places(a) for a in (paid.fund, paid.catastrophic, paid.student))
