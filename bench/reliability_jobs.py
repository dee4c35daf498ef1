"""Jobs after a crash, measured: a collective run and a roster import, each with its worker
SIGKILLed twice in the middle. After each kill a new worker starts; nobody starts the job
again. The requeue task (office.requeue_stalled_jobs, every minute under beat) is called
here every second instead, so the job must finish by itself within its stale rule.

Runs in a child of bench/reliability.py with Django set up on the collective database,
REDIS_URL set and the stale rule shortened through the environment."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

PROJECT = Path(__file__).resolve().parents[1]
REQUEUE_TASK = "office.requeue_stalled_jobs"
REQUEUE_EVERY = 1.0
POLL = 0.02


class Workers:
    """The Celery worker processes of one scenario, one at a time. Each is reaped with
    wait4, so its peak RSS is its own."""

    def __init__(self, folder: Path, name: str, database_url: str):
        self.folder, self.name = folder, name
        self.env = {**os.environ, "DATABASE_URL": database_url}
        self.started = 0
        self.process: subprocess.Popen | None = None
        self.peaks: list[float] = []

    def start(self) -> None:
        self.started += 1
        log = open(self.folder / f"{self.name}-worker{self.started}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "config", "worker"),
                *("--pool=solo", "-l", "WARNING", "-n", f"{self.name}{self.started}@%h"),
            ],
            cwd=PROJECT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self._reap(block=True)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        while not self._reap(block=False):
            if time.monotonic() > deadline:
                self.process.send_signal(signal.SIGKILL)
                self._reap(block=True)
                break
            time.sleep(0.1)
        self.process = None

    def _reap(self, *, block: bool) -> bool:
        pid, status, usage = os.wait4(self.process.pid, 0 if block else os.WNOHANG)
        if not pid:
            return False
        self.process.returncode = os.waitstatus_to_exitcode(status)
        self.peaks.append(usage.ru_maxrss / 1024)
        return True


class Unattended:
    """Waiting as beat would: the requeue task every REQUEUE_EVERY seconds, nothing else."""

    def __init__(self):
        from office.jobs import task_of

        try:
            self.task = task_of(REQUEUE_TASK)
        except KeyError:
            self.task = None  # no requeue task: a lost job stays lost
        self.last = 0.0
        self.calls = 0

    def wait(self, condition, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            if self.task and time.monotonic() - self.last >= REQUEUE_EVERY:
                self.task.apply()
                self.last = time.monotonic()
                self.calls += 1
            time.sleep(POLL)
        return condition()


def run_jobs(options: dict) -> dict:
    folder = Path(options["folder"])
    # a kill is noticed after the stale rule; the new worker needs a few seconds to start
    timeout = 4 * float(options["stale_seconds"]) + 90
    scenario = {"collective": collective_killed_twice, "roster": roster_import_killed_twice}
    return scenario[options["scenario"]](options, folder, timeout)


def collective_killed_twice(options: dict, folder: Path, timeout: float) -> dict:
    from collective_enrollment import seed

    from enrollment import services
    from enrollment.models import CollectiveRun, Enrollment, EnrollmentEvent, Student
    from enrollment.selectors import student_pks_with_eligibility
    from policies.models import PolicyYear

    seed(options["students"])
    policy_year = PolicyYear.objects.get(code="shanghai-2026")
    eligible = len(student_pks_with_eligibility(Student.objects.all(), "eligible"))
    workers = Workers(folder, "collective", os.environ["DATABASE_URL"])
    waiting = Unattended()

    def run():
        return CollectiveRun.objects.get(pk=run_id)

    workers.start()
    started = time.perf_counter()
    run_id = services.collective_run_start(
        policy_year=policy_year, chunk_size=options["chunk"]
    ).run.pk
    total = run().progress_total
    kills = []
    try:
        for share in (0.2, 0.6):
            reached = waiting.wait(lambda s=share: run().progress_done >= s * total, timeout)
            kills.append(_kill(workers, run, reached))
            workers.start()
        finished = waiting.wait(lambda: not run().is_running, timeout)
    finally:
        workers.stop()
    seconds = time.perf_counter() - started
    final = run()
    enrollments = Enrollment.objects.filter(policy_year=policy_year)
    created = enrollments.count()
    students = enrollments.values("student").distinct().count()
    events = EnrollmentEvent.objects.filter(enrollment__policy_year=policy_year).count()
    exact = finished and final.status == CollectiveRun.Status.DONE and created == eligible
    return _result(
        "collective run",
        f"{options['students']} students",
        kills,
        finished=finished and final.status == CollectiveRun.Status.DONE,
        exact=exact and events == created,
        duplicates=created - students + max(events - created, 0),
        seconds=seconds,
        workers=workers,
        waiting=waiting,
        detail=f"{final.status}, {created}/{eligible} enrolled, {events} events",
    )


def roster_import_killed_twice(options: dict, folder: Path, timeout: float) -> dict:
    from import_roster import build_file

    from enrollment import services
    from enrollment.models import RosterImport, Student

    database_url = os.environ["DATABASE_URL"]
    rows = options["rows"]
    path = folder / "roster-killed.xlsx"
    build_file(path, rows)
    workers = Workers(folder, "roster", database_url)
    waiting = Unattended()

    def job():
        return RosterImport.objects.get(pk=import_id)

    def mid(status: str):
        """Under way in `status`: past its first progress report."""

        def under_way() -> bool:
            current = job()
            return current.status == status and current.progress_done > 0

        return under_way

    workers.start()
    started = time.perf_counter()
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    import_id = services.roster_import_start(upload=upload, user=None).pk
    kills = []
    try:
        kills.append(_kill(workers, job, waiting.wait(mid(RosterImport.Status.CHECKING), timeout)))
        workers.start()
        checked = waiting.wait(lambda: not job().is_running, timeout)
        if checked and job().status == RosterImport.Status.CHECKED:
            services.roster_import_confirm(roster_import=job(), valid_only=False)
            reached = waiting.wait(mid(RosterImport.Status.IMPORTING), timeout)
            kills.append(_kill(workers, job, reached))
            workers.start()
        finished = waiting.wait(lambda: not job().is_running, timeout)
    finally:
        workers.stop()
    seconds = time.perf_counter() - started
    final = job()
    created = Student.objects.count()
    distinct = Student.objects.values("id_type", "id_number").distinct().count()
    done = finished and final.status == RosterImport.Status.IMPORTED
    return _result(
        "roster import",
        f"{rows} rows",
        kills,
        finished=done and len(kills) == 2,
        exact=done and created == rows,
        duplicates=created - distinct,
        seconds=seconds,
        workers=workers,
        waiting=waiting,
        detail=f"{final.status}, {created}/{rows} students {final.error}".strip(),
    )


def _kill(workers: Workers, job, reached: bool) -> dict:
    """SIGKILL the worker; the kill counts if it landed while the job was running."""
    workers.kill()
    current = job()
    return {
        "reached": reached,
        "mid_job": reached and current.is_running,
        "status": current.status,
        "done": current.progress_done,
        "total": current.progress_total,
    }


def _result(name, size, kills, *, finished, exact, duplicates, seconds, workers, waiting, detail):
    mid_job = sum(kill["mid_job"] for kill in kills)
    return {
        "case": name,
        "size": size,
        "kills": len(kills),
        "kills_mid_job": mid_job,
        "kills_survived": mid_job if finished and exact else 0,
        "unattended": bool(finished and exact and mid_job == 2),
        "duplicates": duplicates,
        "seconds": round(seconds, 1),
        "rss_mb": round(max(workers.peaks, default=0), 1),
        "requeue_calls": waiting.calls,
        "requeue_task": waiting.task is not None,
        "detail": detail,
        "kill_points": [f"{k['status']} {k['done']}/{k['total']}" for k in kills],
    }
