"""Reading the spreadsheets the office receives (xlsx, xls, csv in UTF-8 or GBK/GB18030)
safely: size, decompression and XML-entity checks happen before any parser sees the file.

Cells come back as the parser gives them (str, float, int, date, datetime); interpreting
them is the importer's job (office.cells, office.headers). Row numbers are the ones a
person sees in the sheet. A workbook is read sheet by sheet: its visible worksheets, in
order (hidden sheets hold drop-down lists and old data; chart sheets hold no cells)."""

import codecs
import csv
import io
import itertools
import logging
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from office import xlsx_text
from office.errors import Refused

logger = logging.getLogger(__name__)
MAX_FILE_BYTES = 30 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
MAX_COMPRESSION_RATIO = 120  # real sheets compress ~5-20:1; bombs by thousands
MAX_ROWS = 100_000
HEADER_SEARCH_ROWS = 20


class FileRefused(Refused):
    """The file cannot be read or must not be: nothing in it is looked at further."""

    def __init__(self, code: str, message: str):
        super().__init__(message, code=code)


@dataclass
class Sheet:
    """One sheet, read lazily: `head` holds the top rows (the header is among them),
    `rest` yields the others. `first_row` is the sheet row number of head[0] (1-based);
    `height` counts every row, for progress; `name` is the sheet's ("" for csv)."""

    head: list[list]
    rest: Iterator[list]
    first_row: int
    height: int
    name: str = ""


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
        _check_zip(path)
        return _read_workbook(path)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: legacy .xls
        return _read_workbook(path)
    if name.endswith((".xlsx", ".xlsm", ".xls")):
        raise FileRefused("bad_format", "文件扩展名是 Excel，但内容不是有效的 Excel 文件。")
    if name.endswith((".csv", ".txt")):
        return iter([_read_csv(path)])
    raise FileRefused("bad_format", "不支持的文件格式：请上传 xlsx、xls 或 csv 文件。")


def _check_zip(path: Path) -> None:
    """Zip bombs, XML entity expansion and cells that would parse into more text than
    a roster ever holds (office.xlsx_text) are refused before the workbook is parsed."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise FileRefused("bad_format", "文件已损坏，无法作为 xlsx 打开。") from None
    with archive:
        total = 0
        for member in archive.infolist():
            total += member.file_size
            ratio = member.file_size / max(member.compress_size, 1)
            if total > MAX_UNCOMPRESSED_BYTES or (
                member.file_size > 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO
            ):
                raise FileRefused("unsafe", "文件解压后体积异常（疑似压缩炸弹），已拒绝处理。")
            if member.filename.endswith((".xml", ".rels")):
                try:
                    with archive.open(member) as part:
                        head = part.read(4096)
                except (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error):
                    raise FileRefused("bad_format", "文件已损坏或已加密，无法读取。") from None
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise FileRefused(
                        "unsafe", "文件包含 XML 实体声明（可能是恶意构造的文件），已拒绝处理。"
                    )
        try:  # the text the cells would hold once parsed (cells over Excel's limit, bombs)
            xlsx_text.check(archive)
        except xlsx_text.TooMuchText as exc:
            raise FileRefused(exc.code, exc.message) from None
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error, EOFError):
            raise FileRefused("bad_format", "文件已损坏或已加密，无法读取。") from None


def _read_workbook(path: Path) -> Iterator[Sheet]:
    """Opened now, so a broken or encrypted file is refused by the call; each sheet is
    parsed only when the caller asks for it, and let go when the caller moves on."""
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        visible = [
            index
            for index, sheet in enumerate(workbook.sheets_metadata)
            if sheet.visible == SheetVisibleEnum.Visible and sheet.typ == SheetTypeEnum.WorkSheet
        ]
    except (CalamineError, ValueError, OSError) as exc:  # calamine's ways of saying "broken"
        raise _unreadable(exc) from None
    return (_read_worksheet(workbook, index) for index in visible)


def _read_worksheet(workbook: CalamineWorkbook, index: int) -> Sheet:
    try:
        sheet = workbook.get_sheet_by_index(index)
        if sheet.height > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise _too_many_rows()
        # iter_rows() starts at the sheet's first row even when the used range starts lower
        rows = sheet.iter_rows()
        head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    except (CalamineError, ValueError, OSError) as exc:
        raise _unreadable(exc) from None
    return Sheet(head=head, rest=_guarded(rows), first_row=1, height=sheet.height, name=sheet.name)


def _guarded(rows: Iterator[list]) -> Iterator[list]:
    try:
        yield from rows
    except (CalamineError, ValueError, OSError) as exc:
        raise _unreadable(exc) from None


def _read_csv(path: Path) -> Sheet:
    reader = csv.reader(io.StringIO(decode_csv(path.read_bytes()), newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise _csv_unreadable(exc, line=reader.line_num) from None
    if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
        raise _too_many_rows()
    head = rows[:HEADER_SEARCH_ROWS]
    return Sheet(head=head, rest=iter(rows[HEADER_SEARCH_ROWS:]), first_row=1, height=len(rows))


def _unreadable(exc: Exception) -> FileRefused:
    """The reader's own words are English and technical: staff are told what to do, the
    log keeps the words."""
    logger.info("workbook not readable: %s", exc)
    if any(word in str(exc).lower() for word in ("password", "encrypt")):
        return FileRefused(
            "bad_format", "文件设有打开密码，无法读取：请取消密码后另存为 xlsx 再上传。"
        )
    return FileRefused(
        "bad_format",
        "无法读取 Excel 文件：文件已损坏，或不是 Excel 能打开的格式。"
        "请用 Excel 或 WPS 打开后另存为 xlsx 再上传。",
    )


def _csv_unreadable(exc: csv.Error, *, line: int) -> FileRefused:
    logger.info("csv not readable at line %s: %s", line, exc)
    text = str(exc)
    if "field larger than field limit" in text:
        reason = f"有单元格超过 {csv.field_size_limit()} 个字符"
    elif "NUL" in text:
        reason = "含有空字符（NUL），不是文本文件"
    elif "unexpected end of data" in text:
        reason = "引号不成对，文件在引号内结束"
    else:
        reason = "格式有误"
    return FileRefused("bad_format", f"csv 文件第 {line} 行{reason}，无法读取。")


def decode_csv(data: bytes) -> str:
    """BOM -> strict UTF-8 -> strict GB18030 (a superset of GBK) -> refuse: the same bytes
    always decode the same way, and a file that is neither is never half-guessed."""
    encodings = ["utf-8-sig"] if data.startswith(codecs.BOM_UTF8) else ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused(
        "bad_encoding", "无法识别 csv 文件的编码：请另存为 UTF-8 或 GBK 编码后重新上传。"
    )


def _too_many_rows() -> FileRefused:
    return FileRefused(
        "too_many_rows", f"文件超过 {MAX_ROWS} 行上限：请按学院或日期拆分后分别导入。"
    )
