"""A claim's breakdown is the rule engine's over the student's year (issue #11
"Breakdowns"): pure cases first, then claims made through the office's services.

Seeds (shared/seeds/): SH-GUIDE = shanghai-student-insurance-guide-2024-11.txt Q7 (门急诊
300 a year, then 70% / 60% / 50% at levels 1 / 2 / 3, the campus clinic 80% and not counted;
住院 level 3: 300 per stay, 60%; 大病 60% of the burden for the listed diseases);
WUHAN = wuhan-2025-student-insurance-notice.txt 五.1 (the school pays outpatient care at
≥ 70%, ≥ 400 a year, off campus with a referral), 六.2/六.3/六.5 (per stay 200 / 400 / 800,
halved from the second stay at levels 2 and 3; 90% / 70% / 60%), 六.9 (catastrophic:
12,000–30,000 of the yearly burden at 60%)."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from claims import breakdowns
from claims.breakdowns import ClaimFacts, LineFacts
from claims.models import Claim
from claims.selectors import CLAIM_FIELDS, Loader
from claims.services.approval import claim_approve
from claims.tests.factories import ClaimFactory, LineInputFactory, ReferralFactory
from policies import engine
from policies.catalog import SHANGHAI_2025, WUHAN_2025

D = Decimal
_keys = iter(range(1, 10_000))


def line(on: date, care: str, level: str, in_scope: str, **more) -> LineFacts:
    key = next(_keys)
    return LineFacts(key, f"FP{key}", on, care, level, D(in_scope), **more)


def claim(*lines: LineFacts, state="submitted", sequence=None) -> ClaimFacts:
    key = next(_keys)
    return ClaimFacts(key, f"BX2025-{key:06d}", state, tuple(lines), approval_sequence=sequence)


def triple(result) -> tuple[str, str, str]:
    return tuple(str(amount) for amount in result.amounts())


# Shanghai 2025, a standard student covered all year
SH_A = claim(line(date(2025, 3, 10), "emergency", "2", "500.00", out_of_scope=D("100.00")))
SH_B = claim(line(date(2025, 4, 2), "outpatient", "3", "400.00"))
SH_C = claim(line(date(2025, 5, 6), "outpatient", "campus", "100.00"))
SH_D = claim(line(date(2025, 6, 1), "inpatient", "3", "10000.00", catastrophic_disease=True))
SHANGHAI = {
    # 500 − 300 deductible = 200 × 60% = 120.00; student 300 + 80 + 100 out of scope = 480.00
    SH_A.key: ("120.00", "0.00", "480.00"),
    # deductible used up: 400 × 50% = 200.00; student 200.00
    SH_B.key: ("200.00", "0.00", "200.00"),
    # campus clinic 80%, no deductible: 80.00; student 20.00
    SH_C.key: ("80.00", "0.00", "20.00"),
    # stay deductible 300: (10,000 − 300) × 60% = 5,820.00; burden 4,180.00 × 60% = 2,508.00
    # catastrophic; student 4,180 − 2,508 = 1,672.00
    SH_D.key: ("5820.00", "2508.00", "1672.00"),
}


def test_a_shanghai_year_settles_like_the_seeds_and_the_engine():
    claims = [SH_D, SH_B, SH_A, SH_C]  # pending: settled in visit-date order whatever given

    results = breakdowns.year_breakdowns(SHANGHAI_2025, engine.Member(), claims)

    assert {key: triple(result) for key, result in results.items()} == SHANGHAI
    by_engine = engine.estimate(
        SHANGHAI_2025,
        engine.Member(),
        [lf.expense() for c in (SH_A, SH_B, SH_C, SH_D) for lf in c.lines],
    )
    ours = [results[c.key].lines[0] for c in (SH_A, SH_B, SH_C, SH_D)]
    assert [(r.fund, r.catastrophic, r.student, r.reasons) for r in by_engine.expenses] == [
        (r.fund, r.catastrophic, r.student, r.steps) for r in ours
    ]


def test_approved_claims_come_first_in_approval_order_and_rejected_ones_take_nothing():
    later_approved = replace(SH_B, state="approved", approval_sequence=7)
    rejected = claim(line(date(2025, 1, 5), "outpatient", "1", "900.00"), state="rejected")

    results = breakdowns.year_breakdowns(
        SHANGHAI_2025, engine.Member(), [SH_A, later_approved, rejected]
    )

    # SH_B approved first takes the deductible: (400 − 300) × 50% = 50.00, student 350.00;
    # SH_A then pays 500 × 60% = 300.00, student 200 + 100 out of scope = 300.00
    assert triple(results[later_approved.key]) == ("50.00", "0.00", "350.00")
    assert triple(results[SH_A.key]) == ("300.00", "0.00", "300.00")
    # the rejected 1 January visit would have taken the deductible had it counted
    assert triple(results[rejected.key]) == ("0.00", "0.00", "900.00")
    assert results[rejected.key].lines[0].status == breakdowns.CLAIM_REJECTED


def test_the_date_order_recomputation_names_each_difference():
    b = replace(SH_B, state="approved", approval_sequence=1)
    a = replace(SH_A, state="approved", approval_sequence=2)
    stored = {
        b.key: (D("50.00"), D("0.00"), D("350.00")),
        a.key: (D("300.00"), D("0.00"), D("300.00")),
    }

    found = breakdowns.differences(SHANGHAI_2025, engine.Member(), [a, b], stored)

    # in date order: A 120.00 / 480.00, B 200.00 / 200.00 (see SHANGHAI)
    assert [(d.number, tuple(map(str, d.change))) for d in found] == [
        (a.number, ("-180.00", "0.00", "180.00")),
        (b.number, ("150.00", "0.00", "-150.00")),
    ]


def test_a_line_the_year_cannot_settle_pays_nothing_and_says_why():
    # Shanghai has no chronic outpatient rule (policies/catalog.py)
    chronic = claim(line(date(2025, 3, 1), "chronic_outpatient", "2", "300.00"), SH_B.lines[0])

    [result] = breakdowns.year_breakdowns(SHANGHAI_2025, engine.Member(), [chronic]).values()

    assert result.lines[0].status == breakdowns.NO_RULE
    assert "没有门诊慢特病" in result.lines[0].steps[0]
    # the outpatient line still takes the deductible: (400 − 300) × 50% = 50.00
    assert result.lines[1].fund == D("50.00")


def test_a_stay_key_is_refused_on_approval_and_dropped_with_a_note_in_a_statement():
    rescue = claim(line(date(2025, 3, 1), "emergency", "3", "400.00", stay="ZY-1"))

    with pytest.raises(breakdowns.SettlementError):
        breakdowns.approval_breakdown(SHANGHAI_2025, engine.Member(), [], rescue)
    [result] = breakdowns.year_breakdowns(SHANGHAI_2025, engine.Member(), [rescue]).values()

    # settled as an emergency visit of its own: (400 − 300) × 50% = 50.00
    assert result.fund == D("50.00")
    assert "ZY-1" in result.lines[0].steps[0] and "未并入住院" in result.lines[0].steps[0]


def test_the_rules_version_names_the_year_and_follows_its_numbers():
    version = breakdowns.rules_version(SHANGHAI_2025)

    assert version.startswith("shanghai-2025:")
    assert breakdowns.rules_version(SHANGHAI_2025) == version
    assert breakdowns.rules_version(replace(SHANGHAI_2025, premium=D("356.00"))) != version


# ---- through the database: claims made, checked and approved by the services --------------


def made(student, type, *lines, referral=None, review=True):
    return ClaimFactory(
        student=student,
        type=type,
        lines=list(lines),
        referral=referral,
        received=True,
        submit=lines[0].visit_date + timedelta(days=20),
        review=review,
    )


def receipt(on: date, care: str, level: str, in_scope: str, **more):
    return LineInputFactory(
        visit_date=on, care=care, level=level, in_scope=D(in_scope), total=D(in_scope), **more
    )


def year_of(student) -> dict:
    rows = Claim.objects.filter(student=student).values(*CLAIM_FIELDS)
    [year] = Loader().years(rows)
    results = year.results()
    return {fact.number: triple(results[fact.key]) for fact in year.facts}


def test_a_wuhan_year_through_the_services_equals_the_engine(wuhan_student):
    referral = ReferralFactory(student=wuhan_student, issued_on=date(2025, 3, 1))
    e = made(
        wuhan_student,
        "referred_outpatient",
        receipt(date(2025, 3, 10), "outpatient", "2", "300.00"),
        referral=referral,
    )
    f = made(
        wuhan_student,
        "referred_outpatient",
        receipt(date(2025, 4, 10), "outpatient", "3", "400.00"),
        referral=referral,
    )
    h = made(wuhan_student, "inpatient", receipt(date(2025, 6, 1), "inpatient", "2", "5000.00"))
    i = made(wuhan_student, "inpatient", receipt(date(2025, 8, 1), "inpatient", "3", "40000.00"))
    for approved in (e, f, h, i):
        claim_approve(claim=approved)
    stored = {
        c.number: (str(c.fund), str(c.catastrophic), str(c.student_pays))
        for c in Claim.objects.filter(student=wuhan_student).order_by("number")
    }

    # WUHAN 五.1: the school pays 70%, 400.00 a year:
    #   E level 2: 300 × 70% = 210.00, student 90.00
    #   F level 3: 400 × 70% = 280, only 400 − 210 = 190.00 left; student 210.00
    # WUHAN 六: H level 2, first stay: (5,000 − 400) × 70% = 3,220.00, student 1,780.00
    #   I level 3, second stay at level 2/3: deductible 800 halved to 400;
    #   (40,000 − 400) × 60% = 23,760.00, burden 16,240; yearly burden 1,780 + 16,240 = 18,020
    #   (the school-paid outpatient burden is outside catastrophic cover), so catastrophic
    #   (18,020 − 12,000) × 60% = 3,612.00; student 16,240 − 3,612 = 12,628.00
    assert stored == {
        e.number: ("210.00", "0.00", "90.00"),
        f.number: ("190.00", "0.00", "210.00"),
        h.number: ("3220.00", "0.00", "1780.00"),
        i.number: ("23760.00", "3612.00", "12628.00"),
    }
    assert year_of(wuhan_student) == stored
    assert [c.payer for c in Claim.objects.filter(pk__in=[e.pk, h.pk]).order_by("pk")] == [
        "school_outpatient_fund",
        "bureau",
    ]
    by_engine = engine.estimate(
        WUHAN_2025,
        engine.Member(),
        [
            engine.Expense(date(2025, 3, 10), "outpatient", "2", D("300.00"), referral=True),
            engine.Expense(date(2025, 4, 10), "outpatient", "3", D("400.00"), referral=True),
            engine.Expense(date(2025, 6, 1), "inpatient", "2", D("5000.00")),
            engine.Expense(date(2025, 8, 1), "inpatient", "3", D("40000.00")),
        ],
    )
    assert [(str(r.fund), str(r.catastrophic), str(r.student)) for r in by_engine.expenses] == list(
        stored.values()
    )


def test_a_shanghai_claim_through_the_services_equals_the_engine(covered_student):
    a = made(
        covered_student, "emergency_cash", receipt(date(2025, 3, 10), "emergency", "2", "500.00")
    )
    d = made(
        covered_student,
        "catastrophic",
        receipt(
            date(2025, 6, 1), "inpatient", "3", "10000.00", catastrophic_disease="uremia_dialysis"
        ),
    )

    claim_approve(claim=a)
    claim_approve(claim=d)

    a.refresh_from_db()
    d.refresh_from_db()
    # A: (500 − 300) × 60% = 120.00, student 380.00; D as SH_D above (its own stay, 300)
    assert (a.fund, a.catastrophic, a.student_pays) == (D("120.00"), D("0.00"), D("380.00"))
    assert (d.fund, d.catastrophic, d.student_pays) == (D("5820.00"), D("2508.00"), D("1672.00"))
    assert d.payer == "insurer"
