"""Importing real roster files end to end: the command, the services, the database."""

import json
import re
import zipfile
from io import BytesIO, StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from enrollment import services
from enrollment.models import RosterImport, Student
from enrollment.services.roster_import import _roster_import_create
from enrollment.tests.files import HEADER, csv_file, resident_id, row, students, xlsx
from office import spreadsheets
from office.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def import_roster(path, *args) -> tuple[int, dict]:
    out = StringIO()
    try:
        call_command("import_roster", str(path), "--json", *args, stdout=out)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, json.loads(out.getvalue())


def test_a_clean_file_is_checked_then_imported(tmp_path):
    path = xlsx(tmp_path / "roster.xlsx", students(30), titles=["示范大学2026级新生名单", ""])

    code, dry = import_roster(path)
    assert (code, dry["rows"], dry["new"], dry["invalid"]) == (0, 30, 30, [])
    assert Student.objects.count() == 0  # a dry run writes nothing

    code, done = import_roster(path, "--commit")
    assert (code, done["new"]) == (0, 30)
    assert Student.objects.count() == 30
    student = Student.objects.get(student_number="26000007")
    assert student.birth_date is not None and student.registered_on.isoformat() == "2026-09-01"


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = xlsx(tmp_path / "roster.xlsx", students(20))
    import_roster(path, "--commit")
    before = list(Student.objects.order_by("pk").values())

    code, again = import_roster(path, "--commit")

    assert (code, again["new"], again["updated"], again["unchanged"]) == (0, 0, 0, 20)
    assert list(Student.objects.order_by("pk").values()) == before  # updated_at untouched


def test_a_changed_row_is_an_update(tmp_path):
    xlsx(tmp_path / "a.xlsx", [row()])
    import_roster(tmp_path / "a.xlsx", "--commit")

    _, result = import_roster(
        xlsx(tmp_path / "b.xlsx", [row(**{"学院名称": "法学院"})]), "--commit"
    )

    assert (result["new"], result["updated"]) == (0, 1)
    assert Student.objects.get().college == "法学院"


def test_row_numbers_are_the_ones_staff_see(tmp_path):
    rows = [*students(3), row(student_number="9", id_number="12345")]
    path = xlsx(tmp_path / "roster.xlsx", rows, titles=["名单", "制表：教务处", ""])

    code, result = import_roster(path)

    # 3 title rows, the header on row 4, data rows 5-8: the bad one is row 8
    assert code == 1
    assert [(e["row"], e["column"], e["code"]) for e in result["invalid"]] == [
        (8, "证件号码", "id_format")
    ]


def test_row_numbers_when_the_sheet_starts_below_row_one(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    for column, name in enumerate(HEADER, start=2):  # header on row 4, from column B
        sheet.cell(row=4, column=column, value=name)
    for offset, values in enumerate([*students(2), row(student_number="x", id_number="1")]):
        for column, value in enumerate(values, start=2):
            sheet.cell(row=5 + offset, column=column, value=value)
    path = tmp_path / "offset.xlsx"
    workbook.save(path)

    plan = services.roster_check(path=path)

    assert plan.header.row == 4
    assert [(e.row, e.code) for e in plan.invalid] == [(7, "id_format")]


def test_over_long_values_are_row_errors(tmp_path):
    plan = services.roster_check(path=xlsx(tmp_path / "r.xlsx", [row(**{"学院名称": "学" * 120})]))

    assert [(e.column, e.code) for e in plan.invalid] == [("学院名称", "too_long")]


def test_invalid_rows_block_the_import_unless_valid_only(tmp_path):
    rows = [*students(5), row(student_number="x1", id_number=310105199003071242)]
    path = xlsx(tmp_path / "roster.xlsx", rows)

    code, _ = import_roster(path, "--commit")
    assert code == 1
    assert Student.objects.count() == 0  # nothing half-written

    code, result = import_roster(path, "--commit", "--valid-only")
    assert code == 1
    assert result["invalid"][0]["code"] == "id_precision_lost"
    assert Student.objects.count() == 5


def test_error_workbook_holds_the_rejected_rows_with_reasons(tmp_path):
    rows = [*students(2), row(student_number="x1", **{"报到注册时间": "2026-02-30"})]
    plan = services.roster_check(path=xlsx(tmp_path / "roster.xlsx", rows))

    sheet = load_workbook(BytesIO(services.roster_error_workbook(plan))).active
    cells = [[c.value for c in line] for line in sheet.iter_rows()]

    assert cells[0] == [*HEADER, "原行号", "错误原因", "错误代码"]
    assert len(cells) == 2
    assert cells[1][3] == "x1"
    assert cells[1][10] == 4
    assert "报到注册时间" in cells[1][11] and "不是有效日期" in cells[1][11]
    assert cells[1][12] == "bad_date"


def test_gbk_and_bom_csv(tmp_path):
    gbk = csv_file(tmp_path / "gbk.csv", students(3), encoding="gbk")
    bom = csv_file(tmp_path / "bom.csv", students(3, start=10), encoding="utf-8-sig")

    assert import_roster(gbk, "--commit")[1]["new"] == 3
    assert import_roster(bom, "--commit")[1]["new"] == 3
    assert Student.objects.filter(name="学生11").exists()


def test_csv_neither_utf8_nor_gb18030_is_refused(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes("姓名,证件号码\n".encode("utf-16"))

    with pytest.raises(CommandError) as error:
        call_command("import_roster", str(path))

    assert error.value.returncode == 2
    assert "编码" in str(error.value)


def test_missing_column_is_a_file_error(tmp_path):
    path = xlsx(tmp_path / "roster.xlsx", [r[:9] for r in students(2)], header=HEADER[:9])

    with pytest.raises(CommandError) as error:
        call_command("import_roster", str(path))

    assert error.value.returncode == 2
    assert "报到注册时间" in str(error.value)


def test_residence_permits_passports_and_ineligible_students(tmp_path):
    rows = [
        row(
            name="陈港生",
            id_number=resident_id("810000"),
            student_number="1",
            **{"证件类型": "港澳台居民居住证"},
        ),
        row(name="Kim", id_number="M12345678", student_number="2", **{"证件类型": "护照"}),
        row(
            name="李非",
            id_number=resident_id(seq=5),
            student_number="3",
            **{"学习形式": "非全日制"},
        ),
    ]

    code, result = import_roster(xlsx(tmp_path / "roster.xlsx", rows), "--commit")

    assert (code, result["new"]) == (0, 3)
    assert [(i["row"], i["code"]) for i in result["ineligible"]] == [
        (3, "foreign_student"),
        (4, "part_time"),
    ]


def test_conflict_with_the_roster(tmp_path):
    import_roster(xlsx(tmp_path / "a.xlsx", [row(name="张三")]), "--commit")

    code, result = import_roster(xlsx(tmp_path / "b.xlsx", [row(name="张四")]), "--commit")

    assert code == 1
    assert result["invalid"][0]["code"] == "conflict"
    assert Student.objects.get().name == "张三"


def test_a_blank_special_category_keeps_what_staff_recorded(tmp_path):
    services.roster_apply(plan=services.roster_check(path=xlsx(tmp_path / "a.xlsx", [row()])))
    Student.objects.update(subsidy_category="low_income_family", insured_elsewhere=True)
    header = [*HEADER, "特殊类别"]

    plan = services.roster_check(path=xlsx(tmp_path / "b.xlsx", [[*row(), ""]], header=header))
    services.roster_apply(plan=plan)

    assert plan.unchanged == 1
    student = Student.objects.get()
    assert (student.subsidy_category, student.insured_elsewhere) == ("low_income_family", True)


def test_zip_bomb_is_refused_before_parsing(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<a>" + "0" * 50_000_000 + "</a>")

    with pytest.raises(spreadsheets.FileRefused) as refused:
        spreadsheets.read_sheet(path)

    assert refused.value.code == "unsafe"
    assert path.stat().st_size < 200_000


def test_entity_expansion_sheet_is_refused(tmp_path):
    path = xlsx(tmp_path / "roster.xlsx", students(1))
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    evil = tmp_path / "evil.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(evil, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = laughs.encode() + data
            target.writestr(item, data)

    with pytest.raises(CommandError) as error:
        call_command("import_roster", str(evil))

    assert error.value.returncode == 2
    assert "实体" in str(error.value)


def test_row_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 10)

    with pytest.raises(spreadsheets.FileRefused) as refused:
        spreadsheets.read_sheet(xlsx(tmp_path / "big.xlsx", students(40)))

    assert refused.value.code == "too_many_rows"


def test_not_a_spreadsheet(tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_text("hello", encoding="utf-8")

    with pytest.raises(CommandError) as error:
        call_command("import_roster", str(path))

    assert error.value.returncode == 2


def test_a_csv_cell_too_large_for_the_reader_is_refused(tmp_path):
    path = tmp_path / "huge-cell.csv"
    path.write_bytes(("姓名," + '"' + "x" * 200_000 + '"\n').encode())

    with pytest.raises(spreadsheets.FileRefused) as refused:
        spreadsheets.read_sheet(path)

    assert "csv" in refused.value.message


# --- the import as a job -----------------------------------------------------------------------


@pytest.fixture
def uploader(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return StaffFactory()


def test_a_checked_file_with_errors_produces_the_workbook_of_its_rows(
    tmp_path, uploader, django_capture_on_commit_callbacks
):
    rows = [*students(3), row(student_number="x1", id_number="12345")]
    path = xlsx(tmp_path / "名单.xlsx", rows)

    # the job itself, run here whatever the broker (the queueing has its own tests)
    with django_capture_on_commit_callbacks(execute=False):
        roster_import = services.roster_import_start(
            upload=SimpleUploadedFile(path.name, path.read_bytes()), user=uploader
        )
    services.roster_import_run_check(import_id=roster_import.pk)

    roster_import.refresh_from_db()
    assert (roster_import.status, roster_import.started_by) == ("checked", uploader)
    assert (roster_import.progress_done, roster_import.progress_total) == (4, 4)
    assert "error_file" not in roster_import.summary
    with roster_import.produced_file.open("rb") as produced:
        rejected = load_workbook(BytesIO(produced.read())).active
    assert [cell.value for cell in rejected[2]][3] == "x1"


def test_an_upload_the_queue_cannot_take_fails_saying_so(
    tmp_path, uploader, unreachable_broker, django_capture_on_commit_callbacks
):
    path = xlsx(tmp_path / "名单.xlsx", students(3))

    with django_capture_on_commit_callbacks(execute=True):
        roster_import = services.roster_import_start(
            upload=SimpleUploadedFile(path.name, path.read_bytes()), user=uploader
        )

    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.FAILED
    assert roster_import.error == "任务队列暂时不可用，文件已保存但未处理。请稍后重新上传。"
    assert roster_import.finished_at is not None
    assert roster_import.file.read() == path.read_bytes()  # kept, not processed
    assert Student.objects.count() == 0


def test_a_confirmation_the_queue_cannot_take_fails_the_import(
    tmp_path, uploader, unreachable_broker, django_capture_on_commit_callbacks
):
    roster_import = RosterImport.objects.create(
        original_name="名单.xlsx", sha256="-", started_by=uploader, status="checked"
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert services.roster_import_confirm(roster_import=roster_import, valid_only=False)

    roster_import.refresh_from_db()
    assert (roster_import.status, roster_import.error) == (
        "failed",
        "任务队列暂时不可用，文件已保存但未处理。请稍后重新上传。",
    )


def test_a_late_failure_leaves_a_finished_job_as_it_was(uploader):
    checked = RosterImport.objects.create(
        original_name="a.xlsx", sha256="-", started_by=uploader, status="checked"
    )

    assert not RosterImport.mark_failed(checked.pk, "重复投递的任务失败了")

    checked.refresh_from_db()
    assert (checked.status, checked.error, checked.finished_at) == ("checked", "", None)


def test_the_import_rechecks_against_the_roster_as_it_is_now(tmp_path, uploader):
    path = xlsx(tmp_path / "r.xlsx", students(3))
    roster_import = _roster_import_create(content=path.read_bytes(), name="r.xlsx", user=uploader)
    services.roster_import_run_check(import_id=roster_import.pk)
    RosterImport.objects.filter(pk=roster_import.pk).update(status="importing")
    # someone else imports one of the same students in between
    services.roster_apply(plan=services.roster_check(path=xlsx(tmp_path / "s.xlsx", students(1))))

    services.roster_import_run_commit(import_id=roster_import.pk)

    roster_import.refresh_from_db()
    assert roster_import.status == "imported"
    assert roster_import.summary["result"] == {"created": 2, "updated": 0}
    assert Student.objects.count() == 3


def test_an_unexpected_error_fails_the_job_instead_of_leaving_it_running(tmp_path, uploader):
    path = xlsx(tmp_path / "r.xlsx", students(2))
    roster_import = _roster_import_create(content=path.read_bytes(), name="r.xlsx", user=uploader)
    roster_import.file.storage.delete(roster_import.file.name)  # the kept file went missing

    services.roster_import_run_check(import_id=roster_import.pk)

    roster_import.refresh_from_db()
    assert roster_import.status == "failed"
    assert "未写入任何数据" in roster_import.error


# --- what the report says (issue #10 point 7) --------------------------------------------------


def checked_report(client, staff, path) -> str:
    """The report page of `path` checked as an upload, as 医保办 sees it."""
    roster_import = _roster_import_create(content=path.read_bytes(), name=path.name, user=None)
    services.roster_import_run_check(import_id=roster_import.pk)
    client.force_login(staff("医保办"))
    page = client.get(reverse("admin:enrollment_rosterimport_change", args=[roster_import.pk]))
    assert page.status_code == 200
    return page.content.decode()


def section(page: str, name: str) -> str:
    return page.split(f'id="{name}"', 1)[1].split("</div>", 1)[0]


def test_rows_in_error_and_ineligible_rows_show_their_name_and_student_number(
    tmp_path, uploader, client, staff
):
    rows = [
        *students(2),
        row(name="王五", student_number="X9", id_number="12345"),
        row(name="Kim", student_number="X10", id_number="M12345678", **{"证件类型": "护照"}),
    ]

    page = checked_report(client, staff, xlsx(tmp_path / "名单.xlsx", rows))
    _, report = import_roster(tmp_path / "名单.xlsx")

    assert "<td>王五</td><td>X9</td>" in section(page, "invalid")
    assert "<td>Kim</td><td>X10</td>" in section(page, "ineligible")
    assert (report["invalid"][0]["name"], report["invalid"][0]["student_number"]) == ("王五", "X9")
    assert report["ineligible"][0]["name"] == "Kim"  # the command's --json says it too


def test_the_change_preview_is_in_the_staff_language(tmp_path, uploader, client, staff):
    services.roster_apply(plan=services.roster_check(path=xlsx(tmp_path / "a.xlsx", [row()])))
    changed = row(**{"专业名称": "法学", "学习形式": "非全日制"})

    page = section(
        checked_report(client, staff, xlsx(tmp_path / "b.xlsx", [changed])), "preview-updated"
    )

    assert "专业名称：临床医学 → 法学" in page
    assert "学习形式：全日制 → 非全日制" in page
    assert "major" not in page and "part_time" not in page


@pytest.mark.parametrize(
    "name, content",
    [
        ("名单.xlsx", "zip without a workbook"),  # the reader: "File not found '_rels/.rels'"
        ("名单.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)),  # "Cfb error: …"
    ],
)
def test_a_workbook_the_reader_cannot_open_is_refused_in_chinese(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")

    with pytest.raises(CommandError) as refused:
        call_command("import_roster", str(path))

    said = str(refused.value)
    assert refused.value.returncode == 2
    assert "无法读取 Excel 文件" in said
    assert not re.search(r"[A-Za-z]{3,}", re.sub(r"Excel|WPS|xlsx?", "", said))  # no reader words


def test_a_csv_the_reader_cannot_take_is_refused_in_chinese(tmp_path):
    path = tmp_path / "名单.csv"
    path.write_bytes(("姓名,学号\n张三,1\n李四," + '"' + "x" * 200_000 + '"\n').encode())

    with pytest.raises(spreadsheets.FileRefused) as refused:
        spreadsheets.read_sheet(path)

    assert refused.value.message == "csv 文件第 3 行有单元格超过 131072 个字符，无法读取。"
