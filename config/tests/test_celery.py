import pytest
from django.conf import settings
from django_celery_results.models import TaskResult

from config.celery import ping

needs_broker = pytest.mark.skipif(
    settings.CELERY_TASK_ALWAYS_EAGER,
    reason="REDIS_URL is not set: tasks run in-process; CI runs this on Redis",
)


@needs_broker
def test_task_goes_through_a_real_worker_and_its_result_is_stored(live_worker):
    result = ping.delay()

    assert result.get(timeout=20) == "pong"
    stored = TaskResult.objects.get(task_id=result.id)
    assert stored.status == "SUCCESS"
    assert stored.task_name == "config.ping"
    assert stored.worker  # recorded by the worker that ran it, not by this process


@pytest.mark.skipif(
    not settings.CELERY_TASK_ALWAYS_EAGER, reason="REDIS_URL is set: tasks go to the broker"
)
def test_without_a_broker_tasks_run_in_process():
    result = ping.delay()

    assert result.successful()
    assert result.get() == "pong"


def test_bulk_job_settings_keep_time_limits_under_the_visibility_timeout():
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT < visibility
