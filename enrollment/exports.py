"""Files out: xlsx written straight from the rows (no timestamps, no formulas, flat
memory: the tax-bureau payment list has tens of thousands of rows), and csv with
spreadsheet formulas neutralised."""

import csv
import io
import math
import re
import zipfile
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

# Any fixed moment will do; the point is that it is not "now".
FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL_CHARACTERS = 32767  # Excel's limit
NOT_IN_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    # style 1 is the built-in number format 2, "0.00": money shows to the fen
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_END = "</sheetData></worksheet>"


def xlsx(rows: Iterable[list], *, sheet: str) -> bytes:
    """One sheet of rows, written as it is read: no timestamp anywhere, no formula ever
    (text is an inline string), memory flat whatever the number of rows. The bytes
    depend on the rows and this machine's zlib; a file that must be given again
    byte for byte is stored, not rebuilt."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PARTS.items():
            _write(archive, name, text.encode())
        _write(archive, "xl/workbook.xml", WORKBOOK.format(name=_sheet_name(sheet)).encode())
        with archive.open(_entry("xl/worksheets/sheet1.xml"), "w") as part:
            part.write(SHEET_START.encode())
            letters: list[str] = []
            for number, row in enumerate(rows, 1):
                while len(letters) < len(row):
                    letters.append(get_column_letter(len(letters) + 1))
                cells = "".join(
                    _cell(f"{letter}{number}", value)
                    for letter, value in zip(letters, row, strict=False)
                    if value is not None and value != ""
                )
                part.write(f'<row r="{number}">{cells}</row>'.encode())
            part.write(SHEET_END.encode())
    return buffer.getvalue()


def _entry(name: str) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o600 << 16
    return entry


def _write(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    archive.writestr(_entry(name), data)


def _cell(reference: str, value) -> str:
    if isinstance(value, bool):
        value = "是" if value else "否"
    if isinstance(value, int | Decimal | float):
        finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
        if not finite:
            raise ValueError(f"{reference}: {value} is not a number a spreadsheet can hold")
        style = ' s="1"' if isinstance(value, Decimal) else ""
        return f'<c r="{reference}"{style}><v>{value}</v></c>'
    if isinstance(value, date):
        value = value.isoformat()
    text = _text(str(value)[:MAX_CELL_CHARACTERS])
    return f'<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _text(value: str) -> str:
    """XML-safe text: control characters, lone surrogates and non-characters (which XML
    cannot hold) become spaces."""
    return escape(NOT_IN_XML.sub(" ", ILLEGAL_CHARACTERS_RE.sub(" ", value)), {'"': "&quot;"})


def _sheet_name(name: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\."""
    return _text(SHEET_NAME_FORBIDDEN.sub(" ", name)[:31].strip() or "Sheet1")


def csv_text(rows: list[list]) -> str:
    """UTF-8 with BOM (Excel opens it as such); a cell that a spreadsheet would read as a
    formula is prefixed with an apostrophe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([_neutral(value) for value in row])
    return "\ufeff" + buffer.getvalue()


def _neutral(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
