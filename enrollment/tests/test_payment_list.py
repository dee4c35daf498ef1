"""The tax-bureau payment list (缴费清单): who is on it, its total, freezing, and
byte-identical re-export. Premium 355.00 from shanghai-student-insurance-guide Q2."""

import hashlib
import importlib
import json
import threading
from datetime import date
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.urls import reverse
from openpyxl import load_workbook

from enrollment import services, workflow
from enrollment.models import Enrollment, PaymentList, PersonalDataAccess, Student
from enrollment.tests.factories import (
    EnrollmentFactory,
    EnrollmentRowFactory,
    FreshmanEnrollmentFactory,
    PaymentFactory,
    StudentFactory,
)
from office.errors import Refused

pytestmark = pytest.mark.django_db

PREMIUM = Decimal("355.00")


@pytest.fixture
def enrollments(shanghai_2026):
    """Eight 2026 collective enrollments in the states that matter for the list."""
    categories = ["standard"] * 5 + ["severe_disability", "low_income_family", "standard"]
    made = [
        EnrollmentFactory(student__subsidy_category=category, policy_year=shanghai_2026)
        for category in categories
    ]

    def established(enrollment):
        PaymentFactory(enrollment=enrollment)
        return services.enrollment_transition(enrollment=enrollment, to="established")

    for enrollment in made[:3]:
        established(enrollment)  # on the list
    family = made[3]
    Enrollment.objects.filter(pk=family.pk).update(payer=workflow.FAMILY_AID)
    established(Enrollment.objects.get(pk=family.pk))  # refunded later, never remitted
    services.enrollment_transition(enrollment=made[4], to="opted_out", reason="已在外地参保")
    # made[5]: exempt (重残); made[6]: 低保, government pays, school collected nothing
    PaymentFactory(enrollment=made[7])
    return made


def test_only_collected_established_enrollments_are_listed(enrollments, sheet_rows):
    exported = services.payment_list_export_open(year=2026)

    rows = sheet_rows(exported.content)
    assert rows[0] == services.PAYMENT_LIST_HEADER
    assert [row[4] for row in rows[1:-1]] == sorted(
        e.student.student_number for e in enrollments[:3]
    )
    assert enrollments[5].state == "exempt"
    # 3 × 355.00 = 1065.00, and the total row says the same
    assert exported.total == Decimal("1065.00")
    assert rows[-1][0] == "合计" and Decimal(str(rows[-1][9])) == Decimal("1065.00")
    assert sum(Decimal(str(row[9])) for row in rows[1:-1]) == exported.total


def test_freezing_remits_the_members_and_reexport_is_byte_identical(enrollments, tmp_path):
    first = services.payment_list_freeze(year=2026)

    assert first.number == 1 and first.rows == 3
    assert Enrollment.objects.filter(state="remitted").count() == 3
    remitted = Enrollment.objects.get(pk=enrollments[0].pk)
    assert remitted.events.last().to_state == "remitted"
    assert services.payment_list_export_open(year=2026).rows == 0

    Student.objects.filter(pk=enrollments[0].student_id).update(name="改了名字")
    again = services.payment_list_export_frozen(number=1)

    assert again.content == first.content
    assert hashlib.sha256(again.content).hexdigest() == PaymentList.objects.get().sha256
    with pytest.raises(Refused, match="没有待汇缴"):
        services.payment_list_freeze(year=2026)


needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (SQLite serialises them); CI runs it there",
)


def freeze_at_once(years: list[int]) -> tuple[dict, list[Exception]]:
    """`payment_list_freeze` for each year, in threads started together: the lists frozen
    by position, and what was raised."""
    barrier = threading.Barrier(len(years))
    frozen, raised = {}, []

    def freeze(position: int, year: int) -> None:
        try:
            barrier.wait()
            frozen[position] = services.payment_list_freeze(year=year)
        except Exception as exc:  # kept for the assertions
            raised.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=freeze, args=pair) for pair in enumerate(years)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return frozen, raised


def collected(policy_year, count: int) -> None:
    """`count` established enrollments whose 355.00 the school collected."""
    EnrollmentRowFactory.create_batch(count, policy_year=policy_year, amount_paid=PREMIUM)


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_freezes_at_once_for_different_years_take_numbers_one_after_the_other(
    shanghai_2025, shanghai_2026
):
    """Issue #10, point 13: both used to take list number 1 and the second crashed on
    the unique number."""
    collected(shanghai_2025, 40)
    collected(shanghai_2026, 40)

    frozen, raised = freeze_at_once([2025, 2026])

    assert raised == []
    assert sorted(exported.number for exported in frozen.values()) == [1, 2]
    by_year = dict(PaymentList.objects.values_list("year", "number"))
    assert by_year == {2025: frozen[0].number, 2026: frozen[1].number}
    # 40 × 355.00 = 14,200.00 on each list
    assert [(e.rows, e.total) for e in frozen.values()] == [(40, Decimal("14200.00"))] * 2
    assert Enrollment.objects.filter(state=workflow.REMITTED).count() == 80


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_freezes_at_once_for_one_year_make_one_list(shanghai_2026):
    collected(shanghai_2026, 40)

    frozen, raised = freeze_at_once([2026, 2026])

    assert [exported.rows for exported in frozen.values()] == [40]
    assert [type(exc) for exc in raised] == [Refused] and "没有待汇缴" in str(raised[0])
    assert PaymentList.objects.count() == 1


def test_command_json_and_exit_codes(enrollments, tmp_path):
    out = StringIO()
    call_command(
        "export_payment_list",
        "--year",
        "2026",
        "--out",
        str(tmp_path / "a.xlsx"),
        "--freeze",
        "--json",
        stdout=out,
    )
    frozen = json.loads(out.getvalue())

    out = StringIO()
    call_command(
        "export_payment_list",
        "--list",
        "1",
        "--out",
        str(tmp_path / "b.xlsx"),
        "--json",
        stdout=out,
    )
    again = json.loads(out.getvalue())

    assert frozen == {"list": 1, "rows": 3, "total": "1065.00", "sha256": frozen["sha256"]}
    assert again == frozen
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    with pytest.raises(CommandError) as missing:
        call_command("export_payment_list", "--list", "9", "--out", str(tmp_path / "c.xlsx"))
    assert missing.value.returncode == 2


def test_freeze_and_download_in_the_admin(client, enrollments, staff):
    user = staff("医保办")
    client.force_login(user)
    # what the confirmation shows and posts back (3 × 355.00)
    confirmed = {"year": "2026", "rows": "3", "total": "1065.00", "post": "yes"}
    client.post(reverse("admin:enrollment_paymentlist_freeze"), confirmed)
    payment_list = PaymentList.objects.get()
    download = client.get(reverse("admin:enrollment_paymentlist_download", args=[payment_list.pk]))

    assert (payment_list.rows, payment_list.frozen_by) == (3, user)
    content = b"".join(download.streaming_content)
    assert hashlib.sha256(content).hexdigest() == payment_list.sha256
    assert PersonalDataAccess.objects.get().action == "export"


def test_student_affairs_remit_and_finance_cannot_download_full_ids(client, enrollments, staff):
    services.payment_list_freeze(year=2026)
    url = reverse("admin:enrollment_paymentlist_download", args=[PaymentList.objects.get().pk])

    client.force_login(staff("财务"))
    assert client.get(url).status_code == 403
    client.force_login(staff("学生处"))
    assert client.get(url).status_code == 200


def test_a_list_frozen_before_files_were_kept_is_rebuilt_by_the_migration(enrollments):
    """Lists frozen before migration 0006 had rows and a SHA-256 but no file: 0007
    rebuilds the file with the writer of that time and keeps it only if it matches."""
    backfill = importlib.import_module("enrollment.migrations.0007_payment_list_files")
    services.payment_list_freeze(year=2026)
    old = PaymentList.objects.get(number=1)
    rows = list(old.entries.order_by("position").values_list("row", flat=True))
    old_file = backfill.file_of(rows)
    PaymentList.objects.filter(pk=old.pk).update(
        content=b"", sha256=hashlib.sha256(old_file).hexdigest()
    )
    mismatched = PaymentList.objects.create(
        number=2, year=2026, rows=0, total=0, sha256="0" * 64, content=b""
    )

    backfill.backfill(apps, None)

    assert services.payment_list_export_frozen(number=1).content == old_file
    mismatched.refresh_from_db()
    assert bytes(mismatched.content) == b""
    with pytest.raises(Refused, match="无法按原字节重建"):
        services.payment_list_export_frozen(number=2)


def test_a_frozen_file_that_no_longer_matches_its_digest_is_refused(enrollments, tmp_path):
    services.payment_list_freeze(year=2026)
    PaymentList.objects.update(content=b"PK\x03\x04 changed")

    with pytest.raises(Refused, match="缴费清单 #1 保存的文件与冻结时不一致"):
        services.payment_list_export_frozen(number=1)
    with pytest.raises(CommandError) as refused:
        call_command("export_payment_list", "--list", "1", "--out", str(tmp_path / "a.xlsx"))
    assert refused.value.returncode == 1
    assert not (tmp_path / "a.xlsx").exists()


def test_the_list_as_staff_open_it(enrollments):
    """Money a number to the fen, ID and student numbers text, header and total in bold."""
    sheet = load_workbook(BytesIO(services.payment_list_export_open(year=2026).content)).active

    assert sheet.freeze_panes == "A2"
    assert sheet["D2"].data_type == sheet["E2"].data_type == "s"
    assert (sheet["J2"].value, sheet["J2"].number_format) == (355, "#,##0.00")
    assert [cell.value for cell in sheet[5]][-2:] == [1065, "3 人"]
    assert sheet["A1"].font.b and sheet["J5"].font.b and not sheet["J4"].font.b


def test_a_wuhan_freshmans_collected_premium_is_remitted_with_the_list(wuhan_2025, settings):
    """Wuhan freshmen pay the entry year, 400.00, and the school collects and remits it
    (wuhan notice 三 and Q&A 三(三)): an established, paid freshman goes on the list."""
    settings.SCHOOL_REGION = "wuhan"
    enrollment = FreshmanEnrollmentFactory(
        student=StudentFactory(seq=1, registered_on=date(2025, 9, 1)),
        policy_year=wuhan_2025,
        today=date(2025, 9, 5),
    )
    PaymentFactory(
        enrollment=enrollment,
        amount=Decimal("400.00"),
        paid_on=date(2025, 9, 5),
        receipt_number="WH-1",
    )
    # the school registered the freshman (wuhan notice 三): the bureau answers from 未建账
    services.enrollment_transition(enrollment=enrollment, to="established")

    frozen = services.payment_list_freeze(year=2025)

    # one freshman, 400.00: the list's total is its premium
    assert (frozen.rows, frozen.total) == (1, Decimal("400.00"))
    assert Enrollment.objects.get(pk=enrollment.pk).state == workflow.REMITTED
