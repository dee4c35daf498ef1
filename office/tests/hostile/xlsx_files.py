"""Hostile xlsx files: bombs, XML declarations, huge cells, huge or sparse ranges."""

import struct
import zipfile
import zlib
from pathlib import Path

from .parts import (
    BILLION_LAUGHS,
    HEADER,
    MAIN,
    MB,
    SHEET_PART,
    column_letters,
    header_row,
    inline,
    letters,
    roster_values,
    sheet_xml,
    write_xlsx,
)


def zip_bomb(path: Path) -> None:
    """A 320 MB sheet of blanks in 300 KB: past the uncompressed total and any sane ratio."""

    def sheet(archive):
        with archive.open(SHEET_PART, "w", force_zip64=True) as part:
            part.write(f'<worksheet xmlns="{MAIN}"><sheetData>'.encode())
            block = b" " * MB
            for _ in range(320):
                part.write(block)
            part.write(b"</sheetData></worksheet>")

    write_xlsx(path, sheet, level=9)


def lying_zip_bomb(path: Path) -> None:
    """A sheet whose directory says 600 bytes while its deflate stream holds 200 MB of
    rows (the CRC is that of the first 600): the declared sizes pass every check, and
    a reader that trusts the stream to its end does not stop."""
    row = "<row>" + "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in HEADER)
    row = (row + "</row>").encode()
    head = f'<worksheet xmlns="{MAIN}"><sheetData>'.encode()
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    stream = [compressor.compress(head)]
    block = row * 1000
    for _ in range(200 * MB // len(block)):
        stream.append(compressor.compress(block))
    stream.append(compressor.compress(b"</sheetData></worksheet>") + compressor.flush())
    declared = 600
    write_xlsx(path, sheet_xml(""))
    _replace_member(
        path,
        SHEET_PART,
        b"".join(stream),
        crc=zlib.crc32((head + block)[:declared]),
        size=declared,
    )


def _replace_member(path: Path, name: str, stream: bytes, *, crc: int, size: int) -> None:
    """Rewrite the zip with `name`'s compressed bytes, CRC and uncompressed size replaced
    (in its local header and in the central directory alike)."""
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    out = bytearray()
    central = bytearray()
    for info, content in members:
        name_bytes = info.filename.encode()
        if info.filename == name:
            compressed, member_crc, member_size = stream, crc, size
        else:
            compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
            compressed = compressor.compress(content) + compressor.flush()
            member_crc, member_size = zlib.crc32(content), len(content)
        offset = len(out)
        fields = (20, 0x800, 8, 0, 0x21, member_crc, len(compressed), member_size)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields, len(name_bytes), 0)
        out += name_bytes + compressed
        central += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 20, *fields, len(name_bytes), 0, 0, 0, 0, 0, offset
        )
        central += name_bytes
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(out), 0
    )
    path.write_bytes(bytes(out + central + end))


def billion_laughs(path: Path) -> None:
    row = header_row() + '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    write_xlsx(path, sheet_xml(row, prologue='<?xml version="1.0"?>' + BILLION_LAUGHS))


def external_entity(path: Path) -> None:
    doctype = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    row = header_row() + '<row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
    write_xlsx(path, sheet_xml(row, prologue='<?xml version="1.0"?>' + doctype))


def doctype_past_4096(path: Path) -> None:
    """The DOCTYPE behind a 64 KB comment, where a check of the first 4,096 bytes (or
    of the first 64 KB) does not look."""
    prologue = '<?xml version="1.0"?><!--' + "x" * (64 * 1024) + "-->" + BILLION_LAUGHS
    row = header_row() + '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    write_xlsx(path, sheet_xml(row, prologue=prologue))


def doctype_in_shared_strings(path: Path) -> None:
    """The DOCTYPE in lower case, in the shared strings, past a long comment."""
    write_xlsx(path, sheet_xml(header_row()))
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    members["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0"?><!--'
        + b"y" * 10_000
        + b'--><!doctype sst [<!entity a "a">]>'
        + members["xl/sharedStrings.xml"]
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def megabyte_cells(path: Path) -> None:
    """Three cells of a million characters (30 times Excel's limit), inline."""
    rows = [header_row()]
    for r in range(2, 5):
        values = roster_values(r)
        values[7] = letters(1_000_000, seed=r)
        rows.append(
            f'<row r="{r}">'
            + "".join(inline(f"{column_letters(i)}{r}", v) for i, v in enumerate(values))
            + "</row>"
        )
    write_xlsx(path, sheet_xml("".join(rows)))


def wide_rows(path: Path, *, rows: int = 100_000, columns: int = 90) -> None:
    """`rows` valid roster rows under the header, each with columns - 10 more columns
    that no field claims (one-digit numbers, as XlsxWriter writes them): 280 MB of XML
    in 18 MB, within every limit, so it must be read."""
    letters_of = [column_letters(i) for i in range(columns)]
    extra = [(letters_of[i], f'"><v>{i % 10}</v></c>') for i in range(len(HEADER), columns)]
    header_extra = "".join(
        inline(f"{letter}1", f"附加列{n}") for n, (letter, _) in enumerate(extra)
    )

    def sheet(archive):
        with archive.open(SHEET_PART, "w", force_zip64=True) as part:
            part.write(f'<worksheet xmlns="{MAIN}"><sheetData>'.encode())
            part.write(header_row().replace("</row>", header_extra + "</row>").encode())
            batch = []
            for r in range(2, rows + 2):
                cells = "".join(
                    inline(f"{letters_of[i]}{r}", v) for i, v in enumerate(roster_values(r))
                )
                cells += "".join(f'<c r="{letter}{r}{tail}' for letter, tail in extra)
                batch.append(f'<row r="{r}">{cells}</row>')
                if len(batch) == 2000:
                    part.write("".join(batch).encode())
                    batch = []
            part.write("".join(batch).encode())
            part.write(b"</sheetData></worksheet>")

    write_xlsx(path, sheet)


def sparse_cells(path: Path) -> None:
    """A roster of two rows and one more cell at XFD20000: the sheet's range is
    20,000 rows by 16,384 columns, 327 million cells for a reader that fills it."""
    rows = [header_row()]
    for r in (2, 3):
        rows.append(
            f'<row r="{r}">'
            + "".join(inline(f"{column_letters(i)}{r}", v) for i, v in enumerate(roster_values(r)))
            + "</row>"
        )
    rows.append('<row r="20000"><c r="XFD20000"><v>1</v></c></row>')
    write_xlsx(path, sheet_xml("".join(rows), before='<dimension ref="A1:XFD20000"/>'))


def many_rows(path: Path) -> None:
    """A cell at row 1,048,576 (Excel's last row) under the header."""
    rows = header_row() + '<row r="1048576"><c r="A1048576"><v>1</v></c></row>'
    write_xlsx(path, sheet_xml(rows))


def xlsb(path: Path) -> None:
    """A zip that is an xlsb (binary parts) named as such."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="bin" ContentType="application/'
            'vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>',
        )
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00" + bytes(64))
