"""The year's claims report (issue #11 `claims_report`): by state, type and level, and the
total; approved claims as stored, the others as they would be settled now; each breakdown
adds up to the total.

Seeds (shared/seeds/): SH-GUIDE = shanghai-student-insurance-guide-2024-11.txt Q7 (门急诊
300 a year, then 70% / 60% / 50% at levels 1 / 2 / 3; 住院 level 3: 300 per stay, 60%;
大病 60% of the burden) and Q12 (claims within 6 months)."""

import json
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from claims.selectors import claims_report
from claims.services.approval import claim_approve
from claims.tests.factories import (
    ClaimFactory,
    ClaimLineFactory,
    ClaimRowFactory,
    LineInputFactory,
)
from office.errors import Refused

pytestmark = pytest.mark.django_db

D = Decimal
MONEY = ("claimed", "fund", "catastrophic", "student")


def claim(student, type, visit, care, level, amount, *, submit=True, review=True, **line):
    receipt = LineInputFactory(
        visit_date=visit, care=care, level=level, in_scope=D(amount), total=D(amount), **line
    )
    return ClaimFactory(
        student=student,
        type=type,
        lines=[receipt],
        received=True,
        submit=(visit + timedelta(days=20) if submit is True else submit) if submit else None,
        review=review and bool(submit),
    )


@pytest.fixture
def year_of_claims(covered_student, shanghai_2026):
    s = covered_student
    a = claim(s, "emergency_cash", date(2025, 3, 10), "emergency", "2", "500.00")
    d = claim(
        s,
        "catastrophic",
        date(2025, 6, 1),
        "inpatient",
        "3",
        "10000.00",
        catastrophic_disease="malignant_tumour",
    )
    claim_approve(claim=a)
    claim_approve(claim=d)
    claim(s, "emergency_cash", date(2025, 4, 2), "emergency", "3", "400.00")  # in review
    # submitted 1 Dec for a receipt of 20 Apr: late (SH-GUIDE Q12), rejected
    late = date(2025, 12, 1)
    claim(
        s, "emergency_cash", date(2025, 4, 20), "emergency", "1", "90.00", submit=late, review=False
    )
    claim(s, "emergency_cash", date(2025, 8, 1), "emergency", "3", "100.00", submit=False)  # draft
    # another year's claim stays out of 2025
    ClaimLineFactory(
        claim=ClaimRowFactory(student=s, policy_year=shanghai_2026, number="BX2026-900001"),
        visit_date=date(2026, 1, 5),
    )


def bucket(count, claimed, fund, catastrophic, student) -> dict:
    return {
        "count": count,
        "claimed": claimed,
        "fund": fund,
        "catastrophic": catastrophic,
        "student": student,
    }


EMPTY = bucket(0, "0.00", "0.00", "0.00", "0.00")


def test_the_report_breaks_the_year_down_by_state_type_and_level(year_of_claims):
    report = claims_report(year=2025)

    # approved A: emergency at level 2, (500 − 300) × 60% = 120.00, student 380.00
    # approved D: inpatient level 3, (10,000 − 300) × 60% = 5,820.00; burden 4,180 × 60%
    #   = 2,508.00 catastrophic; student 1,672.00
    # in review B: level 3, the deductible used by A: 400 × 50% = 200.00, student 200.00
    # rejected R: 0.00, student 90.00
    # draft X (1 Aug, after B): 100 × 50% = 50.00, student 50.00
    assert report["year"] == 2025
    assert report["by_state"] == {
        "draft": bucket(1, "100.00", "50.00", "0.00", "50.00"),
        "submitted": EMPTY,
        "in_review": bucket(1, "400.00", "200.00", "0.00", "200.00"),
        "approved": bucket(2, "10500.00", "5940.00", "2508.00", "2052.00"),
        "rejected": bucket(1, "90.00", "0.00", "0.00", "90.00"),
        "paid": EMPTY,
    }
    assert report["by_type"]["emergency_cash"] == bucket(4, "1090.00", "370.00", "0.00", "720.00")
    assert report["by_type"]["catastrophic"] == bucket(
        1, "10000.00", "5820.00", "2508.00", "1672.00"
    )
    assert report["by_level"] == {
        "campus": EMPTY,
        "community": EMPTY,
        "1": bucket(1, "90.00", "0.00", "0.00", "90.00"),
        "2": bucket(1, "500.00", "120.00", "0.00", "380.00"),
        "3": bucket(3, "10500.00", "6070.00", "2508.00", "1922.00"),
    }
    # 500 + 10,000 + 400 + 90 + 100 = 11,090.00 = 6,190.00 + 2,508.00 + 2,392.00
    assert report["total"] == bucket(5, "11090.00", "6190.00", "2508.00", "2392.00")


def test_each_breakdown_adds_up_to_the_total(year_of_claims):
    report = claims_report(year=2025)

    for name in ("by_state", "by_type", "by_level"):
        buckets = report[name].values()
        assert sum(b["count"] for b in buckets) == report["total"]["count"]
        for money in MONEY:
            assert sum(D(b[money]) for b in buckets) == D(report["total"][money]), (name, money)
    total = report["total"]
    assert D(total["fund"]) + D(total["catastrophic"]) + D(total["student"]) == D(total["claimed"])


def test_an_empty_year_reports_zeros(shanghai_2025):
    report = claims_report(year=2025)

    assert report["total"] == EMPTY
    assert set(report["by_type"]) == {
        "emergency_cash",
        "inpatient",
        "remote",
        "freshman_before_account",
        "referred_outpatient",
        "catastrophic",
    }


def test_a_year_without_a_policy_year_is_refused(db):
    with pytest.raises(Refused, match="没有 2031 年度"):
        claims_report(year=2031)


def run(*args) -> str:
    out = StringIO()
    call_command("claims_report", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_command_prints_json_and_a_table(year_of_claims):
    as_json = json.loads(run("--year", "2025", "--json"))
    page = run("--year", "2025")

    assert as_json == claims_report(year=2025)
    assert "2025 年度报销统计" in page
    assert "已批准" in page and "大病" in page and "三级医疗机构" in page
    assert "合计" in page and "11090.00" in page and "6190.00" in page


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--year", "2031"], "没有 2031 年度"),
        (["--year", "2025", "--region", "beijing"], "beijing"),
    ],
)
def test_the_command_refuses_an_unknown_year_or_region_with_exit_2(db, args, words):
    with pytest.raises(CommandError, match=words) as refused:
        run(*args)

    assert refused.value.returncode == 2
