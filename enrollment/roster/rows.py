"""One row of a roster file, pure: every cell of a known column cleaned once
(office.cells), then checked; each problem names its row, its column and a stable code
(ERROR_CODES)."""

import re
import sys
from dataclasses import dataclass, field

from stdnum.cn import ric

from office import headers
from office.cells import (
    SCIENTIFIC,
    clean_name,
    clean_text,
    formula_like,
    normalise_header,
    parse_date,
)
from office.incoming import Problem, excerpt

from .. import rules
from .columns import (
    COLUMNS,
    DOCUMENT_SHAPE,
    EDUCATION_LEVELS,
    GENDERS,
    HMT_PERMIT_PREFIXES,
    ID_TYPES,
    IN_SERVICE_TOKENS,
    INSURED_ELSEWHERE_TOKENS,
    REQUIRED_COLUMNS,
    REQUIRED_VALUES,
    SPECIAL_SEPARATORS,
    STUDY_MODES,
    SUBSIDY_PRECEDENCE,
    SUBSIDY_TOKENS,
    TRAINING_TOKENS,
)

NO_HEADER = "找不到表头行：前 20 行中没有「姓名」「证件号码」「学号」等列名，请检查文件内容。"


def find_header(rows: list[list], *, first_row: int, max_lengths=None) -> headers.Header:
    """The roster's header: the first of the top rows holding the most known column
    names, so title rows above it ("2025级新生报到名单") are skipped; three known names
    at least, and every required column."""
    return headers.find_header(
        rows,
        first_row=first_row,
        labels=COLUMNS,
        required=REQUIRED_COLUMNS,
        minimum=3,
        max_lengths=max_lengths,
        not_found=NO_HEADER,
    )


@dataclass(slots=True)
class ParsedRow:
    row: int
    values: dict  # Student field -> value, only the fields this file provides
    cells: list  # the row as read, for the error workbook
    errors: list[Problem] = field(default_factory=list)


def check_id_number(id_type: str, raw) -> tuple[str, str, str]:
    """(normalised number, error code, message); error code "" when valid."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return (
            "",
            "id_precision_lost",
            ("证件号码被 Excel 存成了数字，末几位已丢失；请将该列设置为文本格式后重新填写。"),
        )
    number = clean_text(raw).upper().replace(" ", "")
    if SCIENTIFIC.match(number):
        return (
            "",
            "id_precision_lost",
            (
                f"证件号码 {excerpt(number)} 是科学计数法，末几位已丢失；"
                "请将该列设置为文本格式后重新填写。"
            ),
        )
    if id_type in rules.EIGHTEEN_CHAR_ID_TYPES:
        if not re.fullmatch(r"\d{17}[\dX]", number):
            return number, "id_format", f"证件号码 {_shown(number)} 应为 18 位（末位可为 X）。"
        if id_type == "hmt_residence_permit" and not number.startswith(HMT_PERMIT_PREFIXES):
            return number, "id_format", ("港澳台居民居住证号码应以 810000、820000 或 830000 开头。")
        if ric.calc_check_digit(number) != number[-1]:
            return number, "id_checksum", f"证件号码 {_shown(number)} 校验位不正确，请核对。"
        if rules.birth_date_of(number) is None:
            return number, "id_format", f"证件号码 {_shown(number)} 中的出生日期无效。"
        return number, "", ""
    if not DOCUMENT_SHAPE.match(number):
        return (
            number,
            "id_format",
            f"证件号码 {_shown(number)} 格式不正确（应为 5–20 位字母或数字）。",
        )
    return number, "", ""


def _shown(number: str) -> str:
    """Messages are read by people who may not see full ID numbers."""
    return rules.mask_id(number)


def parse_special(text: str) -> tuple[dict, str]:
    """特殊类别 tokens -> field values; the second item names an unknown token."""
    values = {
        "subsidy_category": "standard",
        "training_mode": "regular",
        "in_service": False,
        "insured_elsewhere": False,
    }
    subsidies = set()
    for token in filter(None, SPECIAL_SEPARATORS.split(text)):
        if token in SUBSIDY_TOKENS:
            subsidies.add(SUBSIDY_TOKENS[token])
        elif token in TRAINING_TOKENS:
            values["training_mode"] = TRAINING_TOKENS[token]
        elif token in IN_SERVICE_TOKENS:
            values["in_service"] = True
        elif token in INSURED_ELSEWHERE_TOKENS:
            values["insured_elsewhere"] = True
        elif token not in ("无", "普通", "-"):
            return values, token
    for category in SUBSIDY_PRECEDENCE:
        if category in subsidies:
            values["subsidy_category"] = category
            break
    return values, ""


# --- rows ------------------------------------------------------------------------------------


TEXT_FIELDS = ("name", "school", "college", "major", "phone", "nationality", "origin")
CHOICE_FIELDS = (
    ("id_type", ID_TYPES),
    ("education_level", EDUCATION_LEVELS),
    ("study_mode", STUDY_MODES),
    ("gender", GENDERS),
)


def parse_row(header: headers.Header, row_number: int, cells: list) -> ParsedRow:
    """One data row: every cell of a known column cleaned once, then checked."""
    width = len(cells)
    raw = {
        name: cells[position] if position < width else ""
        for name, position in header.columns.items()
    }
    text = {name: clean_text(value) for name, value in raw.items()}
    errors: list[Problem] = []
    values: dict = {}

    def error(name, code, message):
        errors.append(Problem(row_number, COLUMNS[name][0], message, code))

    for name in REQUIRED_VALUES:
        if not text.get(name):
            error(name, "missing_value", f"「{COLUMNS[name][0]}」不能为空。")

    for name in TEXT_FIELDS:
        if name in text:
            values[name] = sys.intern(text[name])  # schools and colleges repeat on every row
    for name, value in text.items():
        limit = header.max_lengths.get(name)
        if limit and len(value) > limit:
            error(name, "too_long", f"「{COLUMNS[name][0]}」超过 {limit} 个字符。")
    if "name" in values:
        values["name"] = clean_name(values["name"])
        if formula_like(values["name"]):  # a spreadsheet would run it: issue #13
            error(
                "name",
                "formula_like",
                f"「姓名」「{excerpt(values['name'])}」以 {values['name'][0]} 开头，"
                "表格软件会把它当作公式：请核对后改正。",
            )
    for name in ("student_number", "phone"):  # a no-break space typed inside a number
        if name in text:
            values[name] = "".join(text[name].split())
    values["student_number"] = values["student_number"].upper()

    for name, choices in CHOICE_FIELDS:
        if name not in text:
            continue
        value = text[name]
        if value:
            key = normalise_header(value)
            if key not in choices:
                error(
                    name,
                    "unknown_value",
                    f"「{COLUMNS[name][0]}」的值「{excerpt(value)}」无法识别。",
                )
            value = choices.get(key, "")
        values[name] = value

    registered = text["registered_on"]
    values["registered_on"] = parse_date(raw["registered_on"]) if registered else None
    if registered and values["registered_on"] is None:
        error(
            "registered_on",
            "bad_date",
            f"「报到注册时间」的值「{excerpt(registered)}」不是有效日期"
            "（可写作 2025-09-01、2025/9/1 或 2025年9月1日）。",
        )

    if text.get("special"):  # a blank cell keeps what staff recorded by hand
        special, unknown = parse_special(text["special"])
        values.update(special)
        if unknown:
            error("special", "unknown_value", f"「特殊类别」中的「{excerpt(unknown)}」无法识别。")

    if values.get("id_type") and text["id_number"]:
        number, code, message = check_id_number(values["id_type"], raw["id_number"])
        values["id_number"] = number
        if code:
            error("id_number", code, message)
        elif values["id_type"] in rules.EIGHTEEN_CHAR_ID_TYPES:  # validated just above
            values["birth_date"] = rules.birth_date_of(number)
            if not values.get("gender"):
                values["gender"] = rules.gender_of(number)
    return ParsedRow(row=row_number, values=values, cells=cells, errors=errors)
