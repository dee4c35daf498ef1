"""Queueing a job's task by its name, and carrying a job on after its worker was lost.

Services name the task and the Celery app's registry finds it, so services never import
tasks (tasks import services); and a broker that cannot take the task marks the job failed
here, in one place, instead of leaving it waiting for a worker that will never hear of it.

A job's progress is its heartbeat. A running job whose heartbeat is older than
settings.JOB_STALE_AFTER lost its worker: no live task can be that quiet, since a task is
stopped at its time limit, which is shorter (config/settings.py). Such a job is queued
again under a new attempt (the claim token); a worker still holding an older attempt
writes nothing more, so a lost worker's late commit can never land."""

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from celery import Task, current_app
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .errors import Refused
from .models import Job

logger = logging.getLogger(__name__)


class Superseded(Exception):  # not an error: the job went on without this worker
    """The job was queued again (its worker was taken for lost) or it ended: the worker
    holding the older attempt stops and writes nothing more."""


class JobNotFinished(Refused):
    """Waiting for a job was given up (no progress, or the caller's timeout); the job
    itself goes on."""


def enqueue(task_name: str, *, job: Job | None = None, **kwargs) -> None:
    """Send the task with `kwargs` when the current transaction commits (at once outside
    one). Without a broker (eager mode) it runs in this process, as `delay` does. An
    unknown name raises here, before anything is committed."""
    task = task_of(task_name)

    def send() -> None:
        try:
            task.delay(**kwargs)
        except Exception:
            logger.exception("could not queue %s %s", task_name, kwargs)
            if job is not None:
                type(job).mark_failed(job.pk, job.unqueued_error)

    transaction.on_commit(send)


def task_of(name: str) -> Task:
    """The registered task called `name`. Task modules are discovered lazily, so a process
    that has not loaded them yet (a web request) loads them on first use."""
    app = current_app._get_current_object()
    if name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[name]


# --- jobs after a crash ----------------------------------------------------------------------


def job_models() -> list[type[Job]]:
    """Every kind of job (the concrete Job models of every app) that can be carried on."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, Job) and not model._meta.abstract and model.resume_tasks
    ]


def is_stale(
    heartbeat_at: datetime | None, started_at: datetime, *, now: datetime, stale_after: timedelta
) -> bool:
    """The stale rule: no heartbeat (or, before the first, no start) for `stale_after`."""
    return (heartbeat_at or started_at) < now - stale_after


def _stale_q(cutoff: datetime) -> Q:
    """is_stale as a filter."""
    return Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)


def stalled_jobs(model: type[Job], *, now: datetime, stale_after: timedelta | None = None):
    """The running jobs of `model` whose heartbeat stopped."""
    cutoff = now - (settings.JOB_STALE_AFTER if stale_after is None else stale_after)
    return model.objects.filter(_stale_q(cutoff), status__in=model.resume_tasks)


def job_requeue(
    job: Job, *, now: datetime | None = None, stale_after: timedelta | None = None
) -> bool:
    """Queue a running job again if its heartbeat stopped, under the next attempt. The
    attempt and the heartbeat move in one conditional UPDATE, so of two callers (two beats
    firing, a beat and a staff member starting it again) exactly one queues it, and the
    next call finds a fresh heartbeat. False when the job is alive, ended or taken."""
    now = now or timezone.now()
    cutoff = now - (settings.JOB_STALE_AFTER if stale_after is None else stale_after)
    task_name = job.resume_tasks.get(job.status)
    if task_name is None:
        return False
    claimed = (
        type(job)
        .objects.filter(_stale_q(cutoff), pk=job.pk, status=job.status, attempt=job.attempt)
        .update(attempt=job.attempt + 1, heartbeat_at=now)
    )
    if not claimed:
        return False
    job.attempt += 1
    job.heartbeat_at = now
    logger.warning(
        "%s #%s (%s) lost its worker; queued again as attempt %s",
        type(job).__name__,
        job.pk,
        job.status,
        job.attempt,
    )
    enqueue(task_name, job=job, **job.task_kwargs())
    return True


def jobs_requeue_stalled(*, now: datetime) -> list[Job]:
    """Every job whose worker was lost, queued again (the beat task, every minute)."""
    requeued = []
    for model in job_models():
        for job in stalled_jobs(model, now=now):
            if job_requeue(job, now=now):
                requeued.append(job)
    return requeued


def job_progress_reporter(model: type[Job], pk: int, *, attempt: int) -> Callable[[int, int], None]:
    """A progress callback that is also the heartbeat, raising Superseded once the job is
    no longer this attempt's."""

    def report(done: int, total: int) -> None:
        if not model.report_progress(pk, done, total, attempt=attempt):
            raise Superseded(f"{model.__name__} #{pk} attempt {attempt}")

    return report


def job_wait(
    job: Job,
    *,
    timeout: float | None = None,
    stalled_after: float | None = None,
    on_progress: Callable[[Job], None] | None = None,
    poll: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Job:
    """Wait until `job` ends and return it, calling `on_progress(job)` whenever it moved.
    Raises JobNotFinished once it showed no progress for `stalled_after` seconds (by
    default twice the stale rule: time enough for the beat to queue it again and a worker
    to take it) or after `timeout` seconds; the job itself goes on."""
    if stalled_after is None:
        stalled_after = 2 * settings.JOB_STALE_AFTER.total_seconds()
    started = moved = clock()
    seen = None
    while True:
        job.refresh_from_db()
        if not job.is_running:
            return job
        state = (job.status, job.progress_done, job.heartbeat_at, job.attempt)
        if state != seen:
            seen, moved = state, clock()
            if on_progress:
                on_progress(job)
        now = clock()
        progress = f"进度 {job.progress_done}/{job.progress_total}"
        if now - moved >= stalled_after:
            raise JobNotFinished(
                f"任务 #{job.pk} 已有 {_minutes(now - moved)} 没有进展（{progress}），"
                "可能没有正在运行的 worker。worker 恢复后任务会自动继续，无需重新启动。",
                code="job_stalled",
            )
        if timeout is not None and now - started >= timeout:
            raise JobNotFinished(
                f"等待 {_minutes(now - started)} 后任务 #{job.pk} 仍在运行（{progress}），"
                "不再等待；任务在后台继续，可在管理后台查看其进度。",
                code="job_wait_timeout",
            )
        sleep(poll)


def _minutes(seconds: float) -> str:
    if seconds < 120:
        return f"{round(seconds)} 秒"
    return f"{round(seconds / 60)} 分钟"
