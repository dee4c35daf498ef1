"""A claim's life through the services: numbers, the documents that hold back review, a
reviewer's rejection, moves the workflow refuses, one invoice claimed once, insurer
choices that never change."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from claims import services
from claims.models import Claim, ClaimDocument, ClaimLine, InsurerChoice
from claims.services import create
from claims.tests.factories import (
    ClaimFactory,
    ClaimLineFactory,
    CoveredStudentFactory,
    InsurerChoiceFactory,
    LineInputFactory,
    ReferralFactory,
    policy_year,
)
from claims.workflow import TransitionRefused
from office.errors import Refused

pytestmark = pytest.mark.django_db

SUBMITTED = date(2025, 3, 20)


# ---- numbers


def test_claims_are_numbered_per_visit_year():
    numbers = [
        ClaimFactory().number,
        ClaimFactory().number,
        ClaimFactory(lines=[LineInputFactory(visit_date=date(2026, 1, 5))]).number,
        ClaimFactory().number,
    ]
    assert numbers == ["BX2025-000001", "BX2025-000002", "BX2026-000001", "BX2025-000003"]


def test_a_claim_is_numbered_in_the_year_of_its_first_visit():
    lines = [
        LineInputFactory(visit_date=date(2026, 1, 2)),
        LineInputFactory(visit_date=date(2025, 12, 30)),
    ]
    assert ClaimFactory(lines=lines).number == "BX2025-000001"


def test_a_number_another_clerk_took_meanwhile_is_given_again(monkeypatch):
    ClaimFactory()  # BX2025-000001
    real, calls = create.last_sequence, []

    def read_before_the_other_clerk_saved(year):
        calls.append(year)
        return 0 if len(calls) == 1 else real(year)

    monkeypatch.setattr(create, "last_sequence", read_before_the_other_clerk_saved)
    assert ClaimFactory().number == "BX2025-000002"
    assert len(calls) == 2
    assert Claim.objects.count() == 2


def test_a_claim_with_bad_receipts_is_refused_naming_the_receipt():
    with pytest.raises(services.ClaimRefused) as refused:
        ClaimFactory(lines=[LineInputFactory(invoice_number="FP9", in_scope=600)])
    assert "FP9" in refused.value.message
    assert "超过发票金额" in refused.value.message
    with pytest.raises(services.ClaimRefused):
        ClaimFactory(lines=[])
    assert Claim.objects.count() == 0


# ---- one invoice claimed once


def test_the_database_holds_one_first_claim_per_invoice():
    ClaimLineFactory(invoice_number="FP-ONCE")
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimLineFactory(invoice_number="FP-ONCE")
    first = ClaimLine.objects.get(invoice_number="FP-ONCE")
    ClaimLineFactory(invoice_number="FP-ONCE", duplicate_of=first)  # kept, marked
    assert ClaimLine.objects.filter(invoice_number="FP-ONCE").count() == 2


# ---- documents and review


def test_the_checklist_follows_the_type_and_channel():
    claim = ClaimFactory(type="inpatient", channel="proxy")
    assert set(claim.documents.values_list("kind", flat=True)) == {
        "invoice",
        "discharge_summary",
        "itemised_list",
        "bank_card",
        "social_security_card",
        "applicant_id",
        "proxy_id",
    }
    assert not claim.documents.filter(received=True).exists()


def test_missing_documents_block_review_and_are_named():
    claim = ClaimFactory(submit=SUBMITTED)
    for kind in ("invoice", "medical_record", "bank_card"):
        services.document_receive(claim=claim, kind=kind)
    with pytest.raises(TransitionRefused) as refused:
        services.claim_start_review(claim=claim)
    assert refused.value.message == "材料不全，不能进入审核。缺少：费用明细清单、社会保障卡。"
    claim.refresh_from_db()
    assert claim.state == "submitted"

    for kind in ("itemised_list", "social_security_card"):
        services.document_receive(claim=claim, kind=kind)
    reviewed = services.claim_start_review(claim=claim)
    assert reviewed.state == "in_review"
    assert services.missing_documents_of(reviewed) == ()


def test_a_scan_is_kept_under_our_name_and_checked_by_its_content(pdf_scan):
    claim = ClaimFactory()
    document = services.document_receive(
        claim=claim, kind="invoice", scan=pdf_scan("发票.pdf"), by=None
    )
    assert document.received and document.received_at
    assert document.scan.name.endswith(".pdf")
    assert "发票" not in document.scan.name

    page = SimpleUploadedFile("发票.pdf", b"<html><script>alert(1)</script></html>")
    with pytest.raises(services.ClaimRefused) as refused:
        services.document_receive(claim=claim, kind="bank_card", scan=page)
    assert refused.value.message == "银行卡：扫描件须为 PDF、JPG 或 PNG 文件。"
    assert not ClaimDocument.objects.get(claim=claim, kind="bank_card").received


def test_a_clearer_scan_replaces_the_one_kept(pdf_scan):
    claim = ClaimFactory()
    first = services.document_receive(claim=claim, kind="invoice", scan=pdf_scan())
    old = first.scan.name
    storage = first.scan.storage
    second = services.document_receive(claim=claim, kind="invoice", scan=pdf_scan())
    assert second.scan.name != old
    assert not storage.exists(old)
    assert storage.exists(second.scan.name)


def test_an_oversized_scan_is_refused():
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4" + b"0" * (5 * 1024 * 1024))
    with pytest.raises(services.ClaimRefused) as refused:
        services.document_receive(claim=ClaimFactory(), kind="invoice", scan=big)
    assert "超过 5 MB" in refused.value.message


def test_online_documents_are_pdfs(pdf_scan):
    claim = ClaimFactory(channel="online")
    with pytest.raises(services.ClaimRefused) as refused:
        services.document_receive(claim=claim, kind="invoice")
    assert "PDF" in refused.value.message
    png = SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + b"0" * 10)
    with pytest.raises(services.ClaimRefused):
        services.document_receive(claim=claim, kind="invoice", scan=png)
    assert services.document_receive(claim=claim, kind="invoice", scan=pdf_scan()).received


def test_documents_are_closed_once_the_claim_is_decided():
    claim = ClaimFactory(received=True, submit=SUBMITTED, review=True)
    services.claim_reject(claim=claim, message="病史资料与发票不符。")
    with pytest.raises(services.ClaimRefused) as refused:
        services.document_receive(claim=claim, kind="invoice")
    assert "已驳回" in refused.value.message


# ---- reviewer's rejection and refused moves


@pytest.mark.parametrize("review", [False, True])
def test_a_reviewer_rejects_with_a_code_and_a_sentence(review):
    claim = ClaimFactory(received=True, submit=SUBMITTED, review=review)
    rejected = services.claim_reject(
        claim=claim, code="no_referral", message="校外门诊未附转诊单原件。"
    )
    rejected.refresh_from_db()
    assert (rejected.state, rejected.rejection_code, rejected.rejection_message) == (
        "rejected",
        "no_referral",
        "校外门诊未附转诊单原件。",
    )
    assert rejected.events.last().reason == "校外门诊未附转诊单原件。"


def test_a_rejection_without_its_sentence_or_with_an_unknown_code_is_refused():
    claim = ClaimFactory(received=True, submit=SUBMITTED, review=True)
    with pytest.raises(TransitionRefused) as refused:
        services.claim_reject(claim=claim, message=" ")
    assert refused.value.code == "reason"
    with pytest.raises(services.ClaimRefused):
        services.claim_reject(claim=claim, code="because", message="x")
    claim.refresh_from_db()
    assert claim.state == "in_review"


@pytest.mark.parametrize(
    ("steps", "to"),
    [
        ({}, "in_review"),  # a draft is submitted first
        ({}, "approved"),
        ({}, "rejected"),
        ({"submit": SUBMITTED}, "approved"),  # reviewed first
        ({"submit": SUBMITTED}, "paid"),
        ({"received": True, "submit": SUBMITTED, "review": True}, "paid"),
        ({"received": True, "submit": SUBMITTED, "review": True}, "draft"),
    ],
)
def test_moves_outside_the_map_are_refused_and_change_nothing(steps, to):
    claim = ClaimFactory(**steps)
    before = claim.state
    with pytest.raises(TransitionRefused):
        services.claim_transition(claim=claim, to=to, reason="x")
    claim.refresh_from_db()
    assert claim.state == before


def test_a_rejected_or_paid_claim_moves_no_more():
    rejected = services.claim_submit(
        claim=ClaimFactory(student=CoveredStudentFactory(covered_in="")), today=SUBMITTED
    )
    for to in ("submitted", "in_review", "approved", "paid"):
        with pytest.raises(TransitionRefused):
            services.claim_transition(claim=rejected, to=to)


def test_every_allowed_move_through_the_one_writer_leaves_its_event():
    claim = ClaimFactory(received=True, submit=SUBMITTED, review=True)
    for to in ("approved", "paid"):
        claim = services.claim_transition(claim=claim, to=to)
    assert list(claim.events.values_list("from_state", "to_state")) == [
        ("draft", "submitted"),
        ("submitted", "in_review"),
        ("in_review", "approved"),
        ("approved", "paid"),
    ]


def test_refusals_are_the_offices():
    assert issubclass(services.ClaimRefused, Refused)
    assert issubclass(TransitionRefused, Refused)


# ---- referrals and insurer choices


def test_a_referral_is_issued_with_its_dates_checked(campus_clinic):
    student = CoveredStudentFactory()
    referral = services.referral_issue(
        number="ZZ-1",
        student=student,
        facility=campus_clinic,
        issued_on=date(2025, 3, 1),
        valid_until=date(2025, 3, 31),
    )
    assert referral.valid_on(date(2025, 3, 31)) and not referral.valid_on(date(2025, 4, 1))
    with pytest.raises(services.ClaimRefused):
        services.referral_issue(
            number="ZZ-2",
            student=student,
            facility=campus_clinic,
            issued_on=date(2025, 3, 1),
            valid_until=date(2025, 2, 1),
        )
    with pytest.raises(services.ClaimRefused):
        services.referral_issue(
            number="ZZ-1",
            student=student,
            facility=campus_clinic,
            issued_on=date(2025, 3, 1),
            valid_until=date(2025, 3, 31),
        )


def test_a_student_chooses_one_of_the_years_insurers_once():
    year = policy_year()
    # shanghai guide Q8: four insurers
    assert len(year.catastrophic_insurers) == 4
    student = CoveredStudentFactory()
    choice = services.insurer_choose(
        student=student,
        policy_year=year,
        insurer=year.catastrophic_insurers[1],
        chosen_on=date(2025, 1, 5),
    )
    assert choice.insurer == year.catastrophic_insurers[1]
    with pytest.raises(services.ClaimRefused) as refused:
        services.insurer_choose(
            student=student,
            policy_year=year,
            insurer=year.catastrophic_insurers[2],
            chosen_on=date(2025, 6, 1),
        )
    assert "年度内不能更改" in refused.value.message
    assert InsurerChoice.objects.get(student=student).insurer == year.catastrophic_insurers[1]


def test_the_database_refuses_a_second_choice_for_the_year():
    choice = InsurerChoiceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        InsurerChoiceFactory(student=choice.student, policy_year=choice.policy_year)


def test_an_insurer_not_of_the_year_is_refused(wuhan_2025):
    student = CoveredStudentFactory()
    with pytest.raises(services.ClaimRefused) as refused:
        services.insurer_choose(
            student=student,
            policy_year=policy_year(),
            insurer="某某保险",
            chosen_on=date(2025, 1, 5),
        )
    assert "不是" in refused.value.message
    # Wuhan's notice names no insurer (assumed empty)
    with pytest.raises(services.ClaimRefused) as refused:
        services.insurer_choose(
            student=student, policy_year=wuhan_2025, insurer="x", chosen_on=date(2025, 1, 5)
        )
    assert refused.value.code == "no_insurers"


def test_referral_factory_makes_a_referral_valid_90_days():
    referral = ReferralFactory()
    assert (referral.valid_until - referral.issued_on).days == 90
