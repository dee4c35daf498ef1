"""How long uploaded files with full ID numbers are kept (README "Uploaded files"): a job's
kept files (a roster upload and its rows in error) go UPLOAD_RETENTION_DAYS after the
upload, imported or not, as the incoming files of the dry-run protocol do
(office.incoming). An upload still waiting for the staff's confirmation is discarded
then, and staff may discard one earlier. The hourly beat task
`office.remove_stale_uploads` sweeps both."""

from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from .models import Job

EXPIRED = "超过保留期限（{days} 天）未确认，已放弃，上传的文件已删除。请重新上传。"
DISCARDED_BY = "已由 {user} 放弃，上传的文件已删除。"


def upload_retention() -> timedelta:
    return timedelta(days=settings.UPLOAD_RETENTION_DAYS)


def job_models_with_kept_files() -> list[type[Job]]:
    return [model for model in apps.get_models() if issubclass(model, Job) and model.kept_files]


def jobs_remove_stale_files(*, now: datetime) -> int:
    """Remove the kept files of every job uploaded before the retention period, finished
    or waiting (a waiting one is discarded first); a running job keeps them until it
    stops. Returns how many jobs lost their files."""
    cutoff = now - upload_retention()
    removed = 0
    for model in job_models_with_kept_files():
        has_file = Q()
        for name in model.kept_files:
            has_file |= ~Q(**{name: ""})
        stale = (
            model.objects.filter(has_file, started_at__lt=cutoff)
            .exclude(status__in=model.running_statuses)
            .only("pk", "status", *model.kept_files)
        )
        for job in stale:
            if job.status in model.waiting_statuses:
                expired = EXPIRED.format(days=settings.UPLOAD_RETENTION_DAYS)
                removed += job_discard(job, error=expired, now=now)
            else:
                _remove_kept_files(job)
                removed += 1
    return removed


def job_discard(job: Job, *, error: str, now: datetime) -> bool:
    """Give up a job waiting for the staff's confirmation and remove its kept files. The
    move is a conditional UPDATE: a confirmation at the same moment either came first
    (the job is running, nothing is removed: False) or finds the job discarded."""
    model = type(job)
    with transaction.atomic():
        discarded = model.objects.filter(pk=job.pk, status__in=model.waiting_statuses).update(
            status=model.discarded_status, error=error, finished_at=now
        )
        if discarded:
            _remove_kept_files(job)
    return bool(discarded)


def discarded_by(user) -> str:
    return DISCARDED_BY.format(user=user)


def _remove_kept_files(job: Job) -> None:
    """Forget the files, then delete them once that is committed."""
    model = type(job)
    files = [getattr(job, name) for name in model.kept_files if getattr(job, name)]
    model.objects.filter(pk=job.pk).update(**{name: "" for name in model.kept_files})
    for kept in files:
        storage, name = kept.storage, kept.name
        transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
