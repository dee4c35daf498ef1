"""Payment lists frozen before 0006 kept their rows but not their file. Their file is
rebuilt here with the writer of that time (openpyxl, timestamps removed, as it stood at
commit 3384e30) and kept only if its SHA-256 matches the one recorded when the list was
frozen; a list that does not match keeps no file and says so when exported."""

import hashlib
import io
import re
import zipfile
from decimal import Decimal

from django.db import migrations

HEADER = [
    "序号",
    "姓名",
    "证件类型",
    "证件号码",
    "学号",
    "学院",
    "缴费年度",
    "险种",
    "人员类别",
    "应缴金额",
    "备注",
]
FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
FIXED_XML_TIME = b"2000-01-01T00:00:00Z"
XML_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def file_of(entries) -> bytes:
    rows = [[*row[:-2], Decimal(row[-2]), row[-1]] for row in entries]
    total = sum((row[-2] for row in rows), Decimal("0.00"))
    body = [[position, *row] for position, row in enumerate(rows, 1)]
    footer = ["合计", "", "", "", "", "", "", "", "", total, f"{len(rows)} 人"]
    return _old_xlsx([HEADER, *body, footer], sheet="缴费清单")


def _old_xlsx(rows, *, sheet):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub(" ", value)
            cell = WriteOnlyCell(worksheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            cells.append(cell)
        worksheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "docProps/core.xml":
                content = XML_TIMES.sub(rb"\g<1>" + FIXED_XML_TIME + rb"\g<2>", content)
            entry = zipfile.ZipInfo(item.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, content)
    return out.getvalue()


def backfill(apps, schema_editor):
    PaymentList = apps.get_model("enrollment", "PaymentList")
    for payment_list in PaymentList.objects.filter(content=b""):
        entries = payment_list.entries.order_by("position").values_list("row", flat=True)
        content = file_of(list(entries))
        if hashlib.sha256(content).hexdigest() == payment_list.sha256:
            payment_list.content = content
            payment_list.save(update_fields=["content"])


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0006_lifecycle")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
