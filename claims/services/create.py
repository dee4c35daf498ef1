"""New claims (报销申请) as drafts: numbered, their receipts recorded (a receipt claimed
before kept and marked), their documents checklist laid out. One claim from a page, or
fifty thousand from an import, take the same path."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max

from enrollment.models import Student
from policies import engine

from .. import rules
from ..models import Claim, ClaimDocument, ClaimLine
from .common import ClaimRefused
from .facts import CHUNK, Covers, PolicyYears, _chunks

# how often a claim is numbered again when another clerk took its number meanwhile
ATTEMPTS = 5


@dataclass(frozen=True)
class LineInput:
    """One receipt as given. `out_of_scope` defaults to what the invoice holds beyond the
    amount within insurance scope."""

    invoice_number: str
    invoice_date: date
    visit_date: date
    care: str
    level: str
    total: Decimal
    in_scope: Decimal
    out_of_scope: Decimal | None = None
    discharge_date: date | None = None
    facility_id: int | None = None
    facility_name: str = ""
    catastrophic_disease: str = ""
    excluded: str = ""
    stay_key: str = ""


@dataclass(frozen=True)
class ClaimDraft:
    """A claim as given, before it is numbered (ids, not rows: an import builds thousands)."""

    student_id: int
    type: str
    lines: Sequence[LineInput]
    channel: str = rules.WINDOW
    submitted_on: date | None = None
    out_of_city: bool = False
    remote_registration: str = rules.REGISTRATION_NONE
    remote_registration_valid_until: date | None = None
    referral_id: int | None = None
    bank_account: str = ""


def claim_number(year: int, sequence: int) -> str:
    """BX2026-000123: BX, the visit year and a sequence per year."""
    return f"BX{year}-{sequence:06d}"


def last_sequence(year: int) -> int:
    """The highest sequence number given in `year` (numbers are zero-padded, so the
    greatest string is the greatest number)."""
    last = Claim.objects.filter(number__startswith=f"BX{year}-").aggregate(last=Max("number"))
    return int(last["last"].rsplit("-", 1)[1]) if last["last"] else 0


def draft_problem(draft: ClaimDraft) -> str:
    """Why `draft` cannot be recorded, or ""."""
    if draft.type not in rules.TYPE_LABELS:
        return f"未知的报销类型「{draft.type}」。"
    if draft.channel not in rules.CHANNEL_LABELS:
        return f"未知的申请渠道「{draft.channel}」。"
    if draft.remote_registration not in rules.REGISTRATION_LABELS:
        return f"未知的异地备案类型「{draft.remote_registration}」。"
    if not draft.lines:
        return "报销申请至少要有一张票据。"
    for position, line in enumerate(draft.lines, start=1):
        where = f"第 {position} 张票据（{line.invoice_number or '无票据号'}）"
        if not line.invoice_number.strip():
            return f"{where}：缺少票据号。"
        if line.care not in engine.CARE_TYPES:
            return f"{where}：未知的就医类别「{line.care}」。"
        if line.level not in engine.LEVELS:
            return f"{where}：未知的医院等级「{line.level}」。"
        if line.excluded and line.excluded not in engine.EXCLUSIONS:
            return f"{where}：未知的不予支付类别「{line.excluded}」。"
        if line.total < 0 or line.in_scope < 0 or (line.out_of_scope or 0) < 0:
            return f"{where}：金额不能为负数。"
        if line.in_scope > line.total:
            return f"{where}：医保范围内金额 {line.in_scope} 超过发票金额 {line.total}。"
        if line.discharge_date and line.discharge_date < line.visit_date:
            return f"{where}：出院日期早于就诊日期。"
    return ""


def claims_create(drafts: Sequence[ClaimDraft], *, by=None) -> list[Claim]:
    """Record `drafts` as draft claims, in order, and return them. Each is numbered in the
    year of its first visit; its policy year and enrollment are those of the cover on that
    day (the school's region's year when nobody covers it). A receipt whose invoice number
    was claimed before, here or in an earlier claim, is kept pointing at the first
    (`duplicate_of`): submission rejects its claim duplicate_receipt. Numbers and first
    receipts are unique in the database, so a clerk who lost a race numbers again."""
    for draft in drafts:
        problem = draft_problem(draft)
        if problem:
            raise ClaimRefused(problem, code="invalid")
    for attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                return _create(list(drafts), by=by)
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise ClaimRefused("报销申请编号或票据被同时占用，请重试。", code="busy") from None
    return []  # not reached


def claim_create(
    *,
    student: Student,
    type: str,
    lines: Sequence[LineInput],
    channel: str = rules.WINDOW,
    submitted_on: date | None = None,
    out_of_city: bool = False,
    remote_registration: str = rules.REGISTRATION_NONE,
    remote_registration_valid_until: date | None = None,
    referral=None,
    bank_account: str = "",
    by=None,
) -> Claim:
    """One draft claim (claims_create)."""
    if referral is not None and referral.student_id != student.pk:
        raise ClaimRefused(f"{referral} 不是 {student} 的转诊单。", code="referral")
    draft = ClaimDraft(
        student_id=student.pk,
        type=type,
        lines=tuple(lines),
        channel=channel,
        submitted_on=submitted_on,
        out_of_city=out_of_city,
        remote_registration=remote_registration,
        remote_registration_valid_until=remote_registration_valid_until,
        referral_id=referral.pk if referral is not None else None,
        bank_account=bank_account.strip(),
    )
    return claims_create([draft], by=by)[0]


def _create(drafts: list[ClaimDraft], *, by) -> list[Claim]:
    covers = Covers(draft.student_id for draft in drafts)
    years = PolicyYears()
    next_sequence: dict[int, int] = {}
    claims = []
    for draft in drafts:
        first_visit = min(line.visit_date for line in draft.lines)
        year = first_visit.year
        if year not in next_sequence:
            next_sequence[year] = last_sequence(year)
        next_sequence[year] += 1
        cover = covers.on(draft.student_id, first_visit)
        enrollment = cover.enrollment if cover else None
        claims.append(
            Claim(
                number=claim_number(year, next_sequence[year]),
                student_id=draft.student_id,
                policy_year=enrollment.policy_year if enrollment else years.of_school(year),
                enrollment=enrollment,
                type=draft.type,
                channel=draft.channel,
                submitted_on=draft.submitted_on,
                remote_registration=draft.remote_registration,
                remote_registration_valid_until=draft.remote_registration_valid_until,
                out_of_city=rules.is_out_of_city(draft.type, draft.out_of_city),
                referral_id=draft.referral_id,
                bank_account=draft.bank_account,
                created_by=by,
            )
        )
    Claim.objects.bulk_create(claims, batch_size=CHUNK)
    _create_lines(claims, drafts)
    _create_checklists(claims, drafts)
    return claims


def _create_lines(claims: list[Claim], drafts: list[ClaimDraft]) -> None:
    invoices = sorted({line.invoice_number for draft in drafts for line in draft.lines})
    first: dict[str, int] = {}
    for chunk in _chunks(invoices):
        first.update(
            ClaimLine.objects.filter(
                invoice_number__in=chunk, duplicate_of__isnull=True
            ).values_list("invoice_number", "pk")
        )
    originals, repeats = [], []
    # invoice → the line, created now, that claims it first
    claimed_now: dict[str, ClaimLine] = {}
    for claim, draft in zip(claims, drafts, strict=True):
        for position, given in enumerate(draft.lines, start=1):
            line = ClaimLine(
                claim=claim,
                position=position,
                invoice_number=given.invoice_number.strip(),
                invoice_date=given.invoice_date,
                visit_date=given.visit_date,
                discharge_date=given.discharge_date,
                care=given.care,
                level=given.level,
                facility_id=given.facility_id,
                facility_name=given.facility_name,
                total=given.total,
                in_scope=given.in_scope,
                out_of_scope=given.total - given.in_scope
                if given.out_of_scope is None
                else given.out_of_scope,
                catastrophic_disease=given.catastrophic_disease,
                excluded=given.excluded,
                stay_key=given.stay_key,
            )
            if line.invoice_number in first:
                line.duplicate_of_id = first[line.invoice_number]
                repeats.append(line)
            elif line.invoice_number in claimed_now:
                repeats.append(line)
            else:
                claimed_now[line.invoice_number] = line
                originals.append(line)
    ClaimLine.objects.bulk_create(originals, batch_size=CHUNK)
    for line in repeats:
        if line.duplicate_of_id is None:
            line.duplicate_of = claimed_now[line.invoice_number]
    ClaimLine.objects.bulk_create(repeats, batch_size=CHUNK)


def _create_checklists(claims: list[Claim], drafts: list[ClaimDraft]) -> None:
    documents = []
    for claim, draft in zip(claims, drafts, strict=True):
        inpatient = any(line.discharge_date or line.care == "inpatient" for line in draft.lines)
        for kind in rules.required_documents(draft.type, draft.channel, inpatient=inpatient):
            documents.append(ClaimDocument(claim=claim, kind=kind))
    ClaimDocument.objects.bulk_create(documents, batch_size=CHUNK)


def lines_by_claim(claim_ids: Sequence[int]) -> dict[int, list[ClaimLine]]:
    found: dict[int, list[ClaimLine]] = defaultdict(list)
    for chunk in _chunks(list(claim_ids)):
        for line in ClaimLine.objects.filter(claim_id__in=chunk).order_by("claim_id", "position"):
            found[line.claim_id].append(line)
    return found
