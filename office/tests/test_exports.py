"""Files out: the xlsx writer (XlsxWriter, constant memory) and the csv writer. Each file is
written here and read back with openpyxl, as staff's spreadsheet would read it."""

import io
import tempfile
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from office import exports
from office.exports import Column, Kind

LIST_COLUMNS = exports.columns_of(
    ["序号", "姓名", "证件号码", "学号", "险种", "应缴金额", "报到注册时间", "备注"],
    {"序号": Kind.INTEGER, "应缴金额": Kind.MONEY, "报到注册时间": Kind.DATE},
)
ROWS = [
    [1, "张三", "31010420080301001X", "0026010001", "城乡居民基本医疗保险", Decimal("355.00"),
     date(2026, 9, 1), ""],
    [2, '=HYPERLINK("http://x")', "310104200803010019", "26010002", "城乡居民基本医疗保险",
     Decimal("1234567.89"), date(2026, 9, 2), "家庭经济困难"],
]  # fmt: skip
TOTAL = ["合计", "", "", "", "", Decimal("1234922.89"), "", "2 人"]


def sheet_of(content: bytes):
    return load_workbook(io.BytesIO(content)).active


def sheet_xml(content: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()


def test_the_same_rows_give_the_same_bytes():
    first = exports.xlsx(LIST_COLUMNS, ROWS, sheet="缴费清单", total=TOTAL)
    second = exports.xlsx(LIST_COLUMNS, ROWS, sheet="缴费清单", total=TOTAL)
    changed = exports.xlsx(LIST_COLUMNS, ROWS[:1], sheet="缴费清单", total=TOTAL)

    assert first == second
    assert changed != first
    core = zipfile.ZipFile(io.BytesIO(first)).read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core  # not the moment it was written


def test_numbers_that_identify_stay_text_money_is_money_dates_are_dates():
    sheet = sheet_of(exports.xlsx(LIST_COLUMNS, ROWS, sheet="缴费清单", total=TOTAL))

    id_number, student_number = sheet["C2"], sheet["D2"]
    assert (id_number.value, id_number.data_type) == ("31010420080301001X", "s")
    assert (student_number.value, student_number.data_type) == ("0026010001", "s")
    assert sheet["C3"].value == "310104200803010019"  # not 3.10104E+17
    assert (sheet["F3"].value, sheet["F3"].number_format) == (1234567.89, "#,##0.00")
    assert (sheet["G2"].value, sheet["G2"].number_format) == (datetime(2026, 9, 1), "yyyy-mm-dd")
    assert (sheet["A2"].value, sheet["A2"].data_type) == (1, "n")


def test_header_bold_and_frozen_total_row_bold():
    sheet = sheet_of(exports.xlsx(LIST_COLUMNS, ROWS, sheet="缴费清单", total=TOTAL))

    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    assert not sheet["B2"].font.b
    assert sheet["A4"].value == "合计" and sheet["A4"].font.b
    assert (sheet["F4"].value, sheet["F4"].font.b) == (1234922.89, True)
    assert sheet["F4"].number_format == "#,##0.00"


def test_columns_fit_chinese_text_counted_double_and_are_capped():
    columns = [Column("险种"), Column("证件号码"), Column("备注")]
    rows = [["城乡居民基本医疗保险", "31010420080301001X", "长" * 200]]

    sheet = sheet_of(exports.xlsx(columns, rows, sheet="s"))

    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABC"}
    # ten Chinese characters are as wide as twenty digits; the 18-character ID fits
    assert 20 + exports.PADDING <= widths["A"] < 20 + exports.PADDING + 1
    assert 18 + exports.PADDING <= widths["B"] < widths["A"]
    assert widths["C"] < exports.MAX_WIDTH + exports.PADDING + 1


def test_text_never_becomes_a_formula():
    injected = '<r><t>x</t></r></is></c><c r="Z1"><f>1+1</f></c><c><is><r>x</r>'

    class Label:  # not a str, e.g. a lazily translated label
        def __str__(self):
            return injected

    rows = [["=1+1"], ["@SUM(A1)"], [injected], [Label()]]

    content = exports.xlsx([Column("备注")], rows, sheet="s", titles=[injected])

    assert "<f>" not in sheet_xml(content)
    sheet = sheet_of(content)
    assert [cell.value for cell in sheet["A"]] == [
        injected,
        "备注",
        "=1+1",
        "@SUM(A1)",
        injected,
        injected,
    ]
    assert {cell.data_type for cell in sheet["A"]} == {"s"}
    assert sheet["Z1"].value is None


def test_any_text_is_held():
    """XML cannot hold control characters, lone surrogates or non-characters: they become
    spaces; a cell holds at most Excel's 32,767 characters; a sheet name follows Excel's
    rules."""
    rows = [[Decimal("355.00"), 'a"b<c>&d\x01e\ufffe' + "\ud800"], [Decimal("1E+2"), "长" * 40000]]

    content = exports.xlsx(
        [Column("金额", Kind.MONEY), Column("备注")], rows, sheet='学院"A/B:[C]*?' + "很长" * 20
    )

    sheet = sheet_of(content)
    assert len(sheet.title) <= 31 and not set(sheet.title) & set("[]:*?/\\")
    assert sheet.title.startswith('学院"A B  C')
    assert sheet["B2"].value == 'a"b<c>&d e  '
    assert sheet["A3"].value == 100
    assert len(sheet["B3"].value) == 32767


def test_values_of_a_received_file_are_written_as_read():
    columns = [Column(None, Kind.AS_READ), Column(2026, Kind.AS_READ), Column("x", Kind.AS_READ)]
    rows = [[3.1010519900307e17, datetime(2026, 9, 1), True]]

    sheet = sheet_of(exports.xlsx(columns, rows, sheet="错误行"))

    assert [cell.value for cell in sheet[1]] == [None, "2026", "x"]
    assert sheet["A2"].value == 3.1010519900307e17
    assert sheet["B2"].value == datetime(2026, 9, 1)
    assert sheet["C2"].value == "是"


def test_a_number_a_spreadsheet_cannot_hold_is_refused_and_leaves_no_file_behind(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    with pytest.raises(ValueError, match="B3"):
        exports.xlsx(LIST_COLUMNS[4:6], [["x", Decimal("1")], ["y", Decimal("NaN")]], sheet="s")
    with pytest.raises(ValueError, match="3 cells for 2 columns"):
        exports.xlsx(LIST_COLUMNS[:2], [[1, "x", "y"]], sheet="s")

    assert list(tmp_path.iterdir()) == []


def test_csv_neutralises_formulas():
    text = exports.csv_text([["=1+1", "+86", "-x", "@a", "张三", Decimal("-1.00")]])

    assert text.startswith("\ufeff")
    assert text.strip("\ufeff\r\n") == "'=1+1,'+86,'-x,'@a,张三,-1.00"


def test_title_lines_above_the_header_as_some_received_files_have():
    content = exports.xlsx(
        [Column("姓名"), Column("学号")], [["张三", "001"]], sheet="名单", titles=["2026级新生名单"]
    )

    sheet = sheet_of(content)
    assert [[cell.value for cell in line] for line in sheet.iter_rows()] == [
        ["2026级新生名单", None],
        ["姓名", "学号"],
        ["张三", "001"],
    ]
    assert sheet.freeze_panes == "A3"
    assert sheet.column_dimensions["A"].width < len("2026级新生名单") + exports.PADDING
