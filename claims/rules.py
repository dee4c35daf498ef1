"""Claims' rules, pure (no ORM, no clock): the documents a claim needs, the automatic
checks on submission and who pays (DESIGN.md §4.6; shanghai guide Q8/Q12, sjtu rules
art. 31/36/38–40, wuhan notice 五.1–五.3)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from policies import engine
from policies.engine import add_months

# claim types
EMERGENCY_CASH = "emergency_cash"
INPATIENT = "inpatient"
REMOTE = "remote"
FRESHMAN_BEFORE_ACCOUNT = "freshman_before_account"
REFERRED_OUTPATIENT = "referred_outpatient"
CATASTROPHIC = "catastrophic"

TYPE_LABELS = {
    EMERGENCY_CASH: "急诊垫付",
    INPATIENT: "住院",
    REMOTE: "异地就医",
    FRESHMAN_BEFORE_ACCOUNT: "新生建账前垫付",
    REFERRED_OUTPATIENT: "校外门诊（转诊）",
    CATASTROPHIC: "大病",
}

# channels
WINDOW = "window"
ONLINE = "online"
PROXY = "proxy"

CHANNEL_LABELS = {WINDOW: "窗口", ONLINE: "线上", PROXY: "代办"}

# remote-care registration (异地就医备案)
REGISTRATION_NONE = "none"
REGISTRATION_LONG_TERM = "long_term"
REGISTRATION_REFERRAL = "referral"
REGISTRATION_TEMPORARY = "temporary"

REGISTRATION_LABELS = {
    REGISTRATION_NONE: "无",
    REGISTRATION_LONG_TERM: "长期",
    REGISTRATION_REFERRAL: "转诊",
    REGISTRATION_TEMPORARY: "临时",
}

# who pays a claim
BUREAU = "bureau"
SCHOOL_OUTPATIENT_FUND = "school_outpatient_fund"
INSURER = "insurer"

PAYER_LABELS = {
    BUREAU: "医保基金",
    SCHOOL_OUTPATIENT_FUND: "学校门诊统筹",
    INSURER: "大病保险承办机构",
}

# documents
INVOICE = "invoice"
MEDICAL_RECORD = "medical_record"
ITEMISED_LIST = "itemised_list"
DISCHARGE_SUMMARY = "discharge_summary"
BANK_CARD = "bank_card"
SOCIAL_SECURITY_CARD = "social_security_card"
APPLICANT_ID = "applicant_id"
PROXY_ID = "proxy_id"
REFERRAL_SLIP = "referral_slip"
REMOTE_REGISTRATION = "remote_registration"

DOCUMENT_LABELS = {
    INVOICE: "发票",
    MEDICAL_RECORD: "病史资料",
    ITEMISED_LIST: "费用明细清单",
    DISCHARGE_SUMMARY: "出院小结",
    BANK_CARD: "银行卡",
    SOCIAL_SECURITY_CARD: "社会保障卡",
    APPLICANT_ID: "申请人身份证",
    PROXY_ID: "代办人身份证",
    REFERRAL_SLIP: "转诊单",
    REMOTE_REGISTRATION: "异地备案凭证",
}

# rejection codes of the automatic checks
NOT_COVERED = "not_covered"
WAITING_PERIOD = "waiting_period"
LATE_SUBMISSION = "late_submission"
NO_REFERRAL = "no_referral"
NO_REMOTE_REGISTRATION = "no_remote_registration"
DUPLICATE_RECEIPT = "duplicate_receipt"
# a rejection in review, in the reviewer's own words
OTHER = "other"

CHECK_LABELS = {
    NOT_COVERED: "就诊日未参保",
    WAITING_PERIOD: "待遇等待期内",
    LATE_SUBMISSION: "超过报销申请期限",
    NO_REFERRAL: "无有效转诊单",
    NO_REMOTE_REGISTRATION: "未办理异地就医备案",
    DUPLICATE_RECEIPT: "票据重复报销",
}
REJECTION_LABELS = {**CHECK_LABELS, OTHER: "审核不予通过"}


def mask_bank_account(account: str) -> str:
    """`6222021234567890123` → `6222***********0123`: enough to recognise the card, too
    little to use it. Short numbers keep nothing."""
    if len(account) <= 8:
        return "*" * len(account)
    return f"{account[:4]}{'*' * (len(account) - 8)}{account[-4:]}"


# ---- documents (DESIGN.md §4.6; sjtu rules art. 40)

# 线下 门诊: 门诊发票、病历、明细清单、银行卡和社保卡
_OUTPATIENT_DOCUMENTS = (INVOICE, MEDICAL_RECORD, ITEMISED_LIST, BANK_CARD, SOCIAL_SECURITY_CARD)
# 线下 住院: 住院发票、出院小结、费用清单、银行卡和社保卡
_INPATIENT_DOCUMENTS = (INVOICE, DISCHARGE_SUMMARY, ITEMISED_LIST, BANK_CARD, SOCIAL_SECURITY_CARD)
# 线上: 身份证、社会保障卡、银行卡、病史资料、医药费专用收据（均以 PDF 格式上传）
_ONLINE_DOCUMENTS = (APPLICANT_ID, SOCIAL_SECURITY_CARD, BANK_CARD, MEDICAL_RECORD, INVOICE)


def required_documents(type: str, channel: str, *, inpatient: bool = False) -> tuple[str, ...]:
    """The documents a claim needs, in checklist order (sjtu rules art. 40): an
    outpatient or an inpatient set at the window, both IDs more by proxy (代办的需带好本人与
    代办人的身份证), the online set (all PDFs) online; a referred claim adds the campus
    clinic's referral slip (wuhan notice 五.2), care out of the city the registration
    proof (sjtu rules art. 36). `inpatient` marks a claim of another type with a stay
    (a catastrophic illness treated in hospital)."""
    if channel == ONLINE:
        kinds = set(_ONLINE_DOCUMENTS)
    elif type == INPATIENT or inpatient:
        kinds = set(_INPATIENT_DOCUMENTS)
    else:
        kinds = set(_OUTPATIENT_DOCUMENTS)
    if channel == PROXY:
        kinds |= {APPLICANT_ID, PROXY_ID}
    if type == REFERRED_OUTPATIENT:
        kinds.add(REFERRAL_SLIP)
    if type == REMOTE:
        kinds.add(REMOTE_REGISTRATION)
    return tuple(kind for kind in DOCUMENT_LABELS if kind in kinds)


def missing_documents(required: Iterable[str], received: Iterable[str]) -> tuple[str, ...]:
    """The labels of the required documents not received, in checklist order."""
    have = set(received)
    return tuple(DOCUMENT_LABELS[kind] for kind in required if kind not in have)


def scan_needed(channel: str) -> bool:
    """An online claim's documents are its uploaded PDFs (sjtu rules art. 40 线上办理)."""
    return channel == ONLINE


# ---- automatic checks on submission


@dataclass(frozen=True)
class LineFacts:
    """One receipt as the checks see it: `covered`/`in_waiting` from the student's cover
    on the visit date (enrollment.selectors.cover_on), `referral_required` from the year's
    benefit rule for its care and level, `referral_valid` whether the claim's referral is
    the student's and runs on the visit date, `duplicate` whether the invoice was claimed
    before."""

    invoice_number: str
    invoice_date: date
    visit_date: date
    care: str
    level: str
    covered: bool = True
    in_waiting: bool = False
    referral_required: bool = False
    referral_valid: bool = False
    duplicate: bool = False


@dataclass(frozen=True)
class ClaimFacts:
    type: str
    submitted_on: date
    lines: tuple[LineFacts, ...]
    claim_window_months: int | None = None
    out_of_city: bool = False
    remote_registration: str = REGISTRATION_NONE
    remote_registration_valid_until: date | None = None


@dataclass(frozen=True)
class Check:
    """A hard rule the claim fails: its code and the sentence staff and student read."""

    code: str
    message: str


def _not_covered(facts: ClaimFacts) -> Check | None:
    for line in facts.lines:
        if not line.covered:
            return Check(
                NOT_COVERED,
                f"票据 {line.invoice_number}：就诊日 {line.visit_date} 该学生没有有效的医保待遇"
                "（未参保或未建账），费用不予报销。",
            )
    return None


def _waiting_period(facts: ClaimFacts) -> Check | None:
    for line in facts.lines:
        if line.covered and line.in_waiting:
            return Check(
                WAITING_PERIOD,
                f"票据 {line.invoice_number}：就诊日 {line.visit_date} 在待遇等待期内，"
                "待遇等待期间发生的医疗费用不予追溯。",
            )
    return None


def submission_deadline(invoice_date: date, months: int) -> date:
    """The last day to claim a receipt: 凭证开具之日起的 6 个月内 (shanghai guide Q12, sjtu
    rules art. 38) counted as the same day `months` later, clamped to the month's end."""
    return add_months(invoice_date, months)


def _late_submission(facts: ClaimFacts) -> Check | None:
    if facts.claim_window_months is None:
        return None
    for line in facts.lines:
        deadline = submission_deadline(line.invoice_date, facts.claim_window_months)
        if facts.submitted_on > deadline:
            return Check(
                LATE_SUBMISSION,
                f"票据 {line.invoice_number} 开具于 {line.invoice_date}，须在"
                f" {facts.claim_window_months} 个月内（{deadline} 前）申请报销；"
                f"申请日期 {facts.submitted_on} 已超过期限。",
            )
    return None


def needs_referral(type: str, line: LineFacts) -> bool:
    """Off campus, a referred outpatient claim needs the campus clinic's referral (wuhan
    notice 五.2–五.3), as does any care the year's benefit rule marks referral_required."""
    return line.referral_required or (type == REFERRED_OUTPATIENT and line.level != "campus")


def _no_referral(facts: ClaimFacts) -> Check | None:
    for line in facts.lines:
        if needs_referral(facts.type, line) and not line.referral_valid:
            return Check(
                NO_REFERRAL,
                f"票据 {line.invoice_number}：{line.visit_date} 在校外就诊，须持校医院开具、"
                "就诊当日有效的转诊单。",
            )
    return None


def is_out_of_city(type: str, out_of_city: bool) -> bool:
    return out_of_city or type == REMOTE


def is_emergency(type: str, cares: Iterable[str]) -> bool:
    cares = list(cares)
    return type == EMERGENCY_CASH or (bool(cares) and all(care == "emergency" for care in cares))


def _no_remote_registration(facts: ClaimFacts) -> Check | None:
    """Out of the city, only emergency care is claimed without a remote-care registration
    valid on the visit date (sjtu rules art. 36; wuhan notice 八: a temporary or referral
    registration lasts 6 months)."""
    if not is_out_of_city(facts.type, facts.out_of_city):
        return None
    if is_emergency(facts.type, (line.care for line in facts.lines)):
        return None
    for line in facts.lines:
        expired = (
            facts.remote_registration_valid_until is not None
            and line.visit_date > facts.remote_registration_valid_until
        )
        if facts.remote_registration == REGISTRATION_NONE or expired:
            state = "已过期" if facts.remote_registration != REGISTRATION_NONE else "未办理"
            return Check(
                NO_REMOTE_REGISTRATION,
                f"票据 {line.invoice_number}：{line.visit_date} 在外地就医，异地就医备案{state}；"
                "未备案的异地就医只有急诊费用可以报销。",
            )
    return None


def _duplicate_receipt(facts: ClaimFacts) -> Check | None:
    for line in facts.lines:
        if line.duplicate:
            return Check(
                DUPLICATE_RECEIPT,
                f"票据 {line.invoice_number} 已在其他报销申请中提交过，同一张票据只能报销一次。",
            )
    return None


CHECKS = (
    (NOT_COVERED, _not_covered),
    (WAITING_PERIOD, _waiting_period),
    (LATE_SUBMISSION, _late_submission),
    (NO_REFERRAL, _no_referral),
    (NO_REMOTE_REGISTRATION, _no_remote_registration),
    (DUPLICATE_RECEIPT, _duplicate_receipt),
)


def check_claim(facts: ClaimFacts) -> Check | None:
    """The first hard rule the claim fails, in the order of CHECKS, or None when it may
    go to review. A receipt of an excluded kind fails none of them: it pays 0 with its
    reason inside a valid claim (the engine's EXCLUDED)."""
    for _code, check in CHECKS:
        found = check(facts)
        if found is not None:
            return found
    return None


def referral_valid(*, issued_on: date, valid_until: date, day: date) -> bool:
    return issued_on <= day <= valid_until


# ---- who pays


def decide_payer(type: str, payers: Iterable[str | None]) -> str:
    """Who pays a claim: a catastrophic claim the insurer the student chose (shanghai
    guide Q8; sjtu rules art. 31); a claim whose receipts the school's outpatient fund
    alone settles, the school (wuhan notice 五.1/五.3); any other the bureau's fund.
    `payers` are the engine's payers of the claim's receipts (engine.PAYERS, None where
    no fund pays); without any, a referred outpatient claim is the school's."""
    if type == CATASTROPHIC:
        return INSURER
    known = {payer for payer in payers if payer}
    if known == {engine.SCHOOL_OUTPATIENT_FUND}:
        return SCHOOL_OUTPATIENT_FUND
    if not known and type == REFERRED_OUTPATIENT:
        return SCHOOL_OUTPATIENT_FUND
    return BUREAU
