"""The data rows under a header (DESIGN.md §5). Blank rows are passed over. Footers (合计,
制表人, 审核人, 打印日期 …) and the top of the page that a printed-then-retyped or
concatenated file repeats on every page (its title rows and the header) are not data
either: they are skipped and counted, never reported as rows in error."""

import itertools
from collections.abc import Iterator

from .cells import clean_text, header_key
from .headers import Header
from .spreadsheets import Sheet

# How a footer's first cell begins, spaces removed and full-width colons folded: totals,
# signatures, print stamps and notes under the table. No name or number starts so.
FOOTER_STARTS = (
    "合计",
    "总计",
    "小计",
    "共计",
    "制表",
    "填表",
    "填报人",
    "审核",
    "复核",
    "审批",
    "打印日期",
    "打印时间",
    "导出时间",
    "负责人",
    "经办人",
    "签字",
    "签名",
    "盖章",
    "说明:",
    "注:",
    "备注:",
)


class DataRows:
    """(sheet row number, cells) of every data row under `header`; after the loop,
    `skipped` holds the sheet row numbers of the footers and repeated page tops."""

    def __init__(self, sheet: Sheet, header: Header):
        self.sheet = sheet
        self.header = header
        self.skipped: list[int] = []
        tops = [row for row in sheet.head[: header.index + 1] if _first(row)]
        self._top_starts = {_first(row) for row in tops}
        self._tops = {_shape(row) for row in tops}
        self._header_keys = {
            position: header_key(header.cells[position]) for position in header.columns.values()
        }

    def __iter__(self) -> Iterator[tuple[int, list]]:
        start = self.header.index + 1
        rows = itertools.chain(self.sheet.head[start:], self.sheet.rest)
        for offset, cells in enumerate(rows, start=start):
            first = _first(cells)
            if not first:
                continue
            row = self.sheet.first_row + offset
            if first.startswith(FOOTER_STARTS) or (
                first in self._top_starts and self._repeats_top(cells)
            ):
                self.skipped.append(row)
                continue
            yield row, cells

    def _repeats_top(self, cells: list) -> bool:
        if _shape(cells) in self._tops:
            return True
        width = len(cells)
        return all(
            position < width and header_key(cells[position]) == key
            for position, key in self._header_keys.items()
        )


def _first(cells: list) -> str:
    """The row's first non-blank cell as compared with FOOTER_STARTS; "" for a blank row."""
    for cell in cells:
        if cell != "" and cell is not None:
            text = "".join(clean_text(cell).split())
            if text:
                return text
    return ""


def _shape(cells: list) -> tuple[str, ...]:
    """The row as a person reads it: cells cleaned, the blank ones at the end dropped."""
    shown = [clean_text(cell) for cell in cells]
    while shown and not shown[-1]:
        shown.pop()
    return tuple(shown)
