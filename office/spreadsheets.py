"""Reading the spreadsheets the office receives (xlsx, xls, csv in UTF-8 or GBK/GB18030)
safely: size, decompression and XML-entity checks happen before any parser sees the file.

Cells come back as the parser gives them (str, float, int, date, datetime); interpreting
them is the importer's job (office.cells, office.headers). Row numbers are the ones a
person sees in the sheet."""

import codecs
import csv
import io
import itertools
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

from office.errors import Refused

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
    `height` counts every row, for progress."""

    head: list[list]
    rest: Iterator[list]
    first_row: int
    height: int


def read_sheet(path: Path, *, name: str | None = None) -> Sheet:
    """The first sheet of an xlsx/xls file or the rows of a csv, after the safety checks."""
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
        return _read_csv(path)
    raise FileRefused("bad_format", "不支持的文件格式：请上传 xlsx、xls 或 csv 文件。")


def _check_zip(path: Path) -> None:
    """Zip bombs and XML entity expansion are refused before the workbook is parsed."""
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


def _read_workbook(path: Path) -> Sheet:
    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    except (CalamineError, ValueError, OSError) as exc:  # calamine's ways of saying "broken"
        raise FileRefused("bad_format", f"无法读取 Excel 文件：{exc}") from None
    if sheet.height > MAX_ROWS + HEADER_SEARCH_ROWS:
        raise _too_many_rows()
    # iter_rows() starts at the sheet's first row even when the used range starts lower
    rows = sheet.iter_rows()
    head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    return Sheet(head=head, rest=_guarded(rows), first_row=1, height=sheet.height)


def _guarded(rows: Iterator[list]) -> Iterator[list]:
    try:
        yield from rows
    except (CalamineError, ValueError, OSError) as exc:
        raise FileRefused("bad_format", f"无法读取 Excel 文件：{exc}") from None


def _read_csv(path: Path) -> Sheet:
    try:
        rows = list(csv.reader(io.StringIO(decode_csv(path.read_bytes()), newline="")))
    except csv.Error as exc:
        raise FileRefused("bad_format", f"csv 文件格式有误：{exc}") from None
    if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
        raise _too_many_rows()
    head = rows[:HEADER_SEARCH_ROWS]
    return Sheet(head=head, rest=iter(rows[HEADER_SEARCH_ROWS:]), first_row=1, height=len(rows))


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


def iter_data_rows(sheet: Sheet, header_index: int) -> Iterator[tuple[int, list]]:
    """(sheet row number, cells) for every non-blank row after the header."""
    rows = itertools.chain(sheet.head[header_index + 1 :], sheet.rest)
    for offset, row in enumerate(rows, start=header_index + 1):
        if any(cell != "" and cell is not None for cell in row):
            yield sheet.first_row + offset, row
