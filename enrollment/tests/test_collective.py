"""The year-end collective enrollment (集中参保): who is enrolled and how, idempotent
re-runs, resuming after a lost worker (a real one, killed, on Redis), one run at a time
(two starts at once on PostgreSQL), the command and the admin page.

Numbers: premium 355.00 (shanghai guide Q2); a gap year adds 1 month to the fixed 3
months of waiting (shanghai guide Q5, sjtu rules art. 20), counted from 2025."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import factory
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from enrollment import rules, services, workflow
from enrollment.models import CollectiveRun, Enrollment, EnrollmentEvent, OptOut, Student
from enrollment.services import collective
from enrollment.tests.factories import EnrollmentRowFactory, StudentFactory
from office.tests.factories import StaffFactory

PROJECT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
needs_broker = pytest.mark.skipif(
    settings.CELERY_TASK_ALWAYS_EAGER,
    reason="REDIS_URL is not set: no broker for a worker to be killed; CI runs this on Redis",
)
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks need PostgreSQL (SQLite serialises writers); CI runs this on PostgreSQL",
)


# --- the pure rules ---------------------------------------------------------------------------


def facts(**overrides) -> rules.EligibilityFacts:
    return rules.EligibilityFacts(
        **{"id_type": "resident_id", "registered_on": date(2024, 9, 1), **overrides}
    )


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (rules.Candidate(facts()), ""),
        (rules.Candidate(facts(), opted_out=True), "opted_out"),
        (rules.Candidate(facts(), opted_out=True, commitment_missing=True), "commitment_missing"),
        # graduating in June 2026: covered to 31 Dec 2026, so still enrolled for 2026
        (rules.Candidate(facts(), graduation_date=date(2026, 6, 30)), ""),
        (rules.Candidate(facts(), graduation_date=date(2025, 6, 30)), "graduated"),
        (rules.Candidate(facts(school_status="graduated")), "graduated"),
        (rules.Candidate(facts(registered_on=date(2026, 9, 1))), ""),
        (rules.Candidate(facts(registered_on=date(2027, 9, 1))), "not_yet_registered"),
        (rules.Candidate(facts(study_mode="part_time")), "part_time"),
        (rules.Candidate(facts(id_type="passport", nationality="韩国")), "foreign_student"),
        (rules.Candidate(facts(school_status="military_service")), "military_service"),
    ],
)
def test_who_the_collective_run_skips(candidate, expected):
    assert rules.collective_skip(candidate, year=2026) == expected


@pytest.mark.parametrize(
    ("entry_year", "covered", "recorded", "expected"),
    [
        (2024, set(), set(), 0),  # the portal has no year before 2026: nothing is known
        (2024, set(), {2025}, 1),  # 2025 recorded, not covered: one gap year
        (2024, {2025}, {2025}, 0),
        (2022, set(), {2023, 2024, 2025}, 1),  # gaps count from 2025 only
        (2026, set(), {2025}, 0),  # not yet at school in 2025
    ],
)
def test_gap_years_count_recorded_years_from_2025(entry_year, covered, recorded, expected):
    history = rules.History(covered=frozenset(covered), on_record=frozenset(covered))
    gaps = rules.gap_years(
        history,
        year=2026,
        entry_year=entry_year,
        complete_years=frozenset(recorded),
        counted_from=2025,
    )
    assert gaps.years == expected


# --- the run ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_run_enrolls_prices_and_skips_with_reasons(
    shanghai_2026, live_worker, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    students = StudentFactory.create_in_bulk(
        12, college=factory.Iterator(["医学院", "法学院", "外国语学院"])
    )
    special = {1: "severe_disability", 2: "low_income_family", 3: "hardship"}
    for index, category in special.items():
        Student.objects.filter(pk=students[index].pk).update(subsidy_category=category)
    Student.objects.filter(pk=students[4].pk).update(study_mode="part_time")
    Student.objects.filter(pk=students[5].pk).update(graduation_date=date(2025, 7, 1))
    OptOut.objects.create(
        student=students[6],
        policy_year=shanghai_2026,
        reason=OptOut.Reason.INSURED_ELSEWHERE,
        signed_on=date(2025, 11, 20),
        commitment=ContentFile(PDF, name="承诺书.pdf"),
    )

    run = _run_to_the_end(shanghai_2026)

    enrollments = {e.student_id: e for e in Enrollment.objects.filter(policy_year=shanghai_2026)}
    assert len(enrollments) == 9  # 12 less part-time, graduated and opted out
    exempt = enrollments[students[1].pk]
    assert (exempt.state, exempt.premium_due) == (workflow.EXEMPT, Decimal("0.00"))
    assert enrollments[students[2].pk].payer == workflow.GOVERNMENT
    assert enrollments[students[3].pk].payer == workflow.SCHOOL_FUND
    standard = enrollments[students[0].pk]
    assert (standard.state, standard.premium_due, standard.payer) == (
        workflow.DECLARED,
        Decimal("355.00"),
        workflow.STUDENT,
    )
    assert (standard.cover_start, standard.cover_end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert run.summary["created"] == {"declared": 8, "exempt": 1}
    assert run.summary["skipped"] == {"part_time": 1, "graduated": 1, "opted_out": 1}
    assert sorted(e["code"] for e in run.summary["exceptions"]) == [
        "graduated",
        "opted_out",
        "part_time",
    ]
    # students 0, 3, 6, 9 are in 医学院; 6 opted out
    assert run.summary["by_college"]["医学院"] == {"declared": 3, "skipped": 1}
    assert run.progress_done == run.progress_total == 12
    assert EnrollmentEvent.objects.filter(enrollment__policy_year=shanghai_2026).count() == 9


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rerun_creates_nothing_and_counts_what_exists(shanghai_2026, live_worker):
    StudentFactory.create_in_bulk(5)
    _run_to_the_end(shanghai_2026)
    events = EnrollmentEvent.objects.count()

    rerun = _run_to_the_end(shanghai_2026)

    assert rerun.summary["created"] == {}
    assert rerun.summary["existing"] == 5
    assert Enrollment.objects.filter(policy_year=shanghai_2026).count() == 5
    assert EnrollmentEvent.objects.count() == events


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_gap_year_brings_a_waiting_period(shanghai_2025, shanghai_2026, live_worker):
    """The 2025 collective run was done in the portal; A was enrolled, B was at school
    without cover: for 2026 B waits 3 fixed + 1 variable month, so benefits from
    1 May 2026 (shanghai guide Q5)."""
    a, b = StudentFactory.create_in_bulk(2, registered_on=date(2024, 9, 1))
    EnrollmentRowFactory(student=a, policy_year=shanghai_2025, state=workflow.REMITTED)
    CollectiveRun.objects.create(policy_year=shanghai_2025, status=CollectiveRun.Status.DONE)

    run = _run_to_the_end(shanghai_2026)

    continuous = Enrollment.objects.get(student=a, policy_year=shanghai_2026)
    gap = Enrollment.objects.get(student=b, policy_year=shanghai_2026)
    assert (continuous.waiting_months, continuous.cover_start) == (0, date(2026, 1, 1))
    assert (gap.waiting_months, gap.cover_start) == (4, date(2026, 5, 1))
    assert run.summary["with_waiting"] == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_year_the_portal_did_not_run_gives_no_gap(shanghai_2025, shanghai_2026, live_worker):
    """2025's collective enrollment was not run here (one enrollment typed in is not a
    year on record): nobody is given a gap year for 2025."""
    a, b = StudentFactory.create_in_bulk(2, registered_on=date(2024, 9, 1))
    EnrollmentRowFactory(student=a, policy_year=shanghai_2025, state=workflow.REMITTED)

    run = _run_to_the_end(shanghai_2026)

    assert Enrollment.objects.get(student=b, policy_year=shanghai_2026).waiting_months == 0
    assert run.summary["with_waiting"] == 0


@pytest.mark.django_db
def test_an_opt_out_without_its_scan_is_skipped_and_reported_as_missing_it(
    shanghai_2026, settings, tmp_path
):
    """Issue #10, point 15: two opt-outs, one with its scanned 承诺书 and one without;
    neither is enrolled, and the report names the one whose commitment is missing."""
    settings.MEDIA_ROOT = tmp_path
    signed, unsigned, other = StudentFactory.create_in_bulk(3)
    for student, scan in ((signed, ContentFile(PDF, name="承诺书.pdf")), (unsigned, None)):
        OptOut.objects.create(
            student=student,
            policy_year=shanghai_2026,
            reason=OptOut.Reason.INSURED_ELSEWHERE,
            signed_on=date(2025, 11, 20),
            commitment=scan,
        )
    run = CollectiveRun.objects.create(policy_year=shanghai_2026, summary={})

    services.collective_run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert list(Enrollment.objects.values_list("student_id", flat=True)) == [other.pk]
    assert run.summary["skipped"] == {"opted_out": 1, "commitment_missing": 1}
    [missing] = [e for e in run.summary["exceptions"] if e["code"] == "commitment_missing"]
    assert missing["student_number"] == unsigned.student_number
    assert "承诺书" in missing["reason"]


def _run_to_the_end(policy_year, timeout: float = 30) -> CollectiveRun:
    start = services.collective_run_start(policy_year=policy_year)
    return _wait_for(start.run.pk, timeout)


def _wait_for(run_id: int, timeout: float) -> CollectiveRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = CollectiveRun.objects.get(pk=run_id)
        if not run.is_running:
            assert run.status == CollectiveRun.Status.DONE, run.error
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} still running after {timeout}s")


# --- one at a time, resumable -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_second_start_shows_the_running_run(shanghai_2026):
    running = CollectiveRun.objects.create(
        policy_year=shanghai_2026, heartbeat_at=timezone.now(), summary={}
    )

    second = services.collective_run_start(policy_year=shanghai_2026)

    assert (second.action, second.run.pk) == ("running", running.pk)
    assert CollectiveRun.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_that_stopped_midway_is_resumed_with_exact_counts(shanghai_2026, live_worker):
    """A worker lost after two chunks: the chunks it committed stay, a new start resumes
    the same run from its cursor, and every count is as if it had never stopped."""
    StudentFactory.create_in_bulk(10)
    run = CollectiveRun.objects.create(
        policy_year=shanghai_2026,
        chunk_size=3,
        heartbeat_at=timezone.now(),
        progress_total=10,
        summary={},
    )
    context = collective._Context.of(run)
    assert collective._run_chunk(run.pk, context)
    assert collective._run_chunk(run.pk, context)
    assert Enrollment.objects.count() == 6
    # the worker is lost: no progress for an hour
    CollectiveRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))

    resumed = services.collective_run_start(policy_year=shanghai_2026)

    run = _wait_for(run.pk, 30)
    assert resumed.action == "resumed"
    assert resumed.run.pk == run.pk
    assert run.status == CollectiveRun.Status.DONE
    assert (run.progress_done, run.summary["created"]) == (10, {"declared": 10})
    assert Enrollment.objects.count() == EnrollmentEvent.objects.count() == 10


@pytest.mark.django_db
def test_a_failed_chunk_keeps_what_was_done_and_a_new_start_completes_it(
    shanghai_2026, monkeypatch
):
    """Fault injection: the 7th enrollment cannot be built. The first two chunks of 3
    stay, the run says why it stopped, and the next run creates only the rest."""
    StudentFactory.create_in_bulk(10)
    built = collective.enrollment_build
    calls = {"n": 0}

    def fails_once_at_the_seventh(**kwargs):
        calls["n"] += 1
        if calls["n"] == 7:
            raise RuntimeError("数据库连接中断")
        return built(**kwargs)

    monkeypatch.setattr(collective, "enrollment_build", fails_once_at_the_seventh)
    run = CollectiveRun.objects.create(policy_year=shanghai_2026, chunk_size=3, summary={})

    services.collective_run_execute(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == CollectiveRun.Status.FAILED
    assert "数据库连接中断" in run.error and "不会重复建立记录" in run.error
    assert Enrollment.objects.count() == 6  # two whole chunks, nothing of the third
    second = CollectiveRun.objects.create(policy_year=shanghai_2026, chunk_size=3, summary={})
    services.collective_run_execute(run_id=second.pk)
    second.refresh_from_db()
    assert (second.summary["existing"], second.summary["created"]) == (6, {"declared": 4})
    assert Enrollment.objects.count() == EnrollmentEvent.objects.count() == 10


@needs_broker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_killed_worker_is_resumed_with_exact_counts(shanghai_2026, tmp_path):
    """A real worker process is killed (SIGKILL) in the middle of the run; starting again
    resumes the run in a new worker, and nothing is created twice."""
    count = 3000
    StudentFactory.create_in_bulk(count)
    run = CollectiveRun.objects.create(
        policy_year=shanghai_2026, chunk_size=15, heartbeat_at=timezone.now(), progress_total=count
    )
    worker = _worker_process(tmp_path / "first.log")
    try:
        from enrollment import tasks

        tasks.collective_run.delay(run_id=run.pk)
        _wait_until(lambda: CollectiveRun.objects.get(pk=run.pk).progress_done >= 150, 60)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    stopped = CollectiveRun.objects.get(pk=run.pk)
    assert stopped.status == CollectiveRun.Status.RUNNING
    assert 0 < stopped.progress_done < count
    assert Enrollment.objects.count() == stopped.progress_done  # whole chunks only

    second = _worker_process(tmp_path / "second.log")
    try:
        resumed = services.collective_run_start(policy_year=shanghai_2026, stale_after=timedelta(0))
        assert (resumed.action, resumed.run.pk) == ("resumed", run.pk)
        finished = _wait_for(run.pk, 120)
    finally:
        second.terminate()
        second.wait(timeout=20)
    assert finished.progress_done == count
    assert finished.summary["created"] == {"declared": count}
    assert Enrollment.objects.filter(policy_year=shanghai_2026).count() == count
    assert EnrollmentEvent.objects.count() == count


def _worker_process(log: Path) -> subprocess.Popen:
    """A Celery worker in its own process, on the test database."""
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        if connection.vendor == "postgresql"
        else f"sqlite:///{database['NAME']}"
    )
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SECRET_KEY": settings.SECRET_KEY}
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
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_starts_at_once_make_one_run(shanghai_2026, live_worker):
    StudentFactory.create_in_bulk(50)
    barrier = threading.Barrier(2)
    results = []

    def start():
        try:
            barrier.wait()
            results.append(services.collective_run_start(policy_year=shanghai_2026))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(result.action for result in results) == ["running", "started"]
    assert len({result.run.pk for result in results}) == 1
    assert CollectiveRun.objects.count() == 1
    _wait_for(results[0].run.pk, 30)
    assert Enrollment.objects.count() == 50


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_on_one_run_take_turns(shanghai_2026):
    """A redelivered task running beside the first: the row lock makes them take chunks
    in turn, so nothing is created twice and the counts are exact."""
    StudentFactory.create_in_bulk(200)
    run = CollectiveRun.objects.create(
        policy_year=shanghai_2026, chunk_size=10, heartbeat_at=timezone.now(), progress_total=200
    )
    errors = []

    def execute():
        try:
            services.collective_run_execute(run_id=run.pk)
        except Exception as exc:  # recorded for the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=execute) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    run.refresh_from_db()
    assert errors == []
    assert run.status == CollectiveRun.Status.DONE
    assert (run.progress_done, run.summary["created"]) == (200, {"declared": 200})
    assert Enrollment.objects.count() == EnrollmentEvent.objects.count() == 200


# --- the command and the admin -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_command_runs_and_reports_in_json(shanghai_2026, live_worker):
    StudentFactory.create_in_bulk(4)
    out = StringIO()

    call_command(
        "run_collective_enrollment", "--year", "2026", "--json", stdout=out, stderr=StringIO()
    )

    report = json.loads(out.getvalue())
    assert (report["status"], report["created"], report["existing"]) == ("done", 4, 0)


@pytest.mark.skipif(
    not settings.CELERY_TASK_ALWAYS_EAGER, reason="REDIS_URL is set: the run goes to a worker"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_wait_in_process_reports_the_finished_run(shanghai_2026):
    """Without a broker the run is over before the command returns: it says so rather
    than "已在运行"."""
    StudentFactory.create_in_bulk(3)
    out = StringIO()

    call_command("run_collective_enrollment", "--year", "2026", "--no-wait", stdout=out)

    assert "已完成。新建 3 条" in out.getvalue()
    assert "已在运行" not in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [(["--year", "2031"], "没有 2031"), (["--year", "2025", "--region", "beijing"], "没有 2025")],
)
def test_command_refuses_a_year_the_region_does_not_have(args, message):
    with pytest.raises(CommandError, match=message) as raised:
        call_command("run_collective_enrollment", *args, stderr=StringIO())
    assert raised.value.returncode == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_admin_start_button_runs_and_shows_the_report(
    client, admin_user, shanghai_2026, live_worker
):
    StudentFactory.create_in_bulk(
        3, student_number=factory.Iterator(["S000000", "S000001", "S000002"])
    )
    Student.objects.filter(student_number="S000001").update(study_mode="part_time")
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:enrollment_collectiverun_start"), {"policy_year": shanghai_2026.pk}
    )
    run = _wait_for(CollectiveRun.objects.get().pk, 30)
    detail = client.get(response["Location"])
    again = client.post(
        reverse("admin:enrollment_collectiverun_start"),
        {"policy_year": shanghai_2026.pk},
        follow=True,
    )

    assert response["Location"] == reverse("admin:enrollment_collectiverun_change", args=[run.pk])
    page = detail.content.decode()
    assert "S000001" in page and rules.SKIP_LABELS["part_time"] in page
    assert CollectiveRun.objects.count() == 2  # a finished run does not block a new one
    assert again.status_code == 200


# --- the run as a job: queued by name, progress -------------------------------------------------


@pytest.mark.django_db
def test_a_run_the_queue_cannot_take_fails_saying_so(
    shanghai_2026, unreachable_broker, django_capture_on_commit_callbacks
):
    StudentFactory.create_in_bulk(2)

    with django_capture_on_commit_callbacks(execute=True):
        start = services.collective_run_start(policy_year=shanghai_2026)

    run = CollectiveRun.objects.get(pk=start.run.pk)
    assert (run.status, run.error) == ("failed", "任务队列暂时不可用，任务未开始。请稍后重新启动。")
    assert run.finished_at is not None
    assert Enrollment.objects.count() == 0
    assert services.collective_run_start(policy_year=shanghai_2026).action == "started"


def test_a_process_that_never_loaded_the_tasks_finds_them_by_name():
    """A web process imports no task module; queueing by name must still find the task."""
    code = (
        "import sys, django; django.setup(); from office.jobs import task_of; "
        "before = 'enrollment.tasks' in sys.modules; "
        "print(before, task_of('enrollment.collective_run').name)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "enrollment.collective_run"]


@pytest.mark.django_db
def test_the_progress_page_gives_status_and_counts_to_who_may_view_runs(
    client, admin_user, shanghai_2026
):
    run = CollectiveRun.objects.create(
        policy_year=shanghai_2026, progress_done=4000, progress_total=10000
    )
    url = reverse("admin:enrollment_collectiverun_progress", args=[run.pk])
    client.force_login(StaffFactory())
    refused = client.get(url)
    client.force_login(admin_user)

    progress = client.get(url).json()
    page = client.get(reverse("admin:enrollment_collectiverun_change", args=[run.pk]))

    assert refused.status_code == 403
    assert progress == {"status": "running", "done": 4000, "total": 10000}
    assert run.progress_fraction == 0.4
    text = page.content.decode()
    assert "4000 / 10000" in text and url in text  # the running page polls


@pytest.mark.django_db
def test_a_finished_run_shows_its_count_without_polling(client, admin_user, shanghai_2026):
    run = CollectiveRun.objects.create(
        policy_year=shanghai_2026, status="done", progress_done=0, progress_total=0
    )
    client.force_login(admin_user)

    text = client.get(reverse("admin:enrollment_collectiverun_change", args=[run.pk])).content

    assert "0 / 0" in text.decode()
    assert reverse("admin:enrollment_collectiverun_progress", args=[run.pk]) not in text.decode()
    assert CollectiveRun(progress_done=0, progress_total=0).progress_fraction == 0
