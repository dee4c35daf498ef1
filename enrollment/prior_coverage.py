"""A prior-coverage file (历年参保记录), pure: one row per student × year saying whether the
student was insured, as the bureau's or the school's records write it. Read row by row
through office.incoming (header below title rows, cells cleaned as everywhere)."""

import re
from dataclasses import dataclass

from office.cells import clean_text
from office.headers import Header
from office.incoming import Problem

from .incoming import id_number_of

LABELS = {
    "id_number": ("证件号码", "身份证号码", "身份证号", "公民身份号码", "id number"),
    "student_number": ("学号", "student number"),
    "name": ("姓名", "name"),
    "year": ("年度", "参保年度", "缴费年度", "险种年度", "year"),
    "status": ("参保状态", "状态", "参保情况", "status"),
}
REQUIRED = (("id_number", "student_number"), "year", "status")

COVERED = "covered"
NOT_COVERED = "not_covered"
# The words the bureau's exports and the schools' own lists use (README: 历年参保记录).
# Suspensions (暂停参保, e.g. for military service) are neither and are left to staff.
STATUSES = {
    "已参保": COVERED,
    "参保": COVERED,
    "正常参保": COVERED,
    "参保缴费": COVERED,
    "正常缴费": COVERED,
    "已缴费": COVERED,
    "在保": COVERED,
    "正常": COVERED,
    "未参保": NOT_COVERED,
    "中断": NOT_COVERED,
    "参保中断": NOT_COVERED,
    "断保": NOT_COVERED,
    "未缴费": NOT_COVERED,
    "停保": NOT_COVERED,
}
STATUS_LABELS = {COVERED: "已参保", NOT_COVERED: "未参保"}
YEAR = re.compile(r"^(\d{4})(?:\.0+)?(?:年度?)?$")
# Cells are quoted in messages by a short prefix only: a file of huge cells must not
# make huge messages (issue #10 point 8).
QUOTED = 20


@dataclass(frozen=True)
class Line:
    row: int
    id_number: str
    student_number: str
    name: str
    year: int
    status: str  # COVERED or NOT_COVERED


def quoted(text: str) -> str:
    return text if len(text) <= QUOTED else text[:QUOTED] + "…"


def parse_line(header: Header, row: int, cells: list) -> Line | Problem:
    id_number, problem = id_number_of(clean_text(header.cell(cells, "id_number")))
    if problem:
        return Problem(row, "证件号码", problem)
    student_number = clean_text(header.cell(cells, "student_number")).replace(" ", "")
    if not id_number and not student_number:
        return Problem(row, "学号", "学号和证件号码都为空，无法确定是哪位学生。")
    year_text = clean_text(header.cell(cells, "year")).replace(" ", "")
    match = YEAR.match(year_text)
    if match is None:
        return Problem(row, "年度", f"年度「{quoted(year_text)}」应为四位数字的年份，如 2025。")
    status_text = clean_text(header.cell(cells, "status")).replace(" ", "")
    status = STATUSES.get(status_text)
    if status is None:
        return Problem(
            row,
            "参保状态",
            f"无法识别「{quoted(status_text)}」：参保的写 已参保、参保 或 正常参保，"
            "未参保的写 未参保 或 中断。",
        )
    return Line(
        row=row,
        id_number=id_number,
        student_number=student_number,
        name=clean_text(header.cell(cells, "name")),
        year=int(match.group(1)),
        status=status,
    )


def same_name(written: str, on_roster: str) -> bool:
    """A name in the file is the roster's, spaces and case aside (John Smith, 张 三)."""
    return re.sub(r"\s+", "", written).casefold() == re.sub(r"\s+", "", on_roster).casefold()
