"""The roster file rules, pure: headers matched, cells normalised and validated, rows
compared with what the roster already holds. No ORM and no I/O: the services feed it
rows from enrollment.spreadsheets and the existing students as plain dicts.

DESIGN.md §5 is the spec; row error codes are stable (JSON output, error workbook)."""

import dataclasses
import functools
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from stdnum.cn import ric

from office.errors import Refused

from . import rules

# field -> (header shown to staff, accepted aliases besides it). Matching ignores case,
# spaces and full-width forms.
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("姓名", ("name", "学生姓名")),
    "id_type": ("证件类型", ("id type", "证件类别", "证件种类")),
    "id_number": ("证件号码", ("id number", "id no", "身份证号", "身份证号码", "证件号")),
    "student_number": ("学号", ("student number", "student no", "student id")),
    "school": ("院校名称", ("school", "学校", "学校名称", "院校")),
    "college": ("学院名称", ("college", "学院", "院系", "院系名称")),
    "major": ("专业名称", ("major", "专业")),
    "education_level": ("学历层次", ("level", "education level", "培养层次")),
    "study_mode": ("学习形式", ("study mode", "学习方式")),
    "registered_on": (
        "报到注册时间",
        ("registration date", "registered on", "报到注册日期", "注册时间", "报到时间"),
    ),
    "gender": ("性别", ("gender", "sex")),
    "phone": ("手机号", ("phone", "mobile", "手机号码", "联系电话")),
    "nationality": ("国籍/地区", ("nationality", "国籍", "国籍地区", "国家/地区")),
    "origin": ("生源地", ("origin", "生源地区")),
    "special": ("特殊类别", ("special category", "special categories", "特殊人员类别")),
}
REQUIRED_COLUMNS = (
    "name",
    "id_type",
    "id_number",
    "student_number",
    "school",
    "college",
    "major",
    "education_level",
    "study_mode",
    "registered_on",
)
# Columns that must hold a value on every row; a missing registration date is not an
# error but the `not_registered` ineligibility.
REQUIRED_VALUES = (
    "name",
    "id_type",
    "id_number",
    "student_number",
    "school",
    "college",
    "education_level",
    "study_mode",
)
ERROR_CODES = (
    "missing_value",
    "id_format",
    "id_checksum",
    "id_precision_lost",
    "bad_date",
    "unknown_value",
    "duplicate_in_file",
    "conflict",
    "too_long",
)

ID_TYPES = {
    "居民身份证": "resident_id",
    "身份证": "resident_id",
    "resident id": "resident_id",
    "港澳台居民居住证": "hmt_residence_permit",
    "居住证": "hmt_residence_permit",
    "港澳居民居住证": "hmt_residence_permit",
    "台湾居民居住证": "hmt_residence_permit",
    "护照": "passport",
    "外国护照": "passport",
    "passport": "passport",
    "港澳居民来往内地通行证": "hk_macao_pass",
    "回乡证": "hk_macao_pass",
    "台湾居民来往大陆通行证": "taiwan_pass",
    "台胞证": "taiwan_pass",
    "外国人永久居留身份证": "foreign_permanent_resident",
    "外国人永久居留证": "foreign_permanent_resident",
}


def first_labels(choices: Mapping[str, str]) -> dict[str, str]:
    """code -> the first name a choice map accepts for it: the bureau's own wording, for
    files written back out (whatever the interface language)."""
    labels: dict[str, str] = {}
    for label, code in choices.items():
        labels.setdefault(code, label)
    return labels


ID_TYPE_LABELS = first_labels(ID_TYPES)

EDUCATION_LEVELS = {
    "本科": "undergraduate",
    "undergraduate": "undergraduate",
    "专科": "vocational",
    "高职": "vocational",
    "高职高专": "vocational",
    "专科(高职)": "vocational",
    "vocational": "vocational",
    "硕士": "master",
    "硕士研究生": "master",
    "master": "master",
    "博士": "doctorate",
    "博士研究生": "doctorate",
    "doctorate": "doctorate",
}
STUDY_MODES = {
    "全日制": "full_time",
    "full time": "full_time",
    "full-time": "full_time",
    "非全日制": "part_time",
    "part time": "part_time",
    "part-time": "part_time",
}
GENDERS = {
    "男": "male",
    "女": "female",
    "male": "male",
    "female": "female",
    "m": "male",
    "f": "female",
}
# 特殊类别 tokens. Subsidy categories in order of precedence when a row names several:
# the one with the most support wins (§4.4).
SUBSIDY_TOKENS = {
    "重残": "severe_disability",
    "低保": "low_income_family",
    "低收入": "low_income",
    "家庭经济困难": "hardship",
    "经济困难": "hardship",
}
SUBSIDY_PRECEDENCE = ("severe_disability", "low_income_family", "low_income", "hardship")
TRAINING_TOKENS = {
    "定向": "directed",
    "委培": "commissioned",
    "交流": "exchange",
    "合作培养": "co_trained",
}
IN_SERVICE_TOKENS = {"在职"}
INSURED_ELSEWHERE_TOKENS = {"已参加其他医保", "其他医保", "外地参保", "已在外地参保"}
SPECIAL_SEPARATORS = re.compile(r"[、,，;；/\s]+")

EXCEL_EPOCH = date(1899, 12, 30)
DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?: \d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
SCIENTIFIC = re.compile(r"^\d+(\.\d+)?E\+?\d+$")
HMT_PERMIT_PREFIXES = ("810000", "820000", "830000")
DOCUMENT_SHAPE = re.compile(r"^[A-Z0-9]{5,20}$")

STUDENT_FIELDS = (
    "name",
    "id_type",
    "id_number",
    "student_number",
    "school",
    "college",
    "major",
    "education_level",
    "study_mode",
    "registered_on",
    "gender",
    "phone",
    "nationality",
    "origin",
    "subsidy_category",
    "training_mode",
    "in_service",
    "insured_elsewhere",
    "birth_date",
)


# What the roster holds of a student, as a tuple in this order (60,000 of them are
# compared on a re-import: tuples, not dicts). school_status is read, never imported.
EXISTING_FIELDS = ("school_status", *STUDENT_FIELDS)
EXISTING_INDEX = {name: index for index, name in enumerate(EXISTING_FIELDS)}


def as_record(student: Mapping) -> tuple:
    return tuple(student.get(name) for name in EXISTING_FIELDS)


class HeaderError(Refused):
    """The file has no usable header row: one clear file-level error."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    code: str
    message: str


@dataclass(frozen=True)
class Ineligible:
    row: int
    code: str
    message: str


@dataclass
class Header:
    index: int  # position of the header among the sheet's rows
    row: int  # sheet row number a person sees
    columns: dict[str, int]  # field -> cell position
    unknown: list[str]
    cells: list  # the header row as read
    max_lengths: dict[str, int] = field(default_factory=dict)  # the roster's column sizes


@dataclass(slots=True)
class ParsedRow:
    row: int
    values: dict  # Student field -> value, only the fields this file provides
    cells: list  # the row as read, for the error workbook
    errors: list[RowError] = field(default_factory=list)


@dataclass
class Plan:
    """What importing the file would do. `new` and `updated` hold only valid rows."""

    header: Header
    rows: int = 0
    new: list[dict] = field(default_factory=list)
    updated: list[tuple[int, dict, dict]] = field(default_factory=list)  # pk, values, changes
    unchanged: int = 0
    invalid: list[RowError] = field(default_factory=list)
    ineligible: list[Ineligible] = field(default_factory=list)
    rejected_rows: list[ParsedRow] = field(default_factory=list)

    @property
    def invalid_rows(self) -> int:
        return len(self.rejected_rows)

    def as_json(self) -> dict:
        return {
            "rows": self.rows,
            "new": len(self.new),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "invalid": [
                {"row": e.row, "column": e.column, "code": e.code, "message": e.message}
                for e in self.invalid
            ],
            "ineligible": [
                {"row": i.row, "code": i.code, "message": i.message} for i in self.ineligible
            ],
        }


# --- headers ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def normalise_header(value) -> str:
    text = unicodedata.normalize("NFKC", str(value or ""))
    return re.sub(r"\s+", " ", text).strip().lower().replace("（", "(").replace("）", ")")


ALIASES = {
    normalise_header(alias): name
    for name, (label, aliases) in COLUMNS.items()
    for alias in (label, *aliases)
}


def find_header(
    rows: list[list], *, first_row: int, search: int = 20, max_lengths: Mapping | None = None
) -> Header:
    """The header is the first of the top rows holding the most known column names, so
    title rows above it ("2025级新生报到名单") are skipped."""
    best = None
    for index, row in enumerate(rows[:search]):
        columns = {}
        for position, cell in enumerate(row):
            name = ALIASES.get(normalise_header(cell))
            if name and name not in columns:
                columns[name] = position
        if columns and (best is None or len(columns) > len(best[1])):
            best = (index, columns)
    if best is None or len(best[1]) < 3:
        raise HeaderError(
            "找不到表头行：前 20 行中没有「姓名」「证件号码」「学号」等列名，请检查文件内容。"
        )
    index, columns = best
    missing = [COLUMNS[name][0] for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise HeaderError(f"第 {first_row + index} 行表头缺少必需的列：{'、'.join(missing)}。")
    known = set(columns.values())
    unknown = [
        str(cell).strip()
        for position, cell in enumerate(rows[index])
        if position not in known and str(cell).strip()
    ]
    return Header(
        index=index,
        row=first_row + index,
        columns=columns,
        unknown=unknown,
        cells=list(rows[index]),
        max_lengths=dict(max_lengths or {}),
    )


# --- cells -----------------------------------------------------------------------------------


def clean_text(value) -> str:
    """Trim (U+3000 included) and fold full-width letters and digits."""
    if type(value) is not str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        value = str(value)
    if not value.isascii():  # NFKC only where it can change something: it is the hot path
        value = unicodedata.normalize("NFKC", value)
    if not value.isprintable():  # tabs, line breaks and control characters from copy-paste
        value = CONTROL.sub(" ", value)
    return value.strip()


def parse_date(value) -> date | None:
    """Excel date cells, serial numbers and the written forms of DESIGN.md §5; None when
    the text is not a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel's own range: 1900-01-01 .. 9999-12-31
            return EXCEL_EPOCH + timedelta(days=int(value))
        return None
    text = clean_text(value)
    if len(text) == 10:
        try:
            return date.fromisoformat(text)  # the common case, checked first
        except ValueError:
            pass
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # a serial that arrived as text (csv)
        return EXCEL_EPOCH + timedelta(days=int(float(text)))
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
    return None


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
            (f"证件号码 {number} 是科学计数法，末几位已丢失；请将该列设置为文本格式后重新填写。"),
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


def parse_row(header: Header, row_number: int, cells: list) -> ParsedRow:
    """One data row: every cell of a known column cleaned once, then checked."""
    width = len(cells)
    raw = {
        name: cells[position] if position < width else ""
        for name, position in header.columns.items()
    }
    text = {name: clean_text(value) for name, value in raw.items()}
    errors: list[RowError] = []
    values: dict = {}

    def error(name, code, message):
        errors.append(RowError(row_number, COLUMNS[name][0], code, message))

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
        values["name"] = "".join(values["name"].split())
    values["student_number"] = text["student_number"].upper()

    for name, choices in CHOICE_FIELDS:
        if name not in text:
            continue
        value = text[name]
        if value:
            key = normalise_header(value)
            if key not in choices:
                error(name, "unknown_value", f"「{COLUMNS[name][0]}」的值「{value}」无法识别。")
            value = choices.get(key, "")
        values[name] = value

    registered = text["registered_on"]
    values["registered_on"] = parse_date(raw["registered_on"]) if registered else None
    if registered and values["registered_on"] is None:
        error(
            "registered_on",
            "bad_date",
            f"「报到注册时间」的值「{registered}」不是有效日期"
            "（可写作 2025-09-01、2025/9/1 或 2025年9月1日）。",
        )

    if text.get("special"):  # a blank cell keeps what staff recorded by hand
        special, unknown = parse_special(text["special"])
        values.update(special)
        if unknown:
            error("special", "unknown_value", f"「特殊类别」中的「{unknown}」无法识别。")

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


ELIGIBILITY_FIELDS = {
    field.name: "" if field.default is dataclasses.MISSING else field.default
    for field in dataclasses.fields(rules.EligibilityFacts)
}


def eligibility_of(values: Mapping, existing: Mapping | None = None) -> rules.Eligibility:
    """Eligibility from the file's values, completed by the roster's record if any."""
    source = {**existing, **values} if existing else values
    return rules.eligibility(
        rules.EligibilityFacts(
            **{name: source.get(name, default) for name, default in ELIGIBILITY_FIELDS.items()}
        )
    )


def mark_duplicates(rows: list[ParsedRow]) -> None:
    """Every occurrence of an ID number or student number seen twice is rejected, each
    naming the others: which one is right is for the staff to say, not for us to guess."""
    by_id, by_number = defaultdict(list), defaultdict(list)
    for row in rows:
        values = row.values
        if values.get("id_type") and values.get("id_number"):
            by_id[(values["id_type"], values["id_number"])].append(row)
        if values.get("student_number"):
            by_number[values["student_number"]].append(row)
    for groups, column in ((by_id, "id_number"), (by_number, "student_number")):
        label = COLUMNS[column][0]
        for group in groups.values():
            if len(group) < 2:
                continue
            for row in group:
                others = "、".join(str(other.row) for other in group if other is not row)
                row.errors.append(
                    RowError(row.row, label, "duplicate_in_file", f"{label}与第 {others} 行重复。")
                )


def plan_import(
    header: Header,
    rows: Iterable[ParsedRow],
    *,
    existing_by_key: Mapping[tuple[str, str], tuple[int, tuple]],
    key_by_student_number: Mapping[str, tuple[str, str]],
) -> Plan:
    """Classify every parsed row against the roster: new, updated (with the changes),
    unchanged, or invalid; ineligible rows are still imported and listed.
    `existing_by_key` maps a business key to (pk, record as in EXISTING_FIELDS)."""
    name_at = EXISTING_INDEX["name"]
    rows = list(rows)
    mark_duplicates(rows)
    plan = Plan(header=header, rows=len(rows))
    for row in rows:
        values = row.values
        key = (values.get("id_type"), values.get("id_number"))
        found = existing_by_key.get(key) if not row.errors else None
        if not row.errors:
            owner = key_by_student_number.get(values["student_number"])
            if found and found[1][name_at] != values["name"]:
                row.errors.append(
                    RowError(
                        row.row,
                        "姓名",
                        "conflict",
                        "相同证件号存在其他医保账户但姓名不同。",
                    )
                )
            elif owner is not None and owner != key:
                row.errors.append(
                    RowError(
                        row.row,
                        "学号",
                        "conflict",
                        f"学号 {values['student_number']} 已属于名册中另一证件号码的学生。",
                    )
                )
        if row.errors:
            plan.invalid.extend(row.errors)
            plan.rejected_rows.append(row)
            continue
        current = dict(zip(EXISTING_FIELDS, found[1], strict=True)) if found else None
        status = eligibility_of(values, current)
        if not status.eligible:
            plan.ineligible.append(Ineligible(row.row, status.code, status.message))
        if found is None:
            plan.new.append(values)
            continue
        pk = found[0]
        changes = {
            name: (current.get(name), value)
            for name, value in values.items()
            if current.get(name) != value
        }
        if changes:
            plan.updated.append((pk, values, changes))
        else:
            plan.unchanged += 1
    plan.invalid.sort(key=lambda error: error.row)
    return plan
