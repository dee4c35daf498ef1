"""The one cell cleaner every importer uses (DESIGN.md §5): text trimmed and folded from
full-width forms, header names matched loosely, dates and amounts in the forms staff
type them. Pure: values in, values out."""

import functools
import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

EXCEL_EPOCH = date(1899, 12, 30)
DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?: \d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Zero-width spaces and joiners, the BOM, soft hyphens and direction marks: pasted from
# web pages and chat apps, invisible in the sheet, and never part of a value.
INVISIBLE = re.compile(r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]+")
# A header name as compared: what a person would not notice (spaces, punctuation such as
# "Student No." or a trailing colon "学号：") is dropped.
HEADER_NOISE = re.compile(r"[\s\W_]+")
# A space beside a Chinese character (or the · of a transliterated name) is a typing
# slip; a space between Latin words is part of the name.
SPACE_BESIDE_CJK = re.compile(
    r"\s+(?=[\u2e80-\u9fff\uf900-\ufaff\U00020000-\U0003ffff·・])"
    r"|(?<=[\u2e80-\u9fff\uf900-\ufaff\U00020000-\U0003ffff·・])\s+"
)
# A long number Excel showed as 3.1010519900307E+17: its last digits are gone.
SCIENTIFIC = re.compile(r"^\d+(\.\d+)?E\+?\d+$")
AMOUNT = re.compile(r"^\d+(\.\d{1,2})?$")
# What makes Excel, WPS or LibreOffice read a typed cell as a formula. Text is cleaned
# first (clean_text), so the full-width ＝＋－＠ count too.
FORMULA_STARTS = ("=", "+", "-", "@")


def clean_text(value) -> str:
    """Trim (U+3000 included), fold full-width letters and digits and no-break spaces,
    and drop invisible characters (INVISIBLE)."""
    if type(value) is not str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        value = str(value)
    if not value.isascii():  # NFKC only where it can change something: it is the hot path
        value = unicodedata.normalize("NFKC", value)
    if not value.isprintable():  # tabs, line breaks and control characters from copy-paste
        value = CONTROL.sub(" ", INVISIBLE.sub("", value))
    return value.strip()


def formula_like(text: str) -> bool:
    """Text a spreadsheet would evaluate if it were typed into a cell: no person's name
    begins so, and one that does is flagged rather than kept (exports write it as text
    in any case: office.exports)."""
    return text.startswith(FORMULA_STARTS)


def clean_name(value) -> str:
    """A person's name: spaces beside Chinese characters removed ("张 三" is 张三), runs of
    spaces between Latin words kept as one ("John Smith")."""
    return " ".join(SPACE_BESIDE_CJK.sub("", clean_text(value)).split())


@functools.lru_cache(maxsize=4096)
def normalise_header(value) -> str:
    """A header name or a choice as compared: case, spaces and full-width forms ignored."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    return re.sub(r"\s+", " ", text).strip().lower().replace("（", "(").replace("）", ")")


@functools.lru_cache(maxsize=4096)
def header_key(value) -> str:
    """A header cell as matched against a column's names: normalise_header without
    spaces, punctuation or invisible characters, so `Student No.`, `学 号` and `学号：`
    are the names they look like."""
    return HEADER_NOISE.sub("", INVISIBLE.sub("", normalise_header(value)))


def parse_date(value) -> date | None:
    """Excel date cells, serial numbers and the written forms of DESIGN.md §5; None when
    the text is not a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel's own range: 1900-01-01 .. 9999-12-31
            return EXCEL_EPOCH + timedelta(days=int(value))
        return None
    text = clean_text(value)
    if len(text) == 10:
        try:
            return date.fromisoformat(text)  # the common case, checked first
        except ValueError:
            pass
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # a serial that arrived as text (csv)
        return EXCEL_EPOCH + timedelta(days=int(float(text)))
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
    return None


def parse_amount(text: str) -> Decimal | None:
    """Yuan to the fen: "355", "355.00", "¥355.5"; None for anything else (a third decimal
    is an error, never rounded away)."""
    text = text.replace(",", "").lstrip("¥￥").removesuffix("元").strip()
    if not AMOUNT.match(text):
        return None
    try:
        return Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
