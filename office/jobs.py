"""Queueing a job's task by its name. Services name the task and the Celery app's registry
finds it, so services never import tasks (tasks import services); and a broker that
cannot take the task marks the job failed here, in one place, instead of leaving it
waiting for a worker that will never hear of it."""

import logging

from celery import Task, current_app
from django.db import transaction

from .models import Job

logger = logging.getLogger(__name__)


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
