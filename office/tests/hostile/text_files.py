"""Hostile text files (csv) and files that are no spreadsheet at all."""

import csv
import io
from pathlib import Path

from .parts import HEADER, MAX_FILE_BYTES, letters, roster_values


def newline_flood(path: Path) -> None:
    """The header, then newlines to the size cap: 31 million blank rows."""
    header = (",".join(HEADER) + "\n").encode()
    path.write_bytes(header + b"\n" * (MAX_FILE_BYTES - len(header)))


def comma_flood(path: Path) -> None:
    """One header and rows of nothing but commas to the size cap: 3 million rows of ten
    empty cells each."""
    header = (",".join(HEADER) + "\n").encode()
    line = b"," * 9 + b"\n"
    path.write_bytes(header + line * ((MAX_FILE_BYTES - len(header)) // len(line)))


def megabyte_cells_csv(path: Path) -> None:
    values = roster_values(2)
    line = ",".join([*values[:7], letters(1_000_000), *values[8:]])
    path.write_text(",".join(HEADER) + "\n" + line + "\n", encoding="utf-8")


def utf16_csv(path: Path) -> None:
    """What Excel saves as "Unicode text": UTF-16 with its byte-order mark."""
    text = "\n".join(",".join(r) for r in [HEADER, roster_values(2), roster_values(3)]) + "\n"
    path.write_bytes(text.encode("utf-16"))


def nul_bytes(path: Path) -> None:
    text = ",".join(HEADER) + "\n" + ",".join(roster_values(2)) + "\n"
    path.write_bytes(text.encode() + b"\x00" * 1000 + b"\n")


def renamed_pdf(path: Path) -> None:
    path.write_bytes(
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" + b"0" * 2000 + b"\n%%EOF\n"
    )


def empty(path: Path) -> None:
    path.write_bytes(b"")


def long_extension(path: Path) -> None:
    """A csv roster whose name ends in an extension of 240 characters."""
    text = "\n".join(",".join(r) for r in [HEADER, roster_values(2)]) + "\n"
    path.write_text(text, encoding="utf-8")


def formula_names(path: Path) -> None:
    """Names a spreadsheet would evaluate: =HYPERLINK(…), +86…, -…, @SUM(…)."""
    names = ['=HYPERLINK("http://example.com","点击")', "+86 张三", "-李四", "@SUM(1,2)"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for n, name in enumerate(names, start=2):
        writer.writerow([name, *roster_values(n)[1:]])
    path.write_text(buffer.getvalue(), encoding="utf-8")
