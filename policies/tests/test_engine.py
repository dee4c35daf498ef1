"""Hand-worked cases for the pure rule engine (no database, no Django).

Every expected number is worked out in a comment from the seed it comes from
(shared/seeds/): SH-GUIDE = shanghai-student-insurance-guide-2024-11.txt,
SH-FAQ = shanghai-2025-student-insurance-faq.txt,
SJTU = sjtu-student-health-and-insurance-rules-2025.txt,
WUHAN = wuhan-2025-student-insurance-notice.txt.
"""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from policies.catalog import CATALOG, SHANGHAI_2025, SHANGHAI_2026, WUHAN_2025
from policies.engine import (
    COVERED,
    EXCLUDED,
    EXCLUSION_LABELS,
    EXCLUSIONS,
    NO_REFERRAL,
    OUT_OF_COVER,
    BenefitRule,
    CatastrophicTier,
    Cover,
    EnrollmentFacts,
    Expense,
    ExpenseResult,
    Member,
    PolicyYearRules,
    add_months,
    cover_for,
    estimate,
    fen,
    rule_for,
    waiting_months,
)

D = Decimal


def expense(care: str, level: str, amount: str, *, on: date = date(2025, 5, 1), **kw) -> Expense:
    return Expense(date=on, care=care, level=level, in_scope=D(amount), **kw)


def settle(rules: PolicyYearRules, *expenses: Expense, member=None) -> tuple[ExpenseResult, ...]:
    return estimate(rules, member or Member(), expenses).expenses


def amounts(result: ExpenseResult) -> tuple[str, str, str, str]:
    return (str(result.deductible), str(result.fund), str(result.catastrophic), str(result.student))


# --- fen and month arithmetic -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("0.005"), "0.01"),  # half up, not half even
        (D("0.015"), "0.02"),
        (D("0.004"), "0.00"),
        ("2.675", "2.68"),
        (2.675, "2.68"),  # a float goes through str(): rounds as written
        (1, "1.00"),
        (D("-0.005"), "-0.01"),
        (D("123456.785"), "123456.79"),
    ],
)
def test_fen_rounds_half_up_to_the_fen(value, expected):
    assert str(fen(value)) == expected


@pytest.mark.parametrize("value", ["abc", D("Infinity"), D("NaN"), None])
def test_fen_rejects_what_is_not_money(value):
    with pytest.raises(ValueError):
        fen(value)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 3, 5), 3, date(2025, 6, 5)),  # SH-GUIDE Q3 worked example
        (date(2025, 5, 31), 4, date(2025, 9, 30)),  # clamped to the month's end
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2023, 11, 30), 3, date(2024, 2, 29)),  # leap year
        (date(2025, 1, 31), -1, date(2024, 12, 31)),
        (date(2025, 1, 1), 0, date(2025, 1, 1)),
    ],
)
def test_add_months_keeps_the_day_clamped_to_month_end(day, months, expected):
    assert add_months(day, months) == expected


# --- DESIGN §4.5, Shanghai: one expense each, for 2025 and 2026 (same numbers) ----------------

SHANGHAI_ROWS = [
    # (care, level, in_scope, deductible, fund)
    # SH-GUIDE Q7 / SH-FAQ §5: campus clinic not counted toward the deductible, 80%:
    # 200*80% = 160.00
    pytest.param("outpatient", "campus", "200.00", "0.00", "160.00", id="sh-outpatient-campus"),
    # SH-GUIDE Q7: 300 yearly deductible, level 1 70%: (1000-300)*70% = 490.00
    pytest.param("outpatient", "1", "1000.00", "300.00", "490.00", id="sh-outpatient-l1"),
    # SH-GUIDE Q7: level 2 60%: (1000-300)*60% = 420.00
    pytest.param("outpatient", "2", "1000.00", "300.00", "420.00", id="sh-outpatient-l2"),
    # SH-GUIDE Q7: level 3 50%: (1000-300)*50% = 350.00
    pytest.param("outpatient", "3", "1000.00", "300.00", "350.00", id="sh-outpatient-l3"),
    # community health centre = level 1: (1000-300)*70% = 490.00
    pytest.param("outpatient", "community", "1000.00", "300.00", "490.00", id="sh-outpatient-comm"),
    # below the deductible: 250 all deductible, fund 0.00
    pytest.param("outpatient", "1", "250.00", "250.00", "0.00", id="sh-outpatient-under-ded"),
    # SH-GUIDE Q7 门急诊: emergency uses the outpatient rules: (1300-300)*50% = 500.00
    pytest.param("emergency", "3", "1300.00", "300.00", "500.00", id="sh-emergency-l3"),
    # SH-GUIDE Q7 住院: per stay L1 50, 80%: (1050-50)*80% = 800.00
    pytest.param("inpatient", "1", "1050.00", "50.00", "800.00", id="sh-inpatient-l1"),
    # per stay L2 100, 75%: (2100-100)*75% = 1500.00
    pytest.param("inpatient", "2", "2100.00", "100.00", "1500.00", id="sh-inpatient-l2"),
    # per stay L3 300, 60%: (10300-300)*60% = 6000.00
    pytest.param("inpatient", "3", "10300.00", "300.00", "6000.00", id="sh-inpatient-l3"),
    # community = level 1: (1050-50)*80% = 800.00
    pytest.param("inpatient", "community", "1050.00", "50.00", "800.00", id="sh-inpatient-comm"),
    # a stay below its deductible: 200 < 300, fund 0.00
    pytest.param("inpatient", "3", "200.00", "200.00", "0.00", id="sh-inpatient-under-ded"),
    # no basic annual cap in the Shanghai seeds: (1000300-300)*60% = 600000.00, all paid
    pytest.param("inpatient", "3", "1000300.00", "300.00", "600000.00", id="sh-no-basic-cap"),
    # SJTU art. 30: childbirth follows the student rules, a delivery is an inpatient stay:
    # (5100-100)*75% = 3750.00
    pytest.param("maternity", "2", "5100.00", "100.00", "3750.00", id="sh-maternity-l2"),
    # (1050-50)*80% = 800.00
    pytest.param("maternity", "1", "1050.00", "50.00", "800.00", id="sh-maternity-l1"),
]


@pytest.mark.parametrize("rules", [SHANGHAI_2025, SHANGHAI_2026], ids=lambda r: r.code)
@pytest.mark.parametrize(("care", "level", "amount", "deductible", "fund"), SHANGHAI_ROWS)
def test_shanghai_benefit_table(rules, care, level, amount, deductible, fund):
    (result,) = settle(rules, expense(care, level, amount, on=date(rules.year, 5, 1)))
    assert result.status == COVERED
    assert str(result.deductible) == deductible
    assert str(result.fund) == fund
    # not a catastrophic-disease expense: Shanghai's catastrophic cover does not apply
    assert str(result.catastrophic) == "0.00"
    assert result.student == D(amount) - D(fund)


def test_shanghai_2026_only_differs_by_year_and_code():
    assert replace(SHANGHAI_2026, code="shanghai-2025", year=2025) == SHANGHAI_2025
    assert SHANGHAI_2026.premium == D("355.00")
    assert set(CATALOG) == {"shanghai-2025", "shanghai-2026", "wuhan-2025", "wuhan-2026"}


def test_shanghai_yearly_deductible_is_consumed_in_order_and_shared_with_emergency():
    results = settle(
        SHANGHAI_2025,
        # 200 at level 1: all of it goes to the 300 deductible, fund 0.00
        expense("outpatient", "1", "200.00", on=date(2025, 2, 1)),
        # campus clinic: not counted (SH-GUIDE Q7), 100*80% = 80.00, deductible left stays 100
        expense("outpatient", "campus", "100.00", on=date(2025, 2, 2)),
        # emergency shares the 门急诊 deductible: 100 left, (500-100)*60% = 240.00
        expense("emergency", "2", "500.00", on=date(2025, 2, 3)),
        # deductible used up: 1000*50% = 500.00
        expense("outpatient", "3", "1000.00", on=date(2025, 2, 4)),
    )
    assert [amounts(r) for r in results] == [
        ("200.00", "0.00", "0.00", "200.00"),
        ("0.00", "80.00", "0.00", "20.00"),
        ("100.00", "240.00", "0.00", "260.00"),
        ("0.00", "500.00", "0.00", "500.00"),
    ]


def test_shanghai_each_stay_pays_its_own_deductible_without_halving():
    # SH-GUIDE Q7: 每次住院 ... 起付标准; no repeat-stay rule in Shanghai:
    # (2100-100)*75% = 1500.00 both times
    results = settle(
        SHANGHAI_2025,
        expense("inpatient", "2", "2100.00", on=date(2025, 3, 1)),
        expense("inpatient", "2", "2100.00", on=date(2025, 4, 1)),
    )
    assert [amounts(r)[:2] for r in results] == [("100.00", "1500.00"), ("100.00", "1500.00")]


def test_out_of_scope_is_never_reimbursed():
    # SJTU art. 27: only 医保报销范围 counts; (1000-300)*70% = 490.00;
    # student = 1000 + 200 - 490 = 710.00
    (result,) = settle(SHANGHAI_2025, expense("outpatient", "1", "1000.00", out_of_scope=D("200")))
    assert amounts(result) == ("300.00", "490.00", "0.00", "710.00")
    assert any("范围外" in reason for reason in result.reasons)


@pytest.mark.parametrize(
    ("level", "fund"),
    [
        # deductible used up by the first 300.00; 0.01*50% = 0.005 -> 0.01 (half up)
        ("3", "0.01"),
        # 0.01*60% = 0.006 -> 0.01
        ("2", "0.01"),
    ],
)
def test_fund_is_rounded_half_up_to_the_fen(level, fund):
    results = settle(
        SHANGHAI_2025,
        expense("outpatient", "1", "300.00"),
        expense("outpatient", level, "0.01"),
    )
    assert str(results[1].fund) == fund
    assert str(results[1].student) == "0.00"


# --- Shanghai catastrophic cover --------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "catastrophic", "student"),
    [
        # SH-GUIDE Q7: L3 stay 10300: fund (10300-300)*60% = 6000.00, burden 4300.00;
        # catastrophic 4300*60% = 2580.00; student 10300-6000-2580 = 1720.00
        ("standard", "2580.00", "1720.00"),
        # 低保 / 低收入: 4300*65% = 2795.00; student 10300-6000-2795 = 1505.00
        ("low_income_family", "2795.00", "1505.00"),
        ("low_income", "2795.00", "1505.00"),
        # 重残 / 家庭经济困难: only deductible subsidies, granted outside the engine: 60%
        ("severe_disability", "2580.00", "1720.00"),
        ("hardship", "2580.00", "1720.00"),
    ],
)
def test_shanghai_catastrophic_ratio_by_category(category, catastrophic, student):
    (result,) = settle(
        SHANGHAI_2025,
        expense("inpatient", "3", "10300.00", catastrophic_disease=True),
        member=Member(category=category),
    )
    assert amounts(result) == ("300.00", "6000.00", catastrophic, student)


def test_shanghai_catastrophic_needs_a_listed_disease():
    results = settle(
        SHANGHAI_2025,
        # not a listed disease: no catastrophic cover, burden not counted
        expense("inpatient", "3", "10300.00"),
        # dialysis at a level-3 outpatient clinic: fund (1300-300)*50% = 500.00,
        # burden 800.00, catastrophic 800*60% = 480.00, student 320.00
        expense("outpatient", "3", "1300.00", catastrophic_disease=True),
    )
    assert amounts(results[0]) == ("300.00", "6000.00", "0.00", "4300.00")
    assert any("非大病" in reason for reason in results[0].reasons)
    assert amounts(results[1]) == ("300.00", "500.00", "480.00", "320.00")


def test_shanghai_catastrophic_cap_400000_across_expenses():
    results = settle(
        SHANGHAI_2025,
        # SH-FAQ §5 cap 40万. Stay 1: fund (1000300-300)*60% = 600000.00, burden 400300.00,
        # catastrophic 400300*60% = 240180.00, student 1000300-600000-240180 = 160120.00
        expense("inpatient", "3", "1000300.00", catastrophic_disease=True, on=date(2025, 3, 1)),
        # stay 2 the same: cumulative burden 800600 -> 480360.00 due, capped at 400000.00:
        # 400000-240180 = 159820.00; student 1000300-600000-159820 = 240480.00
        expense("inpatient", "3", "1000300.00", catastrophic_disease=True, on=date(2025, 6, 1)),
        # cap reached: nothing more; fund (10300-300)*60% = 6000.00, student 4300.00
        expense("inpatient", "3", "10300.00", catastrophic_disease=True, on=date(2025, 9, 1)),
    )
    assert [amounts(r) for r in results] == [
        ("300.00", "600000.00", "240180.00", "160120.00"),
        ("300.00", "600000.00", "159820.00", "240480.00"),
        ("300.00", "6000.00", "0.00", "4300.00"),
    ]
    assert sum(r.catastrophic for r in results) == D("400000.00")


# --- DESIGN §4.5, Wuhan: one expense each -----------------------------------------------------

WUHAN_ROWS = [
    # (care, level, in_scope, referral, deductible, fund)
    # WUHAN 五.1: school outpatient fund, 70%, no deductible: 300*70% = 210.00
    pytest.param("outpatient", "campus", "300.00", False, "0.00", "210.00", id="wh-outp-campus"),
    # 400 a year limit: 1000*70% = 700 -> 400.00
    pytest.param("outpatient", "campus", "1000.00", False, "0.00", "400.00", id="wh-outp-limit"),
    # WUHAN 五.2-3: off campus with the campus clinic's referral: 300*70% = 210.00
    pytest.param("outpatient", "3", "300.00", True, "0.00", "210.00", id="wh-outp-l3-referral"),
    pytest.param("outpatient", "community", "300.00", True, "0.00", "210.00", id="wh-outp-comm"),
    # emergency follows the outpatient rules (门急诊): 300*70% = 210.00
    pytest.param("emergency", "campus", "300.00", False, "0.00", "210.00", id="wh-emergency"),
    # WUHAN 六.2/六.5: L1 deductible 200, 90%: (1200-200)*90% = 900.00
    pytest.param("inpatient", "1", "1200.00", False, "200.00", "900.00", id="wh-inp-l1"),
    # community = level 1 (六.2, 六.5): (1200-200)*90% = 900.00
    pytest.param("inpatient", "community", "1200.00", False, "200.00", "900.00", id="wh-inp-comm"),
    # L2 deductible 400, 70%: (2400-400)*70% = 1400.00
    pytest.param("inpatient", "2", "2400.00", False, "400.00", "1400.00", id="wh-inp-l2"),
    # L3 deductible 800, 60%: (10800-800)*60% = 6000.00
    pytest.param("inpatient", "3", "10800.00", False, "800.00", "6000.00", id="wh-inp-l3"),
    # WUHAN 六.6 生育住院: inpatient ratios, no deductible: 5000*70% = 3500.00
    pytest.param("maternity", "2", "5000.00", False, "0.00", "3500.00", id="wh-maternity-l2"),
    # 10000*60% = 6000.00
    pytest.param("maternity", "3", "10000.00", False, "0.00", "6000.00", id="wh-maternity-l3"),
    # community = level 1: 1000*90% = 900.00
    pytest.param("maternity", "community", "1000.00", False, "0.00", "900.00", id="wh-mat-comm"),
    # WUHAN 七: 门诊慢特病 90%: 1000*90% = 900.00
    pytest.param("chronic_outpatient", "2", "1000.00", False, "0.00", "900.00", id="wh-chronic-l2"),
    # 500*90% = 450.00
    pytest.param(
        "chronic_outpatient", "community", "500.00", False, "0.00", "450.00", id="wh-chronic-comm"
    ),
]


@pytest.mark.parametrize(("care", "level", "amount", "referral", "deductible", "fund"), WUHAN_ROWS)
def test_wuhan_benefit_table(care, level, amount, referral, deductible, fund):
    (result,) = settle(WUHAN_2025, expense(care, level, amount, referral=referral))
    assert result.status == COVERED
    assert str(result.deductible) == deductible
    assert str(result.fund) == fund
    # every burden here is below the 12,000 first tier (WUHAN 六.9)
    assert str(result.catastrophic) == "0.00"
    assert result.student == D(amount) - D(fund)


def test_wuhan_off_campus_outpatient_without_referral_pays_nothing():
    results = settle(
        WUHAN_2025,
        # WUHAN 五.2-3: no 转诊单 -> 0, and the 400 limit is left untouched
        expense("outpatient", "2", "300.00", on=date(2025, 3, 1)),
        # so the campus clinic still pays up to 400: 1000*70% = 700 -> 400.00
        expense("outpatient", "campus", "1000.00", on=date(2025, 3, 2)),
    )
    assert amounts(results[0]) == ("0.00", "0.00", "0.00", "300.00")
    assert results[0].status == NO_REFERRAL
    assert any("转诊" in reason for reason in results[0].reasons)
    assert amounts(results[1]) == ("0.00", "400.00", "0.00", "600.00")


def test_wuhan_school_outpatient_limit_is_shared_over_the_year():
    results = settle(
        WUHAN_2025,
        # 300*70% = 210.00; 190.00 of the 400 left
        expense("outpatient", "campus", "300.00", on=date(2025, 3, 1)),
        # 500*70% = 350 -> 190.00 left
        expense("outpatient", "3", "500.00", referral=True, on=date(2025, 4, 1)),
        # limit reached: emergency shares it (门急诊): 0.00
        expense("emergency", "campus", "100.00", on=date(2025, 5, 1)),
        # chronic outpatient is a separate benefit: 100*90% = 90.00
        expense("chronic_outpatient", "1", "100.00", on=date(2025, 6, 1)),
    )
    assert [str(r.fund) for r in results] == ["210.00", "190.00", "0.00", "90.00"]


def test_wuhan_repeat_stays_halve_the_level_2_and_3_deductible_once():
    results = settle(
        WUHAN_2025,
        # WUHAN 六.3: first L2/L3 stay at 100%: (2400-400)*70% = 1400.00
        expense("inpatient", "2", "2400.00", on=date(2025, 2, 1)),
        # second: L3 800 halved to 400: (10800-400)*60% = 6240.00
        expense("inpatient", "3", "10800.00", on=date(2025, 4, 1)),
        # third: L2 400 halved to 200, not halved again (不递减): (2400-200)*70% = 1540.00
        expense("inpatient", "2", "2400.00", on=date(2025, 6, 1)),
        # a level-1 stay is never halved: (1200-200)*90% = 900.00
        expense("inpatient", "1", "1200.00", on=date(2025, 8, 1)),
        # maternity has no deductible at all (六.6): 5000*70% = 3500.00
        expense("maternity", "2", "5000.00", on=date(2025, 9, 1)),
    )
    assert [amounts(r)[:2] for r in results] == [
        ("400.00", "1400.00"),
        ("400.00", "6240.00"),
        ("200.00", "1540.00"),
        ("200.00", "900.00"),
        ("0.00", "3500.00"),
    ]
    # burdens 1000 + 4560 + 860 + 300 + 1500 = 8220 stay below the 12,000 tier
    assert all(r.catastrophic == 0 for r in results)


def test_wuhan_level_1_and_maternity_stays_do_not_count_as_earlier_stays():
    results = settle(
        WUHAN_2025,
        expense("inpatient", "1", "1200.00", on=date(2025, 2, 1)),  # (1200-200)*90% = 900.00
        expense("maternity", "3", "1000.00", on=date(2025, 3, 1)),  # 1000*60% = 600.00
        # the first L2/L3 stay: full 400: (2400-400)*70% = 1400.00
        expense("inpatient", "2", "2400.00", on=date(2025, 4, 1)),
    )
    assert [amounts(r)[:2] for r in results] == [
        ("200.00", "900.00"),
        ("0.00", "600.00"),
        ("400.00", "1400.00"),
    ]


def test_stays_outside_cover_do_not_count_as_earlier_stays():
    results = settle(
        WUHAN_2025,
        # before the cover starts: pays 0 and is not a stay of the year
        expense("inpatient", "3", "10800.00", on=date(2025, 3, 1)),
        # so this is the first L2/L3 stay: full 800: (10800-800)*60% = 6000.00
        expense("inpatient", "3", "10800.00", on=date(2025, 5, 1)),
        member=Member(cover_start=date(2025, 4, 1)),
    )
    assert results[0].status == OUT_OF_COVER
    assert amounts(results[1])[:2] == ("800.00", "6000.00")


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        pytest.param(
            # WUHAN 六.4: transfer = one stay, the higher deductible (L3 800) once, taken from
            # the earliest part first; each part its own ratio.
            # part 1 L1 1000: deductible 800, (1000-800)*90% = 180.00
            # part 2 L3 5000: deductible 0, 5000*60% = 3000.00
            [("1", "1000.00"), ("3", "5000.00")],
            [("800.00", "180.00"), ("0.00", "3000.00")],
            id="up-deductible-from-first-part",
        ),
        pytest.param(
            # part 1 L1 500 absorbs 500 of the 800, fund 0.00;
            # part 2 L3 5000 takes the 300 left: (5000-300)*60% = 2820.00
            [("1", "500.00"), ("3", "5000.00")],
            [("500.00", "0.00"), ("300.00", "2820.00")],
            id="up-deductible-carries-over",
        ),
        pytest.param(
            # transfer down: L3 1000 takes the 800, (1000-800)*60% = 120.00;
            # L1 1000: nothing left, 1000*90% = 900.00
            [("3", "1000.00"), ("1", "1000.00")],
            [("800.00", "120.00"), ("0.00", "900.00")],
            id="down",
        ),
        pytest.param(
            # three facilities: L1 100 (ded 100, fund 0), L2 300 (ded 300, fund 0),
            # L3 2000 (ded 400 left of 800, (2000-400)*60% = 960.00)
            [("1", "100.00"), ("2", "300.00"), ("3", "2000.00")],
            [("100.00", "0.00"), ("300.00", "0.00"), ("400.00", "960.00")],
            id="three-parts",
        ),
    ],
)
def test_wuhan_transfer_is_one_stay(parts, expected):
    stay = [
        expense("inpatient", level, amount, stay="t", on=date(2025, 3, 1 + n))
        for n, (level, amount) in enumerate(parts)
    ]
    results = settle(WUHAN_2025, *stay)
    assert [amounts(r)[:2] for r in results] == expected


def test_wuhan_transfer_settled_with_interleaved_expenses_keeps_input_order():
    results = settle(
        WUHAN_2025,
        expense("inpatient", "1", "1000.00", stay="t", on=date(2025, 3, 1)),  # 800, 180.00
        expense("outpatient", "campus", "100.00", on=date(2025, 3, 2)),  # 100*70% = 70.00
        expense("inpatient", "3", "5000.00", stay="t", on=date(2025, 3, 3)),  # 0, 3000.00
        # a different stay: the second L2/L3 stay, L2 400 halved: (2400-200)*70% = 1540.00
        expense("inpatient", "2", "2400.00", stay="u", on=date(2025, 5, 1)),
    )
    assert [amounts(r)[:2] for r in results] == [
        ("800.00", "180.00"),
        ("0.00", "70.00"),
        ("0.00", "3000.00"),
        ("200.00", "1540.00"),
    ]


def test_wuhan_transfer_as_a_repeat_stay_is_halved_at_level_2_and_3_only():
    results = settle(
        WUHAN_2025,
        # first L2 stay: (2400-400)*70% = 1400.00
        expense("inpatient", "2", "2400.00", on=date(2025, 2, 1)),
        # second stay, a transfer L1 -> L3: L1 part keeps 200 (level 1 never halved), L3 part
        # 800*0.5 = 400; the stay takes the higher, 400, from the first part:
        # L1 1000: deductible 400, (1000-400)*90% = 540.00; L3 5000: 5000*60% = 3000.00
        expense("inpatient", "1", "1000.00", stay="t", on=date(2025, 4, 1)),
        expense("inpatient", "3", "5000.00", stay="t", on=date(2025, 4, 5)),
    )
    assert [amounts(r)[:2] for r in results] == [
        ("400.00", "1400.00"),
        ("400.00", "540.00"),
        ("0.00", "3000.00"),
    ]


# --- Wuhan catastrophic tiers and both caps ---------------------------------------------------


def test_wuhan_catastrophic_tiers_are_progressive_across_expenses():
    # WUHAN 六.9: yearly burden 12k-30k 60%, 30k-100k 65%, >100k 75%, 累积计算 按次结算.
    results = settle(
        WUHAN_2025,
        # stay 1, L3 48800: fund (48800-800)*60% = 28800.00, burden 20000.00;
        # due (20000-12000)*60% = 4800.00; student 48800-28800-4800 = 15200.00
        expense("inpatient", "3", "48800.00", on=date(2025, 2, 1)),
        # stay 2, L3 36900, deductible halved to 400: fund (36900-400)*60% = 21900.00,
        # burden 15000.00, cumulative 35000: due 18000*60% + 5000*65% = 10800+3250 = 14050.00;
        # paid now 14050-4800 = 9250.00; student 36900-21900-9250 = 5750.00
        expense("inpatient", "3", "36900.00", on=date(2025, 4, 1)),
        # stay 3, L3 165900: fund (165900-400)*60% = 99300.00 = exactly the 150000 cap left
        # (150000-28800-21900); burden 66600.00, cumulative 101600:
        # due 10800 + 70000*65% + 1600*75% = 10800+45500+1200 = 57500.00;
        # paid now 57500-14050 = 43450.00; student 165900-99300-43450 = 23150.00
        expense("inpatient", "3", "165900.00", on=date(2025, 6, 1)),
        # stay 4, L2 10000: basic cap reached, fund 0.00; burden 10000.00, cumulative 111600:
        # due 57500 + 10000*75% = 65000.00; paid now 7500.00; student 2500.00
        expense("inpatient", "2", "10000.00", on=date(2025, 8, 1)),
    )
    assert [amounts(r) for r in results] == [
        ("800.00", "28800.00", "4800.00", "15200.00"),
        ("400.00", "21900.00", "9250.00", "5750.00"),
        ("400.00", "99300.00", "43450.00", "23150.00"),
        ("200.00", "0.00", "7500.00", "2500.00"),
    ]


@pytest.mark.parametrize("category", ["standard", "low_income_family", "low_income"])
def test_wuhan_basic_annual_cap_150000(category):
    # WUHAN 六.8: L1 200200: (200200-200)*90% = 180000 -> capped at 150000.00;
    # burden 50200.00: 18000*60% + 20200*65% = 10800+13130 = 23930.00;
    # student 200200-150000-23930 = 26270.00. WUHAN 六.9 has no low-income rate: the same.
    (result,) = settle(
        WUHAN_2025, expense("inpatient", "1", "200200.00"), member=Member(category=category)
    )
    assert amounts(result) == ("200.00", "150000.00", "23930.00", "26270.00")
    assert any("最高支付限额" in reason for reason in result.reasons)


def test_wuhan_catastrophic_cap_300000():
    results = settle(
        WUHAN_2025,
        # L3 600000: (600000-800)*60% = 359520 -> basic cap 150000.00; burden 450000.00:
        # 10800 + 45500 + 350000*75% = 318800 -> capped at 300000.00;
        # student 600000-150000-300000 = 150000.00
        expense("inpatient", "3", "600000.00", on=date(2025, 3, 1)),
        # both caps reached: the student pays all of 1000.00
        expense("chronic_outpatient", "1", "1000.00", on=date(2025, 4, 1)),
    )
    assert amounts(results[0]) == ("800.00", "150000.00", "300000.00", "150000.00")
    assert amounts(results[1]) == ("0.00", "0.00", "0.00", "1000.00")


# --- exclusions and cover dates ---------------------------------------------------------------


@pytest.mark.parametrize("code", EXCLUSIONS)
def test_excluded_expense_pays_nothing_and_takes_no_deductible(code):
    # SJTU art. 27 不适用范围
    results = settle(
        SHANGHAI_2025,
        expense("outpatient", "1", "1000.00", excluded=code, catastrophic_disease=True),
        # the 300 deductible is still whole: (1000-300)*70% = 490.00
        expense("outpatient", "1", "1000.00"),
    )
    assert amounts(results[0]) == ("0.00", "0.00", "0.00", "1000.00")
    assert results[0].status == EXCLUDED
    assert any(EXCLUSION_LABELS[code] in reason for reason in results[0].reasons)
    assert amounts(results[1]) == ("300.00", "490.00", "0.00", "510.00")


def test_expenses_outside_the_cover_period_pay_nothing_with_the_reason():
    member = Member(cover_start=date(2025, 3, 1), cover_end=date(2025, 6, 30))
    results = settle(
        SHANGHAI_2025,
        expense("outpatient", "1", "500.00", on=date(2025, 2, 28)),
        expense("inpatient", "3", "10300.00", on=date(2025, 7, 1)),
        expense("outpatient", "1", "500.00", on=date(2024, 12, 31)),
        # inside the cover: deductible whole: (500-300)*70% = 140.00
        expense("outpatient", "1", "500.00", on=date(2025, 6, 30)),
        member=member,
    )
    assert [r.status for r in results] == [OUT_OF_COVER] * 3 + [COVERED]
    assert "早于待遇开始日期 2025-03-01" in results[0].reasons[0]
    assert "晚于待遇截止日期 2025-06-30" in results[1].reasons[0]
    assert amounts(results[1]) == ("0.00", "0.00", "0.00", "10300.00")
    assert amounts(results[3]) == ("300.00", "140.00", "0.00", "360.00")


def test_waiting_period_expenses_are_not_paid_back():
    # SH-GUIDE Q3: declared 5 Mar 2025, paid before 5 Jun: benefits from 5 Jun 2025;
    # 待遇等待期间发生的医疗费用不予追溯.
    facts = EnrollmentFacts(kind="late", declared_on=date(2025, 3, 5), paid_on=date(2025, 4, 1))
    result = estimate(
        SHANGHAI_2025,
        facts,
        [
            # before the declaration: not insured yet
            expense("outpatient", "1", "500.00", on=date(2025, 3, 1)),
            # in the waiting period
            expense("inpatient", "3", "10300.00", on=date(2025, 6, 4), catastrophic_disease=True),
            # first day of benefits, deductible whole: (500-300)*70% = 140.00
            expense("outpatient", "1", "500.00", on=date(2025, 6, 5)),
        ],
    )
    assert result.cover == Cover(date(2025, 6, 5), date(2025, 12, 31), 3, date(2025, 3, 5))
    first, waiting, paid = result.expenses
    assert first.status == waiting.status == OUT_OF_COVER
    assert "早于待遇开始日期" in first.reasons[0]
    assert "等待期" in waiting.reasons[0] and "不予追溯" in waiting.reasons[0]
    assert amounts(waiting) == ("0.00", "0.00", "0.00", "10300.00")
    assert amounts(paid) == ("300.00", "140.00", "0.00", "360.00")
    assert result.totals.fund == D("140.00")
    assert result.totals.student == D("11160.00")  # 500 + 10300 + 360


def test_member_waiting_months_explain_the_unpaid_expense():
    member = Member(cover_start=date(2025, 5, 1), waiting_months=4)
    (result,) = settle(
        SHANGHAI_2025, expense("outpatient", "1", "100.00", on=date(2025, 2, 1)), member=member
    )
    assert "4 个月待遇等待期" in result.reasons[0]


# --- waiting period and cover dates -----------------------------------------------------------


@pytest.mark.parametrize(
    ("gap_years", "back_paid_years", "months"),
    [
        (0, 0, 3),  # SH-GUIDE Q5: late, no gap: fixed 3 months
        (1, 0, 4),  # +1 variable month per gap year: 3+1
        (2, 0, 5),  # 3+2
        (2, 1, 4),  # back-paying 1 year removes 1 variable month: 3+(2-1)
        (2, 2, 3),  # variable part repaired to 0: 3+0
        (3, 3, 3),  # fewer than 4 gap years: no 6-month floor
        (4, 0, 7),  # 3+4
        (4, 1, 6),  # 3+3
        (4, 2, 6),  # 3+2 = 5, but 4+ gap years: at least 6
        (4, 4, 6),  # 3+0 = 3 -> 6
        (5, 0, 8),  # 3+5
        (5, 5, 6),  # 3+0 -> 6
        (6, 1, 8),  # 3+5
    ],
)
def test_waiting_months(gap_years, back_paid_years, months):
    for rules in (SHANGHAI_2025, WUHAN_2025):
        assert waiting_months(rules, gap_years=gap_years, back_paid_years=back_paid_years) == months


@pytest.mark.parametrize(("gap_years", "back_paid_years"), [(-1, 0), (0, -1), (1, 2)])
def test_waiting_months_rejects_impossible_counts(gap_years, back_paid_years):
    with pytest.raises(ValueError):
        waiting_months(SHANGHAI_2025, gap_years=gap_years, back_paid_years=back_paid_years)


@pytest.mark.parametrize(
    ("rules", "facts", "expected"),
    [
        pytest.param(
            # SH-GUIDE Q3: collective and continuous: 1 Jan - 31 Dec, no waiting
            SHANGHAI_2025,
            EnrollmentFacts(kind="collective", paid_on=date(2024, 12, 10)),
            Cover(date(2025, 1, 1), date(2025, 12, 31), 0),
            id="collective-continuous",
        ),
        pytest.param(
            # SH-GUIDE Q3/Q5: collective after 1 gap year: 3+1 months from 1 January
            SHANGHAI_2025,
            EnrollmentFacts(kind="collective", paid_on=date(2024, 12, 10), gap_years=1),
            Cover(date(2025, 5, 1), date(2025, 12, 31), 4, date(2025, 1, 1)),
            id="collective-gap",
        ),
        pytest.param(
            # SH-GUIDE Q3 worked example: declared 5 Mar, paid before 5 Jun -> 5 Jun
            SHANGHAI_2025,
            EnrollmentFacts(kind="late", declared_on=date(2025, 3, 5), paid_on=date(2025, 6, 4)),
            Cover(date(2025, 6, 5), date(2025, 12, 31), 3, date(2025, 3, 5)),
            id="late-q3",
        ),
        pytest.param(
            # paid after declaration + waiting: the payment date wins
            SHANGHAI_2025,
            EnrollmentFacts(kind="late", declared_on=date(2025, 3, 5), paid_on=date(2025, 6, 20)),
            Cover(date(2025, 6, 20), date(2025, 12, 31), 3, date(2025, 3, 5)),
            id="late-paid-later",
        ),
        pytest.param(
            # 2 gap years, 1 back-paid: 3+1 = 4 months: 5 Mar -> 5 Jul
            SHANGHAI_2025,
            EnrollmentFacts(
                kind="late",
                declared_on=date(2025, 3, 5),
                paid_on=date(2025, 3, 5),
                gap_years=2,
                back_paid_years=1,
            ),
            Cover(date(2025, 7, 5), date(2025, 12, 31), 4, date(2025, 3, 5)),
            id="late-gap-back-paid",
        ),
        pytest.param(
            # 5 gap years all back-paid: 3 -> floor 6 months: 5 Mar -> 5 Sep
            SHANGHAI_2025,
            EnrollmentFacts(
                kind="late",
                declared_on=date(2025, 3, 5),
                paid_on=date(2025, 3, 5),
                gap_years=5,
                back_paid_years=5,
            ),
            Cover(date(2025, 9, 5), date(2025, 12, 31), 6, date(2025, 3, 5)),
            id="late-floor-6",
        ),
        pytest.param(
            # 1 gap year: 4 months from 31 May, clamped: 30 Sep
            SHANGHAI_2025,
            EnrollmentFacts(
                kind="late", declared_on=date(2025, 5, 31), paid_on=date(2025, 6, 1), gap_years=1
            ),
            Cover(date(2025, 9, 30), date(2025, 12, 31), 4, date(2025, 5, 31)),
            id="late-month-end",
        ),
        pytest.param(
            # declared after the 2025 collective window closed (20 Dec 2024): 3 months -> 23 Mar
            SHANGHAI_2025,
            EnrollmentFacts(
                kind="late", declared_on=date(2024, 12, 23), paid_on=date(2024, 12, 23)
            ),
            Cover(date(2025, 3, 23), date(2025, 12, 31), 3, date(2024, 12, 23)),
            id="late-after-window",
        ),
        pytest.param(
            # SH-GUIDE Q4: freshman from the registration date, no waiting
            SHANGHAI_2025,
            EnrollmentFacts(kind="freshman", registered_on=date(2025, 9, 8)),
            Cover(date(2025, 9, 8), date(2025, 12, 31), 0),
            id="freshman-september",
        ),
        pytest.param(
            # SH-GUIDE Q4: registered in August -> from 1 September
            SHANGHAI_2025,
            EnrollmentFacts(kind="freshman", registered_on=date(2025, 8, 25)),
            Cover(date(2025, 9, 1), date(2025, 12, 31), 0),
            id="freshman-august",
        ),
        pytest.param(
            # WUHAN Q&A 三(三): a paying freshman gets 1 Sep - 31 Dec, no waiting
            WUHAN_2025,
            EnrollmentFacts(kind="freshman", registered_on=date(2025, 9, 8)),
            Cover(date(2025, 9, 1), date(2025, 12, 31), 0),
            id="wuhan-freshman",
        ),
        pytest.param(
            WUHAN_2025,
            EnrollmentFacts(kind="freshman", registered_on=date(2025, 8, 28)),
            Cover(date(2025, 9, 1), date(2025, 12, 31), 0),
            id="wuhan-freshman-august",
        ),
    ],
)
def test_cover_for(rules, facts, expected):
    assert cover_for(rules, facts) == expected


@pytest.mark.parametrize(
    "facts",
    [
        EnrollmentFacts(kind="freshman"),
        EnrollmentFacts(kind="freshman", registered_on=date(2024, 9, 1)),
        EnrollmentFacts(kind="late", declared_on=date(2025, 3, 5)),
        EnrollmentFacts(kind="late", paid_on=date(2025, 3, 5)),
    ],
)
def test_cover_for_needs_its_dates(facts):
    with pytest.raises(ValueError):
        cover_for(SHANGHAI_2025, facts)


def test_freshman_expense_before_registration_is_out_of_cover():
    facts = EnrollmentFacts(kind="freshman", registered_on=date(2025, 8, 25))
    result = estimate(
        SHANGHAI_2025,
        facts,
        [
            expense("outpatient", "campus", "100.00", on=date(2025, 8, 30)),
            # SH-GUIDE Q4: August registration -> cover from 1 Sep: 100*80% = 80.00
            expense("outpatient", "campus", "100.00", on=date(2025, 9, 1)),
        ],
    )
    assert [r.status for r in result.expenses] == [OUT_OF_COVER, COVERED]
    assert result.totals.fund == D("80.00")


def test_late_declaration_near_year_end_leaves_no_benefits_this_year():
    facts = EnrollmentFacts(kind="late", declared_on=date(2025, 11, 30), paid_on=date(2025, 12, 1))
    result = estimate(
        SHANGHAI_2025, facts, [expense("outpatient", "1", "500.00", on=date(2025, 12, 31))]
    )
    assert result.cover.start == date(2026, 2, 28)
    assert result.expenses[0].status == OUT_OF_COVER


def test_a_known_cover_tells_days_before_the_waiting_from_days_inside_it():
    # SH-GUIDE Q3: declared 5 Mar 2025, benefits from 5 Jun; the waiting began on 5 Mar
    member = Member(cover_start=date(2025, 6, 5), waiting_months=3, waiting_from=date(2025, 3, 5))
    before, inside = settle(
        SHANGHAI_2025,
        expense("outpatient", "1", "100.00", on=date(2025, 3, 4)),
        expense("outpatient", "1", "100.00", on=date(2025, 3, 5)),
        member=member,
    )
    assert "早于待遇开始日期 2025-06-05" in before.reasons[0]
    assert "处于 3 个月待遇等待期内" in inside.reasons[0]
    assert (before.status, inside.status) == (OUT_OF_COVER, OUT_OF_COVER)


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: expense("dental", "1", "1.00"),
        lambda: expense("outpatient", "4", "1.00"),
        lambda: expense("outpatient", "1", "1.00", excluded="lottery"),
        lambda: expense("outpatient", "1", "-1.00"),
        lambda: Member(category="vip"),
        lambda: EnrollmentFacts(kind="walk-in"),
        lambda: EnrollmentFacts(kind="collective", category="vip"),
        lambda: BenefitRule("outpatient", "1", D("1.20")),
        lambda: BenefitRule("outpatient", "1", D("0.5"), deductible_basis="per_month"),
        lambda: CatastrophicTier(D("0"), D("0.6"), D("1.5")),
        lambda: replace(
            SHANGHAI_2025,
            benefit_rules=(*SHANGHAI_2025.benefit_rules, SHANGHAI_2025.benefit_rules[0]),
        ),
        lambda: replace(
            WUHAN_2025, catastrophic_tiers=tuple(reversed(WUHAN_2025.catastrophic_tiers))
        ),
    ],
)
def test_invalid_values_raise_value_error(build):
    with pytest.raises(ValueError):
        build()


@pytest.mark.parametrize(
    ("rules", "care", "level"),
    [
        # no chronic/special outpatient rule in any Shanghai seed
        (SHANGHAI_2025, "chronic_outpatient", "1"),
        # a campus clinic has no wards
        (SHANGHAI_2025, "inpatient", "campus"),
        (WUHAN_2025, "inpatient", "campus"),
        (WUHAN_2025, "chronic_outpatient", "campus"),
    ],
)
def test_no_matching_rule_raises_value_error(rules, care, level):
    with pytest.raises(ValueError, match="no benefit rule"):
        rule_for(rules, care, level)
    with pytest.raises(ValueError, match="no benefit rule"):
        settle(rules, expense(care, level, "100.00"))


def test_estimate_checks_the_category_itself():
    # Member checks its category when built, so only a member changed afterwards reaches
    # estimate()'s own check: build it outside pytest.raises, then force the field.
    member = Member()
    object.__setattr__(member, "category", "vip")
    with pytest.raises(ValueError, match="unknown category 'vip'"):
        estimate(SHANGHAI_2025, member, [])


def test_rule_for_applies_the_policy_mappings():
    assert rule_for(SHANGHAI_2025, "emergency", "2") == rule_for(SHANGHAI_2025, "outpatient", "2")
    assert rule_for(SHANGHAI_2025, "inpatient", "community").level == "1"
    maternity = rule_for(WUHAN_2025, "maternity", "3")
    assert (maternity.care, maternity.ratio, maternity.deductible) == ("maternity", D("0.60"), 0)


def test_reasons_have_one_sentence_per_step():
    (result,) = settle(
        SHANGHAI_2025,
        expense("inpatient", "3", "10300.00", out_of_scope=D("50.00"), catastrophic_disease=True),
    )
    # rule, out of scope, deductible, fund, catastrophic, student
    assert len(result.reasons) == 6
    assert all(reason.endswith("。") for reason in result.reasons)
    assert result.reasons[-1] == "个人自付 1770.00 元。"  # 10300+50-6000-2580
