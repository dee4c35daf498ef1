"""`import_bureau_results` and `import_payments` from the command line: dry run by
default, --commit, --json, the region of a year with several, and the exit codes
(0 every row usable, 1 some rows have problems, 2 the file or the year was refused)."""

import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from enrollment import workflow
from enrollment.models import Enrollment, Payment
from enrollment.tests.factories import EnrollmentFactory, FreshmanEnrollmentFactory
from enrollment.tests.files import xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(shanghai_2026):
    """Two freshmen who confirmed (已申请待审核), waiting for the bureau's answer."""
    return FreshmanEnrollmentFactory.create_batch(
        2, policy_year=shanghai_2026, today=date(2026, 9, 3), confirmed=True
    )


def run(*args) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command(*args, stdout=out, stderr=StringIO())
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def test_results_dry_run_writes_nothing_then_commit_applies(results_file, confirmed):
    first, second = (e.student for e in confirmed)
    path = results_file([[first.id_number, "已建账", ""], [second.id_number, "已建账", ""]])

    code, out = run("import_bureau_results", str(path), "--year", "2026", "--json")
    dry = json.loads(out)
    untouched = {e.state for e in Enrollment.objects.all()}
    code_commit, out_commit = run(
        "import_bureau_results", str(path), "--year", "2026", "--commit", "--json"
    )

    assert (code, dry["established"], dry["applied"]) == (0, 2, False)
    assert untouched == {workflow.PENDING_REVIEW}
    assert (code_commit, json.loads(out_commit)["applied"]) == (0, True)
    assert {e.state for e in Enrollment.objects.all()} == {workflow.ESTABLISHED}


def test_results_with_an_unknown_id_exit_1_and_name_the_row(results_file, confirmed):
    first = confirmed[0].student
    path = results_file([[first.id_number, "已建账", ""], ["110105200001010017", "已建账", ""]])

    code, out = run("import_bureau_results", str(path), "--year", "2026")

    assert code == 1
    assert "第 3 行「证件号码」" in out and "没有参保记录" in out
    assert first.id_number not in out  # masked


def test_json_names_each_problem_by_row_column_and_message(results_file, confirmed):
    path = results_file([[confirmed[0].student.id_number, "待定", ""]])

    code, out = run("import_bureau_results", str(path), "--year", "2026", "--json")

    assert code == 1
    assert json.loads(out)["problems"] == [
        {
            "row": 2,
            "column": "建账结果",
            "message": "无法识别「待定」：应为「已建账」或「建账失败」。",
        }
    ]


def test_a_file_without_the_required_columns_is_refused_as_a_whole(tmp_path, confirmed):
    path = xlsx(tmp_path / "结果.xlsx", [["新生1", "无"]], header=["姓名", "备注"])

    with pytest.raises(CommandError) as refused:
        run("import_bureau_results", str(path), "--year", "2026", "--commit")

    assert refused.value.returncode == 2
    assert str(refused.value) == "结果.xlsx：第 1 行表头缺少必需的列：证件号码、建账结果。"
    assert {e.state for e in Enrollment.objects.all()} == {workflow.PENDING_REVIEW}


def test_a_bare_year_is_the_school_regions_and_region_names_another(results_file):
    path = results_file([])

    with pytest.raises(CommandError, match="没有 2025 年度（beijing）") as refused:
        run("import_bureau_results", str(path), "--year", "2025", "--region", "beijing")
    code, out = run(
        "import_bureau_results", str(path), "--year", "2025", "--region", "wuhan", "--json"
    )
    bare, _ = run("import_bureau_results", str(path), "--year", "2025", "--json")

    assert refused.value.returncode == 2
    assert (code, json.loads(out)["rows"], bare) == (0, 0, 0)


@pytest.mark.parametrize("command", ["import_payments", "import_bureau_results"])
def test_from_a_shell_with_system_checks_a_missing_file_is_exit_2(command, tmp_path):
    """As the office's scripts call it: manage.py runs the system checks first, which
    call_command skips."""
    done = subprocess.run(
        [sys.executable, "manage.py", command, str(tmp_path / "无.xlsx"), "--year", "2026"],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DJANGO_DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2, done.stderr
    assert "找不到文件" in done.stderr


def test_payments_dry_run_then_commit_flags_a_short_amount(payment_file, shanghai_2026):
    enrollments = EnrollmentFactory.create_batch(
        2, policy_year=shanghai_2026, today=date(2025, 11, 20)
    )
    students = [e.student for e in enrollments]
    path = payment_file(
        [
            [students[0].student_number, "355.00", "2025-11-25", "微信", "W-1"],
            [students[1].student_number, "300.00", "2025-11-25", "现金", "C-1"],
        ]
    )

    dry_code, dry_out = run("import_payments", str(path), "--year", "2026")
    nothing = Payment.objects.count()
    code, out = run("import_payments", str(path), "--year", "2026", "--commit", "--json")

    # 355.00 settles the premium (shanghai guide Q2); 300.00 is flagged, not refused
    report = json.loads(out)
    assert (dry_code, nothing) == (0, 0)
    assert "金额不符 1 行" in dry_out
    assert "  第 3 行「金额」：实收 300.00 元，与应缴 355.00 元不符。" in dry_out.splitlines()
    assert (code, report["payments"], report["total"]) == (0, 2, "655.00")
    assert Enrollment.objects.get(pk=enrollments[0].pk).state == workflow.PAID
    short = Enrollment.objects.get(pk=enrollments[1].pk)
    assert (short.state, short.amount_paid) == (workflow.DECLARED, Decimal("300.00"))
