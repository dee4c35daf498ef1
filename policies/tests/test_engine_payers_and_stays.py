"""Who pays each expense, and emergency rescue that belongs to a stay (issue 10, points 1
and 2). Pure engine, no database; every number is worked by hand from
wuhan-2025-student-insurance-notice.txt (WUHAN) and shanghai-student-insurance-guide-2024-11.txt
(SH-GUIDE)."""

from datetime import date
from decimal import Decimal

import pytest

from policies.catalog import SHANGHAI_2025, WUHAN_2025
from policies.engine import (
    BASIC_FUND,
    COVERED,
    NO_REFERRAL,
    SCHOOL_OUTPATIENT_FUND,
    Expense,
    Member,
    PolicyYearRules,
    StayKeyError,
    estimate,
)


def expense(care: str, level: str, amount: str, on: date, **kw) -> Expense:
    return Expense(date=on, care=care, level=level, in_scope=Decimal(amount), **kw)


def amounts(result) -> tuple[str, str, str, str]:
    return (str(result.deductible), str(result.fund), str(result.catastrophic), str(result.student))


# --- point 1: the school's outpatient fund does not use up the basic annual cap -------------


def test_campus_outpatient_does_not_lower_what_the_fund_pays_on_a_later_large_stay():
    result = estimate(
        WUHAN_2025,
        Member(),
        [
            # WUHAN 五.1: the school pays campus outpatient care, 70% within 400 a year:
            # 500 × 70% = 350.00, from the school's outpatient fund; student 150.00
            expense("outpatient", "campus", "500.00", date(2025, 3, 1)),
            # WUHAN 六.2/六.5: L1 stay, deductible 200, 90%: (200200 - 200) × 90% = 180000,
            # cut to the 六.8 inpatient cap of 150000.00, all of it left (the school's 350
            # is not the basic fund's). Personal burden 200200 - 150000 = 50200.00; 六.9:
            # (30000 - 12000) × 60% + (50200 - 30000) × 65% = 10800 + 13130 = 23930.00 (the
            # school-paid visit's 150 is not 大病保险 burden: else 23930 + 150 × 65% = 24027.50);
            # student 200200 - 150000 - 23930 = 26270.00
            expense("inpatient", "1", "200200.00", date(2025, 6, 1)),
        ],
    )

    visit, stay = result.expenses
    assert amounts(visit) == ("0.00", "350.00", "0.00", "150.00")
    assert amounts(stay) == ("200.00", "150000.00", "23930.00", "26270.00")
    assert (visit.payer, stay.payer) == (SCHOOL_OUTPATIENT_FUND, BASIC_FUND)
    assert str(result.totals.fund) == "150350.00"  # fund: what the scheme pays, both payers
    assert {payer: str(paid) for payer, paid in result.totals.fund_by_payer.items()} == {
        BASIC_FUND: "150000.00",
        SCHOOL_OUTPATIENT_FUND: "350.00",
    }
    assert any(reason.startswith("学校门诊经费：") for reason in visit.reasons)
    assert any(reason.startswith("基本医保基金：") for reason in stay.reasons)


@pytest.mark.parametrize(
    ("rules", "care", "level", "referral", "payer"),
    [
        # WUHAN 五.1-3: ordinary outpatient care, on campus or referred, and emergency with it
        # (门急诊), is the school's; 七 chronic outpatient and 六 stays are the basic fund's.
        (WUHAN_2025, "outpatient", "campus", False, SCHOOL_OUTPATIENT_FUND),
        (WUHAN_2025, "outpatient", "3", True, SCHOOL_OUTPATIENT_FUND),
        (WUHAN_2025, "emergency", "campus", False, SCHOOL_OUTPATIENT_FUND),
        (WUHAN_2025, "chronic_outpatient", "2", False, BASIC_FUND),
        (WUHAN_2025, "inpatient", "2", False, BASIC_FUND),
        (WUHAN_2025, "maternity", "2", False, BASIC_FUND),
        # SH-GUIDE Q7: everything, the campus clinic included, is paid by 居民医保基金
        (SHANGHAI_2025, "outpatient", "campus", False, BASIC_FUND),
        (SHANGHAI_2025, "outpatient", "2", False, BASIC_FUND),
        (SHANGHAI_2025, "inpatient", "3", False, BASIC_FUND),
    ],
)
def test_each_expense_says_who_pays_it(rules, care, level, referral, payer):
    (result,) = estimate(
        rules, Member(), [expense(care, level, "100.00", date(2025, 5, 1), referral=referral)]
    ).expenses

    assert result.status == COVERED
    assert result.payer == payer


def test_an_unpaid_expense_has_no_payer():
    # WUHAN 五.2-3: off-campus outpatient care without a referral is paid by nobody
    (result,) = estimate(
        WUHAN_2025, Member(), [expense("outpatient", "2", "100.00", date(2025, 5, 1))]
    ).expenses

    assert result.status == NO_REFERRAL
    assert result.payer is None


# --- point 2: emergency rescue before admission belongs to the stay -------------------------


def test_wuhan_rescue_before_admission_is_settled_as_part_of_the_stay():
    results = estimate(
        WUHAN_2025,
        Member(),
        [
            # WUHAN 六.7: the rescue joins stay "s" (no referral needed: it is a stay now);
            # 六.2/六.5 L3: the stay's 800 deductible is taken from its first part:
            # fund (20000 - 800) × 60% = 11520.00, burden 8480.00, below the 12000 tier
            expense("emergency", "3", "20000.00", date(2025, 5, 1), stay="s"),
            # the stay itself: no deductible left, 30000 × 60% = 18000.00; burden 12000.00,
            # cumulative 20480.00: 六.9 (20480 - 12000) × 60% = 5088.00;
            # student 30000 - 18000 - 5088 = 6912.00
            expense("inpatient", "3", "30000.00", date(2025, 5, 1), stay="s"),
            # 六.3: this is the second L2/L3 stay (rescue and stay were one): L2 400 halved to
            # 200: (2400 - 200) × 70% = 1540.00
            expense("inpatient", "2", "2400.00", date(2025, 8, 1)),
        ],
    ).expenses

    rescue, stay, later = results
    assert rescue.status == COVERED
    assert amounts(rescue) == ("800.00", "11520.00", "0.00", "8480.00")
    assert amounts(stay) == ("0.00", "18000.00", "5088.00", "6912.00")
    assert amounts(later)[:2] == ("200.00", "1540.00")
    assert rescue.payer == BASIC_FUND
    assert any("并入同一次住院" in reason for reason in rescue.reasons)
    assert not any("转院" in reason for reason in rescue.reasons)  # a rescue is no transfer


def test_shanghai_rescue_takes_the_stay_deductible_and_ratio_not_the_outpatient_ones():
    rescue, stay = estimate(
        SHANGHAI_2025,
        Member(),
        [
            # SH-GUIDE Q7 住院 L2: deductible 100 per stay, 75%: (1000 - 100) × 75% = 675.00
            # (as outpatient care it would be (1000 - 300) × 60% = 420.00)
            expense("emergency", "2", "1000.00", date(2025, 5, 1), stay="a"),
            # the rest of the stay: 5000 × 75% = 3750.00
            expense("inpatient", "2", "5000.00", date(2025, 5, 2), stay="a"),
        ],
    ).expenses

    assert amounts(rescue)[:2] == ("100.00", "675.00")
    assert amounts(stay)[:2] == ("0.00", "3750.00")


@pytest.mark.parametrize(
    ("rules", "expenses", "index", "says"),
    [
        pytest.param(
            WUHAN_2025,
            [expense("outpatient", "campus", "100.00", date(2025, 5, 1), stay="s")],
            0,
            "不属于任何一次住院",
            id="outpatient-with-a-stay-key",
        ),
        pytest.param(
            WUHAN_2025,
            [
                expense("inpatient", "2", "100.00", date(2025, 5, 1), stay="s"),
                expense("chronic_outpatient", "2", "100.00", date(2025, 5, 2), stay="s"),
            ],
            1,
            "不属于任何一次住院",
            id="chronic-outpatient-with-a-stay-key",
        ),
        pytest.param(
            WUHAN_2025,
            [
                expense("inpatient", "2", "100.00", date(2025, 5, 1), stay="s"),
                expense("emergency", "2", "100.00", date(2025, 5, 1), stay="t"),
            ],
            1,
            "没有同一住院标识为“t”",
            id="rescue-naming-no-stay",
        ),
        pytest.param(
            WUHAN_2025,
            [
                expense("emergency", "campus", "100.00", date(2025, 5, 1), stay="s"),
                expense("inpatient", "2", "100.00", date(2025, 5, 1), stay="s"),
            ],
            0,
            "没有校内医疗机构的住院待遇",
            id="rescue-where-no-stay-rule-exists",
        ),
        pytest.param(
            SHANGHAI_2025,
            [
                expense("inpatient", "2", "100.00", date(2025, 5, 1), stay="s"),
                expense("maternity", "2", "100.00", date(2025, 5, 1), stay="s"),
                expense("emergency", "2", "100.00", date(2025, 5, 1), stay="s"),
            ],
            2,
            "无法确定",
            id="rescue-naming-two-kinds-of-stay",
        ),
    ],
)
def test_a_stay_key_that_cannot_be_settled_is_refused(
    rules: PolicyYearRules, expenses, index, says
):
    with pytest.raises(StayKeyError) as error:
        estimate(rules, Member(), expenses)

    assert error.value.index == index
    assert says in error.value.message
