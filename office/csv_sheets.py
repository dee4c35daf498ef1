"""A csv (or .txt) file as a sheet, streamed: read once to settle its encoding and count
its rows, refused at the first row past the cap (30 MB of newlines is 31 million blank
rows: counting them used to hold them all, 2.4 GB), then row by row for the importer."""

import codecs
import csv
import itertools
from collections.abc import Iterator
from pathlib import Path

from .sheets import HEADER_SEARCH_ROWS, FileRefused, Sheet, logger, shared_text, too_many_rows


def read_csv(path: Path, *, max_rows: int) -> Sheet:
    """The file's rows as one sheet; FileRefused past `max_rows` data rows (and the rows
    a header may sit below), or for a file that is not text in UTF-8 or GBK."""
    encoding, height = _survey(path, max_rows=max_rows)
    rows = _rows(path, encoding)
    head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    return Sheet(head=head, rest=shared_text(rows), first_row=1, height=height)


def _survey(path: Path, *, max_rows: int) -> tuple[str, int]:
    """(encoding, rows): BOM -> strict UTF-8 -> strict GB18030 (a superset of GBK) ->
    refuse, so the same bytes always decode the same way and a file that is neither is
    never half-guessed."""
    with open(path, "rb") as handle:
        start = handle.read(4)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRefused(
            "bad_encoding",
            "csv 文件是 UTF-16 编码（Excel 的“Unicode 文本”）："
            "请另存为 UTF-8 或 GBK 编码的 csv 后重新上传。",
        )
    encodings = ["utf-8-sig"] if start.startswith(codecs.BOM_UTF8) else ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            count = 0
            for _ in _rows(path, encoding):
                count += 1
                if count > max_rows + HEADER_SEARCH_ROWS:
                    raise too_many_rows(max_rows)
            return encoding, count
        except UnicodeDecodeError:
            continue
    raise FileRefused(
        "bad_encoding", "无法识别 csv 文件的编码：请另存为 UTF-8 或 GBK 编码后重新上传。"
    )


def _rows(path: Path, encoding: str) -> Iterator[list]:
    with open(path, encoding=encoding, newline="") as handle:
        reader = csv.reader(_text_lines(handle))
        try:
            yield from reader
        except csv.Error as exc:
            raise _unreadable(exc, line=reader.line_num) from None


def _text_lines(handle) -> Iterator[str]:
    """The lines of a text file; a NUL character says it is not one (a binary file, or
    UTF-16 without its byte-order mark)."""
    for number, line in enumerate(handle, start=1):
        if "\x00" in line:
            raise FileRefused(
                "bad_format", f"csv 文件第 {number} 行含有空字符（NUL），不是文本文件，无法读取。"
            )
        yield line


def _unreadable(exc: csv.Error, *, line: int) -> FileRefused:
    logger.info("csv not readable at line %s: %s", line, exc)
    text = str(exc)
    if "field larger than field limit" in text:
        reason = f"有单元格超过 {csv.field_size_limit()} 个字符"
    elif "unexpected end of data" in text:
        reason = "引号不成对，文件在引号内结束"
    else:
        reason = "格式有误"
    return FileRefused("bad_format", f"csv 文件第 {line} 行{reason}，无法读取。")
