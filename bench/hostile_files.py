"""Hostile files through the importers, each in a process of its own: exit code, peak RSS,
seconds, and whether the answer was clean (the expected outcome, a Chinese message, no
traceback). The files are office/tests/hostile.py's.

    python bench/hostile_files.py [--database-url URL] [--only NAME ...] [--command import_roster]

Without --database-url a SQLite database in a temporary folder is migrated first. The
last line is `hostile cases=… clean=… max_rss_mb=…`. bench/reliability.py uses
`measure_case()` for its own table."""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from office.tests.hostile import CASES, build  # noqa: E402

CHINESE = re.compile(r"[\u4e00-\u9fff]")
# extra arguments an importer needs besides the file
ARGUMENTS = {
    "import_roster": (),
    "import_payments": ("--year", "2026"),
    "import_bureau_results": ("--year", "2026"),
    "import_claims": (),
}


def child_env(database_url: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "bench-only",
        "DATABASE_URL": database_url,
    }
    env.pop("REDIS_URL", None)  # tasks in-process: the child is the whole import
    return env


def run_measured(argv: list[str], env: dict, *, timeout: float = 600) -> dict:
    """Run `argv`, returning its exit code, output, seconds and its own peak RSS (MB),
    taken from wait4 so no other child's counts."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=err)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.02)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    return {
        "exit": process.returncode,
        "seconds": round(time.perf_counter() - started, 2),
        "rss_mb": round(usage.ru_maxrss / 1024),
        "stdout": stdout,
        "stderr": stderr,
    }


def measure_case(
    name: str,
    folder: Path,
    database_url: str,
    *,
    command: str = "import_roster",
    commit: bool = False,
) -> dict:
    """Build case `name` in `folder` and run `command` on it in a child process (a dry
    run, or with --commit). `clean`: the expected outcome (exit 2 for a refusal, 0 or 1
    for a file that is read), a Chinese message and no traceback."""
    case = CASES[name]
    path = build(name, folder)
    argv = [sys.executable, "manage.py", command, str(path), *ARGUMENTS[command]]
    result = run_measured([*argv, "--commit"] if commit else argv, child_env(database_url))
    said = result["stdout"] + result["stderr"]
    if case.expect == "refused":
        expected = (2,)
    else:  # a roster: read by import_roster; the other imports may find no header of theirs
        expected = (0, 1) if command == "import_roster" else (0, 1, 2)
    result.update(
        case=name,
        command=command,
        size_mb=round(path.stat().st_size / 1024 / 1024, 1),
        clean=result["exit"] in expected and bool(CHINESE.search(said)) and "Traceback" not in said,
        message=_last_line(said),
    )
    path.unlink()
    return result


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0][:120] if lines else ""


def migrated_sqlite(folder: Path) -> str:
    url = f"sqlite:///{folder / 'hostile.sqlite3'}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        env=child_env(url),
        cwd=ROOT,
        check=True,
    )
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a migrated database (default: a new SQLite)")
    parser.add_argument("--only", nargs="*", choices=sorted(CASES), help="these cases only")
    parser.add_argument("--command", default="import_roster", choices=sorted(ARGUMENTS))
    parser.add_argument("--commit", action="store_true", help="run the imports with --commit")
    parser.add_argument("--json", action="store_true", help="one JSON object per case")
    options = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        url = options.database_url or migrated_sqlite(folder)
        for name in options.only or CASES:
            result = measure_case(name, folder, url, command=options.command, commit=options.commit)
            results.append(result)
            if options.json:
                shown = {k: v for k, v in result.items() if k not in ("stdout", "stderr")}
                print(json.dumps(shown, ensure_ascii=False), flush=True)
            else:
                print(
                    f"{name:<27} {result['size_mb']:>6.1f} MB  exit {result['exit']}  "
                    f"{result['rss_mb']:>5} MB  {result['seconds']:>6.2f} s  "
                    f"{'clean' if result['clean'] else 'NOT CLEAN'}  {result['message']}",
                    flush=True,
                )
    clean = sum(result["clean"] for result in results)
    peak = max((result["rss_mb"] for result in results), default=0)
    print(f"hostile cases={len(results)} clean={clean} max_rss_mb={peak}")


if __name__ == "__main__":
    main()
