from celery import shared_task
from django.utils import timezone

from office.incoming import incoming_files_remove_stale

from . import services


@shared_task(name="enrollment.roster_import_check")
def roster_import_check(*, import_id: int, **kwargs) -> None:
    services.roster_import_run_check(import_id=import_id)


@shared_task(name="enrollment.roster_import_commit")
def roster_import_commit(*, import_id: int, **kwargs) -> None:
    services.roster_import_run_commit(import_id=import_id)


@shared_task(name="enrollment.collective_run")
def collective_run(*, run_id: int, **kwargs) -> None:
    services.collective_run_execute(run_id=run_id)


@shared_task(name="enrollment.remove_stale_uploads")
def remove_stale_uploads(**kwargs) -> int:
    return incoming_files_remove_stale(now=timezone.now())
