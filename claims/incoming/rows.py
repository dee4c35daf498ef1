"""One row of a claims file: a `ClaimRow`, or the first problem of the row (a
`RowProblem`, naming its row, its column and a stable code)."""

import functools
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from enrollment.incoming import id_number_of, too_long
from office.cells import clean_text, normalise_header, parse_amount, parse_date
from office.headers import Header
from office.incoming import Problem, excerpt

from .. import rules
from .columns import CHANNELS, COLUMN, EXCLUSIONS, LEVELS, REGISTRATIONS, TYPES, care_for


@dataclass(slots=True)
class ClaimRow:
    """One receipt as the file gives it. Claim-level values a row leaves blank ("") are
    the claim's (its other rows', or the defaults): channel, registration, referral. The
    service fills in `student` and settles `facility` and `level` against the registry,
    in place (a file holds up to 100,000 of them)."""

    row: int
    application: str
    student_number: str
    id_number: str
    type: str
    facility: str
    level: str  # "" when blank: the registry's level of a known facility
    visit_date: date
    invoice_number: str
    invoice_date: date
    submitted_on: date
    total: Decimal
    in_scope: Decimal
    care: str
    discharge_date: date | None = None
    disease: str = ""
    referral: str = ""
    registration: str = ""
    registration_valid_until: date | None = None
    stay_key: str = ""
    excluded: str = ""
    channel: str = ""
    bank_account: str = ""
    student: int | None = None  # the student's pk, once the service has found it

    @property
    def out_of_scope(self) -> Decimal:
        return self.total - self.in_scope


def _cell(header: Header, cells: list, name: str) -> str:
    return clean_text(header.cell(cells, name))


# A claims file repeats its dates, amounts and names row after row: one object each.
_date_of = functools.lru_cache(maxsize=8192, typed=True)(parse_date)
_amount_of = functools.lru_cache(maxsize=8192)(parse_amount)


@dataclass(frozen=True)
class RowProblem(Problem):
    """A row's problem, with the 申请单号 of its row: the claim's other rows are left out
    with it (group_claims)."""

    application: str = ""


def row_problem(parsed: ClaimRow, name: str, code: str, message: str) -> RowProblem:
    """A problem found after parsing (an unknown student or referral …), on `name`'s column."""
    return RowProblem(parsed.row, COLUMN[name], message, code=code, application=parsed.application)


class _Bad(Exception):
    """One cell's problem, raised inside parse_row: the first one found is the row's."""

    def __init__(self, name: str, code: str, message: str):
        super().__init__(message)
        self.column, self.code, self.message = COLUMN[name], code, message


def _choice(header, cells, name: str, choices: Mapping[str, str], *, required: bool) -> str:
    text = _cell(header, cells, name)
    if not text:
        if required:
            raise _Bad(name, f"no_{name}", f"「{COLUMN[name]}」为空。")
        return ""
    code = choices.get(normalise_header(text))
    if code is None:
        known = "、".join(dict.fromkeys(_first_spellings(choices)))
        raise _Bad(name, f"bad_{name}", f"无法识别「{excerpt(text)}」：可用 {known}。")
    return code


def _first_spellings(choices: Mapping[str, str]):
    """The Chinese spelling first given for each code (for "可用 …" in messages)."""
    seen = set()
    for written, code in choices.items():
        if code not in seen and not written.isascii():
            seen.add(code)
            yield written


def _date(header, cells, name: str, *, required: bool) -> date | None:
    raw = header.cell(cells, name)
    found = _date_of(raw)
    if found is None:
        text = clean_text(raw)
        if text or required:
            message = (
                f"无法识别的日期「{excerpt(text)}」。" if text else f"「{COLUMN[name]}」为空。"
            )
            raise _Bad(name, "bad_date", message)
    return found


def _amount(header, cells, name: str, amount_below: Decimal | None) -> Decimal:
    text = _cell(header, cells, name)
    amount = _amount_of(text)
    if amount is None or amount < 0:
        raise _Bad(name, "bad_amount", f"{COLUMN[name]}「{excerpt(text)}」不是最多两位小数的金额。")
    if amount_below is not None and amount >= amount_below:
        raise _Bad(
            name,
            "bad_amount",
            f"{COLUMN[name]} {amount} 元超出可登记的范围（须小于 {amount_below:,} 元）。",
        )
    return amount


def _text(header, cells, name: str, *, required: bool = False) -> str:
    value = sys.intern(_cell(header, cells, name))
    if required and not value:
        raise _Bad(name, f"no_{name}", f"「{COLUMN[name]}」为空。")
    if problem := too_long(header, 0, name, COLUMN[name], value):
        raise _Bad(name, "too_long", problem.message)
    return value


def parse_row(
    header: Header,
    row: int,
    cells: list,
    *,
    diseases: Mapping[str, str],
    amount_below: Decimal | None = None,
) -> ClaimRow | Problem:
    """One receipt, or the first problem of its row. `diseases` is `disease_names(...)`;
    `amount_below` the first amount the database cannot keep."""
    try:
        return _parse(header, row, cells, diseases=diseases, amount_below=amount_below)
    except _Bad as bad:
        application = clean_text(header.cell(cells, "application"))
        return RowProblem(row, bad.column, bad.message, code=bad.code, application=application)


def _parse(header, row, cells, *, diseases, amount_below) -> ClaimRow:
    student_number = _text(header, cells, "student_number")
    id_number, problem = id_number_of(_cell(header, cells, "id_number"))
    if problem:
        raise _Bad("id_number", "bad_id_number", problem)
    if not student_number and not id_number:
        raise _Bad("student_number", "no_student", "学号和证件号码都为空，无法确定是哪位学生。")
    claim_type = _choice(header, cells, "type", TYPES, required=True)
    facility = _text(header, cells, "facility", required=True)
    level = _choice(header, cells, "level", LEVELS, required=False)
    visit_date = _date(header, cells, "visit_date", required=True)
    invoice_number = _text(header, cells, "invoice_number", required=True).replace(" ", "")
    invoice_date = _date(header, cells, "invoice_date", required=True)
    submitted_on = _date(header, cells, "submitted_on", required=True)
    total = _amount(header, cells, "total", amount_below)
    if total == 0:
        raise _Bad("total", "bad_amount", "发票金额为 0。")
    in_scope = _amount(header, cells, "in_scope", amount_below)
    if in_scope > total:
        raise _Bad(
            "in_scope",
            "in_scope_over_total",
            f"医保范围内金额 {in_scope} 元大于发票金额 {total} 元。",
        )
    discharge_date = _date(header, cells, "discharge_date", required=False)
    if invoice_date < visit_date:
        raise _Bad(
            "invoice_date",
            "dates_out_of_order",
            f"票据日期 {invoice_date:%Y-%m-%d} 早于就诊日期 {visit_date:%Y-%m-%d}。",
        )
    if submitted_on < invoice_date:
        raise _Bad(
            "submitted_on",
            "dates_out_of_order",
            f"申请日期 {submitted_on:%Y-%m-%d} 早于票据日期 {invoice_date:%Y-%m-%d}。",
        )
    if discharge_date is not None and discharge_date < visit_date:
        raise _Bad(
            "discharge_date",
            "dates_out_of_order",
            f"出院日期 {discharge_date:%Y-%m-%d} 早于就诊（入院）日期 {visit_date:%Y-%m-%d}。",
        )
    disease = _choice(header, cells, "disease", diseases, required=False)
    if claim_type == rules.CATASTROPHIC and not disease:
        raise _Bad("disease", "no_disease", "大病报销须填写大病病种。")
    stay_key = _text(header, cells, "stay_key")
    bank_account = _text(header, cells, "bank_account").replace(" ", "")
    if bank_account and not bank_account.isdigit():
        raise _Bad("bank_account", "bad_bank_account", "收款账户只能由数字组成。")
    return ClaimRow(
        row=row,
        application=_text(header, cells, "application"),
        student_number=student_number,
        id_number=id_number,
        type=claim_type,
        facility=facility,
        level=level,
        visit_date=visit_date,
        invoice_number=invoice_number,
        invoice_date=invoice_date,
        submitted_on=submitted_on,
        total=total,
        in_scope=in_scope,
        care=care_for(claim_type, stay_key),
        discharge_date=discharge_date,
        disease=disease,
        referral=_text(header, cells, "referral"),
        registration=_choice(header, cells, "registration", REGISTRATIONS, required=False),
        registration_valid_until=_date(header, cells, "registration_valid_until", required=False),
        stay_key=stay_key,
        excluded=_choice(header, cells, "excluded", EXCLUSIONS, required=False),
        channel=_choice(header, cells, "channel", CHANNELS, required=False),
        bank_account=bank_account,
    )
