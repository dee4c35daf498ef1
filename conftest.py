"""Test session setup. Tests run with debug off, as pytest-django forces, so they need a
secret key; they get a throwaway one unless the environment gives a real one. Django is
configured here rather than through the ini file so that this happens first."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-insecure-key")

from django.conf import settings

settings.INSTALLED_APPS  # noqa: B018  (loads the settings so pytest-django sets Django up)
# Production settings, less what needs a proxy and a collectstatic run: the test client
# speaks plain HTTP, and static files have no manifest here.
settings.SECURE_SSL_REDIRECT = False
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Fixtures shared by the apps' tests: staff, workbooks read back, the seeded policy years.
pytest_plugins = ["office.tests.fixtures", "policies.tests.fixtures"]

import pytest  # noqa: E402
from django.db import connections  # noqa: E402


@pytest.fixture
def live_worker(django_db_serialized_rollback, transactional_db):
    """A real Celery worker on the configured broker (REDIS_URL), in a thread of this
    process so that it writes to the test database (restored afterwards, data migrations
    included). Without a broker, tasks run in-process (the embedded default) and there is
    no worker to start."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        yield None
        return
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun

    from config.celery import app

    def close_worker_connections(**kwargs):
        # The worker thread's connections would outlive the test and keep the test
        # database from being dropped at the end of the session.
        connections.close_all()

    task_postrun.connect(close_worker_connections, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING") as worker:
            yield worker
    finally:
        task_postrun.disconnect(close_worker_connections)


@pytest.fixture
def unreachable_broker():
    """Tasks are sent to a broker nobody listens on, as when Redis is down: a Celery app of
    its own, configured as the project's, is the current app while the test runs."""
    from celery import Celery, current_app

    previous = current_app._get_current_object()
    app = Celery("unreachable", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:9/0")
    app.autodiscover_tasks()
    app.set_current()
    try:
        yield app
    finally:
        previous.set_current()
        app.close()
