"""Every kind of xlsx the portal hands to staff opens in LibreOffice with the values the
office has always had in it: each file is converted with `soffice --headless --convert-to
csv` (cell values, not as formatted) and read back. ID and student numbers keep every
digit and leading zero, money is the amount, dates read as dates, a name that looks like a
formula stays the name."""

import csv
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from enrollment import services
from enrollment.models import Refund
from enrollment.tests.factories import (
    EnrollmentFactory,
    FreshmanEnrollmentFactory,
    FreshmanFactory,
    PaymentFactory,
    StudentFactory,
)
from enrollment.tests.files import row, xlsx

SOFFICE = shutil.which("soffice")
ID = "居民身份证"
# comma, double quote, UTF-8, from line 1; cell values rather than as shown
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        SOFFICE is None,
        reason="LibreOffice is not installed (apt-get install libreoffice-calc-nogui)",
    ),
]


def as_csv(folder, files: dict[str, bytes]) -> dict[str, list[list[str]]]:
    """Each workbook as LibreOffice reads it, converted in one run with a profile of its
    own (a second soffice on the machine would otherwise hold the default one)."""
    for name, content in files.items():
        (folder / f"{name}.xlsx").write_bytes(content)
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{folder}/profile",
            "--headless",
            "--convert-to",
            CSV_FILTER,
            "--outdir",
            str(folder / "csv"),
            *(str(folder / f"{name}.xlsx") for name in files),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return {
        name: list(csv.reader((folder / "csv" / f"{name}.csv").open(encoding="utf-8")))
        for name in files
    }


def collected(student, policy_year):
    """Paid 355.00 and established: on the payment list."""
    enrollment = EnrollmentFactory(student=student, policy_year=policy_year)
    PaymentFactory(enrollment=enrollment)
    return services.enrollment_transition(enrollment=enrollment, to="established")


def test_every_office_workbook_opens_in_libreoffice_with_its_values(shanghai_2026, tmp_path):
    first = StudentFactory(name="=1+1", student_number="0025000001")
    second = StudentFactory(college="法学院", student_number="25000002")
    chased = StudentFactory(college="外国语学院", student_number="25000003")
    enrollment = collected(first, shanghai_2026)
    collected(second, shanghai_2026)
    refund = Refund.objects.create(
        enrollment=enrollment, amount=Decimal("0.01"), reason="duplicate"
    )
    freshman = FreshmanFactory(student_number="0026000001")
    FreshmanEnrollmentFactory(student=freshman, policy_year=shanghai_2026, today=date(2026, 9, 3))
    batch = services.declaration_batch_create(
        policy_year=shanghai_2026,
        registered_from=date(2026, 9, 1),
        registered_to=date(2026, 9, 1),
        today=date(2026, 9, 3),
    )
    rejected = row(student_number="0026000009", **{"报到注册时间": "2026-02-30"})
    plan = services.roster_check(path=xlsx(tmp_path / "名单.xlsx", [rejected]))

    files = as_csv(
        tmp_path,
        {
            "payment_list": services.payment_list_export_open(year=2026).content,
            "refunds": services.refund_list_xlsx(year=2026)[0],
            "pending": services.pending_list_xlsx(policy_year=shanghai_2026)[0],
            "declaration": services.declaration_batch_export(batch=batch),
            "chase": services.students_to_chase_xlsx(policy_year=shanghai_2026)[0],
            "errors": services.roster_error_workbook(plan),
        },
    )

    scheme = ["2026", "城乡居民基本医疗保险", "大学生"]
    assert files["payment_list"] == [
        services.PAYMENT_LIST_HEADER,
        ["1", "=1+1", ID, first.id_number, "0025000001", "医学院", *scheme, "355", ""],
        ["2", second.name, ID, second.id_number, "25000002", "法学院", *scheme, "355", ""],
        ["合计", "", "", "", "", "", "", "", "", "710", "2 人"],
    ]
    reason = str(refund.get_reason_display())
    on = f"{timezone.localtime(refund.created_at):%Y-%m-%d}"  # the office's date
    assert files["refunds"] == [
        ["序号", "学号", "姓名", "学院", "缴费年度", "退费金额", "退费原因", "登记时间"],
        ["1", "0025000001", "=1+1", "医学院", "2026", "0.01", reason, on],
        ["合计", "", "", "", "", "0.01", "1 笔", ""],
    ]
    assert files["pending"] == [
        ["学院", "专业", "学号", "姓名", "手机号", "报到注册时间", "状态"],
        ["医学院", "临床医学", "0026000001", freshman.name, freshman.phone, "2026-09-01", "未建账"],
    ]
    declared = [freshman.name, ID, freshman.id_number, "示范大学", "医学院", "临床医学"]
    assert files["declaration"][1:] == [[*declared, "0026000001", "2026-09-01"]]
    assert files["chase"] == [
        ["学院", "学号", "姓名", "手机号"],
        ["外国语学院", "25000003", chased.name, ""],
    ]
    header, line = files["errors"]
    assert header == [*plan.header.cells, "原行号", "错误原因", "错误代码"]
    assert line[: len(rejected)] == rejected
    assert line[len(rejected)] == "2"
    assert "报到注册时间" in line[-2] and line[-1] == "bad_date"
