"""Where a worksheet's cells lie, read from its XML before calamine parses it, and the
narrower sheets calamine is given instead of a large one.

calamine fills a sheet's used range whole, about 70 bytes a cell at its peak: a roster
with one more cell at XFD20000 took 10 GB, and 100,000 rows of 90 columns 660 MB. A sheet
is measured first (Layout); one past Excel's last row or column, or with more rows than
an import takes, is refused; one whose range is larger than DIRECT_CELLS is read from
two narrower copies: its top rows in every column (the header is among them), then only
the columns the importer reads, side by side.

A cell's place is its `r` attribute; a cell without one takes the place calamine gives
it: the next column after the cell before it, in the row of the last `<row r=…>` (or
the one after the row before), which is what Walk does. Cells without a value
(`<c r="B2" s="1"/>`, formatting) hold no place in the range and are passed over."""

import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .xlsx_parts import PartRefused, stream

EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384
DIRECT_CELLS = 1_000_000  # ~70 MB in calamine: read as it is
LONGEST_ELEMENT = 8 * 1024 * 1024
WINDOW = 1024 * 1024  # a cut is made before the last cell or row found this close to the end

# Elements may carry any namespace prefix (calamine matches local names). A part without
# one anywhere (nearly all) is read with expressions that begin with a plain "<c", which
# the matcher finds fast; the others with expressions that allow one.
PREFIX = rb"(?:[\w.-]+:)?"
PREFIXED = re.compile(rb":(?:c|row)[\s/>]")
TOKEN = re.compile(rb"<(/?)" + PREFIX + rb"(row|c)(?=[\s/>])([^>]*?)(/?)>")
PLAIN_TOKEN = re.compile(rb"<(/?)(row|c)(?=[\s/>])([^>]*?)(/?)>")
CELL_OR_ROW = re.compile(rb"<" + PREFIX + rb"(?:row|c)(?=[\s/>])")
PLAIN_CELL_OR_ROW = re.compile(rb"<(?:row|c)(?=[\s/>])")
NOT_CELL_STARTS = re.compile(rb"<c[\w.:-]")  # <col, <cfRule…: counted apart from <c
EMPTY_CELL = re.compile(rb"<c(?=[\s/>])[^>]*/>")
# atomic: once a cell's r="…" is found, a cell it does not match is passed at once
_VALUED_REF = rb"<c(?=\s)(?>[^>]*?\sr\s*=\s*[\"'])"
COLUMNS_OF_CELLS = re.compile(_VALUED_REF + rb"([A-Za-z]++)[0-9]++[\"'][^>]*+(?<!/)>")
ROWS_OF_CELLS = re.compile(_VALUED_REF + rb"[A-Za-z]++([0-9]++)[\"'][^>]*+(?<!/)>")
R_ATTRIBUTE = re.compile(rb"""\sr\s*=\s*["']([^"']*)["']""")
REFERENCE = re.compile(rb"([A-Za-z]+)([0-9]+)")
TAG_PREFIX = re.compile(rb"<(/?)[\w.-]+:")


@dataclass(frozen=True)
class Layout:
    """The cells' range: rows 1-based, columns 0-based; `cells` counts the valued ones.
    `positional`: some cell has no `r`, and was placed by counting. `fast`: every valued
    cell has `r` and no element a prefix, so the copies are made by fast expressions."""

    first_row: int = 0
    last_row: int = 0
    first_column: int = 0
    last_column: int = -1
    cells: int = 0
    positional: bool = False
    fast: bool = False

    @property
    def width(self) -> int:
        return self.last_column - self.first_column + 1 if self.cells else 0

    @property
    def area(self) -> int:
        return (self.last_row - self.first_row + 1) * self.width if self.cells else 0


def column_index(letters: bytes) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + letter - 64
    return index - 1


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def bad_reference(reference: bytes) -> PartRefused:
    shown = reference[:20].decode("ascii", "replace")
    return PartRefused(
        "bad_format",
        f"单元格位置「{shown}」无效：这不是表格软件保存的文件。"
        "请用 Excel 或 WPS 打开后另存为 xlsx 再上传。",
    )


# --- reading a sheet's XML in pieces ---------------------------------------------------------


def segments(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """The part's bytes in pieces cut just before a cell or row element (elements are
    whole in one piece), or before a "<" when none starts near the end."""
    carry = b""
    for chunk in stream(archive, member):
        data = carry + chunk
        cut = _last_start(data)
        if cut <= 0:
            if len(data) > LONGEST_ELEMENT:
                raise PartRefused(
                    "cell_too_long",
                    "文件中有过长的单元格或元素：这不是表格软件保存的文件，已拒绝处理。",
                )
            carry = data
            continue
        yield data[:cut]
        carry = data[cut:]
    if carry:
        yield carry


def _last_start(data: bytes) -> int:
    """Where the last cell or row element near the end of `data` starts; else its last
    "<"; 0 or -1 for none."""
    low = max(0, len(data) - WINDOW)
    cut = max(data.rfind(b"<c ", low), data.rfind(b"<c>", low), data.rfind(b"<row ", low))
    tail = data[max(cut, low) :]
    if cut < 0 or prefixed(tail) or any(tail.count(b"<" + c) for c in (b"c\t", b"c\n", b"c\r")):
        starts = list((CELL_OR_ROW if prefixed(data) else PLAIN_CELL_OR_ROW).finditer(data, low))
        cut = starts[-1].start() if starts else data.rfind(b"<")
    return cut


def prefixed(segment: bytes) -> bool:
    """Whether a cell or row element in `segment` may have a namespace prefix."""
    return PREFIXED.search(segment) is not None


class Walk:
    """calamine's way of placing cells, kept across pieces: (row 1-based, column
    0-based, start, end) of each valued cell element whole in a piece."""

    def __init__(self):
        self.row = 0  # 0-based, as calamine counts
        self.column = 0
        self.positional = False

    def cells(self, segment: bytes) -> Iterator[tuple[int, int, int, int]]:
        opened = None
        for token in (TOKEN if prefixed(segment) else PLAIN_TOKEN).finditer(segment):
            closing, name, attributes, empty = token.groups()
            if name == b"row":
                if closing:
                    self.row, self.column = self.row + 1, 0
                    continue
                found = R_ATTRIBUTE.search(attributes)
                if found:
                    number = found.group(1).strip()
                    if not number.isdigit() or int(number) < 1:
                        raise bad_reference(number)
                    self.row = int(number) - 1
                if empty:
                    self.row, self.column = self.row + 1, 0
                continue
            if closing:
                if opened is not None:
                    yield opened[0], opened[1], opened[2], token.end()
                    opened = None
                continue
            found = R_ATTRIBUTE.search(attributes)
            if found:
                reference = REFERENCE.fullmatch(found.group(1).strip())
                if not reference or int(reference.group(2)) < 1:
                    raise bad_reference(found.group(1))
                row, column = int(reference.group(2)), column_index(reference.group(1))
            else:
                self.positional = True
                row, column = self.row + 1, self.column
            self.column = column + 1
            if not empty:
                opened = (row, column, token.start())


# --- measuring -------------------------------------------------------------------------------


def measure(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> Layout:
    """The sheet's Layout: from the cells' `r` attributes, found fast, when every valued
    cell has one; else by walking every cell as calamine would."""
    return _measure_by_references(archive, member) or _measure_by_walking(archive, member)


def _measure_by_references(archive, member) -> Layout | None:
    """None as soon as a piece has a valued cell without `r`, or a prefix."""
    columns: set[bytes] = set()
    rows: set[bytes] = set()
    cells = 0
    for segment in segments(archive, member):
        if prefixed(segment):
            return None
        found = COLUMNS_OF_CELLS.findall(segment)
        starts = segment.count(b"<c")
        if len(found) != starts:  # <col…, empty cells <c …/>, or cells without r
            starts -= len(NOT_CELL_STARTS.findall(segment)) + len(EMPTY_CELL.findall(segment))
            if len(found) != starts:
                return None
        cells += len(found)
        columns.update(found)
        rows.update(ROWS_OF_CELLS.findall(segment))
    if not cells:
        return Layout(fast=True)
    numbers = [int(row) for row in rows]
    indexes = [column_index(letters) for letters in columns]
    if min(numbers) < 1:
        raise bad_reference(b"0")
    return Layout(min(numbers), max(numbers), min(indexes), max(indexes), cells, fast=True)


def _measure_by_walking(archive, member) -> Layout:
    walk = Walk()
    first_row, last_row, first_column, last_column, cells = EXCEL_ROWS * 10, 0, 10**9, -1, 0
    for segment in segments(archive, member):
        for row, column, _, _ in walk.cells(segment):
            cells += 1
            first_row, last_row = min(first_row, row), max(last_row, row)
            first_column, last_column = min(first_column, column), max(last_column, column)
    if not cells:
        return Layout(positional=walk.positional)
    return Layout(first_row, last_row, first_column, last_column, cells, walk.positional)


# --- the narrower copies ---------------------------------------------------------------------


def top_rows(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, layout: Layout, *, rows: int
) -> Iterator[bytes]:
    """The XML of a worksheet holding the sheet's cells of rows 1..`rows`, where they were."""
    if not layout.fast:
        return _walked(archive, member, lambda row, column: None if row > rows else b"")
    digits = rb"[1-9][0-9]{0,%d}+" % (len(str(rows)) - 1)
    return _matched(archive, member, rb"([A-Za-z]++)(" + digits + rb")", rows=rows)


def columns_only(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, layout: Layout, *, columns: list[int]
) -> Iterator[bytes]:
    """The XML of a worksheet holding the sheet's cells of `columns` (0-based, in the
    sheet) only, moved to columns A, B, C… in that order."""
    new = {column: column_letters(index).encode() for index, column in enumerate(columns)}
    if not layout.fast:
        return _walked(archive, member, lambda row, column: new.get(column))
    renamed = {column_letters(column).encode(): letters for column, letters in new.items()}
    renamed.update({old.lower(): letters for old, letters in renamed.items()})
    return _matched(archive, member, b"(" + _any_of(renamed) + rb")([0-9]++)", renamed=renamed)


def _any_of(words) -> bytes:
    """An expression matching exactly `words` (column letters), as a trie: the matcher
    then tries a character class at each step instead of every word in turn."""
    by_first: dict[bytes, list[bytes]] = {}
    for word in set(words):
        by_first.setdefault(word[:1], []).append(word[1:])
    branches = [
        re.escape(first)
        + b"(?:"
        + _any_of([rest for rest in rests if rest])
        + (b")?" if b"" in rests else b")")
        for first, rests in sorted(by_first.items())
        if any(rests)
    ]
    ends = b"".join(sorted(first for first, rests in by_first.items() if not any(rests)))
    if ends:
        branches.append(b"[" + ends + b"]")
    return b"|".join(branches)


OPEN = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
CLOSE = b"</sheetData></worksheet>"


def _walked(archive, member, keep) -> Iterator[bytes]:
    """Each cell `keep(row, column)` keeps, with `r` naming its place: its own column
    letters when keep gives b"", else the letters keep gives. Every cell is walked."""
    yield OPEN
    walk = Walk()
    for segment in segments(archive, member):
        out = []
        for row, column, start, end in walk.cells(segment):
            letters = keep(row, column)
            if letters is None:
                continue
            letters = letters or column_letters(column).encode()
            out.append(_placed(segment[start:end], letters + str(row).encode()))
        if out:
            yield b"".join(out)
    yield CLOSE


def _matched(
    archive, member, reference: bytes, *, rows: int | None = None, renamed=None
) -> Iterator[bytes]:
    """The same for a sheet whose valued cells all have `r` and no prefix: only the cells
    whose `r` matches `reference` (two groups: letters, row) are found, by one
    expression; `rows` keeps those up to that row, `renamed` gives their new letters."""
    kept = re.compile(_VALUED_REF + reference + rb"[\"'][^>]*+(?<!/)>.*?</c\s*>", re.DOTALL)
    yield OPEN
    for segment in segments(archive, member):
        if renamed is None:
            out = [
                found.group(0)
                for found in kept.finditer(segment)
                if rows is None or int(found.group(2)) <= rows
            ]
        else:
            out = [
                segment[found.start() : found.start(1)]
                + renamed[found.group(1)]
                + segment[found.end(1) : found.end()]
                for found in kept.finditer(segment)
            ]
        if out:
            yield b"".join(out)
    yield CLOSE


def _placed(element: bytes, reference: bytes) -> bytes:
    """The cell element with `r` set to `reference` and namespace prefixes dropped (the
    copy's root declares the main namespace as the default)."""
    if b":" in element:
        element = TAG_PREFIX.sub(rb"<\1", element)
    head_end = element.find(b">")
    head = element[:head_end]
    head = R_ATTRIBUTE.sub(b"", head, count=1)
    return b'<c r="' + reference + b'"' + head[2:] + element[head_end:]


def columns_kept(positions: Iterable[int], *, leading: int = 3) -> list[int]:
    """The columns (relative to the sheet's first) an importer reads, and the first
    `leading` before the first of them (a 序号 column; a footer's "合计" is often there)."""
    chosen = sorted(set(positions))
    if not chosen:
        return []
    return sorted(set(chosen) | set(range(min(chosen[0], leading))))
