"""Reading the spreadsheets the office receives (xlsx, xls, csv in UTF-8 or GBK/GB18030)
safely: size, decompression, XML-entity and cell-range checks happen before any parser
sees the file, and no file within the size cap takes more than a few hundred megabytes
to read (bench/hostile_files.py measures the hostile ones of office/tests/hostile.py).

Cells come back as the parser gives them (str, float, int, date, datetime); interpreting
them is the importer's job (office.cells, office.headers). Row numbers are the ones a
person sees in the sheet. A workbook is read sheet by sheet: its visible worksheets, in
order (hidden sheets hold drop-down lists and old data; chart sheets hold no cells).

- xlsx: every part streamed whole first (office.xlsx_parts: bombs, DOCTYPE), the text
  the cells would hold bounded (office.xlsx_text), each sheet's range measured before
  calamine reads it (office.xlsx_layout), and a large sheet read narrowed
  (office.xlsx_narrow). xlsb and ods are refused.
- xls: the records measured first (office.xls_check).
- csv: streamed, the row cap applied as it is read (office.csv_sheets)."""

import itertools
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from office import csv_sheets, xls_check, xlsx_layout, xlsx_parts, xlsx_text
from office.sheets import (
    HEADER_SEARCH_ROWS,
    RESAVE,
    FileRefused,
    Sheet,
    guarded,
    reader_errors,
    shared_text,
    too_many_rows,
)
from office.xlsx_narrow import Worksheets

__all__ = ["HEADER_SEARCH_ROWS", "FileRefused", "Sheet", "read_sheet", "read_sheets"]

MAX_FILE_BYTES = 30 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
MAX_COMPRESSION_RATIO = 120  # real sheets compress ~5-20:1; bombs by thousands
MAX_ROWS = 100_000
OLE2 = b"\xd0\xcf\x11\xe0"


def read_sheet(path: Path, *, name: str | None = None) -> Sheet:
    """The first visible sheet of an xlsx/xls file or the rows of a csv."""
    for sheet in read_sheets(path, name=name):
        return sheet
    raise FileRefused("no_sheet", "工作簿中没有可见的工作表。")


def read_sheets(path: Path, *, name: str | None = None) -> Iterator[Sheet]:
    """The visible worksheets of an xlsx/xls file one after the other, or the rows of a
    csv as one sheet, after the safety checks (which run before the first is yielded)."""
    path = Path(path)
    name = (name or path.name).lower()
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FileRefused(
            "too_large",
            f"文件过大（{size // 1024 // 1024} MB），上限为 {MAX_FILE_BYTES // 1024 // 1024} MB。",
        )
    if size == 0:
        raise FileRefused("empty", "文件是空的。")
    with open(path, "rb") as handle:
        magic = handle.read(8)
    if magic.startswith(b"PK\x03\x04"):
        return _read_workbook(path, _checked_xlsx(path, name))
    if magic.startswith(OLE2):  # legacy .xls
        try:
            xls_check.check(path, max_rows=MAX_ROWS, head_rows=HEADER_SEARCH_ROWS)
        except xls_check.XlsRefused as exc:
            raise FileRefused(exc.code, exc.message) from None
        return _read_workbook(path, None)
    if name.endswith((".xlsx", ".xlsm", ".xls", ".xlsb")):
        raise FileRefused("bad_format", "文件扩展名是 Excel，但内容不是有效的 Excel 文件。")
    if name.endswith((".csv", ".txt")):
        return iter([csv_sheets.read_csv(path, max_rows=MAX_ROWS)])
    raise FileRefused("bad_format", "不支持的文件格式：请上传 xlsx、xls 或 csv 文件。")


def _checked_xlsx(path: Path, name: str) -> Worksheets:
    """Zip bombs, XML declarations, cells that would parse into more text than a roster
    ever holds: refused before the workbook is parsed."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise FileRefused("bad_format", "文件已损坏，无法作为 xlsx 打开。") from None
    with archive:
        try:
            xlsx_parts.check_members(
                archive, max_total=MAX_UNCOMPRESSED_BYTES, max_ratio=MAX_COMPRESSION_RATIO
            )
            _refuse_other_zips(archive, name)
            xlsx_text.check(archive)
            parts = xlsx_parts.sheet_parts(archive)
            if any(map(xlsx_parts.is_picture, parts.values())):
                raise xlsx_parts.unsafe(
                    "文件的工作表存放方式异常（可能是恶意构造的文件），已拒绝处理。"
                )
        except (xlsx_parts.PartRefused, xlsx_text.TooMuchText) as exc:
            raise FileRefused(exc.code, exc.message) from None
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error, EOFError):
            raise FileRefused("bad_format", "文件已损坏或已加密，无法读取。") from None
    return Worksheets(path, parts)


def _refuse_other_zips(archive: zipfile.ZipFile, name: str) -> None:
    """xlsb (binary parts) and OpenDocument files are zips too; neither is read here:
    their parts cannot be measured before a reader takes them."""
    names = {member.lower() for member in archive.namelist()}
    if name.endswith(".xlsb") or any("workbook" in m and m.endswith(".bin") for m in names):
        raise FileRefused("bad_format", f"不支持 Excel 二进制工作簿（xlsb）：{RESAVE}")
    if "mimetype" in names or name.endswith(".ods"):
        raise FileRefused("bad_format", f"不支持 OpenDocument 表格（ods）：{RESAVE}")


def _read_workbook(path: Path, worksheets: Worksheets | None) -> Iterator[Sheet]:
    """Opened now, so a broken or encrypted file is refused by the call; each sheet is
    parsed only when the caller asks for it, and let go when the caller moves on."""
    with reader_errors():
        workbook = CalamineWorkbook.from_path(str(path))
        visible = [
            (index, sheet.name)
            for index, sheet in enumerate(workbook.sheets_metadata)
            if sheet.visible == SheetVisibleEnum.Visible and sheet.typ == SheetTypeEnum.WorkSheet
        ]
    return (_read_worksheet(workbook, index, name, worksheets) for index, name in visible)


def _read_worksheet(workbook, index: int, name: str, worksheets: Worksheets | None) -> Sheet:
    if worksheets is not None:
        part, layout = worksheets.layout(name)
        _check_range(layout, name)
        if layout.area > xlsx_layout.DIRECT_CELLS:
            return worksheets.narrowed(index, name, part, layout)
    with reader_errors():
        sheet = workbook.get_sheet_by_index(index)
        if sheet.height > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise too_many_rows(MAX_ROWS)
        # iter_rows() starts at the sheet's first row even when the used range starts lower
        rows = sheet.iter_rows()
        head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    return Sheet(
        head=head,
        rest=shared_text(guarded(rows)),
        first_row=1,
        height=sheet.height,
        name=sheet.name,
    )


def _check_range(layout: xlsx_layout.Layout, name: str) -> None:
    if layout.last_row > xlsx_layout.EXCEL_ROWS or layout.last_column >= xlsx_layout.EXCEL_COLUMNS:
        raise FileRefused(
            "bad_format",
            f"工作表「{name}」有单元格超出 Excel 的范围（最后一列 XFD，最后一行 "
            f"{xlsx_layout.EXCEL_ROWS}）：这不是表格软件保存的文件。{RESAVE}",
        )
    if layout.last_row > MAX_ROWS + HEADER_SEARCH_ROWS:
        raise too_many_rows(MAX_ROWS)
