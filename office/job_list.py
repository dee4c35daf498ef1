"""任务: one list of every bulk job (roster imports, collective runs, the schedules' digests
and clean-ups), whatever app it belongs to. office imports no app: each app registers its
job models here from its AppConfig.ready, saying how a job reads in one line, where its
produced file is downloaded (for who may), and who may cancel it.

Cancelling a running job ends it as failed with who cancelled it (`Job.mark_failed`).
That is safe because every job already re-reads its status before each chunk, and before
its one final write, under the row's lock, and stops when it is no longer running: a
cancel takes effect between chunks, never inside one, and a job that finished meanwhile
keeps its result (it is no longer running, so nothing is marked)."""

import heapq
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import Refused
from .models import Job, ScheduledRun
from .schedules import day_key, run_once

logger = logging.getLogger(__name__)

PER_PAGE = 50

# state filter -> its label; "running" and "failed" follow each model's own statuses
STATES = {"running": _("running"), "failed": _("failed"), "finished": _("finished")}


def _no_summary(job: Job) -> str:
    return job.summary.get("text", "") if isinstance(job.summary, dict) else ""


def _no_file(request, job: Job) -> str:
    return ""


def _as_is(queryset: QuerySet) -> QuerySet:
    return queryset


@dataclass(frozen=True)
class JobKind:
    """One registered job model. `summarize(job)` is the result in one line (the error is
    shown instead when the job failed); `file_url(request, job)` the download of its
    produced file, "" when it has none or the user may not follow the link;
    `queryset(qs)` trims what the list reads (a large summary deferred);
    `cancel_permission` ("app.codename", "" for never) who may cancel a running job, and
    `cancel_note` what the cancelled job's error then adds."""

    model: type[Job]
    summarize: Callable[[Job], str] = _no_summary
    file_url: Callable = _no_file
    queryset: Callable[[QuerySet], QuerySet] = _as_is
    cancel_permission: str = ""
    cancel_note: str = ""

    @property
    def key(self) -> str:
        return self.model._meta.label_lower

    @property
    def label(self) -> str:
        return self.model._meta.verbose_name

    @property
    def view_permission(self) -> str:
        opts = self.model._meta
        return f"{opts.app_label}.view_{opts.model_name}"

    def url(self, job: Job) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[job.pk])

    def progress_url(self, job: Job) -> str:
        """The job's progress JSON (office.views.job_progress), "" when its admin has none."""
        opts = self.model._meta
        try:
            return reverse(f"admin:{opts.app_label}_{opts.model_name}_progress", args=[job.pk])
        except NoReverseMatch:
            return ""

    def may_cancel(self, user, job: Job) -> bool:
        return (
            bool(self.cancel_permission)
            and job.is_running
            and user.has_perm(self.cancel_permission)
        )


_KINDS: dict[str, JobKind] = {}
_DOWNLOAD_LOGS: list[Callable] = []


def register(model: type[Job], **options) -> JobKind:
    """List `model`'s jobs (from the app's AppConfig.ready); `options` as JobKind's."""
    kind = JobKind(model, **options)
    _KINDS[kind.key] = kind
    return kind


def job_kinds() -> list[JobKind]:
    return list(_KINDS.values())


def job_models() -> list[type[Job]]:
    return [kind.model for kind in _KINDS.values()]


def kind_of(key: str) -> JobKind:
    try:
        return _KINDS[key]
    except KeyError:
        raise Refused(f"没有「{key}」这类任务。", code="no_such_job_kind") from None


def kinds_for(user) -> list[JobKind]:
    """The kinds whose jobs `user` may see."""
    return [kind for kind in _KINDS.values() if user.has_perm(kind.view_permission)]


def on_download(record: Callable) -> None:
    """`record(request, job)` is called before a job's file is handed out by office (an
    app logs downloads of personal data in its own access log)."""
    _DOWNLOAD_LOGS.append(record)


def record_download(request, job: Job) -> None:
    for record in _DOWNLOAD_LOGS:
        record(request, job)


def scheduled_run_file_url(request, run: ScheduledRun) -> str:
    """A schedule's file, for who may see the schedules' records."""
    if not request.user.has_perm("office.view_scheduledrun"):
        return ""
    return reverse("admin:office_scheduledrun_file", args=[run.pk])


# --- the list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    kind: JobKind
    job: Job


def _filtered(kind: JobKind, *, state: str, started_by) -> QuerySet:
    model = kind.model
    jobs = kind.queryset(model.objects.select_related("started_by"))
    if state == "running":
        jobs = jobs.filter(status__in=model.running_statuses)
    elif state == "failed":
        jobs = jobs.filter(status=model.failed_status)
    elif state == "finished":
        jobs = jobs.exclude(status__in=[*model.running_statuses, model.failed_status])
    if started_by is not None:
        jobs = jobs.filter(started_by=started_by)
    return jobs


def jobs_page(
    kinds: list[JobKind], *, state: str = "", started_by=None, page: int = 1
) -> tuple[list[Listed], int]:
    """One page of the jobs of `kinds`, newest first, and how many there are in all. Each
    kind gives at most the jobs up to the end of the page (jobs are hundreds a year, not
    millions), and the lists are merged by start time."""
    page = max(page, 1)
    end = page * PER_PAGE
    total = 0
    streams = []
    for kind in kinds:
        jobs = _filtered(kind, state=state, started_by=started_by)
        total += jobs.count()
        streams.append([Listed(kind, job) for job in jobs.order_by("-started_at", "-pk")[:end]])
    merged = heapq.merge(*streams, key=lambda listed: _newest_first(listed.job))
    return list(merged)[end - PER_PAGE : end], total


def _newest_first(job: Job) -> tuple[float, int]:
    return (-job.started_at.timestamp(), -job.pk)


def file_kept(job: Job) -> bool:
    """The produced file is still there (files are removed after JOB_FILE_RETENTION_DAYS)."""
    return bool(job.produced_file) and job.produced_file.storage.exists(job.produced_file.name)


# --- cancel ------------------------------------------------------------------------------------


def job_cancel(*, kind: JobKind, pk: int, by, now: datetime | None = None) -> bool:
    """Cancel a running job: it stops before its next chunk and writes nothing more. False
    when it was no longer running (it finished, failed or was cancelled meanwhile)."""
    if not kind.cancel_permission:
        raise Refused(f"「{kind.label}」不能取消。", code="not_cancellable")
    at = timezone.localtime(now or timezone.now())
    error = f"已由 {by} 于 {at:%Y-%m-%d %H:%M} 取消。{kind.cancel_note}".strip()
    return kind.model.mark_failed(pk, error)


# --- files that are no longer kept -------------------------------------------------------------


def job_files_remove_stale(*, now: datetime) -> dict:
    """Remove the produced files of jobs that ended more than JOB_FILE_RETENTION_DAYS ago
    (a roster's rows in error hold full ID numbers; a digest names students), and forget
    scheduled runs older than SCHEDULED_RUN_RETENTION_DAYS. A running job keeps its file.
    Removing twice removes nothing the second time."""
    before = now - settings.JOB_FILE_RETENTION
    removed = 0
    for model in job_models():
        old = (
            model.objects.exclude(produced_file="")
            .exclude(status__in=model.running_statuses)
            .filter(started_at__lt=before)
        )
        for pk, name in old.values_list("pk", "produced_file"):
            storage = model._meta.get_field("produced_file").storage
            try:
                storage.delete(name)
            except OSError:
                logger.exception("could not remove %s", name)
                continue
            model.objects.filter(pk=pk).update(produced_file="")
            removed += 1
    forgotten, _ = (
        ScheduledRun.objects.filter(started_at__lt=now - settings.SCHEDULED_RUN_RETENTION)
        .exclude(status=ScheduledRun.Status.RUNNING)
        .delete()
    )
    return {"files_removed": removed, "runs_forgotten": forgotten}


def job_files_remove_stale_daily(*, now: datetime) -> ScheduledRun | None:
    """The nightly clean-up, recorded in the jobs list, once a day however often it fires."""
    day = timezone.localdate(now)

    def work():
        removed = job_files_remove_stale(now=now)
        text = (
            f"删除任务文件 {removed['files_removed']} 个，"
            f"清理定时任务记录 {removed['runs_forgotten']} 条"
        )
        return {**removed, "text": text}, None

    return run_once(
        key=day_key("office.remove_stale_jobs", day),
        task="office.remove_stale_jobs",
        title=f"清理过期任务文件 {day}",
        work=work,
    )
