"""How much text an xlsx becomes once parsed, measured on its XML before any parser sees
it (office.spreadsheets runs it after the zip checks). The parser keeps every cell's
text, and a shared string once for each cell that uses it: a 4 MB file of 250
one-megabyte cells took 2.4 GB, and 57 KB holding one long string used by 20,000 cells
takes 620 MB. So a cell longer than Excel's own limit is refused, and so is a workbook
whose cells would hold more than MAX_TEXT_BYTES of text.

A common file passes on upper bounds that cost a few byte counts; only a file near the
limit is measured exactly. Parts are read in chunks, and what is kept between two
chunks is at most one element: an element longer than LONGEST_ELEMENT is refused."""

import html
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

MAX_CELL_CHARS = 32_767  # Excel's and WPS's limit per cell: no spreadsheet program writes more
MAX_TEXT_BYTES = 64 * 1024 * 1024
LONGEST_ELEMENT = 8 * 1024 * 1024
CHUNK = 4 * 1024 * 1024
# A block this long without a "<" lies inside one text run, and every run twice as long
# holds a whole block: each run over MAX_CELL_CHARS bytes is found, at a few thousand
# lookups for a large sheet.
BLOCK = 16 * 1024
MB = 1024 * 1024

HEAD = 64 * 1024
PROLOGUE = re.compile(rb"<\?.*?\?>|<!--.*?-->", re.DOTALL)
ROOT = re.compile(rb"<(?![?!])(?:([\w.-]+):)?([\w.-]+)")
UNKNOWN = b"?"
TAG = re.compile(rb"<[^>]*>")
STRING_END = re.compile(rb"</(?:[\w.-]+:)?si\s*>|<(?:[\w.-]+:)?si\s*/>")
TEXT = re.compile(rb">([^<]+)")
CELL_START = re.compile(rb"<(?:[\w.-]+:)?c[\s/>]")
CELL_REF = re.compile(rb'\sr\s*=\s*["\']([A-Za-z]{1,3}[0-9]{1,7})["\']')
SHARED = rb'\st\s*=\s*["\']s["\']'
SHARED_CELL = re.compile(SHARED)
SHARED_REF = re.compile(SHARED + rb"[^>]*>\s*<(?:[\w.-]+:)?v(?:\s[^>]*)?>\s*([0-9]{1,9})\s*<")
# how Excel, WPS, XlsxWriter and openpyxl write a shared-string cell, found fast
PLAIN_SHARED_REF = re.compile(rb't="s"><v>([0-9]{1,9})</v>')
SPACED_ATTRIBUTE = (b" t =", b" t= ", b"\tt", b"\nt", b"\rt", b"t\t", b"t\n", b"t\r")


class TooMuchText(Exception):
    """Why the workbook is refused, in the staff's words; `code` for office.spreadsheets."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Part:
    member: zipfile.ZipInfo
    prefix: bytes  # the namespace prefix its elements are written with, b"" for none


@dataclass
class SharedStrings:
    text: int = 0  # an upper bound of the bytes of text of all of them
    longest: int = 0  # an upper bound of the bytes of text of the longest
    lengths: list[int] | None = None  # bytes of text of each, once measured


def check(archive: zipfile.ZipFile) -> None:
    """Raise TooMuchText for a cell over MAX_CELL_CHARS or more than MAX_TEXT_BYTES of
    cell text once parsed."""
    sheets, shared = [], []
    for member in archive.infolist():
        root = _root(archive, member)
        if root and root[1] in (b"worksheet", UNKNOWN):
            sheets.append(Part(member, root[0]))
        if root and root[1] in (b"sst", UNKNOWN):
            shared.append(Part(member, root[0]))
    strings = SharedStrings()
    for part in shared:  # one, normally; more can only make the bound larger
        _scan_shared(archive, part, strings)
    if strings.longest > MAX_CELL_CHARS:  # may be too long: measured, refused if it is
        strings.lengths = _measure_all_shared(archive, shared)
        strings.longest = max(strings.lengths, default=0)
    bound = strings.text
    for part in sheets:
        text, values = _scan_sheet(archive, part)
        bound += text + values * strings.longest
    if bound <= MAX_TEXT_BYTES:
        return
    if strings.lengths is None:
        strings.lengths = _measure_all_shared(archive, shared)
    total = sum(strings.lengths)
    for part in sheets:
        total += _measure_sheet(archive, part, strings.lengths)
        if total > MAX_TEXT_BYTES:
            raise TooMuchText(
                "too_much_text",
                f"表格中的文字展开后超过 {MAX_TEXT_BYTES // MB} MB 的上限"
                "（同一段文字被大量单元格重复引用，或单元格内容过长），正常的名单远小于此。"
                "请删去与导入无关的内容，或拆分后分别上传。",
            )


def worksheets(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The parts that are worksheets (or may be: see _root), whatever their names."""
    found = []
    for member in archive.infolist():
        root = _root(archive, member)
        if root and root[1] in (b"worksheet", UNKNOWN):
            found.append(member)
    return found


def _root(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> tuple[bytes, bytes] | None:
    """(prefix, local name) of an XML part's root element, None for a part that is not
    XML. Parts are told by what they hold, not by their names, which the workbook's
    relationships choose freely; an XML part whose root does not show in its first
    HEAD bytes is UNKNOWN, and counted both as a sheet and as shared strings."""
    if member.is_dir():
        return None
    with archive.open(member) as part:
        head = part.read(HEAD)
    head = PROLOGUE.sub(b"", head).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<"):
        return None
    match = ROOT.match(head)
    return (match.group(1) or b"", match.group(2)) if match else (b"", UNKNOWN)


def _chunks(archive: zipfile.ZipFile, member: zipfile.ZipInfo, last=None) -> Iterator[bytes]:
    """The part's bytes CHUNK by CHUNK, then `last` if given (the end, for a loop that
    handles what it kept back)."""
    with archive.open(member) as part:
        while chunk := part.read(CHUNK):
            yield chunk
    if last is not None:
        yield last


def _end_tag(part: Part, name: bytes) -> bytes:
    return b"</" + (part.prefix + b":" if part.prefix else b"") + name + b">"


# --- shared strings --------------------------------------------------------------------------


def _scan_shared(archive, part: Part, strings: SharedStrings) -> None:
    """Upper bounds: each tag takes three bytes at least, and a string is at most what
    lies between two of its end tags, less its own two start tags."""
    end = _end_tag(part, b"si")
    tags = 0
    carry = b""
    for chunk in _chunks(archive, part.member):
        data = carry + chunk
        cut = data.rfind(end)
        if cut < 0:
            _refuse_longer_than_element(data)
            carry = data
            continue
        cut += len(end)
        segment, carry = data[:cut], data[cut:]
        if not tags:  # the part's own start tags are no string's
            segment = segment[max(segment.find(end[:1] + end[2:-1]), 0) :]
        tags += segment.count(b"<")
        pieces = segment.split(end)
        longest = max(map(len, pieces))
        if longest > MAX_CELL_CHARS:  # one may be that long: see at once
            for piece in pieces:
                if len(piece) > MAX_CELL_CHARS:
                    _refuse_long_text(TAG.sub(b"", piece), ref="")
        strings.longest = max(strings.longest, longest - 7)
    tags += carry.count(b"<")
    strings.longest = max(strings.longest, len(carry))  # no end tag found: one string
    strings.text += max(part.member.file_size - 3 * tags, 0)


def _measure_all_shared(archive, parts: list[Part]) -> list[int]:
    lengths: list[int] = []
    for part in parts:
        measured = _measure_shared(archive, part)
        if len(measured) > len(lengths):
            lengths, measured = measured, lengths
        lengths = [max(a, b) for a, b in zip(lengths, measured, strict=False)] + lengths[
            len(measured) :
        ]
    return lengths


def _measure_shared(archive, part: Part) -> list[int]:
    """Bytes of text of every shared string, in order: tags removed, entities counted as
    written (never fewer than the parser makes of them). Strings end at any end tag
    `</…si>` and an empty `<si/>` is one, whatever their prefixes: one string merged into
    the next would move every later one to a lower index."""
    lengths: list[int] = []
    carry = b""
    for chunk in _chunks(archive, part.member, last=b""):
        data = carry + chunk
        if chunk:
            ends = list(STRING_END.finditer(data, max(0, len(data) - 2 * CHUNK)))
            if not ends:
                _refuse_longer_than_element(data)
                carry = data
                continue
            cut = ends[-1].end()
        else:
            cut = len(data)
        pieces = TAG.sub(b"", STRING_END.sub(b"\0", data[:cut])).split(b"\0")
        if chunk or not pieces[-1].strip():
            pieces.pop()  # after the last end tag: nothing yet, or the closing </sst>
        for piece in pieces:
            if len(piece) > MAX_CELL_CHARS:
                _refuse_long_text(piece, ref="")
            lengths.append(len(piece))
        carry = data[cut:]
    return lengths


# --- worksheets ------------------------------------------------------------------------------


def _scan_sheet(archive, part: Part) -> tuple[int, int]:
    """Every text run checked against MAX_CELL_CHARS. Returns upper bounds of the bytes
    of the cells' own text (each tag takes three bytes at least) and of the cells with a
    value (each takes four tags at least: its own two and its value's)."""
    tags = 0
    carry = b""
    for chunk in _chunks(archive, part.member, last=b""):
        data = carry + chunk
        cut = data.rfind(b"<") if chunk else len(data)
        if cut <= 0:
            _refuse_longer_than_element(data)
            carry = data
            continue
        segment, carry = data[:cut], data[cut:]
        tags += segment.count(b"<")
        _check_runs(segment)
    return max(part.member.file_size - 3 * tags, 0), tags // 4


def _check_runs(segment: bytes) -> None:
    """A text run over MAX_CELL_CHARS characters is refused, naming its cell. Runs never
    cross a segment's ends (segments are cut before a "<")."""
    position = 0
    while position + BLOCK <= len(segment):
        if segment.find(b"<", position, position + BLOCK) >= 0:
            position += BLOCK
            continue
        start = segment.rfind(b"<", 0, position) + 1
        end = segment.find(b"<", position + BLOCK)
        end = len(segment) if end < 0 else end
        text = segment[start:end].partition(b">")[2]
        if len(text) > MAX_CELL_CHARS:
            refs = CELL_REF.findall(segment, max(0, start - 1024), start)
            _refuse_long_text(text, ref=refs[-1].decode() if refs else "")
        position = end


def _spaced(segment: bytes) -> bool:
    """Whether an attribute may be written with spaces or line breaks around its name:
    most pieces have no tab, line break or " t =" at all, found by fast single scans."""
    if b"\t" in segment or b"\n" in segment or b"\r" in segment:
        return any(spaced in segment for spaced in SPACED_ATTRIBUTE)
    return b" t =" in segment or b" t= " in segment


def _measure_sheet(archive, part: Part, lengths: list[int]) -> int:
    """Exact bytes of the cells' own text, plus each shared string once for every cell
    that uses it; a shared cell in a form not recognised here counts as the longest
    string."""
    total = 0
    longest = max(lengths, default=0)
    known = len(lengths)
    carry = b""
    for chunk in _chunks(archive, part.member, last=b""):
        data = carry + chunk
        if chunk:
            starts = list(CELL_START.finditer(data, max(0, len(data) - 65536)))
            cut = starts[-1].start() if starts else data.rfind(b"<")
            if cut <= 0:
                carry = data
                continue
        else:
            cut = len(data)
        segment, carry = data[:cut], data[cut:]
        total += sum(map(len, TEXT.findall(segment)))
        if _spaced(segment):
            cells, refs = len(SHARED_CELL.findall(segment)), SHARED_REF.findall(segment)
        else:
            cells = segment.count(b't="s"') + segment.count(b"t='s'")
            refs = PLAIN_SHARED_REF.findall(segment)
            if len(refs) < cells:
                refs = SHARED_REF.findall(segment)
        total += sum(lengths[index] if index < known else 0 for index in map(int, refs))
        total += max(cells - len(refs), 0) * longest
        if total > MAX_TEXT_BYTES:
            break
    return total


# --- refusals --------------------------------------------------------------------------------


def _refuse_longer_than_element(data: bytes) -> None:
    if len(data) > LONGEST_ELEMENT:
        raise TooMuchText(
            "cell_too_long",
            f"文件中有单元格超过 Excel 单元格的上限 {MAX_CELL_CHARS} 个字符："
            "这不是表格软件保存的文件，已拒绝处理。",
        )


def _refuse_long_text(text: bytes, *, ref: str) -> None:
    shown = html.unescape(text.decode("utf-8", "replace"))
    if len(shown) <= MAX_CELL_CHARS:
        return
    where = f"单元格 {ref} " if ref else "有一个单元格"
    raise TooMuchText(
        "cell_too_long",
        f"{where}有 {len(shown)} 个字符，超过 Excel 单元格的上限 {MAX_CELL_CHARS} 个字符"
        f"（内容以「{shown[:20]}」开头）：这不是表格软件保存的文件，已拒绝处理。",
    )
