"""Roster files as school offices really export them (issue #10, points 4–6): workbooks
whose first sheet is hidden or holds the drop-down lists of a WPS/Excel template, header
names typed loosely, footers and the page top repeated on every printed page, invisible
characters pasted from web pages and chat apps, and Latin names."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from enrollment import incoming, services
from enrollment.models import Student
from enrollment.roster import COLUMNS
from enrollment.tests.factories import EnrollmentFactory, StudentFactory
from enrollment.tests.files import HEADER, PAYMENT_HEADER, resident_id, row, students, xlsx
from office.cells import header_key

pytestmark = pytest.mark.django_db

CHOICES = [  # a template's drop-down lists, one column per list
    ["证件类型", "学历层次", "学习形式"],
    ["居民身份证", "本科", "全日制"],
    ["港澳台居民居住证", "硕士研究生", "非全日制"],
]


def workbook(path, *sheets: tuple[str, list[list], str]):
    """A workbook of (name, rows, state) sheets, state "visible" or "hidden"."""
    book = Workbook()
    book.remove(book.active)
    for name, rows, state in sheets:
        sheet = book.create_sheet(name)
        sheet.sheet_state = state
        for values in rows:
            sheet.append(values)
    book.save(path)
    return path


def import_roster(path, *args) -> tuple[int, dict]:
    out = StringIO()
    try:
        call_command("import_roster", str(path), "--json", *args, stdout=out)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, json.loads(out.getvalue())


# --- point 4: the sheet that holds the roster -----------------------------------------------


def test_a_hidden_first_sheet_of_drop_down_values_is_passed_over(tmp_path):
    path = workbook(
        tmp_path / "新生名单模板.xlsx",
        ("_dropdown", CHOICES, "hidden"),
        ("新生名单", [HEADER, *students(3)], "visible"),
    )

    code, report = import_roster(path, "--commit")

    assert (code, report["sheet"], report["new"], report["invalid"]) == (0, "新生名单", 3, [])
    assert Student.objects.count() == 3


def test_a_visible_sheet_of_drop_down_lists_before_the_roster_is_passed_over(tmp_path):
    path = workbook(
        tmp_path / "名单.xlsx",
        ("填写说明及选项", [["请勿修改本页"], *CHOICES], "visible"),
        ("Sheet1", [["2026级新生报到名单"], HEADER, *students(2)], "visible"),
    )

    code, report = import_roster(path)

    assert (code, report["sheet"], report["new"]) == (0, "Sheet1", 2)


def test_a_hidden_roster_is_never_read(tmp_path):
    # last year's list kept hidden beside this year's: only the visible one counts
    path = workbook(
        tmp_path / "名单.xlsx",
        ("2025级", [HEADER, *students(5, start=100)], "hidden"),
        ("2026级", [HEADER, *students(2)], "visible"),
    )

    code, report = import_roster(path)

    assert (code, report["sheet"], report["new"]) == (0, "2026级", 2)


def test_two_sheets_that_both_look_like_rosters_are_refused(tmp_path):
    path = workbook(
        tmp_path / "两个学院.xlsx",
        ("医学院", [HEADER, *students(2)], "visible"),
        ("法学院", [HEADER, *students(2, start=2)], "visible"),
    )

    with pytest.raises(CommandError) as refused:
        call_command("import_roster", str(path), "--commit")

    assert refused.value.returncode == 2
    assert "工作表「医学院」和「法学院」都有表头行" in str(refused.value)
    assert Student.objects.count() == 0


def test_the_report_page_says_which_sheet_was_read(client, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = workbook(
        tmp_path / "名单.xlsx",
        ("选项", CHOICES, "hidden"),
        ("医学院新生", [HEADER, *students(2), ["合计：2 人"]], "visible"),
    )
    user = staff("医保办")
    roster_import = services.roster_import_file(
        content=path.read_bytes(), name=path.name, user=user
    )
    client.force_login(user)

    page = client.get(reverse("admin:enrollment_rosterimport_change", args=[roster_import.pk]))

    assert (roster_import.summary["sheet"], roster_import.summary["skipped"]) == ("医学院新生", 1)
    assert page.status_code == 200
    content = page.content.decode()
    assert "医学院新生" in content
    assert "跳过的表尾" in content


# --- point 5: header names typed loosely; footers and repeated page tops ---------------------


@pytest.mark.parametrize("written", ["Student No.", "学 号", "学号：", "学号:", "* 学号"])
def test_a_header_name_with_punctuation_or_spaces_matches_its_column(tmp_path, written):
    header = [written if name == "学号" else name for name in HEADER]
    header[0] = "姓 名："

    code, report = import_roster(xlsx(tmp_path / "名单.xlsx", students(2), header=header))

    assert (code, report["new"], report["invalid"]) == (0, 2, [])


def test_footers_and_the_page_top_repeated_on_each_page_are_skipped_and_counted(tmp_path):
    title = ["示范大学2026级新生报到注册名单"]
    rows = [
        *students(3),
        ["合计", "", "", "", "", "", "", "", "", ""],
        title,  # page two: the title and the header again
        HEADER,
        *students(2, start=3),
        ["制表人：王老师", "", "", "审核人：李老师", "", "", "", "", "打印日期：2026-09-05"],
    ]
    path = xlsx(tmp_path / "打印稿.xlsx", rows, titles=[title[0]])

    code, report = import_roster(path, "--commit")

    # 5 students; 合计, the title, the header and the signature line: 4 rows skipped
    assert (code, report["rows"], report["new"], report["invalid"]) == (0, 5, 5, [])
    assert report["skipped"] == 4
    assert Student.objects.count() == 5


def test_the_text_report_counts_the_skipped_rows(tmp_path):
    path = xlsx(tmp_path / "名单.xlsx", [*students(1), ["合 计：1人"]])
    out = StringIO()

    call_command("import_roster", str(path), stdout=out)

    assert "跳过表尾、重复表头等非数据行 1 行" in out.getvalue()


# --- point 6: invisible characters, Latin names ------------------------------------------


def test_invisible_characters_are_removed_from_ids_and_numbers(tmp_path):
    number = resident_id(seq=7)
    rows = [
        row(id_number="\u200b" + number, student_number="2601007\u00a0"),
        row(name="李四", id_number=resident_id(seq=8) + "\ufeff", student_number="26\u200b01008"),
    ]

    code, report = import_roster(xlsx(tmp_path / "名单.xlsx", rows), "--commit")

    assert (code, report["new"], report["invalid"]) == (0, 2, [])
    assert Student.objects.get(student_number="2601007").id_number == number
    assert Student.objects.filter(student_number="2601008").exists()


def test_a_latin_name_keeps_its_space_a_chinese_name_does_not(tmp_path):
    rows = [
        row(name="John  Smith", student_number="2601001"),
        row(name="张 三", id_number=resident_id(seq=2), student_number="2601002"),
    ]

    code, _ = import_roster(xlsx(tmp_path / "名单.xlsx", rows), "--commit")

    names = dict(Student.objects.values_list("student_number", "name"))
    assert (code, names) == (0, {"2601001": "John Smith", "2601002": "张三"})


def test_a_name_stored_without_its_space_is_corrected_not_a_conflict(tmp_path):
    StudentFactory(name="JohnSmith", id_number=resident_id(), student_number="2601001")

    code, report = import_roster(xlsx(tmp_path / "名单.xlsx", [row(name="John Smith")]), "--commit")

    assert (code, report["updated"], report["invalid"]) == (0, 1, [])
    assert Student.objects.get().name == "John Smith"


# --- the other imports read files the same way --------------------------------------------


def test_a_payment_file_with_loose_headers_and_a_total_row(tmp_path, shanghai_2026):
    EnrollmentFactory(policy_year=shanghai_2026, student__student_number="2601001")
    header = ["学号：", "金 额", "缴费日期:", "缴费方式", "收据号"]
    assert len(header) == len(PAYMENT_HEADER)
    path = workbook(
        tmp_path / "缴费.xlsx",
        ("选项", [["缴费方式"], ["现金"], ["校园卡"]], "hidden"),
        (
            "2026年缴费",
            [
                header,
                ["2601001\u200b", "355.00", "2026-11-20", "校园卡", "SJ-0001"],
                ["合计", "355.00"],  # Shanghai 2026 premium 355.00 × 1 student
            ],
            "visible",
        ),
    )
    out = StringIO()

    call_command("import_payments", str(path), "--year", "2026", "--json", stdout=out)

    report = json.loads(out.getvalue())
    assert (report["rows"], report["payments"], report["problems"]) == (1, 1, [])
    assert report["skipped"] == 1


@pytest.mark.parametrize(
    "labels",
    [COLUMNS, incoming.PAYMENT_LABELS, incoming.RESULT_LABELS],
    ids=["roster", "payments", "results"],
)
def test_no_two_columns_share_a_name_once_spaces_and_punctuation_are_ignored(labels):
    owners = {}
    for field, names in labels.items():
        for name in names:
            owners.setdefault(header_key(name), set()).add(field)

    assert {key: fields for key, fields in owners.items() if len(fields) > 1} == {}
