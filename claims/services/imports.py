"""A claims file in (import_claims; the admin's 导入报销申请 page): the office.incoming
protocol, a dry run that writes nothing, then the apply, once. The rows are read and
parsed by claims.incoming; here they meet the database, read a few queries at a time
however long the file: the students, the facility registry, the referrals, the receipts
claimed before. The apply then drafts the new claims (claims_create) and submits them
(claims_submit: the automatic checks), a chunk at a time, all in one transaction.

Importing a file again creates nothing: a claim of the file whose student, type and
receipts (invoice number, date and total) are those of one claim already recorded is
that claim (`unchanged`). A receipt claimed before in any other way, or twice in the
file, is kept and its claim rejected duplicate_receipt on submission (claims_create)."""

import functools
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from enrollment.models import Student
from enrollment.rules import mask_id
from office.cells import normalise_header
from office.incoming import Problem, excerpt, read_rows
from office.writes import amount_ceiling, max_lengths, refused_writes
from policies.engine import codes
from policies.models import CatastrophicDisease

from .. import incoming, rules
from ..incoming import ClaimRow, ClaimsPlan, FileClaim, row_problem
from ..models import Claim, ClaimLine, Facility, Referral
from .create import ClaimDraft, LineInput, claims_create
from .facts import Covers, _chunks
from .submit import claims_predict, claims_submit

# claims drafted and submitted together: bounds the memory of a 50,000-claim file
APPLY_CHUNK = 2000
# what the database keeps, checked in the dry run rather than refused at the commit
MAX_LENGTHS = {
    **max_lengths(ClaimLine, ["invoice_number", "stay_key"]),
    "facility": ClaimLine._meta.get_field("facility_name").max_length,
    "bank_account": Claim._meta.get_field("bank_account").max_length,
    "referral": Referral._meta.get_field("number").max_length,
    "student_number": Student._meta.get_field("student_number").max_length,
}
AMOUNT_BELOW = amount_ceiling(ClaimLine, "total")
ID_NUMBER_NOT_MATCHED = (
    "没有学号：只有可查看完整证件号码的人员才能按证件号码查找学生，请补填学号后重新上传。"
)


# --- the dry run ------------------------------------------------------------------------------


def claims_import_check(
    *,
    path: Path,
    name: str = "",
    by_id_number: bool = True,
    today: date | None = None,
    predict: bool = True,
) -> ClaimsPlan:
    """Read the file, find each row's student, facility and referral, group the rows into
    claims, tell the new ones from those recorded before and, with `predict`, run the
    automatic checks on the new ones as the commit would (`predicted`: the rejections it
    would give). Writes nothing. Without `by_id_number` (who may not see full ID numbers)
    a row is matched by 学号 only; `today` dates a claim the file gives no 申请日期 for."""
    diseases = incoming.disease_names(dict(CatastrophicDisease.objects.values_list("code", "name")))
    read = read_rows(
        path,
        name=name,
        labels=incoming.LABELS,
        required=incoming.REQUIRED,
        parse=functools.partial(incoming.parse_row, diseases=diseases, amount_below=AMOUNT_BELOW),
        max_lengths=MAX_LENGTHS,
    )
    plan = ClaimsPlan(header_row=read.header.row, rows=read.rows, skipped=read.skipped)
    problems: list[Problem] = list(read.problems)
    rows: list[ClaimRow] = read.parsed
    del read
    rows = _with_students(rows, problems, plan, by_id_number=by_id_number)
    rows = _with_referrals(rows, problems)
    rows = _with_facilities(rows, problems, plan)
    plan.claims, plan.problems = incoming.group_claims(rows, problems)
    plan.unchanged = _recorded_before(plan.claims)
    if predict:
        _predict(plan, today=today or timezone.localdate())
    return plan


def _predict(plan: ClaimsPlan, *, today: date) -> None:
    """The checks the commit would run on the new claims, a chunk at a time (the
    receipts of earlier chunks count as claimed, as they will be on the commit)."""
    new = plan.new
    referrals = _referral_ids(new)
    facilities = _facility_ids()
    claimed: set[str] = set()
    covers = Covers(claim.value("student") for claim in new)
    for start in range(0, len(new), APPLY_CHUNK):
        chunk = new[start : start + APPLY_CHUNK]
        drafts = [_with_facility_ids(draft_of(claim, referrals), facilities) for claim in chunk]
        checks = claims_predict(drafts, today=today, claimed_before=claimed, covers=covers)
        for claim, check in zip(chunk, checks, strict=True):
            if check is not None:
                plan.predicted[claim.key] = check
        claimed.update(line.invoice_number.strip() for draft in drafts for line in draft.lines)


def _referral_ids(claims: list[FileClaim]) -> dict[str, int]:
    numbers = sorted({claim.value("referral") for claim in claims} - {""})
    referrals: dict[str, int] = {}
    for chunk in _chunks(numbers):
        referrals.update(Referral.objects.filter(number__in=chunk).values_list("number", "pk"))
    return referrals


def _facility_ids() -> dict[str, int]:
    return {facility_key(name): pk for name, pk in Facility.objects.values_list("name", "pk")}


def _with_students(
    rows: list[ClaimRow], problems: list[Problem], plan: ClaimsPlan, *, by_id_number: bool
) -> list[ClaimRow]:
    numbers = sorted({row.student_number for row in rows if row.student_number})
    ids = sorted({row.id_number for row in rows if row.id_number}) if by_id_number else []
    by_number: dict[str, tuple[int, str]] = {}
    by_id: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for chunk in _chunks(numbers):
        for pk, number, id_number in Student.objects.filter(student_number__in=chunk).values_list(
            "pk", "student_number", "id_number"
        ):
            by_number[number] = (pk, id_number)
    for chunk in _chunks(ids):
        for pk, number, id_number in Student.objects.filter(id_number__in=chunk).values_list(
            "pk", "student_number", "id_number"
        ):
            by_id[id_number].append((pk, number))
            plan.student_numbers[pk] = number
    plan.student_numbers.update({pk: number for number, (pk, _) in by_number.items()})
    found = []
    for row in rows:
        if row.student_number:
            student = by_number.get(row.student_number)
            if student is None:
                problems.append(
                    row_problem(
                        row,
                        "student_number",
                        "unknown_student",
                        f"学号「{excerpt(row.student_number)}」不在学生名册中。",
                    )
                )
                continue
            pk, id_number = student
            if by_id_number and row.id_number and row.id_number != id_number:
                problems.append(
                    row_problem(
                        row,
                        "id_number",
                        "student_mismatch",
                        f"证件号码 {mask_id(row.id_number)} 与学号 {row.student_number} "
                        "的学生不符。",
                    )
                )
                continue
        elif not by_id_number:
            problems.append(
                row_problem(row, "student_number", "id_number_not_matched", ID_NUMBER_NOT_MATCHED)
            )
            continue
        else:
            students = by_id.get(row.id_number, [])
            if len(students) != 1:
                problems.append(
                    row_problem(
                        row,
                        "id_number",
                        "unknown_student",
                        f"证件号码 {mask_id(row.id_number)} "
                        + ("不在学生名册中。" if not students else "对应多名学生，请填写学号。"),
                    )
                )
                continue
            pk = students[0][0]
        row.student = pk
        found.append(row)
    return found


def _with_referrals(rows: list[ClaimRow], problems: list[Problem]) -> list[ClaimRow]:
    numbers = sorted({row.referral for row in rows if row.referral})
    referrals: dict[str, tuple[int, int]] = {}
    for chunk in _chunks(numbers):
        referrals.update(
            (number, (pk, student_id))
            for pk, number, student_id in Referral.objects.filter(number__in=chunk).values_list(
                "pk", "number", "student_id"
            )
        )
    found = []
    for row in rows:
        if row.referral:
            referral = referrals.get(row.referral)
            if referral is None:
                problems.append(
                    row_problem(
                        row,
                        "referral",
                        "unknown_referral",
                        f"转诊单号「{excerpt(row.referral)}」不存在（须先由校医院登记转诊单）。",
                    )
                )
                continue
            if referral[1] != row.student:
                problems.append(
                    row_problem(
                        row,
                        "referral",
                        "referral_of_another_student",
                        f"转诊单 {row.referral} 不是该学生的转诊单。",
                    )
                )
                continue
        found.append(row)
    return found


def facility_key(name: str) -> str:
    """A facility's name as matched against the registry: case, spaces and full-width
    forms ignored."""
    return normalise_header(name).replace(" ", "")


def _with_facilities(
    rows: list[ClaimRow], problems: list[Problem], plan: ClaimsPlan
) -> list[ClaimRow]:
    """A facility of the registry prices its receipts at its registered level (a row
    giving another is flagged); one the registry lacks is taken at the row's level and
    listed for staff to add (`new_facilities`)."""
    registry = {
        facility_key(name): (name, level)
        for name, level in Facility.objects.values_list("name", "level")
    }
    found = []
    new: dict[str, list] = {}
    for row in rows:
        known = registry.get(facility_key(row.facility))
        if known is None:
            if not row.level:
                problems.append(
                    row_problem(
                        row,
                        "level",
                        "no_level",
                        f"「{excerpt(row.facility)}」不在定点医疗机构名录中，须填写医院等级。",
                    )
                )
                continue
            if row.facility not in new:
                new[row.facility] = [row.level, 0]
                plan.flagged.append(
                    Problem(
                        row.row,
                        incoming.COLUMN["facility"],
                        f"「{excerpt(row.facility)}」不在定点医疗机构名录中：按本行的"
                        f"{codes.LEVEL_LABELS[row.level]}计算，请在名录中添加。",
                        code="new_facility",
                    )
                )
            new[row.facility][1] += 1
            found.append(row)
            continue
        name, level = known
        if row.level and row.level != level:
            plan.flagged.append(
                Problem(
                    row.row,
                    incoming.COLUMN["level"],
                    f"「{name}」在名录中为{codes.LEVEL_LABELS[level]}，本行写的是"
                    f"{codes.LEVEL_LABELS[row.level]}：按名录计算。",
                    code="level_differs",
                )
            )
        row.facility, row.level = name, level
        found.append(row)
    plan.new_facilities = {name: (level, count) for name, (level, count) in new.items()}
    return found


def _recorded_before(claims: list[FileClaim]) -> dict[str, str]:
    """file claim key -> the number of the claim recorded with the same student, type
    and receipts (invoice number, date and total): the file was imported before."""
    receipts = sorted({row.invoice_number for claim in claims for row in claim.rows})
    candidates: set[int] = set()
    for chunk in _chunks(receipts):
        candidates.update(
            ClaimLine.objects.filter(invoice_number__in=chunk).values_list("claim_id", flat=True)
        )
    if not candidates:
        return {}
    recorded: dict[tuple, list[str]] = defaultdict(list)
    lines: dict[int, list[tuple]] = defaultdict(list)
    heads: dict[int, tuple] = {}
    for chunk in _chunks(sorted(candidates)):
        for claim_id, number, student_id, claim_type in Claim.objects.filter(
            pk__in=chunk
        ).values_list("pk", "number", "student_id", "type"):
            heads[claim_id] = (number, student_id, claim_type)
        for claim_id, invoice, invoice_date, total in ClaimLine.objects.filter(
            claim_id__in=chunk
        ).values_list("claim_id", "invoice_number", "invoice_date", "total"):
            lines[claim_id].append((invoice, invoice_date, total))
    for claim_id, (number, student_id, claim_type) in sorted(heads.items()):
        recorded[(student_id, claim_type, _receipts(lines[claim_id]))].append(number)
    found = {}
    for claim in claims:  # in file order, as they were created
        key = (
            claim.value("student"),
            claim.value("type"),
            _receipts((row.invoice_number, row.invoice_date, row.total) for row in claim.rows),
        )
        if recorded.get(key):
            found[claim.key] = recorded[key].pop(0)
    return found


def _receipts(receipts: Iterable[tuple[str, date, Decimal]]) -> tuple:
    return tuple(sorted(Counter(receipts).items()))


# --- the apply --------------------------------------------------------------------------------


def draft_of(claim: FileClaim, referrals: dict[str, int]) -> ClaimDraft:
    return ClaimDraft(
        student_id=claim.value("student"),
        type=claim.value("type"),
        channel=claim.value("channel") or rules.WINDOW,
        submitted_on=claim.value("submitted_on"),
        out_of_city=claim.out_of_city,
        remote_registration=claim.value("registration") or rules.REGISTRATION_NONE,
        remote_registration_valid_until=claim.value("registration_valid_until"),
        referral_id=referrals.get(claim.value("referral")),
        bank_account=claim.value("bank_account"),
        lines=tuple(
            LineInput(
                invoice_number=row.invoice_number,
                invoice_date=row.invoice_date,
                visit_date=row.visit_date,
                care=row.care,
                level=row.level,
                total=row.total,
                in_scope=row.in_scope,
                discharge_date=row.discharge_date,
                facility_name=row.facility,
                catastrophic_disease=row.disease,
                excluded=row.excluded,
                stay_key=row.stay_key,
            )
            for row in claim.rows
        ),
    )


@refused_writes()
@transaction.atomic
def claims_import_apply(
    *,
    path: Path,
    name: str = "",
    by=None,
    today: date | None = None,
    by_id_number: bool = True,
) -> ClaimsPlan:
    """The dry run again, then each new claim drafted, numbered and submitted (the
    automatic checks reject some), all or nothing. `today` dates a claim the file gives
    no 申请日期 for (none: the column is required)."""
    plan = claims_import_check(path=path, name=name, by_id_number=by_id_number, predict=False)
    today = today or timezone.localdate()
    new = plan.new
    referrals = _referral_ids(new)
    facilities = _facility_ids()
    for start in range(0, len(new), APPLY_CHUNK):
        chunk = new[start : start + APPLY_CHUNK]
        drafts = [_with_facility_ids(draft_of(claim, referrals), facilities) for claim in chunk]
        created = claims_create(drafts, by=by)
        del drafts
        for claim, (submitted, check) in zip(
            chunk, claims_submit(created, today=today, by=by), strict=True
        ):
            plan.results[claim.key] = (submitted.number, check)
    plan.applied = True
    return plan


def _with_facility_ids(draft: ClaimDraft, facilities: dict[str, int]) -> ClaimDraft:
    return replace(
        draft,
        lines=tuple(
            replace(line, facility_id=facilities.get(facility_key(line.facility_name)))
            for line in draft.lines
        ),
    )
