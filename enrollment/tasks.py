from celery import shared_task

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
