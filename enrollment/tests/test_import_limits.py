"""What the imports report is bounded, whatever a file holds (issue #10 points 8 and 9).

A cell is never echoed whole: messages quote a short excerpt and the stored summary has a
size bound. Cells no spreadsheet program writes (over Excel's 32,767 characters) and
workbooks whose cells would expand into more text than a roster ever holds are refused
before they are parsed. And the dry runs catch every value the database cannot store, so
the commit does not fail on it; when the database still refuses a write, the staff are
told what it refused, in Chinese, with nothing written."""

import json
import random
import re
import string
import zipfile
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse

from enrollment import services, workflow
from enrollment.models import Enrollment, Payment, RosterImport, Student
from enrollment.services import roster_report
from enrollment.services.roster_import import _roster_import_create
from enrollment.tests.factories import EnrollmentFactory, FreshmanEnrollmentFactory
from enrollment.tests.files import HEADER, resident_id, row, students, xlsx
from office import xlsx_text
from office.spreadsheets import FileRefused, read_sheet
from office.writes import WriteRefused, refused_writes, write_refused

pytestmark = pytest.mark.django_db

MEGABYTE_OF_TEXT = 1_000_000


def letters(count: int, seed: int = 1) -> str:
    """Text that compresses as little as a real cell's, so the zip checks let it through."""
    return "".join(random.Random(seed).choices(string.ascii_letters, k=count))


def raw_xlsx(path: Path, rows: list[list[str]], *, shared: bool = False) -> Path:
    """An xlsx written as its XML, as a program other than Excel may write one: cells of
    any length, strings inline or in the shared-string table (each distinct one once)."""
    table: dict[str, int] = {}

    def cell(ref: str, value: str) -> str:
        if shared:
            index = table.setdefault(value, len(table))
            return f'<c r="{ref}" t="s"><v>{index}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'

    sheet = "".join(
        f'<row r="{number}">'
        + "".join(cell(f"{chr(65 + column)}{number}", value) for column, value in enumerate(row))
        + "</row>"
        for number, row in enumerate(rows, start=1)
    )
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relations = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{relations}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{main}" xmlns:r="{relations}"><sheets>'
            '<sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{relations}/worksheet" '
            'Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{relations}/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{main}"><sheetData>{sheet}</sheetData></worksheet>',
        )
        strings = "".join(f"<si><t>{escape(value)}</t></si>" for value in table)
        archive.writestr(
            "xl/sharedStrings.xml",
            f'<sst xmlns="{main}" count="{len(table)}" uniqueCount="{len(table)}">{strings}</sst>',
        )
    return path


def run(*args) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command(*args, stdout=out, stderr=StringIO())
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


# --- point 8: a cell is never echoed whole ----------------------------------------------------


@pytest.mark.parametrize("shared", [False, True], ids=["inline", "shared strings"])
def test_megabyte_cells_are_refused_before_parsing_with_a_short_message(tmp_path, shared):
    """Three of the hostile file's 250 one-megabyte cells (issue #10: 2.4 GB to check,
    a 262 MB summary). Each is 30 times what an Excel cell can hold."""
    rows = [HEADER, *(row(student_number=f"H{n}") for n in range(3))]
    for n, values in enumerate(rows[1:]):
        values[7] = letters(MEGABYTE_OF_TEXT, seed=n)  # 学历层次
    path = raw_xlsx(tmp_path / "名单.xlsx", rows, shared=shared)

    with pytest.raises(CommandError) as refused:
        call_command("import_roster", str(path), "--json")

    message = str(refused.value)
    assert refused.value.returncode == 2
    assert "超过 Excel 单元格的上限 32767 个字符" in message
    assert len(message) < 200
    if not shared:
        assert "单元格 H2 " in message  # the first one, where staff can find it


@pytest.mark.parametrize("command", ["import_payments", "import_bureau_results"])
def test_the_payment_and_results_imports_refuse_such_cells_too(tmp_path, command):
    rows = [["证件号码", "建账结果", "失败原因", "学号", "金额", "缴费日期", "缴费方式", "收据号"]]
    rows.append(["x", "已建账", letters(MEGABYTE_OF_TEXT), "1", "1", "2026-01-01", "现金", "R"])
    path = raw_xlsx(tmp_path / "文件.xlsx", rows)

    with pytest.raises(CommandError) as refused:
        run(command, str(path), "--year", "2026")

    assert refused.value.returncode == 2
    assert "32767" in str(refused.value) and len(str(refused.value)) < 200


def test_a_sheet_under_another_name_behind_a_long_comment_is_checked_too(tmp_path):
    """The workbook's relationships may name its parts anything, and the reader follows
    them: parts are told by what they hold."""
    built = raw_xlsx(tmp_path / "built.xlsx", [HEADER, [letters(MEGABYTE_OF_TEXT)]])
    path = tmp_path / "名单.xlsx"
    with zipfile.ZipFile(built) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            name, data = item.filename, source.read(item)
            if name == "xl/worksheets/sheet1.xml":
                name, data = "xl/worksheets/data.bin", b"<!--" + b" " * 70_000 + b"-->" + data
            target.writestr(name, data.replace(b"sheet1.xml", b"data.bin"))

    with pytest.raises(FileRefused) as refused:
        read_sheet(path)

    assert refused.value.code == "cell_too_long"


def test_one_long_string_used_by_many_cells_is_refused_before_parsing(tmp_path):
    """A few kilobytes of file: one 30,000-character shared string in 3,000 cells would be
    90 MB of text once parsed (the parser copies it into every cell)."""
    long = letters(30_000)
    rows = [HEADER, *([long] * 10 for _ in range(300))]
    path = raw_xlsx(tmp_path / "名单.xlsx", rows, shared=True)

    with pytest.raises(FileRefused) as refused:
        read_sheet(path)

    assert refused.value.code == "too_much_text"
    assert "64 MB" in refused.value.message
    assert path.stat().st_size < 100_000


def test_the_text_of_shared_strings_is_counted_once_per_cell_that_uses_it(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_text, "MAX_TEXT_BYTES", 1_000_000)
    long = letters(30_000)
    within = raw_xlsx(tmp_path / "a.xlsx", [HEADER, *([long] for _ in range(30))], shared=True)
    beyond = raw_xlsx(tmp_path / "b.xlsx", [HEADER, *([long] for _ in range(40))], shared=True)

    read_sheet(within)  # 30 x 30,000 bytes: 900 KB
    with pytest.raises(FileRefused) as refused:
        read_sheet(beyond)  # 1.2 MB

    assert refused.value.code == "too_much_text"


def test_an_empty_shared_string_does_not_move_the_others(tmp_path, monkeypatch):
    """`<si/>` is a string too: were it merged into the next, the long string would be
    counted under index 0 and the 40 cells using index 1 as empty."""
    monkeypatch.setattr(xlsx_text, "MAX_TEXT_BYTES", 1_000_000)
    long = letters(30_000)
    built = raw_xlsx(tmp_path / "built.xlsx", [["a"], *([long] for _ in range(40))], shared=True)
    path = tmp_path / "名单.xlsx"
    with zipfile.ZipFile(built) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/sharedStrings.xml":
                data = f"<sst><si/><si><t>{long}</t></si></sst>".encode()
            target.writestr(item, data)

    with pytest.raises(FileRefused) as refused:
        read_sheet(path)

    assert refused.value.code == "too_much_text"


def test_messages_and_the_summary_do_not_grow_with_the_cells(tmp_path):
    """Forty rows in error, their cells 200 or 30,000 characters long (under Excel's
    limit, so they are read): the messages quote 20 characters, and the summaries are the
    same size but for the digits of the lengths they give."""

    def checked(size: int, name: str) -> tuple[dict, list[str]]:
        rows = [HEADER]
        for n in range(40):
            values = row(
                name=letters(size, seed=n),
                id_number=resident_id(seq=n),
                student_number=f"L{n}",
                **{"学历层次": letters(size, seed=100 + n), "报到注册时间": letters(size)},
            )
            rows.append(values)
        plan = services.roster_check(path=raw_xlsx(tmp_path / name, rows))
        return roster_report.roster_summary(plan), [e.message for e in plan.invalid]

    short, _ = checked(200, "short.xlsx")
    long, long_messages = checked(30_000, "long.xlsx")

    # per row: the name and the level too long, the level unknown, the date invalid
    assert len(long_messages) == 160
    assert max(map(len, long_messages)) < 100
    assert long["invalid"][0]["name"].endswith("…（共 30000 个字符）")
    short_size = len(json.dumps(short, ensure_ascii=False).encode())
    long_size = len(json.dumps(long, ensure_ascii=False).encode())
    assert short_size < long_size < short_size + 1_000


def test_the_stored_summary_has_a_size_bound_and_keeps_the_totals(tmp_path, monkeypatch, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(roster_report, "SUMMARY_MAX_BYTES", 20_000)
    rows = [row(student_number=f"B{n}", id_number=f"1234{n}") for n in range(300)]
    path = xlsx(tmp_path / "名单.xlsx", rows)
    roster_import = _roster_import_create(content=path.read_bytes(), name="名单.xlsx", user=None)

    services.roster_import_run_check(import_id=roster_import.pk)

    roster_import.refresh_from_db()
    assert len(json.dumps(roster_import.summary, ensure_ascii=False).encode()) <= 20_000
    assert (roster_import.summary["invalid_rows"], roster_import.summary["invalid_total"]) == (
        300,
        300,
    )
    assert 0 < len(roster_import.summary["invalid"]) < 300


def test_the_import_list_reads_counts_not_whole_summaries(client, staff):
    """名单导入 lists every import: a summary kept before the bound (262 MB in the issue)
    must not be loaded to show two of its counts."""
    RosterImport.objects.create(
        original_name="旧.xlsx",
        sha256="-",
        status="checked",
        summary={"rows": 250, "invalid_rows": 250, "invalid": ["x" * 1000] * 2000},
    )
    client.force_login(staff("医保办"))

    page = client.get(reverse("admin:enrollment_rosterimport_changelist"))

    listed = page.context["cl"].result_list
    assert "summary" in listed[0].get_deferred_fields()
    assert (listed[0].summary_rows, listed[0].summary_invalid) in ((250, 250), ("250", "250"))
    assert '<td class="field-rows">250</td>' in page.content.decode()


def test_a_value_repeated_down_a_column_does_not_name_every_other_row(tmp_path):
    """2,000 rows with one student number: each message names five others and the count,
    not the 1,999 others (which made the messages grow with the square of the rows)."""
    rows = [
        row(id_number=resident_id(seq=n % 1000, born=date(2007, 1, 1 + n // 1000)))
        for n in range(2000)
    ]

    plan = services.roster_check(path=xlsx(tmp_path / "名单.xlsx", rows))

    messages = [e.message for e in plan.invalid if e.code == "duplicate_in_file"]
    assert len(messages) == 2000
    assert messages[0] == "学号与第 3、4、5、6、7 等 1999 行重复。"
    assert max(map(len, messages)) < 60


def test_unknown_columns_are_listed_short(tmp_path):
    header = [*HEADER, *(f"{n}{letters(5_000, seed=n)}" for n in range(40))]
    path = xlsx(tmp_path / "名单.xlsx", [row() + [""] * 40], header=header)

    summary = roster_report.roster_summary(services.roster_check(path=path))

    assert len(summary["unknown_columns"]) == 31
    assert summary["unknown_columns"][-1] == "……共 40 列"
    assert max(map(len, summary["unknown_columns"])) < 50


def test_payment_and_results_messages_quote_an_excerpt(payment_file, results_file, shanghai_2026):
    payments = payment_file([["1", letters(30_000), "2026-01-01", "现金", "R-1"]])
    results = results_file([["310104200705011234", letters(30_000), ""]])

    paid = services.payments_import_check(path=payments, policy_year=shanghai_2026)
    established = services.bureau_results_check(path=results, policy_year=shanghai_2026)

    assert [p.column for p in paid.problems] == ["金额"]
    assert [p.column for p in established.problems] == ["建账结果"]
    assert max(len(p.message) for p in (*paid.problems, *established.problems)) < 100


def test_the_admin_dry_run_lists_the_first_thousand_problems(
    client, staff, payment_file, shanghai_2026, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(staff("医保办"))
    path = payment_file([[f"N{n}", "355.00", "2025-11-25", "现金", f"R{n}"] for n in range(1005)])
    upload = SimpleUploadedFile(path.name, path.read_bytes())

    page = client.post(
        reverse("admin:enrollment_payments_import"),
        {"policy_year": shanghai_2026.pk, "file": upload},
    ).content.decode()

    assert "共 1005 条，显示前 1000 条" in page
    assert "N999 在" in page and "N1000 在" not in page


# --- point 9: dry runs catch what the database cannot store ----------------------------------


@pytest.fixture
def declared(shanghai_2026):
    """Two collective enrollments of 2026, declared and unpaid."""
    return EnrollmentFactory.create_batch(2, policy_year=shanghai_2026)


def test_the_payment_dry_run_catches_values_the_database_cannot_store(
    payment_file, declared, shanghai_2026
):
    """Payment.receipt_number keeps 64 characters, Payment.amount and
    Enrollment.amount_paid 12 digits with 2 decimals: 10^10 yuan or more cannot be kept."""
    first, second = (e.student.student_number for e in declared)
    path = payment_file(
        [
            [first, "355.00", "2025-11-25", "现金", "R" * 65],
            [second, "10000000000.00", "2025-11-25", "现金", "R-2"],
            [second, "6000000000.00", "2025-11-25", "现金", "R-3"],
            [second, "4000000000.00", "2025-11-25", "现金", "R-4"],
        ]
    )

    plan = services.payments_import_check(path=path, policy_year=shanghai_2026)

    assert [(p.row, p.column) for p in plan.problems] == [(2, "收据号"), (3, "金额"), (5, "金额")]
    assert plan.problems[0].message == "「收据号」有 65 个字符，超过可保存的 64 个字符。"
    assert "须小于 10,000,000,000 元" in plan.problems[1].message
    assert plan.problems[2].message == "已缴金额将达到 10000000000.00 元，超出可登记的范围。"
    assert [line.row for line, _ in plan.lines] == [4]  # 6,000,000,000.00 fits


def test_the_results_dry_run_catches_a_reason_too_long_to_keep(results_file, shanghai_2026):
    enrollment = FreshmanEnrollmentFactory(policy_year=shanghai_2026, confirmed=True)
    path = results_file([[enrollment.student.id_number, "建账失败", "原因" * 128]])

    plan = services.bureau_results_check(path=path, policy_year=shanghai_2026)

    assert [(p.row, p.column) for p in plan.problems] == [(2, "失败原因")]
    assert plan.problems[0].message == "「失败原因」有 256 个字符，超过可保存的 255 个字符。"
    assert plan.moves == []


# --- point 9: a write the database refuses is said as what it is -----------------------------


@pytest.fixture
def database_refuses():
    """`database_refuses(table)`: the database refuses every new row of `table` with a
    check constraint the dry runs know nothing about, as a constraint added by a later
    migration, or another system's, would. A trigger: the refusal is the database's own."""

    def refuse(table: str) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "CREATE FUNCTION refuse_for_test() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation', "
                    "CONSTRAINT = 'refused_for_test'; END $$ LANGUAGE plpgsql"
                )
                cursor.execute(
                    f"CREATE TRIGGER refuse_for_test BEFORE INSERT ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_for_test()"
                )
            else:
                cursor.execute(
                    f"CREATE TRIGGER refuse_for_test BEFORE INSERT ON {table} BEGIN "
                    "SELECT RAISE(ABORT, 'CHECK constraint failed: refused_for_test'); END"
                )

    return refuse


REFUSED = "数据库拒绝写入（不满足检查约束 refused_for_test），没有写入任何数据。"


def test_a_refused_payment_commit_exits_2_saying_what_was_refused(
    payment_file, declared, shanghai_2026, database_refuses
):
    path = payment_file([[declared[0].student.student_number, "355.00", "2025-11-25", "现金", "R"]])
    database_refuses("enrollment_payment")

    with pytest.raises(CommandError) as refused:
        run("import_payments", str(path), "--year", "2026", "--commit")

    assert refused.value.returncode == 2
    assert str(refused.value).startswith(f"缴费.xlsx：{REFUSED}")
    assert "并发" not in str(refused.value) and "同时导入" not in str(refused.value)
    assert Enrollment.objects.get(pk=declared[0].pk).state == workflow.DECLARED


def test_a_refused_confirmation_in_the_admin_is_a_message_not_a_500(
    client, staff, payment_file, declared, shanghai_2026, database_refuses, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(staff("医保办"))
    path = payment_file([[declared[0].student.student_number, "355.00", "2025-11-25", "现金", "R"]])
    url = reverse("admin:enrollment_payments_import")
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    checked = client.post(url, {"policy_year": shanghai_2026.pk, "file": upload})
    token = re.search(r'name="token" value="([^"]+)"', checked.content.decode()).group(1)
    database_refuses("enrollment_payment")

    applied = client.post(url, {"policy_year": shanghai_2026.pk, "token": token})

    assert applied.status_code == 200
    assert REFUSED in applied.content.decode()
    assert Payment.objects.count() == 0


def test_a_refused_roster_commit_exits_2_and_a_refused_job_says_why(
    tmp_path, database_refuses, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = xlsx(tmp_path / "名单.xlsx", students(3))
    roster_import = _roster_import_create(content=path.read_bytes(), name="名单.xlsx", user=None)
    services.roster_import_run_check(import_id=roster_import.pk)
    RosterImport.objects.filter(pk=roster_import.pk).update(status="importing")
    database_refuses("enrollment_student")

    with pytest.raises(CommandError) as refused:
        call_command("import_roster", str(path), "--commit")
    services.roster_import_run_commit(import_id=roster_import.pk)

    roster_import.refresh_from_db()
    assert refused.value.returncode == 2 and REFUSED in str(refused.value)
    assert (roster_import.status, roster_import.error[: len(REFUSED)]) == ("failed", REFUSED)
    assert Student.objects.count() == 0


def test_the_driver_s_own_errors_are_refusals_too():
    """PostgreSQL's COPY (the roster's bulk insert) raises the driver's errors, not
    Django's: they are refusals all the same."""
    with pytest.raises(WriteRefused, match=r"^数据库拒绝写入（"), refused_writes():
        raise connection.Database.IntegrityError("UNIQUE constraint failed: x.y")


def test_a_unique_constraint_is_named_by_its_field(declared):
    Payment.objects.create(
        enrollment=declared[0],
        amount=Decimal("1.00"),
        paid_on=date(2025, 11, 25),
        channel="cash",
        receipt_number="R-1",
    )
    with pytest.raises(Exception) as raised, transaction.atomic():
        Payment.objects.create(
            enrollment=declared[1],
            amount=Decimal("1.00"),
            paid_on=date(2025, 11, 25),
            channel="cash",
            receipt_number="R-1",
        )

    refusal = write_refused(raised.value)

    assert isinstance(refusal, WriteRefused)
    assert str(refusal).startswith("数据库拒绝写入（缴费记录的「收据号」不能与已有记录重复）")
    assert "R-1" not in str(refusal)  # values are never quoted: they may be ID numbers
