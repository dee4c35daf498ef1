"""Jobs after a crash (issue #13): the stale rule, one place for the limits and their order,
the beat task that queues a lost worker's job again (once, however often it fires), the
attempt token that keeps a lost worker from writing late, roster imports that no longer
stay "checking"/"importing", and a command that never waits forever. On PostgreSQL +
Redis a real worker is SIGKILLed mid-run and a new worker with the requeue task finishes
the run unattended.

Numbers: a collective run over 10 students in chunks of 3 is 4 chunks (3+3+3+1); every
student here is a standard one, so each is "declared" (shanghai guide Q2)."""

import os
import runpy
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.utils import timezone

from enrollment import services
from enrollment.models import CollectiveRun, Enrollment, EnrollmentEvent, RosterImport, Student
from enrollment.services import collective, roster_import
from enrollment.services.roster_import import _roster_import_create
from enrollment.tests.factories import StudentFactory
from enrollment.tests.files import students, xlsx
from office import jobs
from office.tasks import requeue_stalled_jobs

PROJECT = Path(__file__).resolve().parents[2]
STALE = timedelta(minutes=5)
LONG_AGO = timedelta(hours=1)
# the rules are under test here, not the broker: tasks run in this process even with
# REDIS_URL set (the last test has the real worker)
pytestmark = pytest.mark.usefixtures("tasks_in_process")


@pytest.fixture
def tasks_in_process():
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def tasks_to_the_broker(tasks_in_process):
    from config.celery import app

    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


def ago(delta: timedelta) -> datetime:
    return timezone.now() - delta


# --- one number, limits in order ----------------------------------------------------------------


@pytest.mark.parametrize("stale_seconds", ["3", "15", "300", "3600"])
def test_the_limits_come_from_one_number_and_keep_their_order(monkeypatch, stale_seconds):
    monkeypatch.setenv("JOB_STALE_AFTER_SECONDS", stale_seconds)
    monkeypatch.setenv("DJANGO_SECRET_KEY", "x")
    values = runpy.run_path(str(PROJECT / "config" / "settings.py"))

    stale = values["JOB_STALE_AFTER"].total_seconds()
    assert stale == int(stale_seconds)
    # a task hands on, is warned, is stopped, and only then is taken for lost; Redis
    # redelivers its message later still
    assert (
        values["JOB_TASK_BUDGET"].total_seconds()
        < values["CELERY_TASK_SOFT_TIME_LIMIT"]
        < values["CELERY_TASK_TIME_LIMIT"]
        < stale
        < values["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"]
    )


def test_the_running_settings_keep_the_order_too():
    assert (
        settings.JOB_TASK_BUDGET.total_seconds()
        < settings.CELERY_TASK_SOFT_TIME_LIMIT
        < settings.CELERY_TASK_TIME_LIMIT
        < settings.JOB_STALE_AFTER.total_seconds()
        < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    )


# --- the stale rule -----------------------------------------------------------------------------

NOON = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("heartbeat_at", "started_at", "stale"),
    [
        (NOON - timedelta(minutes=4), NOON - LONG_AGO, False),  # beat 4 minutes ago
        (NOON - timedelta(minutes=6), NOON - LONG_AGO, True),
        (None, NOON - timedelta(minutes=1), False),  # not yet taken up: counts from its start
        (None, NOON - timedelta(minutes=6), True),
    ],
)
def test_the_stale_rule(heartbeat_at, started_at, stale):
    assert jobs.is_stale(heartbeat_at, started_at, now=NOON, stale_after=STALE) is stale


@pytest.mark.django_db
def test_only_running_jobs_whose_heartbeat_stopped_are_stalled(shanghai_2025, shanghai_2026):
    lost = CollectiveRun.objects.create(policy_year=shanghai_2026, heartbeat_at=ago(LONG_AGO))
    CollectiveRun.objects.create(policy_year=shanghai_2025, heartbeat_at=timezone.now())
    CollectiveRun.objects.create(
        policy_year=shanghai_2025, status="done", heartbeat_at=ago(LONG_AGO)
    )
    checking = RosterImport.objects.create(original_name="a.xlsx", sha256="-")  # no beat yet
    RosterImport.objects.filter(pk=checking.pk).update(started_at=ago(LONG_AGO))
    RosterImport.objects.create(original_name="b.xlsx", sha256="-", heartbeat_at=timezone.now())
    RosterImport.objects.create(
        original_name="c.xlsx", sha256="-", status="checked", heartbeat_at=ago(LONG_AGO)
    )

    now = timezone.now()
    assert list(jobs.stalled_jobs(CollectiveRun, now=now)) == [lost]
    assert list(jobs.stalled_jobs(RosterImport, now=now)) == [checking]
    assert set(jobs.job_models()) >= {CollectiveRun, RosterImport}


# --- the requeue task ---------------------------------------------------------------------------


def stopped_run(policy_year, *, chunks_done: int = 2) -> CollectiveRun:
    """A run of 10 students in chunks of 3 whose worker was lost after `chunks_done`."""
    StudentFactory.create_in_bulk(10)
    run = CollectiveRun.objects.create(
        policy_year=policy_year, chunk_size=3, heartbeat_at=timezone.now(), progress_total=10
    )
    context = collective._Context.of(run)
    for _ in range(chunks_done):
        assert collective._run_chunk(run.pk, context)
    CollectiveRun.objects.filter(pk=run.pk).update(heartbeat_at=ago(LONG_AGO))
    return run


@pytest.mark.django_db
def test_the_beat_finishes_a_lost_run_and_firing_again_does_nothing(
    shanghai_2026, django_capture_on_commit_callbacks
):
    run = stopped_run(shanghai_2026)
    assert Enrollment.objects.count() == 6  # two chunks of 3

    with django_capture_on_commit_callbacks(execute=True) as sent:
        assert requeue_stalled_jobs() == 1  # the beat, every minute
        assert requeue_stalled_jobs() == 0  # ... and a minute later, or twice at once
    run.refresh_from_db()

    assert len(sent) == 1
    assert (run.status, run.attempt, run.progress_done) == ("done", 1, 10)
    assert run.summary["created"] == {"declared": 10}
    assert Enrollment.objects.count() == EnrollmentEvent.objects.count() == 10


@pytest.mark.django_db
def test_two_requeues_of_the_same_lost_job_queue_it_once(
    shanghai_2026, django_capture_on_commit_callbacks
):
    """Two beats (or a beat and a new start) that read the job at the same moment: the
    conditional UPDATE lets one through."""
    run = stopped_run(shanghai_2026)
    first, second = CollectiveRun.objects.get(pk=run.pk), CollectiveRun.objects.get(pk=run.pk)

    with django_capture_on_commit_callbacks() as sent:
        results = [jobs.job_requeue(first), jobs.job_requeue(second)]

    assert results == [True, False]
    assert len(sent) == 1
    assert CollectiveRun.objects.get(pk=run.pk).attempt == 1


@pytest.mark.django_db
def test_a_new_start_resumes_a_lost_run_as_the_beat_would(
    shanghai_2026, django_capture_on_commit_callbacks
):
    run = stopped_run(shanghai_2026)

    with django_capture_on_commit_callbacks(execute=True):
        start = services.collective_run_start(policy_year=shanghai_2026)
        assert requeue_stalled_jobs() == 0

    run.refresh_from_db()
    assert (start.action, start.run.pk, run.status, run.attempt) == ("resumed", run.pk, "done", 1)
    assert Enrollment.objects.count() == 10


@pytest.mark.django_db
def test_a_lost_workers_next_chunk_writes_nothing(
    shanghai_2026, django_capture_on_commit_callbacks
):
    """The lost worker was only slow: once the job is queued again, its next chunk finds
    the attempt moved on and stops; the new attempt does the rest."""
    run = stopped_run(shanghai_2026, chunks_done=1)
    context = collective._Context.of(run)
    with django_capture_on_commit_callbacks() as sent:
        assert jobs.job_requeue(CollectiveRun.objects.get(pk=run.pk))

    assert not collective._run_chunk(run.pk, context, attempt=0)
    assert Enrollment.objects.count() == 3

    sent[0]()  # the new attempt's task
    run.refresh_from_db()
    assert (run.status, run.progress_done, run.summary["created"]) == ("done", 10, {"declared": 10})
    assert Enrollment.objects.count() == 10


@pytest.mark.django_db
def test_a_long_run_hands_on_to_new_tasks_with_exact_counts(
    shanghai_2026, settings, django_capture_on_commit_callbacks
):
    """No task may outlive its time limit: after JOB_TASK_BUDGET (here at once) a run queues
    the rest as a new task of the same attempt."""
    settings.JOB_TASK_BUDGET = timedelta(0)
    StudentFactory.create_in_bulk(10)
    run = CollectiveRun.objects.create(policy_year=shanghai_2026, chunk_size=3, summary={})

    with django_capture_on_commit_callbacks(execute=True) as sent:
        services.collective_run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert len(sent) == 4  # after each of the 4 chunks; the last hand-on finds it done
    assert (run.status, run.attempt, run.progress_done) == ("done", 0, 10)
    assert Enrollment.objects.count() == 10


# --- roster imports -----------------------------------------------------------------------------


@pytest.fixture
def kept_import(settings, tmp_path):
    """`kept_import(status, rows=3)`: an uploaded roster in `status` whose worker was lost."""
    settings.MEDIA_ROOT = tmp_path / "media"

    def make(status: str, *, rows: int = 3) -> RosterImport:
        path = xlsx(tmp_path / "r.xlsx", students(rows))
        job = _roster_import_create(content=path.read_bytes(), name="r.xlsx", user=None)
        if status != "checking":
            services.roster_import_run_check(import_id=job.pk)
        RosterImport.objects.filter(pk=job.pk).update(status=status, heartbeat_at=ago(LONG_AGO))
        job.refresh_from_db()
        return job

    return make


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "ends_as"), [("checking", "checked"), ("importing", "imported")]
)
def test_a_lost_import_is_carried_on_by_the_beat(
    kept_import, status, ends_as, django_capture_on_commit_callbacks
):
    job = kept_import(status)

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stalled_jobs() == 1
        assert requeue_stalled_jobs() == 0

    job.refresh_from_db()
    assert (job.status, job.attempt, job.error) == (ends_as, 1, "")
    assert Student.objects.count() == (3 if ends_as == "imported" else 0)


@pytest.mark.django_db
def test_confirming_again_carries_on_a_lost_import_instead_of_saying_already_confirmed(
    kept_import, django_capture_on_commit_callbacks
):
    job = kept_import("importing")

    with django_capture_on_commit_callbacks(execute=True):
        assert services.roster_import_confirm(roster_import=job, valid_only=False)

    job.refresh_from_db()
    assert (job.status, job.summary["result"]) == ("imported", {"created": 3, "updated": 0})


@pytest.mark.django_db
def test_a_live_import_is_still_already_confirmed(kept_import, django_capture_on_commit_callbacks):
    job = kept_import("importing")
    RosterImport.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())

    with django_capture_on_commit_callbacks() as sent:
        assert not services.roster_import_confirm(roster_import=job, valid_only=False)

    assert sent == []


@pytest.mark.django_db
def test_an_abandoned_commit_is_never_written_late(kept_import, monkeypatch):
    """The lost worker comes back after its import was queued again: it had checked the
    file, and reaches the write with the old attempt. Nothing is written, nothing failed."""
    job = kept_import("importing")
    checked = roster_import.roster_check

    def check_then_lose_the_job(**kwargs):
        plan = checked(**kwargs)
        # meanwhile the beat took the job for lost and queued it again
        RosterImport.objects.filter(pk=job.pk).update(attempt=F("attempt") + 1)
        return plan

    monkeypatch.setattr(roster_import, "roster_check", check_then_lose_the_job)

    services.roster_import_run_commit(import_id=job.pk, attempt=0)

    job.refresh_from_db()
    assert (job.status, job.attempt, job.error, Student.objects.count()) == ("importing", 1, "", 0)


@pytest.mark.django_db
def test_a_superseded_check_stops_without_failing_the_import(kept_import):
    job = kept_import("checking", rows=2)
    RosterImport.objects.filter(pk=job.pk).update(attempt=1)

    services.roster_import_run_check(import_id=job.pk, attempt=0)  # the old message, late

    job.refresh_from_db()
    assert (job.status, job.summary, job.error) == ("checking", {}, "")
    report = jobs.job_progress_reporter(RosterImport, job.pk, attempt=0)
    with pytest.raises(jobs.Superseded):
        report(1, 2)


# --- waiting for a job never hangs --------------------------------------------------------------


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.django_db
def test_waiting_for_a_job_that_shows_no_progress_gives_up_saying_why(shanghai_2026):
    run = CollectiveRun.objects.create(policy_year=shanghai_2026, heartbeat_at=timezone.now())
    clock = FakeClock()

    with pytest.raises(jobs.JobNotFinished, match="没有进展") as raised:
        jobs.job_wait(run, stalled_after=600, clock=clock, sleep=clock.sleep)

    assert raised.value.code == "job_stalled"
    assert 600 <= clock.now < 602  # polled once a second until then


@pytest.mark.django_db
def test_waiting_returns_the_job_once_it_ends(shanghai_2026):
    run = CollectiveRun.objects.create(policy_year=shanghai_2026, heartbeat_at=timezone.now())
    clock = FakeClock()

    def sleep(seconds):
        clock.sleep(seconds)
        if clock.now >= 3:
            CollectiveRun.objects.filter(pk=run.pk).update(status="done")

    assert jobs.job_wait(run, clock=clock, sleep=sleep).status == "done"


@pytest.mark.django_db
def test_the_command_stops_waiting_at_its_timeout_with_a_clear_message(shanghai_2026):
    """A run already under way whose worker is not answering (here: none at all)."""
    CollectiveRun.objects.create(policy_year=shanghai_2026, heartbeat_at=timezone.now())
    started = time.monotonic()

    with pytest.raises(CommandError, match="仍在运行") as raised:
        call_command(
            "run_collective_enrollment", "--year", "2026", "--timeout", "1", stderr=StringIO()
        )

    assert raised.value.returncode == 3
    assert time.monotonic() - started < 10


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_command_waits_for_the_run_it_started_in_process(shanghai_2026):
    StudentFactory.create_in_bulk(4)
    out = StringIO()

    call_command("run_collective_enrollment", "--year", "2026", stdout=out, stderr=StringIO())

    assert "新建 4 条" in out.getvalue()


# --- a real worker killed (PostgreSQL + Redis) --------------------------------------------------

needs_worker = pytest.mark.skipif(
    settings.CELERY_TASK_ALWAYS_EAGER or connection.vendor != "postgresql",
    reason="needs REDIS_URL and PostgreSQL: a worker process to kill, sharing the test "
    "database; CI runs this on PostgreSQL + Redis",
)


@needs_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_killed_worker_s_run_finishes_unattended(
    shanghai_2026, settings, tmp_path, tasks_to_the_broker
):
    """SIGKILL mid-run; a new worker comes up; nobody starts anything: the requeue task,
    sent as the beat sends it, queues the run again and the new worker finishes it with
    every count exact. The stale rule is shortened to 3 seconds for the test."""
    settings.JOB_STALE_AFTER = timedelta(seconds=3)
    count = 3000
    StudentFactory.create_in_bulk(count)
    run = CollectiveRun.objects.create(
        policy_year=shanghai_2026, chunk_size=15, heartbeat_at=timezone.now(), progress_total=count
    )
    first = _worker(tmp_path / "first.log")
    try:
        from enrollment.tasks import collective_run

        collective_run.delay(run_id=run.pk, attempt=0)
        _wait_until(lambda: CollectiveRun.objects.get(pk=run.pk).progress_done >= 150, 60)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    stopped = CollectiveRun.objects.get(pk=run.pk)
    assert stopped.status == "running" and 0 < stopped.progress_done < count

    second = _worker(tmp_path / "second.log")
    try:

        def beat_then_look() -> bool:
            requeue_stalled_jobs.delay()  # what the beat sends every minute
            time.sleep(0.5)
            return CollectiveRun.objects.get(pk=run.pk).status != "running"

        _wait_until(beat_then_look, 120)
    finally:
        second.terminate()
        second.wait(timeout=20)
    finished = CollectiveRun.objects.get(pk=run.pk)
    assert (finished.status, finished.progress_done) == ("done", count)
    assert finished.attempt >= 1
    assert finished.summary["created"] == {"declared": count}
    assert Enrollment.objects.count() == EnrollmentEvent.objects.count() == count


def _worker(log: Path) -> subprocess.Popen:
    """A Celery worker in its own process, on the test database, with the test's stale rule."""
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}"
        f"@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "JOB_STALE_AFTER_SECONDS": str(int(settings.JOB_STALE_AFTER.total_seconds())),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-l", "WARNING"],
        cwd=PROJECT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def _wait_until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")
