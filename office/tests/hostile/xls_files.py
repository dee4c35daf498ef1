"""Hostile legacy .xls files: BIFF8 records in an OLE2 compound file, written by hand."""

import struct
from pathlib import Path

from .parts import HEADER, letters, roster_values


def _record(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def _biff8(cells: list[bytes], strings: list[str]) -> bytes:
    """A one-sheet BIFF8 workbook stream: `cells` are the sheet's cell records."""
    bof = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06))
    sheet_bof = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0x06))
    name = "名单".encode("utf-16-le")
    globals_without_sheet = bof
    boundsheet_size = 4 + 8 + len(name)
    sst_record = _sst(strings) if strings else b""
    offset = len(globals_without_sheet) + boundsheet_size + len(sst_record) + 4
    boundsheet = _record(0x0085, struct.pack("<IBBBB", offset, 0, 0, 2, 1) + name)
    globals_ = globals_without_sheet + boundsheet + sst_record + _record(0x000A, b"")
    return globals_ + sheet_bof + b"".join(cells) + _record(0x000A, b"")


def _sst(strings: list[str]) -> bytes:
    """The SST record and its CONTINUE records (8,224 bytes at most each): a string's
    characters that go on in the next record follow a flags byte of their own."""
    limit = 8224
    records = [bytearray(struct.pack("<II", len(strings), len(strings)))]
    for text in strings:
        if len(records[-1]) + 3 > limit:
            records.append(bytearray())
        records[-1] += struct.pack("<HB", len(text), 1)
        data = text.encode("utf-16-le")
        while data:
            room = (limit - len(records[-1])) // 2 * 2
            records[-1] += data[:room]
            data = data[room:]
            if data:
                records.append(bytearray(b"\x01"))
    return _record(0x00FC, bytes(records[0])) + b"".join(
        _record(0x003C, bytes(record)) for record in records[1:]
    )


def _compound_file(stream: bytes) -> bytes:
    """A version-3 compound file (512-byte sectors, up to 7 MB) holding one stream,
    "Workbook"."""
    size = 512
    length = max(len(stream), 4096)  # past the mini-stream cutoff
    stream = stream.ljust(length + -length % size, b"\x00")
    data_sectors = len(stream) // size
    per_fat = size // 4
    fat_sectors = 1
    while fat_sectors * per_fat < data_sectors + 1 + fat_sectors:
        fat_sectors += 1
    fat = [*range(1, data_sectors), 0xFFFFFFFE]  # the stream: sectors 0..n-1
    directory = data_sectors
    fat.append(0xFFFFFFFE)  # the directory: one sector
    fat += [0xFFFFFFFD] * fat_sectors  # the FAT's own sectors
    fat += [0xFFFFFFFF] * (fat_sectors * per_fat - len(fat))
    difat = [directory + 1 + n for n in range(fat_sectors)]
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIII", 0, fat_sectors, directory, 0)
        + struct.pack("<IIIII", 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
        + struct.pack("<109I", *(difat + [0xFFFFFFFF] * (109 - len(difat))))
    )
    header += b"\x00" * (size - len(header))

    def entry(name: str, kind: int, child: int, start: int, length: int) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le")
        return (
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", 0xFFFFFFFF, 0xFFFFFFFF, child)
            + bytes(16 + 4 + 16)
            + struct.pack("<IQ", start, length)
        )

    entries = entry("Root Entry", 5, 1, 0xFFFFFFFE, 0) + entry("Workbook", 2, 0xFFFFFFFF, 0, length)
    entries = entries.ljust(size, b"\x00")
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    return header + stream + entries + fat_bytes


def _number(row: int, column: int, value: float) -> bytes:
    return _record(0x0203, struct.pack("<HHHd", row, column, 15, value))


def _label_sst(row: int, column: int, index: int) -> bytes:
    return _record(0x00FD, struct.pack("<HHHI", row, column, 15, index))


def xls_roster(path: Path) -> None:
    """A small valid .xls roster (the builder's own check: it must be read)."""
    values = [HEADER, roster_values(2), roster_values(3)]
    strings = sorted({v for row in values for v in row})
    cells = [
        _label_sst(r, c, strings.index(v))
        for r, row in enumerate(values)
        for c, v in enumerate(row)
    ]
    path.write_bytes(_compound_file(_biff8(cells, strings)))


def xls_sparse(path: Path) -> None:
    """A roster header in row 1 and one number at IV65536: 16.7 million cells for a
    reader that fills the range."""
    cells = [_label_sst(0, c, c) for c in range(len(HEADER))] + [_number(65535, 255, 1.0)]
    path.write_bytes(_compound_file(_biff8(cells, HEADER)))


def xls_shared_string_bomb(path: Path) -> None:
    """A 32,767-character string used by 400,000 cells (6 MB of records, 13 GB of text
    for a reader that copies the string into every cell)."""
    text = letters(32_767)
    cells = [_label_sst(0, c, c) for c in range(len(HEADER))]
    cells += [_label_sst(1 + n // 10, n % 10, len(HEADER)) for n in range(400_000)]
    path.write_bytes(_compound_file(_biff8(cells, [*HEADER, text])))
