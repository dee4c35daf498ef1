"""The roster import in the browser admin: upload → dry-run report → confirm, as a job.
With REDIS_URL set the jobs run on a real worker; otherwise in-process."""

import time
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from enrollment import services
from enrollment.models import PersonalDataAccess, RosterImport, Student
from enrollment.tests.files import row, students, xlsx
from office.tests.factories import StaffFactory


@pytest.fixture
def staff_client(client, live_worker, settings, tmp_path, staff):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(staff("医保办"))
    return client


def upload(client, path) -> RosterImport:
    response = client.post(
        reverse("admin:enrollment_roster_upload"),
        {"file": SimpleUploadedFile(path.name, path.read_bytes())},
    )
    assert response.status_code == 302
    return RosterImport.objects.latest("pk")


def wait_for(roster_import: RosterImport, *statuses: str, timeout: float = 30) -> RosterImport:
    deadline = time.monotonic() + timeout
    while True:
        roster_import.refresh_from_db()
        if roster_import.status in statuses:
            return roster_import
        assert time.monotonic() < deadline, f"still {roster_import.status}"
        time.sleep(0.2)


def test_upload_check_confirm(staff_client, tmp_path):
    path = xlsx(tmp_path / "新生名单.xlsx", students(25), titles=["2026级新生"])

    checked = wait_for(upload(staff_client, path), "checked")
    report = staff_client.get(reverse("admin:enrollment_rosterimport_change", args=[checked.pk]))

    assert checked.summary["new"] == 25 and checked.summary["header_row"] == 2
    assert Student.objects.count() == 0  # the dry run wrote nothing
    assert report.status_code == 200
    assert "学生7" in report.content.decode()  # the preview
    progress = staff_client.get(
        reverse("admin:enrollment_rosterimport_progress", args=[checked.pk])
    ).json()
    assert progress == {"status": "checked", "done": 25, "total": 25}

    staff_client.post(reverse("admin:enrollment_rosterimport_confirm", args=[checked.pk]))
    imported = wait_for(checked, "imported")

    assert imported.summary["result"] == {"created": 25, "updated": 0}
    assert Student.objects.count() == 25


def test_rows_with_errors_need_valid_only_and_give_an_error_workbook(staff_client, tmp_path):
    rows = [*students(4), row(student_number="bad", id_number="310105199003071243")]
    checked = wait_for(upload(staff_client, xlsx(tmp_path / "roster.xlsx", rows)), "checked")
    confirm = reverse("admin:enrollment_rosterimport_confirm", args=[checked.pk])

    with pytest.raises(services.RosterImportError, match="部分行有错误"):
        services.roster_import_confirm(roster_import=checked, valid_only=False)
    refused = staff_client.post(confirm, follow=True)  # without "valid rows only": refused
    assert "部分行有错误：请修正后重新上传" in refused.content.decode()
    assert RosterImport.objects.get(pk=checked.pk).status == "checked"

    staff_client.post(confirm, {"valid_only": "on"})
    wait_for(checked, "imported")
    assert Student.objects.count() == 4

    download = staff_client.get(reverse("admin:enrollment_rosterimport_errors", args=[checked.pk]))
    sheet = load_workbook(BytesIO(b"".join(download.streaming_content))).active
    rejected = [[cell.value for cell in line] for line in sheet.iter_rows(min_row=2)]
    assert [line[3] for line in rejected] == ["bad"]
    assert rejected[0][-1] == "id_checksum"
    assert "校验位不正确" in rejected[0][-2]
    assert PersonalDataAccess.objects.filter(action="export").count() == 1


def test_a_second_confirm_does_nothing(staff_client, tmp_path):
    checked = wait_for(upload(staff_client, xlsx(tmp_path / "r.xlsx", students(3))), "checked")
    confirm = reverse("admin:enrollment_rosterimport_confirm", args=[checked.pk])

    staff_client.post(confirm)
    wait_for(checked, "imported")
    second = staff_client.post(confirm, follow=True)

    assert "已经确认" in second.content.decode() or "already" in second.content.decode()
    assert Student.objects.count() == 3


def test_a_refused_file_says_why(staff_client, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes("姓名,证件号码\n".encode("utf-16"))

    refused = wait_for(upload(staff_client, path), "refused")
    page = staff_client.get(reverse("admin:enrollment_rosterimport_change", args=[refused.pk]))

    assert "编码" in refused.error
    assert refused.error in page.content.decode()


def test_an_unreadable_csv_is_refused_not_left_checking(staff_client, tmp_path):
    path = tmp_path / "huge-cell.csv"
    path.write_bytes(("姓名," + '"' + "x" * 200_000 + '"\n').encode())

    refused = wait_for(upload(staff_client, path), "refused", "failed")

    assert refused.status == "refused" and "csv" in refused.error


def test_auditors_cannot_upload(client, staff):
    client.force_login(staff("审计"))

    assert client.get(reverse("admin:enrollment_roster_upload")).status_code == 403


def test_error_workbook_is_for_who_may_import_and_see_full_ids(client, tmp_path, settings, staff):
    settings.MEDIA_ROOT = tmp_path
    uploader = StaffFactory(permissions=["add_rosterimport", "view_rosterimport"])
    path = xlsx(tmp_path / "r.xlsx", [row(id_number="123")])
    roster_import = services.roster_import_file(
        content=path.read_bytes(), name="r.xlsx", user=uploader
    )
    url = reverse("admin:enrollment_rosterimport_errors", args=[roster_import.pk])

    client.force_login(uploader)  # its uploader, without full IDs
    assert client.get(url).status_code == 403
    client.force_login(staff("财务"))
    assert client.get(url).status_code == 403
    client.force_login(staff("学生处"))
    assert client.get(url).status_code == 200
    client.force_login(staff("医保办"))
    assert client.get(url).status_code == 200
