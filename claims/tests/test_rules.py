"""claims.rules, pure: the documents checklist (sjtu rules art. 40), the automatic checks
on submission, who pays, and masking. No database."""

from dataclasses import replace
from datetime import date

import pytest

from claims import rules
from claims.rules import ClaimFacts, LineFacts

OUTPATIENT = ("invoice", "medical_record", "itemised_list", "bank_card", "social_security_card")
INPATIENT = ("invoice", "discharge_summary", "itemised_list", "bank_card", "social_security_card")


@pytest.mark.parametrize(
    ("type", "channel", "expected"),
    [
        # art. 40 线下 门诊: 门诊发票、病历、明细清单、银行卡和社保卡
        ("emergency_cash", "window", OUTPATIENT),
        ("freshman_before_account", "window", OUTPATIENT),
        # art. 40 线下 住院: 住院发票、出院小结、费用清单、银行卡和社保卡
        ("inpatient", "window", INPATIENT),
        # 代办的需带好本人与代办人的身份证
        (
            "emergency_cash",
            "proxy",
            (*OUTPATIENT[:-1], "social_security_card", "applicant_id", "proxy_id"),
        ),
        # 线上: 身份证、社会保障卡、银行卡、病史资料、医药费专用收据
        (
            "emergency_cash",
            "online",
            ("invoice", "medical_record", "bank_card", "social_security_card", "applicant_id"),
        ),
        (
            "inpatient",
            "online",
            ("invoice", "medical_record", "bank_card", "social_security_card", "applicant_id"),
        ),
        # wuhan notice 五.2: the campus clinic's referral slip
        ("referred_outpatient", "window", (*OUTPATIENT, "referral_slip")),
        # sjtu rules art. 36: the remote-care registration
        ("remote", "window", (*OUTPATIENT, "remote_registration")),
        ("catastrophic", "window", OUTPATIENT),
    ],
)
def test_required_documents_by_type_and_channel(type, channel, expected):
    assert set(rules.required_documents(type, channel)) == set(expected)


def test_a_catastrophic_claim_with_a_stay_needs_the_inpatient_documents():
    assert set(rules.required_documents("catastrophic", "window", inpatient=True)) == set(INPATIENT)


def test_missing_documents_are_named_in_checklist_order():
    required = rules.required_documents("inpatient", "proxy")
    missing = rules.missing_documents(required, ["invoice", "bank_card", "itemised_list"])
    assert missing == ("出院小结", "社会保障卡", "申请人身份证", "代办人身份证")


LINE = LineFacts(
    invoice_number="FP1",
    invoice_date=date(2025, 3, 10),
    visit_date=date(2025, 3, 10),
    care="emergency",
    level="3",
)
FACTS = ClaimFacts(
    type="emergency_cash",
    submitted_on=date(2025, 3, 20),
    lines=(LINE,),
    claim_window_months=6,
)


def with_line(facts=FACTS, **changes) -> ClaimFacts:
    return replace(facts, lines=(replace(LINE, **changes),))


def test_a_claim_within_every_rule_passes():
    assert rules.check_claim(FACTS) is None


@pytest.mark.parametrize(
    ("facts", "code", "words"),
    [
        (with_line(covered=False), "not_covered", "没有有效的医保待遇"),
        (with_line(in_waiting=True), "waiting_period", "待遇等待期"),
        # shanghai guide Q12: 凭证开具之日起的6个月内; 10 Mar + 6 months = 10 Sep
        (replace(FACTS, submitted_on=date(2025, 9, 11)), "late_submission", "2025-09-10 前"),
        (
            replace(with_line(care="outpatient"), type="referred_outpatient"),
            "no_referral",
            "转诊单",
        ),
        (with_line(care="outpatient", referral_required=True), "no_referral", "转诊单"),
        (
            replace(with_line(care="outpatient"), type="remote"),
            "no_remote_registration",
            "异地就医备案未办理",
        ),
        (with_line(duplicate=True), "duplicate_receipt", "只能报销一次"),
    ],
)
def test_each_check_rejects_with_its_code_and_a_sentence_naming_the_receipt(facts, code, words):
    found = rules.check_claim(facts)
    assert found.code == code
    assert words in found.message
    assert "FP1" in found.message


def test_the_last_day_of_the_window_is_in_time():
    # 31 Aug + 6 months = 28 Feb (clamped to the month's end)
    facts = replace(with_line(invoice_date=date(2024, 8, 31)), submitted_on=date(2025, 2, 28))
    assert rules.check_claim(facts) is None
    assert rules.check_claim(replace(facts, submitted_on=date(2025, 3, 1))).code == (
        "late_submission"
    )


def test_without_a_window_nothing_is_late():
    facts = replace(FACTS, submitted_on=date(2026, 12, 1), claim_window_months=None)
    assert rules.check_claim(facts) is None


def test_checks_run_in_order_the_first_failing_names_the_claim():
    facts = replace(with_line(covered=False, duplicate=True), submitted_on=date(2026, 1, 1))
    assert rules.check_claim(facts).code == "not_covered"


def test_a_valid_referral_or_the_campus_clinic_needs_no_more():
    referred = replace(with_line(care="outpatient"), type="referred_outpatient")
    assert rules.check_claim(replace(referred, lines=(replace(LINE, referral_valid=True),))) is None
    campus = replace(with_line(care="outpatient", level="campus"), type="referred_outpatient")
    assert rules.check_claim(campus) is None


@pytest.mark.parametrize(
    ("registration", "valid_until", "care", "type", "code"),
    [
        ("none", None, "outpatient", "remote", "no_remote_registration"),
        ("long_term", None, "outpatient", "remote", None),
        ("temporary", date(2025, 6, 30), "outpatient", "remote", None),
        ("temporary", date(2025, 3, 9), "outpatient", "remote", "no_remote_registration"),
        # sjtu rules art. 36: without registration only emergency care
        ("none", None, "emergency", "remote", None),
        ("none", None, "outpatient", "emergency_cash", None),
    ],
)
def test_out_of_the_city_needs_a_registration_valid_on_the_visit_unless_emergency(
    registration, valid_until, care, type, code
):
    facts = replace(
        with_line(care=care),
        type=type,
        out_of_city=True,
        remote_registration=registration,
        remote_registration_valid_until=valid_until,
    )
    found = rules.check_claim(facts)
    assert (found.code if found else None) == code


def test_in_the_city_no_registration_is_asked():
    assert rules.check_claim(with_line(care="outpatient")) is None


def test_an_expired_registration_says_so():
    facts = replace(
        with_line(care="outpatient"),
        type="remote",
        remote_registration="temporary",
        remote_registration_valid_until=date(2025, 1, 31),
    )
    assert "已过期" in rules.check_claim(facts).message


@pytest.mark.parametrize(
    ("type", "payers", "expected"),
    [
        ("catastrophic", ["basic_fund"], "insurer"),
        ("referred_outpatient", ["school_outpatient_fund"], "school_outpatient_fund"),
        ("emergency_cash", ["school_outpatient_fund", None], "school_outpatient_fund"),
        ("emergency_cash", ["basic_fund"], "bureau"),
        ("inpatient", ["basic_fund", "school_outpatient_fund"], "bureau"),
        ("referred_outpatient", [None], "school_outpatient_fund"),
        ("remote", [], "bureau"),
    ],
)
def test_decide_payer(type, payers, expected):
    assert rules.decide_payer(type, payers) == expected


def test_bank_accounts_are_masked_but_recognisable():
    assert rules.mask_bank_account("6222021234567890123") == "6222***********0123"
    assert rules.mask_bank_account("12345678") == "********"
    assert rules.mask_bank_account("") == ""
