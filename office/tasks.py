from celery import shared_task
from django.utils import timezone

from .incoming import incoming_files_remove_stale
from .job_list import job_files_remove_stale_daily
from .jobs import jobs_requeue_stalled
from .retention import jobs_remove_stale_files


@shared_task(name="office.remove_stale_uploads")
def remove_stale_uploads(**kwargs) -> int:
    """Hourly (beat): uploads with full ID numbers past UPLOAD_RETENTION_DAYS removed."""
    now = timezone.now()
    return incoming_files_remove_stale(now=now) + jobs_remove_stale_files(now=now)


@shared_task(name="office.requeue_stalled_jobs")
def requeue_stalled_jobs(**kwargs) -> int:
    """Every minute (beat): jobs whose worker was lost are queued again."""
    return len(jobs_requeue_stalled(now=timezone.now()))


@shared_task(name="office.remove_stale_jobs")
def remove_stale_jobs(**kwargs) -> dict:
    """Nightly (beat): job files past their retention removed, once a day."""
    run = job_files_remove_stale_daily(now=timezone.now())
    return run.summary if run else {}
