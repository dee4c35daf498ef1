"""The one header finder every importer uses (DESIGN.md §5), without a database: the
header below title rows, aliases, one-of columns, the file-level errors, and the one
sheet of a workbook that holds the header."""

import functools

import pytest

from office.headers import HeaderError, find_header, find_table
from office.spreadsheets import FileRefused, Sheet

LABELS = {
    "student_number": ("学号", "student number"),
    "id_number": ("证件号码", "身份证号"),
    "amount": ("金额", "amount"),
    "note": ("备注",),
}
REQUIRED = (("student_number", "id_number"), "amount")


def test_the_row_with_most_known_names_below_title_rows_is_the_header():
    rows = [
        ["2026年11月缴费记录"],
        ["金额合计", "710.00"],  # one known name: not the header
        ["序号", "Student Number", " 身份证号 ", "金额", "经办人"],
        ["1", "26010001", "", "355.00", "王老师"],
    ]

    header = find_header(rows, first_row=1, labels=LABELS, required=REQUIRED)

    assert (header.index, header.row) == (2, 3)
    assert header.columns == {"student_number": 1, "id_number": 2, "amount": 3}
    assert header.unknown == ["序号", "经办人"]
    assert header.cell(rows[3], "amount") == "355.00"
    assert header.cell(rows[3], "note") == ""  # no such column
    assert header.cell(["1"], "amount") == ""  # the row stops short


def test_sheet_row_numbers_count_from_the_first_row_read():
    header = find_header([["学号", "金额"]], first_row=5, labels=LABELS, required=REQUIRED)

    assert header.row == 5


def test_one_of_several_columns_is_enough_and_the_message_names_them_all():
    found = find_header([["证件号码", "金额"]], first_row=1, labels=LABELS, required=REQUIRED)

    with pytest.raises(HeaderError) as missing:
        find_header([["备注", "金额"]], first_row=1, labels=LABELS, required=REQUIRED)

    assert found.columns == {"id_number": 0, "amount": 1}
    assert str(missing.value) == "第 1 行表头缺少必需的列：学号或证件号码。"
    assert missing.value.code == "missing_columns"


def test_no_header_names_the_required_columns():
    with pytest.raises(HeaderError) as refused:
        find_header([["a", "b"], ["c"]], first_row=1, labels=LABELS, required=REQUIRED)

    assert str(refused.value) == "找不到表头行：前 20 行中没有「学号」「金额」等列名。"
    assert isinstance(refused.value, FileRefused)  # refused as a whole, like an unreadable file


def test_a_minimum_of_known_names_and_the_importers_own_message():
    rows = [["学号", "金额"]]

    with pytest.raises(HeaderError, match=r"^请检查文件内容。$"):
        find_header(
            rows,
            first_row=1,
            labels=LABELS,
            required=REQUIRED,
            minimum=3,
            not_found="请检查文件内容。",
        )


def test_only_the_top_rows_are_searched():
    rows = [[""]] * 20 + [["学号", "金额"]]

    with pytest.raises(HeaderError, match="前 20 行"):
        find_header(rows, first_row=1, labels=LABELS, required=REQUIRED)


def test_max_lengths_travel_with_the_header():
    header = find_header(
        [["学号", "金额"]], first_row=1, labels=LABELS, required=REQUIRED, max_lengths={"note": 9}
    )

    assert header.max_lengths == {"note": 9}


def test_header_names_with_punctuation_spaces_or_a_trailing_colon_match():
    rows = [["Student-Number.", "金 额：", "备注:"]]

    header = find_header(rows, first_row=1, labels=LABELS, required=REQUIRED)

    assert header.columns == {"student_number": 0, "amount": 1, "note": 2}
    assert header.unknown == []


# --- the sheet of a workbook that holds the table -------------------------------------------


def sheet(name: str, *rows: list) -> Sheet:
    return Sheet(head=list(rows), rest=iter(()), first_row=1, height=len(rows), name=name)


FIND = functools.partial(find_header, labels=LABELS, required=REQUIRED)


def test_the_sheet_with_the_header_is_read_and_named():
    choices = sheet("下拉选项", ["缴费方式"], ["现金"], ["校园卡"])  # a template's list sheet
    data = sheet("缴费记录", ["2026年缴费记录"], ["学号", "金额"], ["2601001", "355.00"])

    found, header = find_table([choices, data], find=FIND)

    assert found is data
    assert (header.sheet, header.row) == ("缴费记录", 2)


def test_two_sheets_with_the_header_are_refused_rather_than_guessed_between():
    first = sheet("医学院", ["学号", "金额"])
    second = sheet("法学院", ["学号", "金额"])

    with pytest.raises(HeaderError) as refused:
        find_table([first, second], find=FIND)

    assert refused.value.code == "ambiguous_sheets"
    assert "「医学院」和「法学院」" in refused.value.message


def test_with_no_header_the_closest_sheet_says_what_it_lacks():
    notes = sheet("说明", ["请按模板填写"])
    short = sheet("缴费", ["学号", "备注"])  # has a header, not the amount

    with pytest.raises(HeaderError) as refused:
        find_table([notes, short], find=FIND)

    assert refused.value.code == "missing_columns"
    assert refused.value.message == "工作表「缴费」第 1 行表头缺少必需的列：金额。"


def test_with_no_header_anywhere_the_importers_own_refusal():
    with pytest.raises(HeaderError) as none:
        find_table([sheet("Sheet1", ["a"]), sheet("Sheet2")], find=FIND)
    with pytest.raises(HeaderError) as empty:
        find_table([], find=FIND)  # a workbook of chart sheets only

    assert none.value.code == empty.value.code == "no_header"
