"""Uploads with full ID numbers are removed after UPLOAD_RETENTION_DAYS (issue #13): a
roster import's upload and its rows in error, imported or never confirmed, and the kept
files of the dry-run protocol; staff may discard an unconfirmed upload at once."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Payment, RosterImport
from enrollment.tests.factories import EnrollmentFactory
from enrollment.tests.files import PAYMENT_HEADER, xlsx
from office import retention, tasks
from office.models import IncomingFile

NOW = timezone.now()
SUMMARY = {"rows": 1, "new": 1, "updated": 0, "unchanged": 0, "invalid_rows": 0}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.UPLOAD_RETENTION_DAYS = 1
    return tmp_path


@pytest.fixture
def roster_import(media, db):
    """`roster_import(status, age)`: an import uploaded `age` ago, with its upload and its
    rows in error kept."""

    def make(status: str, age: timedelta) -> RosterImport:
        job = RosterImport(
            original_name="名单.xlsx", sha256="0" * 64, status=status, summary=SUMMARY
        )
        job.file.save("名单.xlsx", ContentFile(b"upload"), save=False)
        job.produced_file.save("errors.xlsx", ContentFile(b"errors"), save=False)
        job.save()
        RosterImport.objects.filter(pk=job.pk).update(started_at=NOW - age)
        job.refresh_from_db()
        return job

    return make


def kept(job: RosterImport) -> list[bool]:
    return [(Path(job.file.storage.location) / name).is_file() for name in names(job)]


def names(job: RosterImport) -> list[str]:
    return [job.file.name, job.produced_file.name]


def test_an_unconfirmed_upload_past_the_retention_is_discarded(
    roster_import, django_capture_on_commit_callbacks
):
    job = roster_import("checked", timedelta(days=1, minutes=1))
    files = names(job)

    with django_capture_on_commit_callbacks(execute=True):
        removed = retention.jobs_remove_stale_files(now=NOW)

    job.refresh_from_db()
    assert removed == 1
    assert job.status == "discarded" and job.finished_at == NOW
    assert "超过保留期限（1 天）未确认" in job.error
    assert not job.file and not job.produced_file
    assert not any((Path(job.file.storage.location) / name).exists() for name in files)


def test_an_imported_upload_loses_its_files_and_keeps_its_report(
    roster_import, django_capture_on_commit_callbacks
):
    job = roster_import("imported", timedelta(days=2))

    with django_capture_on_commit_callbacks(execute=True):
        retention.jobs_remove_stale_files(now=NOW)

    job.refresh_from_db()
    assert job.status == "imported" and not job.file and not job.produced_file


@pytest.mark.parametrize(
    ("status", "age"),
    [
        ("checked", timedelta(hours=23)),  # still within the day
        ("checking", timedelta(days=3)),  # running: the job needs its file (R1 recovers it)
        ("importing", timedelta(days=3)),
    ],
)
def test_a_recent_or_running_upload_is_kept(roster_import, status, age):
    job = roster_import(status, age)

    assert retention.jobs_remove_stale_files(now=NOW) == 0

    job.refresh_from_db()
    assert job.status == status and kept(job) == [True, True]


def test_the_period_is_the_setting(roster_import, settings):
    settings.UPLOAD_RETENTION_DAYS = 7
    roster_import("checked", timedelta(days=6))

    assert retention.jobs_remove_stale_files(now=NOW) == 0
    assert retention.jobs_remove_stale_files(now=NOW + timedelta(days=1, minutes=1)) == 1


def test_removing_twice_removes_nothing_more(roster_import):
    roster_import("refused", timedelta(days=2))

    assert retention.jobs_remove_stale_files(now=NOW) == 1
    assert retention.jobs_remove_stale_files(now=NOW) == 0


def test_the_hourly_task_sweeps_roster_imports_and_incoming_files(roster_import, media):
    roster_import("checked", timedelta(days=2))
    stale = IncomingFile.objects.create(
        token="a" * 32, kind="x", original_name="缴费.xlsx", uploaded_at=NOW - timedelta(days=2)
    )
    stale.file.save("incoming/" + "a" * 32 + ".xlsx", ContentFile(b"ids"))

    assert tasks.remove_stale_uploads() == 2
    assert not IncomingFile.objects.exists()


# --- staff discard an upload -------------------------------------------------------------------


def test_staff_discard_a_checked_roster_import(
    client, staff, roster_import, django_capture_on_commit_callbacks
):
    job = roster_import("checked", timedelta(minutes=5))
    files = names(job)
    clerk = staff("医保办")
    client.force_login(clerk)
    page = client.get(reverse("admin:enrollment_rosterimport_change", args=[job.pk]))

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("admin:enrollment_rosterimport_discard", args=[job.pk]))
    confirmed = client.post(reverse("admin:enrollment_rosterimport_confirm", args=[job.pk]))

    assert reverse("admin:enrollment_rosterimport_discard", args=[job.pk]) in page.content.decode()
    assert done.status_code == confirmed.status_code == 302
    job.refresh_from_db()
    assert job.status == "discarded" and job.error == f"已由 {clerk} 放弃，上传的文件已删除。"
    assert not any((Path(job.file.storage.location) / name).exists() for name in files)


def test_an_import_being_written_cannot_be_discarded(client, staff, roster_import):
    job = roster_import("importing", timedelta(minutes=5))
    client.force_login(staff("医保办"))

    client.post(reverse("admin:enrollment_rosterimport_discard", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == "importing" and kept(job) == [True, True]


@pytest.mark.parametrize("role", ["财务", "审计"])
def test_who_may_not_import_may_not_discard(client, staff, roster_import, role):
    job = roster_import("checked", timedelta(minutes=5))
    client.force_login(staff(role))

    response = client.post(reverse("admin:enrollment_rosterimport_discard", args=[job.pk]))

    assert response.status_code == 403
    job.refresh_from_db()
    assert job.status == "checked"


def test_staff_discard_an_incoming_file_after_its_dry_run(client, staff, media, shanghai_2026):
    enrollment = EnrollmentFactory(policy_year=shanghai_2026)
    path = xlsx(
        media / "缴费.xlsx",
        [[enrollment.student.student_number, "355.00", "2025-11-25", "现金", "R1"]],
        header=PAYMENT_HEADER,
    )
    client.force_login(staff("医保办"))
    url = reverse("admin:enrollment_payments_import")
    checked = client.post(
        url,
        {"policy_year": shanghai_2026.pk, "file": SimpleUploadedFile(path.name, path.read_bytes())},
    ).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', checked).group(1)
    stored = Path(IncomingFile.objects.get(token=token).file.path)

    discarded = client.post(url, {"token": token, "discard": "1"}, follow=True)
    confirmed = client.post(url, {"policy_year": shanghai_2026.pk, "token": token}, follow=True)

    assert 'name="discard"' in checked
    assert len(list(discarded.context["messages"])) == 1
    assert not IncomingFile.objects.filter(token=token).exists() and not stored.exists()
    assert Payment.objects.count() == 0  # the confirmation finds nothing to apply
    assert confirmed.status_code == 200
