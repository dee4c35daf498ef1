"""The 任务 list (office.job_list, admin 办公室 › 任务): every app's jobs in one list, newest
first, with who, when, state, progress, result and file; a running job cancelled safely;
job files removed once their retention is over."""

import ast
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from enrollment import services
from enrollment.models import (
    CollectiveRun,
    Enrollment,
    PersonalDataAccess,
    RosterImport,
)
from enrollment.tests.factories import StudentFactory
from office import job_list
from office.models import ScheduledRun

pytestmark = pytest.mark.django_db

LIST = "admin:office_joblist_changelist"
CANCEL = "admin:office_joblist_cancel"
NOON = timezone.make_aware(datetime(2026, 9, 3, 12, 0))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _at(job, when: datetime):
    type(job).objects.filter(pk=job.pk).update(started_at=when)
    job.refresh_from_db()
    return job


def roster_import(status=RosterImport.Status.CHECKED, *, when=NOON, by=None, **fields):
    job = RosterImport.objects.create(
        original_name="新生名单.xlsx",
        file="roster-imports/x.xlsx",
        sha256="0" * 64,
        status=status,
        started_by=by,
        **fields,
    )
    return _at(job, when)


def collective_run(policy_year, status=CollectiveRun.Status.DONE, *, when=NOON, by=None):
    run = CollectiveRun.objects.create(policy_year=policy_year, status=status, started_by=by)
    return _at(run, when)


def scheduled_run(
    key="digest:2026-09-03", *, when=NOON, content=b"", status=ScheduledRun.Status.DONE
):
    run = ScheduledRun(key=key, task="enrollment.freshman_digest", title=key, status=status)
    if content:
        run.produced_file.save("日报.xlsx", ContentFile(content), save=False)
    run.save()
    return _at(run, when)


# --- the registry ------------------------------------------------------------------------------


def test_the_apps_register_their_job_models():
    keys = {kind.key for kind in job_list.job_kinds()}

    assert {"enrollment.rosterimport", "enrollment.collectiverun", "office.scheduledrun"} <= keys


def test_office_imports_no_app():
    """DESIGN.md §3: office imports none of policies, enrollment, claims."""
    office = Path(job_list.__file__).parent
    imported = set()
    for source in office.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)

    assert not imported & {"policies", "enrollment", "claims"}


# --- the list ----------------------------------------------------------------------------------


def test_every_kind_in_one_list_newest_first(shanghai_2026):
    oldest = roster_import(when=NOON - timedelta(hours=3))
    middle = collective_run(shanghai_2026, when=NOON - timedelta(hours=2))
    newest = scheduled_run(when=NOON - timedelta(hours=1))

    listed, total = job_list.jobs_page(job_list.job_kinds())

    assert total == 3
    assert [item.job for item in listed] == [newest, middle, oldest]


def test_pages_merge_across_kinds(shanghai_2026, monkeypatch):
    monkeypatch.setattr(job_list, "PER_PAGE", 2)
    # five jobs an hour apart, alternating kinds: 4 (newest) … 0
    jobs = [
        roster_import(when=NOON + timedelta(hours=n))
        if n % 2
        else scheduled_run(key=f"k{n}", when=NOON + timedelta(hours=n))
        for n in range(5)
    ]

    first, total = job_list.jobs_page(job_list.job_kinds(), page=1)
    second, _ = job_list.jobs_page(job_list.job_kinds(), page=2)
    third, _ = job_list.jobs_page(job_list.job_kinds(), page=3)

    assert total == 5
    assert [item.job for item in first + second + third] == jobs[::-1]


def test_the_page_shows_who_when_state_progress_and_result(client, staff, shanghai_2026):
    clerk = staff("医保办", username="wang")
    roster_import(
        RosterImport.Status.IMPORTED,
        by=clerk,
        summary={"rows": 12, "invalid_rows": 2, "result": {"created": 9, "updated": 1}},
        progress_done=12,
        progress_total=12,
    )
    running = collective_run(shanghai_2026, CollectiveRun.Status.RUNNING, by=clerk)
    CollectiveRun.objects.filter(pk=running.pk).update(progress_done=2000, progress_total=6000)
    client.force_login(clerk)

    page = client.get(reverse(LIST)).content.decode()

    assert "共 12 行，错误 2 行；新增 9 人，更新 1 人" in page
    assert "wang" in page and "2026-09-03<br>12:00" in page
    assert "2000 / 6000" in page
    progress = reverse("admin:enrollment_collectiverun_progress", args=[running.pk])
    assert f'data-progress-url="{progress}"' in page
    # the bar moves by a static script (no inline script: the pages' CSP)
    assert "office/job_list.js" in page


def test_the_progress_bar_polls_the_jobs_own_json(client, staff, shanghai_2026):
    client.force_login(staff("审计"))
    run = collective_run(shanghai_2026, CollectiveRun.Status.RUNNING)

    state = client.get(reverse("admin:enrollment_collectiverun_progress", args=[run.pk])).json()

    assert state == {"status": "running", "done": 0, "total": 0}


def test_filters_by_kind_state_and_starter(client, staff, shanghai_2026):
    clerk = staff("医保办")
    mine = roster_import(RosterImport.Status.CHECKING, by=clerk)
    failed = collective_run(shanghai_2026, CollectiveRun.Status.FAILED)
    done = scheduled_run()
    client.force_login(clerk)

    def shown(**query):
        response = client.get(reverse(LIST), query)
        return [row["job"] for row in response.context["rows"]]

    assert shown(state="running") == [mine]
    assert shown(state="failed") == [failed]
    assert shown(state="finished") == [done]
    assert shown(kind="office.scheduledrun") == [done]
    assert shown(mine="1") == [mine]


def test_each_role_sees_the_kinds_it_may_view(client, staff, shanghai_2026):
    roster_import()
    collective_run(shanghai_2026)
    scheduled_run()
    for role in ("医保办", "学生处", "财务", "审计"):
        client.force_login(staff(role))
        response = client.get(reverse(LIST))
        assert response.status_code == 200, role
        assert len(response.context["rows"]) == 3, role

    client.force_login(staff("", permissions=["view_rosterimport"]))
    assert len(client.get(reverse(LIST)).context["rows"]) == 1

    client.force_login(staff(""))
    assert client.get(reverse(LIST)).status_code == 403


def test_the_list_reads_a_bounded_number_of_queries(
    client, staff, shanghai_2026, django_assert_max_num_queries
):
    client.force_login(staff("医保办"))
    for n in range(30):
        roster_import(when=NOON + timedelta(minutes=n), summary={"rows": n})
        scheduled_run(key=f"k{n}", when=NOON + timedelta(minutes=n))
    collective_run(shanghai_2026)

    # session, user, permissions, and per kind one count and one page
    with django_assert_max_num_queries(15):
        client.get(reverse(LIST))


# --- files -------------------------------------------------------------------------------------


def test_a_kept_file_is_downloaded_and_logged(client, staff):
    run = scheduled_run(content=b"PK digest")
    clerk = staff("学生处")
    client.force_login(clerk)

    page = client.get(reverse(LIST)).content.decode()
    url = reverse("admin:office_scheduledrun_file", args=[run.pk])
    download = client.get(url)

    assert url in page
    assert b"".join(download.streaming_content) == b"PK digest"
    logged = PersonalDataAccess.objects.get(user=clerk)
    assert logged.action == PersonalDataAccess.Action.EXPORT and run.title in logged.detail


def test_a_roster_file_is_linked_only_for_who_may_download_it(client, staff):
    errors = roster_import()
    RosterImport.objects.filter(pk=errors.pk).update(
        produced_file=RosterImport().produced_file.storage.save(
            "roster-imports/errors/1.xlsx", ContentFile(b"PK")
        )
    )
    url = reverse("admin:enrollment_rosterimport_errors", args=[errors.pk])

    client.force_login(staff("医保办"))
    assert url in client.get(reverse(LIST)).content.decode()
    client.force_login(staff("财务"))  # no full ID numbers: no link that would end in 403
    assert url not in client.get(reverse(LIST)).content.decode()


def test_files_past_their_retention_are_removed_once(settings):
    settings.JOB_FILE_RETENTION = timedelta(days=7)
    now = NOON + timedelta(days=10)
    old = scheduled_run("old", content=b"old", when=NOON)  # 10 days old
    recent = scheduled_run("recent", content=b"new", when=now - timedelta(days=1))
    running = scheduled_run("running", content=b"run", status=ScheduledRun.Status.RUNNING)
    storage = old.produced_file.storage
    old_name = old.produced_file.name

    first = job_list.job_files_remove_stale(now=now)
    again = job_list.job_files_remove_stale(now=now)

    assert first["files_removed"] == 1 and again["files_removed"] == 0
    assert not storage.exists(old_name)
    old.refresh_from_db()
    assert not old.produced_file
    assert job_list.file_kept(recent) and job_list.file_kept(running)


def test_a_removed_file_is_shown_as_removed(client, staff):
    run = scheduled_run(content=b"x")
    run.produced_file.storage.delete(run.produced_file.name)
    client.force_login(staff("医保办"))

    row = client.get(reverse(LIST)).context["rows"][0]

    assert row["file_url"] == "" and row["file_gone"]
    assert client.get(reverse("admin:office_scheduledrun_file", args=[run.pk])).status_code == 404


# --- cancel ------------------------------------------------------------------------------------


def test_a_cancelled_collective_run_stops_before_its_next_chunk(client, staff, shanghai_2026):
    StudentFactory.create_in_bulk(3)
    clerk = staff("医保办", username="li")
    run = services.collective_run_start(policy_year=shanghai_2026, by=clerk).run  # not run yet
    client.force_login(clerk)

    page = client.get(reverse(LIST)).content.decode()
    response = client.post(
        reverse(CANCEL), {"kind": "enrollment.collectiverun", "pk": run.pk, "next": "/admin/"}
    )
    services.collective_run_execute(run_id=run.pk)  # the worker takes it afterwards

    assert 'class="job-cancel"' in page
    assert response.status_code == 302 and response["Location"] == "/admin/"
    run.refresh_from_db()
    assert run.status == CollectiveRun.Status.FAILED
    assert run.error.startswith("已由 li 于 ") and "取消" in run.error
    assert run.progress_done == 0 and not Enrollment.objects.exists()


def test_a_cancelled_roster_check_writes_nothing(staff):
    checking = roster_import(RosterImport.Status.CHECKING)
    kind = job_list.kind_of("enrollment.rosterimport")

    assert job_list.job_cancel(kind=kind, pk=checking.pk, by=staff("医保办"))
    services.roster_import_run_check(import_id=checking.pk)  # the check's late delivery

    checking.refresh_from_db()
    assert checking.status == RosterImport.Status.FAILED
    assert "未写入任何数据" in checking.error and checking.summary == {}


def test_a_job_that_ended_is_not_cancelled(staff, shanghai_2026):
    done = collective_run(shanghai_2026, CollectiveRun.Status.DONE)
    kind = job_list.kind_of("enrollment.collectiverun")

    assert not job_list.job_cancel(kind=kind, pk=done.pk, by=staff("医保办"))
    done.refresh_from_db()
    assert done.status == CollectiveRun.Status.DONE and done.error == ""


@pytest.mark.parametrize("role", ["财务", "审计"])
def test_who_may_not_start_a_job_may_not_cancel_it(client, staff, shanghai_2026, role):
    run = collective_run(shanghai_2026, CollectiveRun.Status.RUNNING)
    client.force_login(staff(role))

    page = client.get(reverse(LIST)).content.decode()
    response = client.post(reverse(CANCEL), {"kind": "enrollment.collectiverun", "pk": run.pk})

    assert 'class="job-cancel"' not in page
    assert response.status_code == 403
    run.refresh_from_db()
    assert run.status == CollectiveRun.Status.RUNNING


def test_scheduled_runs_are_not_cancelled_from_the_list(client, staff):
    run = scheduled_run(status=ScheduledRun.Status.RUNNING)
    client.force_login(staff("医保办"))

    response = client.post(reverse(CANCEL), {"kind": "office.scheduledrun", "pk": run.pk})

    assert response.status_code == 403


def test_cancel_goes_back_only_to_this_site(client, staff, shanghai_2026):
    run = collective_run(shanghai_2026, CollectiveRun.Status.RUNNING)
    client.force_login(staff("医保办"))

    response = client.post(
        reverse(CANCEL),
        {"kind": "enrollment.collectiverun", "pk": run.pk, "next": "https://evil.example/"},
    )

    assert response["Location"] == reverse(LIST)


def test_a_scheduled_runs_own_page_and_the_office_app_page(client, staff):
    run = scheduled_run(content=b"PK")
    ScheduledRun.objects.filter(pk=run.pk).update(summary={"text": "待确认名单共 3 人"})
    client.force_login(staff("审计"))

    own = client.get(reverse("admin:office_scheduledrun_change", args=[run.pk]))
    listing = client.get(reverse("admin:office_scheduledrun_changelist"))
    app = client.get(reverse("admin:app_list", args=["office"]))

    assert own.status_code == 200 and "待确认名单共 3 人" in own.content.decode()
    assert listing["Location"].endswith("?kind=office.scheduledrun")
    assert reverse(LIST) in app.content.decode()
