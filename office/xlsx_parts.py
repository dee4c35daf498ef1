"""The parts of an xlsx (a zip of XML parts), checked before any parser sees them, found
by name, and copied into a new workbook.

Every member is decompressed whole, in chunks, by our own count: the sizes the zip
declares pass the zip-bomb limits only if they are the sizes there are (a stream that
goes on past its declared size is refused where a reader that trusts the declaration
would keep going), and a DOCTYPE or ENTITY declaration anywhere in any part is found,
not only in its first bytes. xlsx files never declare one; entity expansion is how
billion-laughs and external-entity files attack a reader."""

import copy
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.etree.ElementTree import XMLPullParser

MB = 1024 * 1024
CHUNK = 4 * MB
MAX_MEMBERS = 10_000  # an xlsx has tens of parts; more is a file built to be slow
# <!DOCTYPE or <!ENTITY in any case, in UTF-8 (or any ASCII-compatible encoding) and in
# UTF-16 either way round: the ways an XML reader would take one
# each begins with a fixed string, which the matcher finds fast
DECLARATIONS = (
    re.compile(rb"<!(?:[Dd][Oo][Cc][Tt][Yy][Pp][Ee]|[Ee][Nn][Tt][Ii][Tt][Yy])"),
    re.compile(rb"<\x00!\x00[DdEe]\x00"),  # UTF-16, little-endian
    re.compile(rb"\x00<\x00!\x00[DdEe]"),  # UTF-16, big-endian
)
OVERLAP = 16
PACKAGE_RELS = "_rels/.rels"
DEFAULT_WORKBOOK = "xl/workbook.xml"


class PartRefused(Exception):
    """Why the archive is refused; `code` and `message` become a FileRefused."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def unsafe(message: str) -> PartRefused:
    return PartRefused("unsafe", message)


def broken() -> PartRefused:
    return PartRefused("bad_format", "文件已损坏或已加密，无法读取。")


def check_members(archive: zipfile.ZipFile, *, max_total: int, max_ratio: int) -> None:
    """Raise PartRefused for a bomb (declared or real sizes over `max_total`, a large
    member compressed more than `max_ratio` to one), a member whose stream does not
    hold what its entry declares, or an XML declaration anywhere."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise unsafe(f"文件包含 {len(members)} 个部件，远超正常的 Excel 文件，已拒绝处理。")
    declared = 0
    for member in members:
        declared += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if declared > max_total or (member.file_size > MB and ratio > max_ratio):
            raise bomb()
    for member in members:
        if not member.is_dir():
            _stream_checked(archive, member, declarations=not is_picture(member.filename))


def is_picture(name: str) -> bool:
    """An SVG picture (Excel keeps the original of an inserted one) may well carry the
    DOCTYPE its drawing program wrote; no reader here parses it. A sheet stored under
    such a name is refused (office.spreadsheets)."""
    name = name.lower()
    return name.endswith(".svg") and "/media/" in name


def bomb() -> PartRefused:
    return unsafe("文件解压后体积异常（疑似压缩炸弹），已拒绝处理。")


def _stream_checked(archive, member: zipfile.ZipInfo, *, declarations: bool) -> None:
    tail = b""
    for chunk in stream(archive, member):
        if not declarations:
            continue
        data = tail + chunk
        if any(declaration.search(data) for declaration in DECLARATIONS):
            raise unsafe("文件包含 XML 实体声明（可能是恶意构造的文件），已拒绝处理。")
        tail = data[-OVERLAP:]


def stream(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's bytes as its compressed stream holds them, CHUNK by CHUNK; raises
    PartRefused when they are more or fewer than its entry declares (or fail its CRC)."""
    unbounded = copy.copy(member)
    unbounded.file_size = member.file_size + 1  # read on past the declared end, if any
    produced = 0
    try:
        with archive.open(unbounded) as part:
            while chunk := part.read(CHUNK):
                produced += len(chunk)
                if produced > member.file_size:
                    raise bomb()
                yield chunk
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error, EOFError):
        raise broken() from None
    if produced != member.file_size:
        raise broken()


# --- which part is which sheet ---------------------------------------------------------------


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the archive name of its part, as the workbook and its relationships
    say (names resolved the way readers do: relative to the workbook's folder, or from
    the root when they start with "/"). Sheets whose part cannot be found are left out."""
    names = {info.filename: info.filename for info in archive.infolist()}
    folded = {name.lower(): name for name in names}
    workbook = _workbook_part(archive, names) or DEFAULT_WORKBOOK
    if workbook not in names:
        return {}
    folder, base = posixpath.split(workbook)
    targets = _relationships(archive, names.get(posixpath.join(folder, "_rels", base + ".rels")))
    found = {}
    for element in _elements(archive, workbook, "sheet"):
        rid = next((v for k, v in element.attrib.items() if k.endswith("}id")), None)
        target = targets.get(rid or "")
        if not target or "name" not in element.attrib:
            continue
        part = _resolve(folder, target)
        part = names.get(part) or folded.get(part.lower())
        if part:
            found[element.attrib["name"]] = part
    return found


def _workbook_part(archive, names) -> str | None:
    relationships = _relationships(archive, names.get(PACKAGE_RELS), with_type=True)
    for kind, target in relationships.values():
        if kind.endswith("/officeDocument"):
            return _resolve("", target)
    return None


def _relationships(archive, part: str | None, *, with_type: bool = False) -> dict:
    if part is None:
        return {}
    found = {}
    for element in _elements(archive, part, "Relationship"):
        rid, target = element.attrib.get("Id"), element.attrib.get("Target")
        if rid and target:
            found[rid] = (element.attrib.get("Type", ""), target) if with_type else target
    return found


def _resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(folder, target))


def _elements(archive: zipfile.ZipFile, part: str, local_name: str) -> Iterator:
    """The elements of `part` with this local name, parsed as they stream in (the part
    passed check_members: no DTD); malformed XML ends the list quietly, and the reader
    says what is wrong with it."""
    parser = XMLPullParser(events=("end",))
    try:
        for chunk in stream(archive, archive.getinfo(part)):
            parser.feed(chunk)
            for _, element in parser.read_events():
                if element.tag.rsplit("}", 1)[-1] == local_name:
                    yield element
                element.clear()
    except Exception:  # a malformed part: the reader refuses it, in its words
        return


# --- a copy with one sheet rewritten ---------------------------------------------------------


def copy_with_sheet(
    path: Path,
    archive: zipfile.ZipFile,
    out: Path,
    *,
    sheet: str,
    xml: Iterable[bytes],
    blank: Iterable[str] = (),
) -> None:
    """Write to `out` a workbook like the one at `path` whose part `sheet` is `xml`, and
    whose parts `blank` (the other worksheets) are empty worksheets. The other parts are
    copied as they are compressed."""
    blank = set(blank) - {sheet}
    members = [info for info in archive.infolist() if not info.is_dir()]
    central = []
    with open(path, "rb") as source, open(out, "wb") as target:
        for member in members:
            offset = target.tell()
            name = member.filename.encode()
            if member.filename == sheet or member.filename in blank:
                content = xml if member.filename == sheet else [EMPTY_SHEET]
                method = zipfile.ZIP_DEFLATED
                target.write(_local_header(name, method, 0, 0, 0))
                crc, compressed, size = _deflate(content, target)
                target.seek(offset)
                target.write(_local_header(name, method, crc, compressed, size))
                target.seek(0, 2)
            else:
                method, crc = member.compress_type, member.CRC
                compressed, size = member.compress_size, member.file_size
                target.write(_local_header(name, method, crc, compressed, size))
                _copy_raw(source, member, target)
            central.append((name, method, crc, compressed, size, offset))
        directory = target.tell()
        for name, method, crc, compressed, size, offset in central:
            target.write(
                struct.pack(
                    "<4s6H3L5H2L",
                    b"PK\x01\x02",
                    20,
                    20,
                    0x800,
                    method,
                    0,
                    0x21,
                    crc,
                    compressed,
                    size,
                    len(name),
                    0,
                    0,
                    0,
                    0,
                    0,
                    offset,
                )
                + name
            )
        end = target.tell()
        target.write(
            struct.pack(
                "<4s4H2LH",
                b"PK\x05\x06",
                0,
                0,
                len(central),
                len(central),
                end - directory,
                directory,
                0,
            )
        )


EMPTY_SHEET = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData/></worksheet>"
)


def _local_header(name: bytes, method: int, crc: int, compressed: int, size: int) -> bytes:
    return (
        struct.pack(
            "<4s5H3L2H",
            b"PK\x03\x04",
            20,
            0x800,
            method,
            0,
            0x21,
            crc,
            compressed,
            size,
            len(name),
            0,
        )
        + name
    )


def _deflate(content: Iterable[bytes], target) -> tuple[int, int, int]:
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    crc = compressed = size = 0
    for piece in content:
        crc = zlib.crc32(piece, crc)
        size += len(piece)
        data = compressor.compress(piece)
        compressed += len(data)
        target.write(data)
    data = compressor.flush()
    target.write(data)
    return crc, compressed + len(data), size


def _copy_raw(source, member: zipfile.ZipInfo, target) -> None:
    source.seek(member.header_offset)
    header = source.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise broken()
    name_length, extra_length = struct.unpack("<2H", header[26:30])
    source.seek(member.header_offset + 30 + name_length + extra_length)
    left = member.compress_size
    while left > 0:
        data = source.read(min(left, MB))
        if not data:
            raise broken()
        target.write(data)
        left -= len(data)
