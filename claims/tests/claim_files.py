"""Claims files for the tests, built the way the office fills them in: one row per
receipt under the Chinese headers of import_claims, as xlsx or csv (UTF-8 or GBK); and
the command run as scripts run it (--json)."""

import csv
import io
import json
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from openpyxl import Workbook

HEADER = [
    "申请单号",
    "学号",
    "报销类型",
    "医疗机构",
    "医院等级",
    "就诊日期",
    "票据号",
    "票据日期",
    "申请日期",
    "发票金额",
    "医保范围内金额",
]
OPTIONAL = ["出院日期", "大病病种", "转诊单号", "异地备案", "住院号", "不予支付类别", "渠道"]


def receipt(student, **cells) -> dict:
    """One receipt of an emergency visit on 10 Mar 2025 at a level-3 hospital, claimed on
    1 Apr 2025: 500.00 invoiced, 400.00 within scope."""
    values = {
        "申请单号": "",
        "学号": student.student_number if student is not None else "",
        "报销类型": "急诊垫付",
        "医疗机构": "瑞金医院",
        "医院等级": "三级",
        "就诊日期": "2025-03-10",
        "票据号": "FP0001",
        "票据日期": "2025-03-10",
        "申请日期": "2025-04-01",
        "发票金额": "500.00",
        "医保范围内金额": "400.00",
    }
    values.update(cells)
    return values


def table(receipts: list[dict]) -> tuple[list[str], list[list]]:
    header = [*HEADER, *(name for name in OPTIONAL if any(name in r for r in receipts))]
    header += [name for r in receipts for name in r if name not in header]
    header = list(dict.fromkeys(header))
    return header, [[r.get(name, "") for name in header] for r in receipts]


def xlsx(path: Path, receipts: list[dict], *, titles=()) -> Path:
    header, rows = table(receipts)
    workbook = Workbook()
    sheet = workbook.active
    for title in titles:
        sheet.append([title])
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    workbook.save(path)
    return path


def csv_file(path: Path, receipts: list[dict], *, encoding: str = "utf-8") -> Path:
    header, rows = table(receipts)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def run_import(path, *options) -> tuple[int, dict]:
    """`import_claims PATH --json OPTIONS`: (exit code, the JSON it printed)."""
    out = StringIO()
    try:
        call_command("import_claims", str(path), "--json", *options, stdout=out, stderr=StringIO())
    except SystemExit as exit_:
        return exit_.code, json.loads(out.getvalue())
    return 0, json.loads(out.getvalue())
