"""What the hostile files are made of: the roster's columns and valid rows, and an xlsx
written as its XML (no spreadsheet library: a case is exactly the file described)."""

import random
import string
import zipfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

MB = 1024 * 1024
MAX_FILE_BYTES = 30 * MB  # office.spreadsheets.MAX_FILE_BYTES, not imported: no Django here

# The roster's columns (enrollment.tests.files.HEADER), so a readable case is a roster.
HEADER = [
    "姓名",
    "证件类型",
    "证件号码",
    "学号",
    "院校名称",
    "学院名称",
    "专业名称",
    "学历层次",
    "学习形式",
    "报到注册时间",
]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
PACKAGE_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{RELATIONS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONS}"><sheets>'
    '<sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{RELATIONS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{RELATIONS}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
SHEET_PART = "xl/worksheets/sheet1.xml"
BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    )
    + "]>"
)


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA, 16383 -> XFD."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row() -> str:
    cells = "".join(inline(f"{column_letters(i)}1", name) for i, name in enumerate(HEADER))
    return f'<row r="1">{cells}</row>'


def roster_values(number: int) -> list[str]:
    """A valid roster row's cells, a different student for each number below a million
    (a resident ID with its check digit: born 2000-01-01 plus number // 1000 days)."""
    born = date(2000, 1, 1) + timedelta(days=number // 1000)
    body = f"310104{born:%Y%m%d}{number % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return [
        f"学生{number}",
        "居民身份证",
        body + check,
        f"26{number:06d}",
        "示范大学",
        "医学院",
        "临床医学",
        "本科",
        "全日制",
        "2026-09-01",
    ]


def sheet_xml(rows: str, *, before: str = "", prologue: str = "") -> str:
    return f'{prologue}<worksheet xmlns="{MAIN}">{before}<sheetData>{rows}</sheetData></worksheet>'


def write_xlsx(
    path: Path,
    sheet: str | Callable[[zipfile.ZipFile], None],
    *,
    shared: list[str] = (),
    level: int = 6,
) -> None:
    """A one-sheet workbook; `sheet` is its XML, or writes SHEET_PART itself."""
    strings = "".join(f"<si><t>{value}</t></si>" for value in shared)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr(
            "xl/sharedStrings.xml",
            f'<sst xmlns="{MAIN}" count="{len(shared)}" uniqueCount="{len(shared)}">'
            f"{strings}</sst>",
        )
        if callable(sheet):
            sheet(archive)
        else:
            archive.writestr(SHEET_PART, sheet)


def letters(count: int, seed: int = 1) -> str:
    """Text that compresses as little as a real cell's, so the zip checks let it through."""
    return "".join(random.Random(seed).choices(string.ascii_letters, k=count))
