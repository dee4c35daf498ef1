"""The files that come back to the office, pure: the bureau's account results (建账结果)
and payment files, read row by row through office.incoming (header below title rows,
cells cleaned as in the roster, DESIGN.md §5); every rejected row names its row, its
column and the reason. A message quotes at most a short excerpt of a cell, and what the
database could not keep (a value over its column's length, an amount over its digits)
is a problem here, never an error at the commit."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from office.cells import SCIENTIFIC, clean_text, parse_amount, parse_date
from office.headers import Header
from office.incoming import Problem, excerpt

from . import workflow


def _cell(header: Header, cells: list, name: str) -> str:
    return clean_text(header.cell(cells, name))


def too_long(header: Header, row: int, name: str, column: str, value: str) -> Problem | None:
    """A value longer than the database keeps for it (header.max_lengths), or None."""
    limit = header.max_lengths.get(name)
    if limit and len(value) > limit:
        return Problem(
            row, column, f"「{column}」有 {len(value)} 个字符，超过可保存的 {limit} 个字符。"
        )
    return None


def id_number_of(raw: str) -> tuple[str, str]:
    """(number, problem): upper-cased, no spaces; a number Excel turned into scientific
    notation is refused, never guessed (DESIGN.md §5)."""
    number = raw.replace(" ", "").upper()
    if SCIENTIFIC.match(number):
        return "", (
            f"证件号码「{excerpt(raw)}」已被 Excel 转为科学计数法，请把该列设为文本后重新导出。"
        )
    return number, ""


# --- the bureau's account results (建账结果) --------------------------------------------------

RESULT_LABELS = {
    "id_number": ("证件号码", "身份证号码", "身份证号", "公民身份号码", "id number"),
    "outcome": ("建账结果", "结果", "审核结果", "result"),
    "reason": ("失败原因", "原因", "备注", "reason"),
    "name": ("姓名", "name"),
}
RESULT_REQUIRED = ("id_number", "outcome")
OUTCOMES = {
    "已建账": workflow.ESTABLISHED,
    "建账成功": workflow.ESTABLISHED,
    "成功": workflow.ESTABLISHED,
    "建账失败": workflow.FAILED,
    "失败": workflow.FAILED,
}


@dataclass(frozen=True)
class Result:
    row: int
    id_number: str
    outcome: str  # workflow.ESTABLISHED or workflow.FAILED
    reason: str
    name: str


def parse_result(header: Header, row: int, cells: list) -> Result | Problem:
    id_number, problem = id_number_of(_cell(header, cells, "id_number"))
    if problem:
        return Problem(row, "证件号码", problem)
    if not id_number:
        return Problem(row, "证件号码", "证件号码为空。")
    text = _cell(header, cells, "outcome")
    outcome = OUTCOMES.get(text)
    if outcome is None:
        return Problem(
            row, "建账结果", f"无法识别「{excerpt(text)}」：应为「已建账」或「建账失败」。"
        )
    reason = _cell(header, cells, "reason")
    if outcome == workflow.FAILED and not reason:
        return Problem(row, "失败原因", "建账失败的行须有失败原因。")
    if outcome == workflow.FAILED and (
        problem := too_long(header, row, "reason", "失败原因", reason)
    ):
        return problem
    return Result(
        row=row,
        id_number=id_number,
        outcome=outcome,
        reason=reason if outcome == workflow.FAILED else "",
        name=_cell(header, cells, "name"),
    )


# --- payment files (缴费记录) ------------------------------------------------------------------

PAYMENT_LABELS = {
    "student_number": ("学号", "student number"),
    "id_number": ("证件号码", "身份证号码", "身份证号", "id number"),
    "name": ("姓名", "name"),
    "amount": ("金额", "缴费金额", "实缴金额", "amount"),
    "paid_on": ("缴费日期", "日期", "交易日期", "date"),
    "channel": ("缴费方式", "缴费渠道", "支付方式", "channel"),
    "receipt_number": ("收据号", "票据号", "收据编号", "交易流水号", "receipt no."),
}
PAYMENT_REQUIRED = (
    ("student_number", "id_number"),
    "amount",
    "paid_on",
    "channel",
    "receipt_number",
)
CHANNELS = {
    "现金": "cash",
    "银行转账": "bank_transfer",
    "转账": "bank_transfer",
    "银行卡": "bank_transfer",
    "线上支付": "online",
    "网上支付": "online",
    "微信": "online",
    "支付宝": "online",
    "校园卡": "campus_card",
    "一卡通": "campus_card",
}


@dataclass(frozen=True)
class PaymentLine:
    row: int
    student_number: str
    id_number: str
    amount: Decimal
    paid_on: date
    channel: str
    receipt_number: str


def parse_payment(
    header: Header, row: int, cells: list, *, amount_below: Decimal | None = None
) -> PaymentLine | Problem:
    """One payment line; `amount_below` is the first amount the database cannot keep."""
    student_number = _cell(header, cells, "student_number")
    id_number, problem = id_number_of(_cell(header, cells, "id_number"))
    if problem:
        return Problem(row, "证件号码", problem)
    if not student_number and not id_number:
        return Problem(row, "学号", "学号和证件号码都为空，无法确定是哪位学生。")
    text = _cell(header, cells, "amount")
    amount = parse_amount(text)
    if amount is None or amount <= 0:
        return Problem(row, "金额", f"金额「{excerpt(text)}」不是大于 0、最多两位小数的数字。")
    if amount_below is not None and amount >= amount_below:
        return Problem(
            row, "金额", f"金额 {amount} 元超出可登记的范围（须小于 {amount_below:,} 元）。"
        )
    paid_on = parse_date(header.cell(cells, "paid_on"))
    if paid_on is None:
        shown = _cell(header, cells, "paid_on")
        return Problem(row, "缴费日期", f"无法识别的日期「{excerpt(shown)}」。")
    channel_text = _cell(header, cells, "channel")
    channel = CHANNELS.get(channel_text)
    if channel is None:
        return Problem(
            row, "缴费方式", f"无法识别「{excerpt(channel_text)}」：可用 {'、'.join(CHANNELS)}。"
        )
    receipt_number = _cell(header, cells, "receipt_number")
    if not receipt_number:
        return Problem(row, "收据号", "收据号为空。")
    if problem := too_long(header, row, "receipt_number", "收据号", receipt_number):
        return problem
    return PaymentLine(
        row=row,
        student_number=student_number,
        id_number=id_number,
        amount=amount,
        paid_on=paid_on,
        channel=channel,
        receipt_number=receipt_number,
    )


def mismatch(*, amount: Decimal, premium_due: Decimal, already_paid: Decimal) -> str:
    """Why a payment does not settle exactly what is outstanding, or "" when it does."""
    outstanding = premium_due - already_paid
    if premium_due <= 0:
        return f"该记录无需缴费，却收到 {amount} 元。"
    if outstanding <= 0:
        return f"保费 {premium_due} 元已缴清，又收到 {amount} 元（重复缴费）。"
    if amount != outstanding:
        return f"实收 {amount} 元，与应缴 {outstanding} 元不符。"
    return ""


# as_json() keys of the results and payments plans -> the staff's words, in summary order
SUMMARY_LABELS = {
    "rows": "数据行",
    "established": "已建账",
    "failed": "建账失败",
    "payments": "缴费笔数",
    "total": "金额合计",
    "unchanged": "无变化",
    "flagged": "金额不符",
}
