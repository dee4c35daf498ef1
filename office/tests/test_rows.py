"""The data rows under a header (office.rows), without a database: blank rows passed over,
footers and repeated page tops skipped and counted."""

from office.headers import find_header
from office.rows import DataRows
from office.spreadsheets import Sheet

LABELS = {"student_number": ("学号",), "name": ("姓名",), "amount": ("金额",)}
TITLE = ["示范大学2026年缴费记录"]
HEADER = ["学号", "姓名", "金额"]


def rows_of(*rows: list) -> tuple[list[tuple[int, list]], list[int]]:
    head, rest = list(rows[:20]), iter(rows[20:])
    sheet = Sheet(head=head, rest=rest, first_row=1, height=len(rows))
    header = find_header(head, first_row=1, labels=LABELS, required=("student_number",))
    data = DataRows(sheet, header)
    return list(data), data.skipped


def test_footers_are_skipped_and_counted():
    read, skipped = rows_of(
        TITLE,
        HEADER,
        ["2601001", "张三", "355.00"],
        ["", "", ""],  # a blank row: not data, not counted
        ["合 计", "", "355.00"],
        ["制表人：王老师", "", "审核人：李老师"],
        ["", "打印日期：2026-11-30"],  # a footer need not start in the first column
        ["注：金额单位为元"],
    )

    assert [row for row, _ in read] == [3]
    assert skipped == [5, 6, 7, 8]


def test_the_page_top_repeated_on_every_printed_page_is_skipped():
    page = [TITLE, HEADER, ["2601001", "张三", "355.00"]]
    read, skipped = rows_of(
        *page,
        *page[:2],  # page two starts with the title and the header again
        ["2601002", "李四", "355.00"],
        [" 学号 ", "姓 名", "金额"],  # the header retyped with stray spaces
        ["2601003", "王五", "355.00"],
    )

    assert [row for row, _ in read] == [3, 6, 8]
    assert skipped == [4, 5, 7]


def test_rows_below_the_top_twenty_are_read_the_same_way():
    students = [[f"26{n:05d}", f"学生{n}", "355.00"] for n in range(30)]

    read, skipped = rows_of(HEADER, *students, ["合计", "", "10650.00"], HEADER)

    assert len(read) == 30 and read[-1][0] == 31
    assert skipped == [32, 33]


def test_a_data_row_that_only_resembles_a_footer_is_kept():
    # 注册 is not 注：, and a student may be called 余合计 but not 合计
    read, skipped = rows_of(HEADER, ["注册2601", "余合计", "355.00"])

    assert [cells[1] for _, cells in read] == ["余合计"]
    assert skipped == []
