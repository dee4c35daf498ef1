"""Approving a claim stores its breakdown once; recomputation shows the difference first
(issue #11 "Breakdowns", DESIGN.md §4.6).

Seeds (shared/seeds/): SH-GUIDE = shanghai-student-insurance-guide-2024-11.txt Q7 — 门急诊
起付线 300 a year, then level 1/2/3 pay 70% / 60% / 50%."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections

from claims import workflow
from claims.models import Claim, ClaimEvent
from claims.services import ClaimRefused, claims_write
from claims.services.approval import claim_approve, claim_recompute
from claims.tests.factories import ClaimFactory, ClaimRowFactory, LineInputFactory

D = Decimal


def in_review(student, *, visit: date, level: str, in_scope: str, total: str | None = None):
    """An emergency claim paid in cash (急诊垫付), documents received, submitted 20 days
    after the visit and in review."""
    line = LineInputFactory(
        visit_date=visit,
        care="emergency",
        level=level,
        in_scope=D(in_scope),
        total=D(total or in_scope),
    )
    return ClaimFactory(
        student=student,
        type="emergency_cash",
        lines=[line],
        received=True,
        submit=visit + timedelta(days=20),
        review=True,
    )


def amounts(claim) -> tuple[str, str, str]:
    claim.refresh_from_db()
    return (str(claim.fund), str(claim.catastrophic), str(claim.student_pays))


def test_approval_stores_every_line_step_and_the_rules_version(covered_student, staff):
    clerk = staff("医保办")
    claim = in_review(
        covered_student, visit=date(2025, 3, 10), level="2", in_scope="500.00", total="600.00"
    )

    approved = claim_approve(claim=claim, by=clerk)

    # SH-GUIDE Q7: emergency shares the outpatient 300 deductible; level 2 pays 60%:
    # (500 − 300) × 60% = 120.00; the student pays 300 + 80 + the 100.00 out of scope = 480.00
    assert approved.state == workflow.APPROVED
    assert amounts(approved) == ("120.00", "0.00", "480.00")
    assert approved.payer == "bureau"
    assert approved.approved_by == clerk and approved.approval_sequence is not None
    assert approved.rules_version.startswith("shanghai-2025:")
    assert approved.breakdown["rules_version"] == approved.rules_version
    [line] = approved.lines.all()
    assert (line.fund, line.catastrophic, line.student, line.status) == (
        D("120.00"),
        D("0.00"),
        D("480.00"),
        "covered",
    )
    steps = approved.breakdown["lines"][0]["steps"]
    assert steps == line.steps
    assert any("年度起付线 300.00 元" in step for step in steps)
    assert any("按 60% 支付，计 120.00 元" in step for step in steps)
    assert any("医保范围外费用 100.00 元" in step for step in steps)
    assert ClaimEvent.objects.filter(claim=claim, to_state=workflow.APPROVED).count() == 1


def test_a_claim_is_approved_once(covered_student):
    claim = in_review(covered_student, visit=date(2025, 3, 10), level="2", in_scope="500.00")
    first = claim_approve(claim=claim)

    with pytest.raises(workflow.TransitionRefused):
        claim_approve(claim=claim)

    again = Claim.objects.get(pk=claim.pk)
    assert again.approval_sequence == first.approval_sequence
    assert again.approved_at == first.approved_at
    assert ClaimEvent.objects.filter(claim=claim, to_state=workflow.APPROVED).count() == 1


def test_claims_settle_after_those_approved_before_and_are_never_recomputed_silently(
    covered_student,
):
    later = in_review(covered_student, visit=date(2025, 4, 2), level="3", in_scope="400.00")
    earlier = in_review(covered_student, visit=date(2025, 3, 10), level="2", in_scope="500.00")

    claim_approve(claim=later)
    # the later visit, approved first, takes the whole 300 deductible (SH-GUIDE Q7):
    # (400 − 300) × 50% = 50.00, student 350.00
    assert amounts(later) == ("50.00", "0.00", "350.00")
    claim_approve(claim=earlier)
    # the earlier visit finds the deductible used: 500 × 60% = 300.00, student 200.00
    assert amounts(earlier) == ("300.00", "0.00", "200.00")
    # and the first approval's stored breakdown did not move
    assert amounts(later) == ("50.00", "0.00", "350.00")
    assert earlier.breakdown["settled_after"] == [later.number]


def test_recompute_shows_the_difference_first_and_applies_only_when_asked(covered_student, staff):
    later = in_review(covered_student, visit=date(2025, 4, 2), level="3", in_scope="400.00")
    earlier = in_review(covered_student, visit=date(2025, 3, 10), level="2", in_scope="500.00")
    claim_approve(claim=later)
    claim_approve(claim=earlier)

    shown = claim_recompute(claim=later)

    # In visit-date order the earlier claim bears the deductible (SH-GUIDE Q7):
    # earlier (500 − 300) × 60% = 120.00, student 380.00; later 400 × 50% = 200.00, student 200.00
    assert not shown.applied
    assert shown.as_json() == [
        {
            "number": earlier.number,
            "stored": {"fund": "300.00", "catastrophic": "0.00", "student": "200.00"},
            "recomputed": {"fund": "120.00", "catastrophic": "0.00", "student": "380.00"},
            "difference": {"fund": "-180.00", "catastrophic": "0.00", "student": "180.00"},
        },
        {
            "number": later.number,
            "stored": {"fund": "50.00", "catastrophic": "0.00", "student": "350.00"},
            "recomputed": {"fund": "200.00", "catastrophic": "0.00", "student": "200.00"},
            "difference": {"fund": "150.00", "catastrophic": "0.00", "student": "-150.00"},
        },
    ]
    assert amounts(later) == ("50.00", "0.00", "350.00")  # nothing written yet

    applied = claim_recompute(claim=later, apply=True, by=staff("医保办"))

    assert applied.applied
    assert amounts(earlier) == ("120.00", "0.00", "380.00")
    assert amounts(later) == ("200.00", "0.00", "200.00")
    later.refresh_from_db()
    assert later.breakdown["recomputed"]["previous"] == {
        "fund": "50.00",
        "catastrophic": "0.00",
        "student": "350.00",
    }
    assert [line.fund for line in later.lines.all()] == [D("200.00")]
    event = ClaimEvent.objects.filter(claim=later).last()
    assert (event.from_state, event.to_state) == (workflow.APPROVED, workflow.APPROVED)
    assert "50.00 → 200.00" in event.reason
    assert claim_recompute(claim=later).differences == ()


def test_paid_claims_keep_what_they_were_paid(covered_student):
    later = in_review(covered_student, visit=date(2025, 4, 2), level="3", in_scope="400.00")
    earlier = in_review(covered_student, visit=date(2025, 3, 10), level="2", in_scope="500.00")
    claim_approve(claim=later)
    claim_approve(claim=earlier)
    claims_write([Claim.objects.get(pk=later.pk)], to=workflow.PAID)  # as a payout list does

    with pytest.raises(ClaimRefused) as refused:
        claim_recompute(claim=later, apply=True)
    assert refused.value.code == "not_recomputable"

    # the paid claim's 300 deductible stays taken: the earlier one, settled after it, is right
    result = claim_recompute(claim=earlier, apply=True)
    assert result.differences == ()
    assert amounts(later) == ("50.00", "0.00", "350.00")
    assert amounts(earlier) == ("300.00", "0.00", "200.00")


def test_a_claim_without_cover_is_not_approved(covered_student):
    claim = ClaimRowFactory(student=covered_student, state=workflow.IN_REVIEW, enrollment=None)

    with pytest.raises(ClaimRefused) as refused:
        claim_approve(claim=claim)

    assert refused.value.code == "not_covered"
    assert Claim.objects.get(pk=claim.pk).state == workflow.IN_REVIEW


def test_a_stay_key_that_joins_no_stay_is_refused_not_guessed(covered_student):
    line = LineInputFactory(visit_date=date(2025, 3, 10), care="emergency", stay_key="ZY-404")
    claim = ClaimFactory(
        student=covered_student, lines=[line], received=True, submit=date(2025, 3, 20), review=True
    )

    with pytest.raises(ClaimRefused) as refused:
        claim_approve(claim=claim)

    assert refused.value.code == "stay_key" and "ZY-404" in refused.value.message
    assert Claim.objects.get(pk=claim.pk).fund is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_concurrent_approvals_approve_and_store_once():
    from claims.tests.factories import CoveredStudentFactory

    student = CoveredStudentFactory()
    claim = in_review(student, visit=date(2025, 3, 10), level="2", in_scope="500.00")
    barrier = threading.Barrier(10)
    outcomes = []

    def approve():
        try:
            barrier.wait()
            claim_approve(claim=claim)
            outcomes.append("approved")
        except workflow.TransitionRefused:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # (500 − 300) × 60% = 120.00 (SH-GUIDE Q7), stored once
    assert sorted(outcomes) == ["approved"] + ["refused"] * 9
    assert amounts(claim) == ("120.00", "0.00", "380.00")
    assert ClaimEvent.objects.filter(claim=claim, to_state=workflow.APPROVED).count() == 1
    assert Claim.objects.exclude(approval_sequence=None).count() == 1


def test_an_excluded_receipt_pays_nothing_with_its_reason_inside_a_valid_claim(covered_student):
    visit = date(2025, 3, 10)
    claim = ClaimFactory(
        student=covered_student,
        lines=[
            LineInputFactory(visit_date=visit, level="2", in_scope=D("500.00"), total=D("500.00")),
            LineInputFactory(
                visit_date=visit,
                level="2",
                in_scope=D("200.00"),
                total=D("200.00"),
                excluded="vaccine",
            ),
        ],
        received=True,
        submit=visit + timedelta(days=20),
        review=True,
    )
    assert claim.state == workflow.IN_REVIEW  # no check rejects it

    approve = claim_approve(claim=claim)

    # SH-GUIDE Q7: (500 − 300) × 60% = 120.00 on the first receipt; the vaccine (DESIGN.md
    # §4.5 exclusions) pays 0 and the student pays its 200.00: fund 120.00, student 380 + 200
    first, vaccine = approve.lines.order_by("position")
    assert (first.fund, first.status) == (D("120.00"), "covered")
    assert (vaccine.fund, vaccine.catastrophic, vaccine.student) == (D("0"), D("0"), D("200.00"))
    assert vaccine.status == "excluded"
    assert any("疫苗接种不属于医保支付范围" in step for step in vaccine.steps)
    assert amounts(approve) == ("120.00", "0.00", "580.00")
