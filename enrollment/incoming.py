"""The files that come back to the office, pure: the bureau's account results (建账结果)
and payment files. Headers are found below title rows as in the roster (DESIGN.md §5);
every rejected row names its row, its column and the reason."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from . import roster, workflow


@dataclass(frozen=True)
class Columns:
    row: int  # sheet row number of the header
    index: int  # position of the header among the sheet's top rows
    positions: dict[str, int]


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    message: str

    def as_json(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


def find_columns(
    rows: list[list],
    *,
    first_row: int,
    labels: Mapping[str, tuple[str, ...]],
    required: tuple[str | tuple[str, ...], ...],
) -> Columns:
    """The top row holding the most known column names is the header. `labels` maps a
    field to its Chinese label and aliases (label first); each entry of `required` is a
    field, or a tuple of fields of which one is enough."""
    aliases = {
        roster.normalise_header(alias): name for name, names in labels.items() for alias in names
    }
    best = None
    for index, row in enumerate(rows[:20]):
        positions = {}
        for position, cell in enumerate(row):
            name = aliases.get(roster.normalise_header(cell))
            if name and name not in positions:
                positions[name] = position
        if positions and (best is None or len(positions) > len(best[1])):
            best = (index, positions)
    if best is None:
        wanted = "」「".join(labels[_first(need)][0] for need in required)
        raise roster.HeaderError(f"找不到表头行：前 20 行中没有「{wanted}」等列名。")
    index, positions = best
    missing = [
        "或".join(labels[name][0] for name in _names(need))
        for need in required
        if not any(name in positions for name in _names(need))
    ]
    if missing:
        raise roster.HeaderError(
            f"第 {first_row + index} 行表头缺少必需的列：{'、'.join(missing)}。"
        )
    return Columns(row=first_row + index, index=index, positions=positions)


def _names(need: str | tuple[str, ...]) -> tuple[str, ...]:
    return (need,) if isinstance(need, str) else need


def _first(need: str | tuple[str, ...]) -> str:
    return _names(need)[0]


def _cell(columns: Columns, cells: list, name: str) -> str:
    position = columns.positions.get(name)
    if position is None or position >= len(cells):
        return ""
    return roster.clean_text(cells[position])


def id_number_of(raw: str) -> tuple[str, str]:
    """(number, problem): upper-cased, no spaces; a number Excel turned into scientific
    notation is refused, never guessed (DESIGN.md §5)."""
    number = raw.replace(" ", "").upper()
    if roster.SCIENTIFIC.match(number):
        return "", f"证件号码「{raw}」已被 Excel 转为科学计数法，请把该列设为文本后重新导出。"
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


def parse_result(columns: Columns, row: int, cells: list) -> Result | Problem:
    id_number, problem = id_number_of(_cell(columns, cells, "id_number"))
    if problem:
        return Problem(row, "证件号码", problem)
    if not id_number:
        return Problem(row, "证件号码", "证件号码为空。")
    text = _cell(columns, cells, "outcome")
    outcome = OUTCOMES.get(text)
    if outcome is None:
        return Problem(row, "建账结果", f"无法识别「{text}」：应为「已建账」或「建账失败」。")
    reason = _cell(columns, cells, "reason")
    if outcome == workflow.FAILED and not reason:
        return Problem(row, "失败原因", "建账失败的行须有失败原因。")
    return Result(
        row=row,
        id_number=id_number,
        outcome=outcome,
        reason=reason if outcome == workflow.FAILED else "",
        name=_cell(columns, cells, "name"),
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
AMOUNT = re.compile(r"^\d+(\.\d{1,2})?$")


@dataclass(frozen=True)
class PaymentLine:
    row: int
    student_number: str
    id_number: str
    amount: Decimal
    paid_on: date
    channel: str
    receipt_number: str


def parse_amount(text: str) -> Decimal | None:
    """Yuan to the fen: "355", "355.00", "¥355.5"; None for anything else (a third decimal
    is an error, never rounded away)."""
    text = text.replace(",", "").lstrip("¥￥").removesuffix("元").strip()
    if not AMOUNT.match(text):
        return None
    try:
        return Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def parse_payment(columns: Columns, row: int, cells: list) -> PaymentLine | Problem:
    student_number = _cell(columns, cells, "student_number")
    id_number, problem = id_number_of(_cell(columns, cells, "id_number"))
    if problem:
        return Problem(row, "证件号码", problem)
    if not student_number and not id_number:
        return Problem(row, "学号", "学号和证件号码都为空，无法确定是哪位学生。")
    text = _cell(columns, cells, "amount")
    amount = parse_amount(text)
    if amount is None or amount <= 0:
        return Problem(row, "金额", f"金额「{text}」不是大于 0、最多两位小数的数字。")
    position = columns.positions["paid_on"]
    paid_on = roster.parse_date(cells[position] if position < len(cells) else "")
    if paid_on is None:
        shown = _cell(columns, cells, "paid_on")
        return Problem(row, "缴费日期", f"无法识别的日期「{shown}」。")
    channel_text = _cell(columns, cells, "channel")
    channel = CHANNELS.get(channel_text)
    if channel is None:
        return Problem(row, "缴费方式", f"无法识别「{channel_text}」：可用 {'、'.join(CHANNELS)}。")
    receipt_number = _cell(columns, cells, "receipt_number")
    if not receipt_number:
        return Problem(row, "收据号", "收据号为空。")
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


SUMMARY_LABELS = {
    "rows": "数据行",
    "established": "已建账",
    "failed": "建账失败",
    "payments": "缴费笔数",
    "total": "金额合计",
    "unchanged": "无变化",
}


def summary(data: dict) -> str:
    """One line for a plan's `as_json()`: the staff's words, not the keys."""
    parts = [f"{label} {data[key]}" for key, label in SUMMARY_LABELS.items() if key in data]
    if data.get("flagged"):
        parts.append(f"金额不符 {len(data['flagged'])} 行")
    parts.append(f"有问题 {len(data['problems'])} 行")
    return "，".join(parts)
