"""A legacy .xls (BIFF8 records in an OLE2 compound file) measured before calamine reads
it: calamine fills each sheet's used range whole, and gives every cell that uses a
shared string its own copy of it. A 30 MB file can name A1 and IV65536 (16 million
cells) or point a million cells at one 32,767-character string (64 GB of text); both
are refused here, after reading only the records' headers and the shared strings'
lengths. The compound file is read by hand, defensively: every sector number, chain
and size is checked against the file, so a broken file is refused, never followed."""

import struct
from dataclasses import dataclass, field
from pathlib import Path

MAX_AREA = 1_000_000  # an .xls holds 65,536 rows; 15 full columns of them fit
MAX_TEXT_BYTES = 64 * 1024 * 1024  # office.xlsx_text.MAX_TEXT_BYTES
SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
END_OF_CHAIN = 0xFFFFFFFE
FREE = 0xFFFFFFFF
STREAMS = ("workbook", "book")

BOF, EOF, SST, CONTINUE, FILEPASS = 0x0809, 0x000A, 0x00FC, 0x003C, 0x002F
WORKSHEET = 0x0010
MULRK, LABELSST = 0x00BD, 0x00FD
# records of one cell with a value, each beginning with its row and column
CELLS = {0x0006, 0x00D6, 0x0203, 0x0204, 0x0205, 0x027E, 0x0004, 0x0003, 0x0002}


class XlsRefused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


RESAVE = "请用 Excel 或 WPS 打开后另存为 xlsx 再上传。"


def broken() -> XlsRefused:
    return XlsRefused(
        "bad_format", f"无法读取 Excel 文件：文件已损坏，或不是 Excel 能打开的格式。{RESAVE}"
    )


@dataclass
class SheetRange:
    first_row: int = 1 << 30
    last_row: int = -1
    first_column: int = 1 << 30
    last_column: int = -1
    cells: int = 0

    def add(self, row: int, first: int, last: int) -> None:
        self.first_row, self.last_row = min(self.first_row, row), max(self.last_row, row)
        self.first_column = min(self.first_column, first)
        self.last_column = max(self.last_column, last)
        self.cells += last - first + 1

    @property
    def area(self) -> int:
        if self.cells == 0:
            return 0
        return (self.last_row - self.first_row + 1) * (self.last_column - self.first_column + 1)


@dataclass
class Survey:
    sheets: list[SheetRange] = field(default_factory=list)
    strings: list[int] = field(default_factory=list)  # bytes of each shared string, parsed
    shared_cells: dict[int, int] = field(default_factory=dict)  # string index -> cells using it


def check(path: Path, *, max_rows: int, head_rows: int) -> None:
    """Raise XlsRefused for a sheet with more than `max_rows` rows after the `head_rows` a
    header may sit below, a range over MAX_AREA, or
    cells whose shared strings would parse into more than MAX_TEXT_BYTES; a file that is
    not a readable compound file is left to the reader, which refuses it in its words."""
    data = Path(path).read_bytes()
    try:
        stream = workbook_stream(data)
    except (struct.error, IndexError, ValueError):
        return
    if stream is None:
        return
    survey = records(stream)
    for sheet in survey.sheets:
        if sheet.last_row + 1 > max_rows + head_rows:
            raise XlsRefused(
                "too_many_rows", f"文件超过 {max_rows} 行上限：请按学院或日期拆分后分别导入。"
            )
        if sheet.area > MAX_AREA:
            raise XlsRefused(
                "unsafe",
                f"工作表的使用范围过大（{sheet.last_row + 1} 行 × "
                f"{sheet.last_column - sheet.first_column + 1} 列），"
                f"超出 xls 文件能安全读取的范围。{RESAVE}",
            )
    lengths = survey.strings
    text = sum(
        lengths[index] * count
        for index, count in survey.shared_cells.items()
        if index < len(lengths)
    )
    if text > MAX_TEXT_BYTES:
        raise XlsRefused(
            "too_much_text",
            f"表格中的文字展开后超过 {MAX_TEXT_BYTES // 1024 // 1024} MB 的上限"
            "（同一段文字被大量单元格重复引用），正常的名单远小于此。"
            "请删去与导入无关的内容，或拆分后分别上传。",
        )


# --- the compound file -----------------------------------------------------------------------


def workbook_stream(data: bytes) -> bytes | None:
    """The Workbook (or BIFF5 Book) stream, None when there is none."""
    if not data.startswith(SIGNATURE) or len(data) < 512:
        return None
    shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
    if shift not in (9, 12) or mini_shift != 6:
        return None
    size = 1 << shift
    count = len(data) // size - 1  # sectors the file can hold, after its header
    fat_sectors, directory_start = struct.unpack_from("<II", data, 0x2C)
    mini_cutoff, mini_fat_start, mini_fat_count, difat_start, difat_count = struct.unpack_from(
        "<IIIII", data, 0x38
    )

    def sector(number: int) -> bytes:
        if number >= count:
            raise ValueError("sector out of the file")
        start = (number + 1) * size
        return data[start : start + size]

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    next_difat = difat_start
    for _ in range(min(difat_count, count)):
        if next_difat >= count:
            break
        entries = struct.unpack(f"<{size // 4}I", sector(next_difat))
        difat.extend(entries[:-1])
        next_difat = entries[-1]
    fat: list[int] = []
    for number in difat[: min(fat_sectors, count)]:
        if number >= count:
            break
        fat.extend(struct.unpack(f"<{size // 4}I", sector(number)))

    def chain(start: int, table: list[int]) -> list[int]:
        numbers = []
        seen = set()
        while start not in (END_OF_CHAIN, FREE) and start < len(table):
            if start in seen:
                raise ValueError("a loop in the sector chain")
            seen.add(start)
            numbers.append(start)
            start = table[start]
        return numbers

    directory = b"".join(sector(n) for n in chain(directory_start, fat))
    entries = [directory[i : i + 128] for i in range(0, len(directory) - 127, 128)]
    if not entries:
        return None
    found = None
    for entry in entries:
        name_length = struct.unpack_from("<H", entry, 64)[0]
        name = entry[: max(0, min(name_length, 64) - 2)].decode("utf-16-le", "replace").lower()
        if entry[66] == 2 and name in STREAMS:
            found = entry
            break
    if found is None:
        return None
    start, length = struct.unpack_from("<IQ", found, 116)
    if shift == 9:
        length &= 0xFFFFFFFF
    length = min(length, len(data))
    if length >= mini_cutoff:
        return b"".join(sector(n) for n in chain(start, fat))[:length]
    root = entries[0]
    mini_stream = b"".join(sector(n) for n in chain(struct.unpack_from("<I", root, 116)[0], fat))
    mini_fat_data = b"".join(sector(n) for n in chain(mini_fat_start, fat)[:mini_fat_count])
    mini_fat = list(struct.unpack(f"<{len(mini_fat_data) // 4}I", mini_fat_data))
    pieces = [mini_stream[n * 64 : n * 64 + 64] for n in chain(start, mini_fat)]
    return b"".join(pieces)[:length]


# --- the BIFF records ------------------------------------------------------------------------


def records(stream: bytes) -> Survey:
    """Every worksheet's range and every shared string's length, from the records."""
    survey = Survey()
    sheet: SheetRange | None = None
    position, end = 0, len(stream) - 4
    sst: list[bytes] = []
    in_sst = False
    while position <= end:
        kind, length = struct.unpack_from("<HH", stream, position)
        body = stream[position + 4 : position + 4 + length]
        position += 4 + length
        if kind == CONTINUE and in_sst:
            sst.append(body)
            continue
        in_sst = False
        if kind == FILEPASS:  # the rest is encrypted: the reader asks for the password
            return Survey()
        if kind in (BOF, 0x0409, 0x0209, 0x0009) and len(body) >= 4:
            kind_of_stream = struct.unpack_from("<H", body, 2)[0]
            sheet = SheetRange() if kind_of_stream == WORKSHEET else None
            if sheet is not None:
                survey.sheets.append(sheet)
        elif kind == EOF:
            sheet = None
        elif kind == SST:
            sst, in_sst = [body], True
        elif sheet is not None and len(body) >= 4:
            row, column = struct.unpack_from("<HH", body, 0)
            if kind in CELLS:
                sheet.add(row, column, column)
            elif kind == LABELSST and len(body) >= 10:
                sheet.add(row, column, column)
                index = struct.unpack_from("<I", body, 6)[0]
                survey.shared_cells[index] = survey.shared_cells.get(index, 0) + 1
            elif kind == MULRK and len(body) >= 6:
                last = struct.unpack_from("<H", body, len(body) - 2)[0]
                if last >= column:
                    sheet.add(row, column, last)
    if sst:
        survey.strings = shared_string_lengths(sst)
    return survey


def shared_string_lengths(pieces: list[bytes]) -> list[int]:
    """Bytes of each string of the SST record (pieces: it and its CONTINUE records) once
    parsed: a character stored in one byte counts one, in two bytes three (UTF-8). A
    string's characters may go on in the next piece, which then begins with its own
    flags byte."""
    lengths: list[int] = []
    if not pieces or len(pieces[0]) < 8:
        return lengths
    unique = struct.unpack_from("<I", pieces[0], 4)[0]
    piece, at = 0, 8
    data = pieces[0]

    def advance(count: int) -> None:
        nonlocal piece, at, data
        at += count
        while at >= len(data) and piece + 1 < len(pieces):
            at -= len(data)
            piece += 1
            data = pieces[piece]

    try:
        for _ in range(unique):
            if at >= len(data):
                advance(0)
                if at >= len(data):
                    break
            if at + 3 > len(data):
                break
            characters, flags = struct.unpack_from("<HB", data, at)
            advance(3)
            runs = extension = 0
            if flags & 0x08:
                runs = struct.unpack_from("<H", data, at)[0]
                advance(2)
            if flags & 0x04:
                extension = struct.unpack_from("<I", data, at)[0]
                advance(4)
            wide = flags & 0x01
            total = 0
            left = characters
            while left:
                room = (len(data) - at) // (2 if wide else 1)
                take = min(left, room)
                total += take * (3 if wide else 1)
                left -= take
                advance(take * (2 if wide else 1))
                if left:
                    if piece + 1 >= len(pieces) and at >= len(data):
                        break
                    wide = data[at] & 0x01  # a continued string begins with its flags
                    advance(1)
            lengths.append(total)
            advance(runs * 4 + extension)
            if len(lengths) > 4_000_000:
                break
    except struct.error:
        pass
    return lengths
