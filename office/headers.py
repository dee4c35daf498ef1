"""The one header finder every importer uses (DESIGN.md §5): the header is found below
title rows ("2025级新生报到名单"), by Chinese names or their aliases, case, spaces,
punctuation and full-width forms ignored; in a workbook, on the one visible sheet that
has it (WPS and Excel templates put drop-down lists on a sheet of their own)."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .cells import header_key
from .spreadsheets import HEADER_SEARCH_ROWS, FileRefused, Sheet

# field -> its header as staff know it, then the other names accepted for it
Labels = Mapping[str, tuple[str, ...]]
# a field, or several of which one is enough (学号 or 证件号码)
Need = str | tuple[str, ...]


class HeaderError(FileRefused):
    """The file has no usable header row: one clear file-level error."""

    def __init__(self, message: str, *, code: str = "bad_header"):
        super().__init__(code, message)


@dataclass
class Header:
    index: int  # position of the header among the sheet's top rows
    row: int  # sheet row number a person sees
    columns: dict[str, int]  # field -> cell position
    unknown: list[str]  # headers of columns no field claims, as written
    cells: list  # the header row as read
    max_lengths: dict[str, int] = field(default_factory=dict)  # field -> longest value kept
    sheet: str = ""  # the name of the sheet it was found on ("" for csv)

    def cell(self, cells: list, name: str):
        """The raw cell of a field in a data row; "" when the file has no such column or
        the row stops short of it."""
        position = self.columns.get(name)
        if position is None or position >= len(cells):
            return ""
        return cells[position]


def find_header(
    rows: list[list],
    *,
    first_row: int,
    labels: Labels,
    required: tuple[Need, ...],
    search: int = HEADER_SEARCH_ROWS,
    minimum: int = 1,
    max_lengths: Mapping[str, int] | None = None,
    not_found: str = "",
) -> Header:
    """The first of the top `search` rows holding the most known names is the header; it
    must name at least `minimum` fields, and every entry of `required`. `not_found`
    replaces the message naming the required columns when no row qualifies."""
    aliases = {header_key(alias): name for name, names in labels.items() for alias in names}
    best = None
    for index, row in enumerate(rows[:search]):
        columns = {}
        for position, cell in enumerate(row):
            name = aliases.get(header_key(cell))
            if name and name not in columns:
                columns[name] = position
        if columns and (best is None or len(columns) > len(best[1])):
            best = (index, columns)
    if best is None or len(best[1]) < minimum:
        wanted = "」「".join(labels[_names(need)[0]][0] for need in required)
        raise HeaderError(
            not_found or f"找不到表头行：前 {search} 行中没有「{wanted}」等列名。", code="no_header"
        )
    index, columns = best
    missing = [
        "或".join(labels[name][0] for name in _names(need))
        for need in required
        if not any(name in columns for name in _names(need))
    ]
    if missing:
        raise HeaderError(
            f"第 {first_row + index} 行表头缺少必需的列：{'、'.join(missing)}。",
            code="missing_columns",
        )
    known = set(columns.values())
    unknown = [
        str(cell).strip()
        for position, cell in enumerate(rows[index])
        if position not in known and str(cell).strip()
    ]
    return Header(
        index=index,
        row=first_row + index,
        columns=columns,
        unknown=unknown,
        cells=list(rows[index]),
        max_lengths=dict(max_lengths or {}),
    )


def _names(need: Need) -> tuple[str, ...]:
    return (need,) if isinstance(need, str) else need


# `find(rows, first_row=)`: an importer's header finder, find_header with its labels bound
Finder = Callable[..., Header]


def find_table(sheets: Iterable[Sheet], *, find: Finder) -> tuple[Sheet, Header]:
    """The one sheet whose top rows hold the importer's header, and that header. Sheets
    without it are passed over; two sheets with it are refused rather than guessed
    between. With none, the refusal of the sheet that came closest (a header missing
    columns), else the importer's own "no header" refusal."""
    found: tuple[Sheet, Header] | None = None
    refusals: list[tuple[Sheet, HeaderError]] = []
    for sheet in sheets:
        try:
            header = find(sheet.head, first_row=sheet.first_row)
        except HeaderError as exc:
            refusals.append((sheet, exc))
            continue
        if found is not None:
            raise HeaderError(
                f"工作表「{found[0].name}」和「{sheet.name}」都有表头行，无法确定应导入哪一个："
                "请只保留要导入的工作表（或把另一个移到别的文件）后重新上传。",
                code="ambiguous_sheets",
            )
        header.sheet = sheet.name
        found = (sheet, header)
    if found is not None:
        found[0].read_only(found[1].columns.values())  # a large sheet parses only these
        return found
    if not refusals:  # not one worksheet to look at
        find([], first_row=1)  # raises the importer's "no header" refusal
    closest = [(sheet, exc) for sheet, exc in refusals if exc.code != "no_header"]
    sheet, exc = (closest or refusals)[0]
    if closest and len(refusals) > 1:  # say which sheet, when there was a choice
        raise HeaderError(f"工作表「{sheet.name}」{exc.message}", code=exc.code)
    raise exc
