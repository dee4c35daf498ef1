"""Settings come from the environment; each case imports them in a fresh interpreter."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
PRINT = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({'debug': s.DEBUG, 'engine': s.DATABASES['default']['ENGINE'], "
    "'name': str(s.DATABASES['default']['NAME']), 'eager': s.CELERY_TASK_ALWAYS_EAGER, "
    "'broker': s.CELERY_BROKER_URL, 'hosts': s.ALLOWED_HOSTS, 'lang': s.LANGUAGE_CODE, "
    "'tz': s.TIME_ZONE}))"
)
OURS = ("DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL")


def load_settings(**env):
    clean = {k: v for k, v in os.environ.items() if k not in OURS}
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "-c", PRINT],
        cwd=PROJECT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_embedded_default_is_sqlite_and_in_process_tasks():
    run = load_settings(DJANGO_DEBUG="true")

    values = json.loads(run.stdout)
    assert values["debug"] is True
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"].endswith("db.sqlite3")
    assert values["eager"] is True
    assert values["lang"] == "zh-hans"
    assert values["tz"] == "Asia/Shanghai"


def test_urls_select_postgresql_and_redis():
    run = load_settings(
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_ALLOWED_HOSTS="insurance.example.edu,localhost",
        DATABASE_URL="postgres://office@db.example.edu:5432/insurance",
        REDIS_URL="redis://cache.example.edu:6379/3",
    )

    values = json.loads(run.stdout)
    assert values["debug"] is False
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "insurance"
    assert values["eager"] is False
    assert values["broker"] == "redis://cache.example.edu:6379/3"
    assert values["hosts"] == ["insurance.example.edu", "localhost"]


@pytest.mark.parametrize("debug", ["", "false"])
def test_secret_key_is_required_when_debug_is_off(debug):
    run = load_settings(DJANGO_DEBUG=debug) if debug else load_settings()

    assert run.returncode != 0
    assert "DJANGO_SECRET_KEY" in run.stderr
