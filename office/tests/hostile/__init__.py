"""Hostile files: what a careless or malicious sender can upload, each built at the size
the limits still let through. office/tests/test_hostile_files.py asserts what each gets
(a clear Chinese answer, never a traceback); bench/hostile_files.py runs each through
import_roster in a process of its own and reports exit code, peak RSS and seconds.

    from office.tests.hostile import CASES, build
    path = build("newline_flood", folder)        # -> folder / CASES[...].filename

Every builder is deterministic and writes raw bytes or XML (no spreadsheet library), so
a case is exactly the file described, and the big ones take seconds, not minutes."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .parts import HEADER, roster_values, write_xlsx
from .text_files import (
    comma_flood,
    empty,
    formula_names,
    long_extension,
    megabyte_cells_csv,
    newline_flood,
    nul_bytes,
    renamed_pdf,
    utf16_csv,
)
from .xls_files import xls_roster, xls_shared_string_bomb, xls_sparse
from .xlsx_files import (
    billion_laughs,
    doctype_in_shared_strings,
    doctype_past_4096,
    external_entity,
    lying_zip_bomb,
    many_rows,
    megabyte_cells,
    sparse_cells,
    wide_rows,
    xlsb,
    zip_bomb,
)

__all__ = ["CASES", "HEADER", "Case", "build", "roster_values", "wide_rows", "write_xlsx"]


@dataclass(frozen=True)
class Case:
    """`expect`: "refused" (import_roster exits 2 with a Chinese reason) or "read" (exit
    0 or 1: the rows were checked). `code`: the FileRefused code of a refusal."""

    name: str
    filename: str
    build: Callable[[Path], None]
    expect: str
    code: str = ""
    about: str = ""


CASES = {
    case.name: case
    for case in (
        Case("zip_bomb", "名单.xlsx", zip_bomb, "refused", "unsafe", "320 MB of blanks in 300 KB"),
        Case(
            "lying_zip_bomb",
            "名单.xlsx",
            lying_zip_bomb,
            "refused",
            "bad_format",  # its stream fails its CRC past the declared size
            "declared 600 B, 200 MB in the stream",
        ),
        Case("billion_laughs", "名单.xlsx", billion_laughs, "refused", "unsafe"),
        Case("external_entity", "名单.xlsx", external_entity, "refused", "unsafe"),
        Case(
            "doctype_past_4096",
            "名单.xlsx",
            doctype_past_4096,
            "refused",
            "unsafe",
            "DOCTYPE behind a 64 KB comment",
        ),
        Case(
            "doctype_in_shared_strings",
            "名单.xlsx",
            doctype_in_shared_strings,
            "refused",
            "unsafe",
            "lower-case DOCTYPE in the shared strings",
        ),
        Case(
            "newline_flood", "名单.csv", newline_flood, "refused", "too_many_rows", "30 MB of \\n"
        ),
        Case("comma_flood", "名单.csv", comma_flood, "refused", "too_many_rows", "30 MB of ,"),
        Case("megabyte_cells", "名单.xlsx", megabyte_cells, "refused", "cell_too_long"),
        Case("megabyte_cells_csv", "名单.csv", megabyte_cells_csv, "refused", "bad_format"),
        Case("wide_100k_x_90", "名单.xlsx", wide_rows, "read", "", "100,000 rows x 90 columns"),
        Case("sparse_cells", "名单.xlsx", sparse_cells, "read", "", "A1 and XFD20000"),
        Case(
            "many_rows", "名单.xlsx", many_rows, "refused", "too_many_rows", "a cell at row 1048576"
        ),
        Case("utf16_csv", "名单.csv", utf16_csv, "refused", "bad_encoding", "UTF-16 with BOM"),
        Case("nul_bytes", "名单.csv", nul_bytes, "refused", "bad_format"),
        Case("renamed_pdf", "名单.xlsx", renamed_pdf, "refused", "bad_format"),
        Case("empty", "名单.xlsx", empty, "refused", "empty"),
        Case("long_extension", "名单." + "x" * 240, long_extension, "refused", "bad_format"),
        Case("formula_names", "名单.csv", formula_names, "read", "", "=, +, -, @ names"),
        Case("xlsb", "名单.xlsb", xlsb, "refused", "bad_format"),
        Case("xls_roster", "名单.xls", xls_roster, "read", "", "a small valid .xls"),
        Case("xls_sparse", "名单.xls", xls_sparse, "refused", "unsafe", "A1 and IV65536"),
        Case(
            "xls_shared_string_bomb",
            "名单.xls",
            xls_shared_string_bomb,
            "refused",
            "too_much_text",
            "one 32,767-character string in 400,000 cells",
        ),
    )
}


def build(name: str, folder: Path) -> Path:
    """Write case `name` into `folder` under its file name; returns the path."""
    case = CASES[name]
    path = Path(folder) / case.filename
    case.build(path)
    return path
