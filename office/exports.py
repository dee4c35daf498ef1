"""Files out: one-sheet xlsx written by XlsxWriter row by row in constant memory (a payment
list has tens of thousands of rows), and csv with spreadsheet formulas neutralised.

An app declares its columns once, a header and a kind each; the kind decides how a value is
written, so ID and student numbers stay text, money is a number shown to the fen, dates are
dates. Every file has its header row in bold and frozen, and columns as wide as their
content (a Chinese character counts double)."""

import csv
import io
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell


class Kind(StrEnum):
    TEXT = "text"
    MONEY = "money"
    DATE = "date"
    INTEGER = "integer"
    # by the value's type: the cells of a received file, sent back as they were read
    AS_READ = "as_read"


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.TEXT

    def __post_init__(self):
        # a received file's header may hold empty or numeric cells
        if not isinstance(self.header, str):
            header = "" if self.header is None else str(self.header)
            object.__setattr__(self, "header", header)


def columns_of(header: Sequence[str], kinds: Mapping[str, Kind] | None = None) -> list[Column]:
    """Columns from their headers: text unless `kinds` says otherwise."""
    kinds = kinds or {}
    return [Column(name, kinds.get(name, Kind.TEXT)) for name in header]


# XlsxWriter dates its parts with the workbook's creation time; a fixed one makes the same
# rows give the same bytes. Any moment will do as long as it is not "now".
CREATED = datetime(2000, 1, 1)
MAX_CELL_CHARACTERS = 32767  # Excel's limit
MAX_WIDTH = 50
PADDING = 2
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATETIME = "datetime"  # the format of a date with a time of day
# control characters, lone surrogates and non-characters: XML cannot hold them
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


class XlsxSheet:
    """One sheet written as its rows come:

        with XlsxSheet(columns, sheet="缴费清单") as out:
            for row in rows:
                out.row(row)
            out.total_row(footer)
        content = out.content

    Text is always written as text, never as a formula. The rows' values alone decide the
    bytes: the same rows give the same file."""

    def __init__(self, columns: Sequence[Column], *, sheet: str, titles: Sequence[str] = ()):
        """`titles`: lines above the header, as some received files have (they take no
        part in the columns' widths)."""
        self.columns = list(columns)
        self.content = b""
        self._buffer = io.BytesIO()
        self._book = xlsxwriter.Workbook(self._buffer, {"constant_memory": True})
        self._book.set_properties({"created": CREATED})
        self._sheet = self._book.add_worksheet(sheet_name(sheet))
        self._write_string = self._sheet.write_string
        self._write_number = self._sheet.write_number
        self._formats = {bold: self._formats_of(bold) for bold in (False, True)}
        self._plain = self._book.add_format()
        self._widths = [display_width(column.header) for column in self.columns]
        for number, title in enumerate(titles):
            self._put_text(number, 0, title, None)
        self._next = len(titles)
        self._write([column.header for column in self.columns], bold=True, header=True)
        self._sheet.freeze_panes(self._next, 0)

    def _formats_of(self, bold: bool) -> dict:
        """Data cells of text and integers keep the default style (General: a string cell
        is text whatever it looks like), which also keeps large files quick to write."""
        extra = {"bold": True} if bold else {}
        return {
            Kind.TEXT: self._book.add_format(extra) if bold else None,
            Kind.INTEGER: self._book.add_format(extra) if bold else None,
            Kind.MONEY: self._book.add_format({"num_format": MONEY_FORMAT, **extra}),
            Kind.DATE: self._book.add_format({"num_format": DATE_FORMAT, **extra}),
            DATETIME: self._book.add_format({"num_format": DATETIME_FORMAT, **extra}),
        }

    def row(self, values: Sequence) -> None:
        self._write(values)

    def total_row(self, values: Sequence) -> None:
        """The total row, in bold."""
        self._write(values, bold=True)

    def close(self) -> bytes:
        if not self.content:
            text_format = self._book.add_format({"num_format": "@"})
            for index, width in enumerate(self._widths):
                # what staff type into an empty cell of a text column stays text
                style = text_format if self.columns[index].kind is Kind.TEXT else None
                self._sheet.set_column(index, index, min(width, MAX_WIDTH) + PADDING, style)
            self._book.close()
            self.content = self._buffer.getvalue()
        return self.content

    def __enter__(self) -> "XlsxSheet":
        return self

    def __exit__(self, *exc) -> None:
        # closing also removes the worksheet's temporary file when a row was refused
        self.close()

    def _write(self, values: Sequence, *, bold: bool = False, header: bool = False) -> None:
        if len(values) > len(self.columns):
            raise ValueError(
                f"row {self._next + 1} has {len(values)} cells for {len(self.columns)} columns"
            )
        formats = self._formats[bold]
        text_format = formats[Kind.TEXT]
        number = self._next
        widths = self._widths
        for index, value in enumerate(values):
            if value.__class__ is str or header:
                if not value:
                    continue
                text = value if value.__class__ is str else _as_text(value)
                text = self._put_text(number, index, text, text_format)
                # no need to measure what cannot be wider than the column already is
                if len(text) * 2 > widths[index]:
                    width = display_width(text)
                    if width > widths[index]:
                        widths[index] = width
            elif value is not None:
                width = self._typed(number, index, value, self.columns[index].kind, formats)
                if width > widths[index]:
                    widths[index] = width
        self._next += 1

    def _typed(self, number: int, index: int, value, kind: Kind, formats: dict) -> int:
        """A value that is not a str, by its column's kind; its width as shown."""
        if isinstance(value, bool) or kind is Kind.TEXT:
            return self._text(number, index, value, formats[Kind.TEXT])
        if isinstance(value, int | Decimal | float) and kind is not Kind.DATE:
            finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
            if not finite:
                reference = xl_rowcol_to_cell(number, index)
                raise ValueError(f"{reference}: {value} is not a number a spreadsheet can hold")
            if kind is Kind.MONEY:
                self._write_number(number, index, float(value), formats[Kind.MONEY])
                return len(f"{value:,.2f}")
            self._write_number(number, index, float(value), formats[Kind.INTEGER])
            return len(str(value))
        if isinstance(value, date) and kind in (Kind.DATE, Kind.AS_READ):
            if isinstance(value, datetime) and value.time() != datetime.min.time():
                self._sheet.write_datetime(number, index, value, formats[DATETIME])
                return len(DATETIME_FORMAT)
            self._sheet.write_datetime(number, index, value, formats[Kind.DATE])
            return len(DATE_FORMAT)
        return self._text(number, index, value, formats[Kind.TEXT])

    def _text(self, number: int, index: int, value, cell_format) -> int:
        return display_width(self._put_text(number, index, _as_text(value), cell_format))

    def _put_text(self, number: int, index: int, text: str, cell_format) -> str:
        """Write `text` as a string cell, never a formula; what it holds once XML can."""
        if len(text) > MAX_CELL_CHARACTERS or not text.isprintable():
            text = NOT_IN_XML.sub(" ", text[:MAX_CELL_CHARACTERS])
        if text.startswith("<r>") and text.endswith("</r>"):
            # XlsxWriter would copy such a text into the file as rich-text XML; as two runs
            # of the same font it is escaped like any other text
            run = cell_format or self._plain
            self._sheet.write_rich_string(number, index, text[:1], run, text[1:], run)
        else:
            self._write_string(number, index, text, cell_format)
        return text


def _as_text(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def xlsx(
    columns: Sequence[Column],
    rows: Iterable[Sequence],
    *,
    sheet: str,
    total: Sequence | None = None,
    titles: Sequence[str] = (),
) -> bytes:
    """The rows under the columns' headers, then `total` (a row) in bold if given."""
    with XlsxSheet(columns, sheet=sheet, titles=titles) as out:
        for row in rows:
            out.row(row)
        if total is not None:
            out.total_row(total)
    return out.content


def display_width(text: str) -> int:
    """Characters as shown, a wide (CJK or full-width) one counted double; capped."""
    if text.isascii():
        return len(text)
    text = text[:MAX_WIDTH]
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def sheet_name(name: str) -> str:
    """Excel's rules: at most 31 UTF-16 units, none of []:*?/\\, no apostrophe at either
    end, and something XML can hold."""
    name = NOT_IN_XML.sub(" ", SHEET_NAME_FORBIDDEN.sub(" ", name))
    while len(name.encode("utf-16-le")) > 62:
        name = name[:-1]
    return name.strip().strip("'") or "Sheet1"


# --- csv ---------------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(rows: Iterable[Sequence]) -> str:
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
