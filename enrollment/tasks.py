from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="enrollment.roster_import_check")
def roster_import_check(*, import_id: int, attempt: int | None = None, **kwargs) -> None:
    services.roster_import_run_check(import_id=import_id, attempt=attempt)


@shared_task(name="enrollment.roster_import_commit")
def roster_import_commit(*, import_id: int, attempt: int | None = None, **kwargs) -> None:
    services.roster_import_run_commit(import_id=import_id, attempt=attempt)


@shared_task(name="enrollment.collective_run")
def collective_run(*, run_id: int, attempt: int | None = None, **kwargs) -> None:
    services.collective_run_execute(run_id=run_id, attempt=attempt)


@shared_task(name="enrollment.freshman_digest")
def freshman_digest(**kwargs) -> int:
    """Daily (beat): the freshman window's pending-confirmation digest, once a day."""
    return len(services.freshman_digest_send(today=timezone.localdate()))


@shared_task(name="enrollment.collective_window")
def collective_window(**kwargs) -> int:
    """Daily (beat): the collective window's opening and closing, once each."""
    return len(services.collective_window_mark(today=timezone.localdate()))
