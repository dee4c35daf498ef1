"""Files cannot exhaust memory (issue #13): every hostile file of office/tests/hostile
gets a clear Chinese answer from the roster import, never a traceback; large sheets are
read narrowed and give the same rows; names a spreadsheet would run are flagged; an
upload with a very long extension is a form error, not a 400. Peak memory is measured
by bench/hostile_files.py, each file in a process of its own, not here."""

import functools
import random
import re
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from python_calamine import CalamineWorkbook

from office import spreadsheets, xls_check, xlsx_layout
from office.cells import formula_like
from office.headers import find_header, find_table
from office.rows import DataRows
from office.storage import UploadStorage
from office.tests.hostile import CASES, HEADER, build, roster_values, wide_rows, write_xlsx
from office.tests.hostile.parts import column_letters, header_row, inline, sheet_xml

CHINESE = re.compile(r"[\u4e00-\u9fff]")
# The 100,000-row case takes a minute in a test process: bench/hostile_files.py runs it;
# here a smaller sheet is read narrowed (test_a_large_sheet_read_narrowed_gives_the_same_rows).
SLOW = {"wide_100k_x_90"}
LABELS = {"name": ("姓名",), "id_number": ("证件号码",), "student_number": ("学号",)}


def import_roster(path: Path) -> tuple[int, str]:
    """Exit code and what the staff read, as a shell would see them."""
    out, err = StringIO(), StringIO()
    try:
        call_command("import_roster", str(path), stdout=out, stderr=err)
    except CommandError as refused:
        return refused.returncode, str(refused)
    except SystemExit as exit_:
        return exit_.code, out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def refusal(path: Path) -> spreadsheets.FileRefused | None:
    """The reader's refusal of the file (its rows read through), None when it reads."""
    try:
        sheet, header = find_table(
            spreadsheets.read_sheets(path),
            find=functools.partial(find_header, labels=LABELS, required=("name",)),
        )
        for _ in DataRows(sheet, header):
            pass
    except spreadsheets.FileRefused as exc:
        return exc
    return None


def table(path: Path, labels=LABELS) -> list[tuple[int, list]]:
    """(row number, cells of the labelled columns) of every data row."""
    sheet, header = find_table(
        spreadsheets.read_sheets(path),
        find=functools.partial(find_header, labels=labels, required=("name",)),
    )
    return [
        (row, [header.cell(cells, name) for name in labels])
        for row, cells in DataRows(sheet, header)
    ]


# --- every hostile file: a clear answer ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", [name for name in CASES if name not in SLOW])
def test_every_hostile_file_gets_a_clear_chinese_answer(tmp_path, name):
    case = CASES[name]
    path = build(name, tmp_path)

    code, said = import_roster(path)

    assert CHINESE.search(said), said
    assert "Traceback" not in said
    if case.expect == "refused":
        assert code == 2, said
        assert said.startswith(f"{path.name}："), said
        assert refusal(path).code == case.code
    else:
        assert code in (0, 1), said


def test_a_newline_flood_is_refused_at_the_row_past_the_cap(tmp_path, monkeypatch):
    """The cap applies as the file is read: bytes that are neither UTF-8 nor GBK after
    the cap are never reached, so the answer is the row cap, not the encoding."""
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 10)
    path = tmp_path / "名单.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\n" * 100_000 + b"\xff\xfe\xff")

    assert refusal(path).code == "too_many_rows"


def test_a_doctype_anywhere_in_any_part_is_refused(tmp_path):
    """Past a megabyte of the sheet, in a part no reader opens, in UTF-16."""
    cells = "".join(f'<row r="{r}">{inline(f"A{r}", "x" * 200)}</row>' for r in range(2, 6000))
    late = sheet_xml(header_row() + cells).replace("</worksheet>", "<!DOCTYPE x></worksheet>")
    write_xlsx(tmp_path / "late.xlsx", late)
    write_xlsx(tmp_path / "aside.xlsx", sheet_xml(header_row()))
    with zipfile.ZipFile(tmp_path / "aside.xlsx", "a") as archive:
        archive.writestr("customXml/item1.xml", '<?xml version="1.0"?><!ENTITY a "b"><x/>')
        archive.writestr("customXml/item2.xml", "<!DOCTYPE x><x/>".encode("utf-16-le"))

    assert refusal(tmp_path / "late.xlsx").code == "unsafe"
    assert refusal(tmp_path / "aside.xlsx").code == "unsafe"


def test_an_svg_picture_may_carry_its_doctype(tmp_path):
    """Drawing programs write one; Excel keeps the original of an inserted SVG."""
    path = tmp_path / "名单.xlsx"
    write_xlsx(path, sheet_xml(header_row() + f'<row r="2">{inline("A2", "张三")}</row>'))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(
            "xl/media/image1.svg", '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"><svg/>'
        )

    assert refusal(path) is None


def test_a_calamine_panic_is_a_refusal_in_chinese(tmp_path, monkeypatch):
    """calamine's panics are BaseExceptions named PanicException (pyo3 makes the class on
    the first panic): one from opening the workbook is refused like a broken file."""
    panic = type("PanicException", (BaseException,), {})

    def opening(path):
        raise panic("called `Option::unwrap()` on a `None` value")

    monkeypatch.setattr(spreadsheets.CalamineWorkbook, "from_path", opening)

    refused = refusal(build("xls_roster", tmp_path))

    assert refused.code == "bad_format"
    assert "无法读取 Excel 文件" in refused.message


def test_xls_ranges_and_shared_strings_are_measured_from_the_records(tmp_path):
    """xls_sparse: A1 and IV65536, 65,536 × 256 cells; the bomb: 400,000 cells of one
    32,767-character string, 3 bytes a character once parsed = 39 GB (> 64 MB)."""
    sparse = xls_check.workbook_stream(build("xls_sparse", tmp_path).read_bytes())
    bomb = xls_check.workbook_stream(build("xls_shared_string_bomb", tmp_path).read_bytes())

    assert xls_check.records(sparse).sheets[0].area == 65_536 * 256
    survey = xls_check.records(bomb)
    assert survey.strings[-1] == 32_767 * 3
    assert survey.shared_cells[len(HEADER)] == 400_000


# --- large sheets read narrowed --------------------------------------------------------------


def test_a_large_sheet_read_narrowed_gives_the_same_rows(tmp_path, monkeypatch):
    """300 rows × 30 columns (9,030 cells) is small; with DIRECT_CELLS at 1,000 it is read
    from the two narrowed copies, and the importer's columns read the same."""
    path = tmp_path / "名单.xlsx"
    wide_rows(path, rows=300, columns=30)
    direct = table(path)
    monkeypatch.setattr(xlsx_layout, "DIRECT_CELLS", 1_000)

    narrowed = table(path)

    assert narrowed == direct
    assert len(narrowed) == 300 and narrowed[0] == (2, roster_values(2)[:1] + roster_values(2)[2:4])


def test_the_columns_the_importer_does_not_read_are_not_held(tmp_path, monkeypatch):
    """Below the top rows (which are read whole: the header is among them)."""
    path = tmp_path / "名单.xlsx"
    wide_rows(path, rows=50, columns=30)
    monkeypatch.setattr(xlsx_layout, "DIRECT_CELLS", 100)
    sheet, header = find_table(
        spreadsheets.read_sheets(path),
        find=functools.partial(find_header, labels=LABELS, required=("name",)),
    )

    number, cells = list(DataRows(sheet, header))[-1]

    assert number == 51 and len(cells) == 4  # positions as in the sheet, to 学号
    assert cells[0] == "学生51" and cells[3] == "26000051"
    assert cells[1] == "" and header.cell(cells, "name") == "学生51"  # 证件类型 is not read
    assert len(cells._values) == 3  # 姓名, 证件号码, 学号: the kept columns only


def test_a_sparse_sheet_is_read_without_filling_its_range(tmp_path):
    """sparse_cells: two roster rows and a number at XFD20000 (327 million cells)."""
    path = build("sparse_cells", tmp_path)

    assert [row for row, _ in table(path)] == [2, 3]


def test_a_cell_past_excel_s_last_column_is_refused_before_parsing(tmp_path):
    write_xlsx(
        tmp_path / "far.xlsx",
        sheet_xml(header_row() + '<row r="2"><c r="ZZZZ2"><v>1</v></c></row>'),
    )

    refused = refusal(tmp_path / "far.xlsx")

    assert refused.code == "bad_format" and "XFD" in refused.message


def random_sheet(rnd: random.Random) -> str:
    """Rows and cells as writers other than Excel write them: `r` on some cells and rows
    only, rows out of order, blank styled cells, a namespace prefix."""
    prefix = rnd.choice(["", "x:"])
    rows = []
    for _ in range(rnd.randrange(1, 8)):
        number = rnd.randrange(1, 40)
        cells = []
        for _ in range(rnd.randrange(0, 6)):
            column = rnd.randrange(0, 30)
            where = f' r="{column_letters(column)}{number}"' if rnd.random() < 0.6 else ""
            if rnd.random() < 0.2:
                cells.append(f'<{prefix}c{where} s="1"/>')
            else:
                cells.append(
                    f"<{prefix}c{where}><{prefix}v>{rnd.randrange(100)}</{prefix}v></{prefix}c>"
                )
        where = f' r="{number}"' if rnd.random() < 0.7 else ""
        rows.append(f"<{prefix}row{where}>{''.join(cells)}</{prefix}row>")
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    declared = f' xmlns:x="{main}"' if prefix else f' xmlns="{main}"'
    data = f"<{prefix}sheetData>{''.join(rows)}</{prefix}sheetData>"
    return f"<{prefix}worksheet{declared}>{data}</{prefix}worksheet>"


@pytest.mark.parametrize("seed", range(40))
def test_cells_are_placed_as_calamine_places_them(tmp_path, seed):
    """The measured range is calamine's, and a narrowed copy holds the values calamine
    reads there, for sheets with and without `r`, prefixed or not."""
    path = tmp_path / "random.xlsx"
    write_xlsx(path, random_sheet(random.Random(seed)))
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    expected = (
        {
            (r, sheet.start[1] + c): value
            for r, row in enumerate(sheet.iter_rows(), start=1)
            for c, value in enumerate(row)
            if value != ""
        }
        if sheet.start
        else {}
    )

    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo("xl/worksheets/sheet1.xml")
        layout = xlsx_layout.measure(archive, member)
        copied = b"".join(xlsx_layout.top_rows(archive, member, layout, rows=40))

    if expected:
        assert (layout.first_row - 1, layout.first_column) == sheet.start
        assert (layout.last_row - 1, layout.last_column) == sheet.end
    write_xlsx(tmp_path / "copy.xlsx", copied.decode())
    copy = CalamineWorkbook.from_path(str(tmp_path / "copy.xlsx")).get_sheet_by_index(0)
    assert (
        {
            (r, copy.start[1] + c): value
            for r, row in enumerate(copy.iter_rows(), start=1)
            for c, value in enumerate(row)
            if value != ""
        }
        == expected
        if copy.start
        else not expected
    )


# --- names a spreadsheet would run -----------------------------------------------------------


@pytest.mark.parametrize("name", ["=1+1", "+86 张三", "-李四", "@SUM(1)", "＝HYPERLINK(1)"])
def test_a_name_that_begins_a_formula_is_flagged(name):
    from office.cells import clean_name

    assert formula_like(clean_name(name))
    assert not formula_like(clean_name("张三")) and not formula_like("John Smith")


@pytest.mark.django_db
def test_formula_names_are_rejected_rows_and_their_error_file_holds_text(tmp_path):
    path = build("formula_names", tmp_path)
    errors = tmp_path / "错误行.xlsx"

    with pytest.raises(SystemExit) as exit_:
        call_command("import_roster", str(path), "--errors", str(errors), stdout=StringIO())

    assert exit_.value.code == 1
    with zipfile.ZipFile(errors) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet  # text, never a formula
    rows = list(CalamineWorkbook.from_path(str(errors)).get_sheet_by_index(0).iter_rows())
    assert [row[0] for row in rows[1:]] == [
        '=HYPERLINK("http://example.com","点击")',
        "+86 张三",
        "-李四",
        "@SUM(1,2)",
    ]
    assert all("formula_like" in row[-1] for row in rows[1:])


# --- uploads ---------------------------------------------------------------------------------


def test_a_very_long_extension_is_dropped_from_the_kept_name():
    storage = UploadStorage()

    assert storage.get_valid_name("名单." + "x" * 240) == "名单"
    assert storage.get_valid_name("名单.xlsx") == "名单.xlsx"


def test_a_roster_upload_with_a_very_long_extension_is_a_form_error(
    client, staff, settings, tmp_path, caplog
):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(staff("医保办"))
    name = CASES["long_extension"].filename

    response = client.post(
        reverse("admin:enrollment_roster_upload"),
        {"file": SimpleUploadedFile(name, build("long_extension", tmp_path).read_bytes())},
    )

    assert response.status_code == 200
    assert "只能导入 xlsx、xls 或 csv 文件" in response.content.decode()
    assert not [record for record in caplog.records if record.levelname == "ERROR"]
