"""The one cell cleaner every importer uses (DESIGN.md §5), without a database."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from office import cells


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2025, 9, 1), date(2025, 9, 1)),
        (datetime(2025, 9, 1, 10, 30), date(2025, 9, 1)),
        (45901.0, date(2025, 9, 1)),  # Excel serial: 1899-12-30 + 45901 days
        ("45901", date(2025, 9, 1)),  # the same serial, arrived as csv text
        ("2025-09-01", date(2025, 9, 1)),
        ("2025/9/1", date(2025, 9, 1)),
        ("2025年9月1日", date(2025, 9, 1)),
        ("２０２５年９月１日", date(2025, 9, 1)),  # full-width digits
        (" 2025-09-01 08:30:00　", date(2025, 9, 1)),  # U+3000 trailing space
        ("2025-13-01", None),
        ("2025-02-30", None),
        ("九月一日", None),
        (True, None),  # a checkbox cell is not day 1 of Excel's calendar
    ],
)
def test_parse_date(value, expected):
    assert cells.parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (2601001.0, "2601001"),  # a student number Excel stored as a number
        (3.5, "3.5"),
        ("　张三 ", "张三"),  # U+3000 and a trailing space
        ("ＡＢＣ１２３", "ABC123"),  # full-width letters and digits
        ("张\x0b三\t", "张 三"),  # control characters from copy-paste
    ],
)
def test_clean_text(value, expected):
    assert cells.clean_text(value) == expected


def test_control_characters_are_cleaned():
    assert cells.clean_text("张\x0b三\t") == "张 三"


def test_header_names_match_loosely():
    assert cells.normalise_header(" ＩＤ  Ｔｙｐｅ ") == "id type"
    assert cells.normalise_header("国籍（地区）") == "国籍(地区)"
    assert cells.normalise_header(None) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("355", Decimal("355.00")),
        ("355.5", Decimal("355.50")),
        ("¥1,355.00", Decimal("1355.00")),
        ("￥400元", Decimal("400.00")),
        ("355.005", None),  # a third decimal is an error, never rounded away
        ("-355", None),
        ("三百五十五", None),
        ("", None),
    ],
)
def test_parse_amount(text, expected):
    assert cells.parse_amount(text) == expected


def test_scientific_notation_is_recognised():
    assert cells.SCIENTIFIC.match("3.1010519900307E+17")
    assert not cells.SCIENTIFIC.match("31010519900307123X")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("\u200b31010419900307123X", "31010419900307123X"),  # zero-width space pasted in front
        ("\ufeff2601001", "2601001"),  # a BOM left by a csv copied into a sheet
        ("2601001\u00a0", "2601001"),  # a trailing no-break space from a web page
        ("26\u200d01\u200c001", "2601001"),  # zero-width joiners inside the number
        ("355\u2060.00", "355.00"),  # word joiner inside an amount
    ],
)
def test_invisible_characters_are_removed(value, expected):
    assert cells.clean_text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("张 三", "张三"),  # spaces inside a Chinese name go, as always
        ("欧阳　娜娜", "欧阳娜娜"),  # a full-width space too
        ("John Smith", "John Smith"),  # a space between Latin words is part of the name
        (" Maria  de\u00a0la Cruz ", "Maria de la Cruz"),  # runs of spaces kept as one
        ("艾力 · 买买提", "艾力·买买提"),  # a transliterated name around its middle dot
        ("\u200b李四", "李四"),
    ],
)
def test_clean_name(value, expected):
    assert cells.clean_name(value) == expected


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Student No.", "studentno"),
        ("学 号", "学号"),
        ("学号：", "学号"),
        ("*姓名", "姓名"),  # the required-column star of a template
        ("【证件号码】", "证件号码"),
        ("国籍（地区）", "国籍地区"),
        ("\ufeff姓名", "姓名"),
    ],
)
def test_header_keys_ignore_spaces_punctuation_and_invisible_characters(written, key):
    assert cells.header_key(written) == key
