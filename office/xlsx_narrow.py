"""A large xlsx sheet read narrowed (office.xlsx_layout says how large, and makes the
copies): its top rows from a copy holding only them, then, once the importer has found
its header and said which columns it reads (Sheet.read_only), the other rows from a
copy holding only those columns. calamine never holds the rest of the sheet, and the
importer never holds a cell of a column it does not read."""

import contextlib
import itertools
import os
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from python_calamine import CalamineWorkbook

from . import xlsx_layout, xlsx_parts, xlsx_text
from .sheets import HEADER_SEARCH_ROWS, RESAVE, FileRefused, Sheet, TextSharing, reader_errors


class Worksheets:
    """An xlsx's worksheet parts (sheet name -> part, office.xlsx_parts.sheet_parts),
    measured when their sheet is read (hidden sheets never are)."""

    def __init__(self, path: Path, parts: dict[str, str]):
        self.path = path
        self.parts = parts

    def layout(self, name: str) -> tuple[str | None, xlsx_layout.Layout]:
        """The sheet's part and Layout; for a sheet whose part the workbook does not
        name plainly, no part and the range of all worksheet parts together."""
        with zipfile.ZipFile(self.path) as archive, part_errors():
            part = self.parts.get(name)
            if part:
                return part, xlsx_layout.measure(archive, archive.getinfo(part))
            layouts = [xlsx_layout.measure(archive, m) for m in xlsx_text.worksheets(archive)]
        return None, _union(layouts)

    def narrowed(self, index: int, name: str, part: str | None, layout) -> Sheet:
        """Sheet `index` of the workbook (`name`, stored in `part`) read narrowed."""
        if part is None:
            raise FileRefused(
                "bad_format", f"工作表「{name}」数据量大且结构少见，无法安全读取。{RESAVE}"
            )
        head = [
            [""] * (start - layout.first_column) + row
            for start, row in self.rows(
                index, part, xlsx_layout.top_rows, layout, rows=HEADER_SEARCH_ROWS
            )
        ][:HEADER_SEARCH_ROWS]
        head += [[] for _ in range(min(HEADER_SEARCH_ROWS, layout.last_row) - len(head))]
        narrowing = Narrowing(self, index, part, layout, head)
        return Sheet(
            head=head,
            rest=narrowing.rows(),
            first_row=1,
            height=layout.last_row,
            name=name,
            narrow=narrowing.keep,
        )

    def rows(self, index: int, part: str, copy, layout, **options) -> Iterator[tuple[int, list]]:
        """(first column, cells) of each row of sheet `index` in a copy of the workbook
        whose part `part` is `copy(...)`'s XML; the copy is removed once calamine has
        read it."""
        handle, name = tempfile.mkstemp(suffix=".xlsx")
        os.close(handle)
        try:
            with zipfile.ZipFile(self.path) as archive, part_errors():
                xlsx_parts.copy_with_sheet(
                    self.path,
                    archive,
                    Path(name),
                    sheet=part,
                    xml=copy(archive, archive.getinfo(part), layout, **options),
                    blank=[m.filename for m in xlsx_text.worksheets(archive)],
                )
            with reader_errors():
                sheet = CalamineWorkbook.from_path(name).get_sheet_by_index(index)
        finally:
            os.unlink(name)
        start = sheet.start[1] if sheet.start else 0
        with reader_errors():
            for row in sheet.iter_rows():
                yield start, row


class Narrowing:
    """The rows after the head of a narrowed sheet: parsed from a copy holding only the
    kept columns, when first asked for."""

    def __init__(self, worksheets: Worksheets, index: int, part: str, layout, head):
        self.worksheets, self.index, self.part, self.layout = worksheets, index, part, layout
        self.head = head
        self.positions: list[int] | None = None

    def keep(self, positions: Iterable[int]) -> None:
        self.positions = xlsx_layout.columns_kept(positions)

    def rows(self) -> Iterator[Sequence]:
        positions = self.positions
        if positions is None:  # not told: every column the head has a cell in
            positions = sorted({p for row in self.head for p, cell in enumerate(row) if cell != ""})
        layout = self.layout
        columns = [layout.first_column + position for position in positions]
        index_of = {position: k for k, position in enumerate(positions)}
        share = TextSharing()
        rows = self.worksheets.rows(
            self.index, self.part, xlsx_layout.columns_only, layout, columns=columns
        )
        width = max(positions, default=-1) + 1  # a row ends at its last kept cell
        for start, row in itertools.islice(rows, len(self.head), None):
            yield NarrowRow(("",) * start + tuple(share(row)), index_of, width)


class NarrowRow(Sequence):
    """A row of a narrowed sheet: the kept cells where they were, every other cell ""
    (without holding a cell for each of them), up to the last kept one: a row of a sheet
    with one cell at XFD1 is not 16,384 cells long for whoever walks along it."""

    __slots__ = ("_index_of", "_values", "_width")

    def __init__(self, values: tuple, index_of: dict[int, int], width: int):
        self._values = values
        self._index_of = index_of
        self._width = width

    def __len__(self) -> int:
        return self._width

    def __getitem__(self, position):
        if isinstance(position, slice):
            return [self[p] for p in range(*position.indices(self._width))]
        if position < 0:
            position += self._width
        if not 0 <= position < self._width:
            raise IndexError(position)
        k = self._index_of.get(position)
        return self._values[k] if k is not None and k < len(self._values) else ""

    def __iter__(self) -> Iterator:
        values, index_of, count = self._values, self._index_of, len(self._values)
        for position in range(self._width):
            k = index_of.get(position)
            yield values[k] if k is not None and k < count else ""

    def __repr__(self) -> str:
        return f"NarrowRow({list(self)!r})"


def _union(layouts: list[xlsx_layout.Layout]) -> xlsx_layout.Layout:
    valued = [layout for layout in layouts if layout.cells]
    if not valued:
        return xlsx_layout.Layout()
    return xlsx_layout.Layout(
        min(layout.first_row for layout in valued),
        max(layout.last_row for layout in valued),
        min(layout.first_column for layout in valued),
        max(layout.last_column for layout in valued),
        sum(layout.cells for layout in valued),
        any(layout.positional for layout in valued),
    )


@contextlib.contextmanager
def part_errors() -> Iterator[None]:
    try:
        yield
    except xlsx_parts.PartRefused as exc:
        raise FileRefused(exc.code, exc.message) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError):
        raise FileRefused("bad_format", "文件已损坏或已加密，无法读取。") from None
