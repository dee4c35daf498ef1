"""What the benchmarks share: each measurement in a child process of its own (so its
peak RSS is its own), on a PostgreSQL database made and dropped here, reported in one
line per measurement."""

import json
import os
import resource
import subprocess
import sys

PG_DEFAULT = "postgres://postgres@127.0.0.1:5432"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(script: str, mode: str, database_url: str, *options: str) -> dict:
    """Run `script --child MODE OPTIONS` on `database_url` with Celery in-process; the
    child prints its result as JSON on its last line."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": "bench-only",
        "DATABASE_URL": database_url,
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, script, "--child", mode, *options],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        sys.exit(f"{mode} on {database_url} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def pg(*command: str) -> None:
    subprocess.run([*command, "-h", "127.0.0.1", "-U", "postgres"], check=True, capture_output=True)


def fresh_pg(base: str, name: str) -> str:
    drop_pg(name)
    pg("createdb", name)
    return f"{base}/{name}"


def drop_pg(name: str) -> None:
    pg("dropdb", "--if-exists", name)


def report(label: str, result: dict, unit: str = "rows") -> None:
    rate = result["rows"] / result["seconds"]
    print(
        f"{label:<28} {result['rows']:>6} {unit:<8} {result['seconds']:8.2f} s  "
        f"{rate:9.0f} {unit}/s  peak {result['peak_mb']:6.0f} MB",
        flush=True,
    )
