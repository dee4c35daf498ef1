"""What the readers of office.spreadsheets share: the sheet they hand over, the refusal
they raise, calamine's errors put in the staff's words, and repeated text kept once."""

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from python_calamine import CalamineError

from office.errors import Refused

logger = logging.getLogger("office.spreadsheets")
HEADER_SEARCH_ROWS = 20
RESAVE = "请用 Excel 或 WPS 打开后另存为 xlsx 再上传。"
READER_ERRORS = (CalamineError, ValueError, OSError)


class FileRefused(Refused):
    """The file cannot be read or must not be: nothing in it is looked at further."""

    def __init__(self, code: str, message: str):
        super().__init__(message, code=code)


@dataclass
class Sheet:
    """One sheet, read lazily: `head` holds the top rows (the header is among them),
    `rest` yields the others. `first_row` is the sheet row number of head[0] (1-based);
    `height` counts every row, for progress; `name` is the sheet's ("" for csv).
    `narrow` (large sheets only) is told which cell positions the importer reads, before
    `rest` is iterated: use `read_only()`."""

    head: list[list]
    rest: Iterator[Sequence]
    first_row: int
    height: int
    name: str = ""
    narrow: Callable[[Iterable[int]], None] | None = field(default=None, repr=False)

    def read_only(self, positions: Iterable[int]) -> None:
        """The cells at `positions` (as in `head`) are all the importer reads: a large
        sheet parses those columns only (and a few before the first), and the other
        cells of `rest` read as blank."""
        if self.narrow is not None:
            self.narrow(positions)


def too_many_rows(max_rows: int) -> FileRefused:
    return FileRefused(
        "too_many_rows", f"文件超过 {max_rows} 行上限：请按学院或日期拆分后分别导入。"
    )


# --- calamine's errors -----------------------------------------------------------------------


@contextlib.contextmanager
def reader_errors() -> Iterator[None]:
    """calamine's errors as a refusal in the staff's words. A panic inside the reader (a
    file it was not written for) is a BaseException, PanicException, caught by name:
    its class only exists once a panic happened."""
    try:
        yield
    except READER_ERRORS as exc:
        raise unreadable(exc) from None
    except BaseException as exc:
        if type(exc).__name__ == "PanicException":
            raise unreadable(exc) from None
        raise


def guarded(rows: Iterator[list]) -> Iterator[list]:
    with reader_errors():
        yield from rows


def unreadable(exc: BaseException) -> FileRefused:
    """The reader's own words are English and technical: staff are told what to do, the
    log keeps the words."""
    logger.info("workbook not readable: %s: %s", type(exc).__name__, exc)
    if any(word in str(exc).lower() for word in ("password", "encrypt")):
        return FileRefused(
            "bad_format", "文件设有打开密码，无法读取：请取消密码后另存为 xlsx 再上传。"
        )
    return FileRefused(
        "bad_format", f"无法读取 Excel 文件：文件已损坏，或不是 Excel 能打开的格式。{RESAVE}"
    )


# --- repeated text ---------------------------------------------------------------------------


class TextSharing:
    """Each column's repeated text kept once: the parsers make a new string of every
    cell, and a school's, a college's or a major's name repeats on every row (a fifth of
    what a 100,000-row roster takes to check). A column whose values mostly differ
    (names, ID numbers) is left alone after a sample."""

    SAMPLE = 1000

    def __init__(self):
        self.tables: dict[int, dict[str, str] | None] = {}
        self.seen: dict[int, int] = {}

    def __call__(self, row: list) -> list:
        tables = self.tables
        for position, value in enumerate(row):
            if value.__class__ is not str or not value:
                continue
            table = tables.get(position, ...)
            if table is None:
                continue
            if table is ...:
                table = tables[position] = {}
                self.seen[position] = 0
            kept = table.setdefault(value, value)
            if kept is not value:
                row[position] = kept
            seen = self.seen[position] = self.seen[position] + 1
            if seen == self.SAMPLE and len(table) > seen // 2:
                tables[position] = None
        return row


def shared_text(rows: Iterator[list]) -> Iterator[list]:
    share = TextSharing()
    for row in rows:
        yield share(row)
