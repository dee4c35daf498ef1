"""Queueing a task by its name (office.jobs): sent when the transaction commits, run in
this process without a broker, and a broker that cannot take it does not break the
request that queued it."""

import pytest
from celery import shared_task
from celery.exceptions import NotRegistered
from django.conf import settings

from office.jobs import enqueue

SENT = []


@shared_task(name="office.tests.remember")
def remember(*, value: int, **kwargs) -> None:
    SENT.append(value)


@pytest.fixture(autouse=True)
def nothing_sent_yet():
    SENT.clear()


@pytest.mark.skipif(
    not settings.CELERY_TASK_ALWAYS_EAGER, reason="REDIS_URL is set: tasks go to the broker"
)
@pytest.mark.django_db
def test_the_task_runs_in_process_once_the_transaction_commits(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as callbacks:
        enqueue("office.tests.remember", value=7)
        assert SENT == []  # a rolled-back transaction sends nothing

    for callback in callbacks:
        callback()

    assert SENT == [7]


@pytest.mark.django_db
def test_an_unknown_task_is_refused_before_anything_is_queued(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(NotRegistered):
        enqueue("office.tests.no_such_task", value=1)

    assert callbacks == []


@pytest.mark.django_db
def test_a_broker_that_cannot_take_the_task_is_logged_not_raised(
    unreachable_broker, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue("office.tests.remember", value=1)

    assert SENT == []
    assert "could not queue office.tests.remember" in caplog.text
