"""Files out: xlsx whose bytes depend only on their rows (a frozen payment list exported
again must be byte-identical), and csv with spreadsheet formulas neutralised."""

import csv
import io
import re
import zipfile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# Any fixed moment will do; the point is that it is not "now".
FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
FIXED_XML_TIME = b"2000-01-01T00:00:00Z"
XML_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def xlsx(rows: list[list], *, sheet: str) -> bytes:
    """One sheet of rows; text stays text, so nothing in a cell is ever run as a formula."""
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    for row in rows:
        worksheet.append([_cell(worksheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _without_timestamps(buffer.getvalue())


def _cell(worksheet, value):
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub(" ", value)  # xlsx cannot hold control characters
    cell = WriteOnlyCell(worksheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _without_timestamps(data: bytes) -> bytes:
    """openpyxl stamps the save time in docProps/core.xml and every zip entry."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "docProps/core.xml":
                content = XML_TIMES.sub(rb"\g<1>" + FIXED_XML_TIME + rb"\g<2>", content)
            entry = zipfile.ZipInfo(item.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, content)
    return buffer.getvalue()


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
