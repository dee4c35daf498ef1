"""Reliability and security report (issue #13): hostile files, workers killed mid-job,
races on money, password guessing and ID numbers seen by who may not see them, measured
on PostgreSQL + Redis with real worker processes this script starts and kills itself.

    python bench/reliability.py [--quick] [--pg postgres://...] [--redis redis://.../14]

Every database is made here from one migrated template and dropped at the end; the Redis
database (14 unless --redis names another) is flushed before and after.

- files: each hostile file (bench/reliability_files.py) through `import_roster --commit`,
  one through `import_claims --commit`, each in a process of its own: exit code, peak RSS
  (wait4), seconds. Clean: exit 0/1/2 as expected, no traceback, under 300 MB, nothing
  written when refused;
- jobs: a collective run and a roster import (checked, then confirmed) with the worker
  SIGKILLed twice each; each time a new worker starts and nobody starts the job again:
  the requeue task (the beat's, called here every second) must bring it to the end, with
  one enrollment/student per student/row;
- races: on the Wuhan demo, 10 approvals of one claim at once, two payment-list freezes
  and two payout-list freezes at once, ten refund registrations and ten refund payouts at
  once: one approval, no enrollment or claim on two lists, no refund counted twice;
- admin: 30 wrong passwords for one account (then its right password must be refused);
  a roster uploaded under a name with a 240-character extension (a page, not a 400);
  and every admin page (every URL pattern with the demo's objects, plus every link
  followed) as each role without `enrollment.view_full_id`, seeing the whole school:
  pages (and downloads) showing a full ID number of the demo.

Workers run with --pool=solo, as the suite's worker-kill test: the process killed is the
one running the job.

The last line is `reliability cases=… clean=… max_rss_mb=… kills_survived=… unattended=…
duplicates=… double_payments=… leaked_ids=… lockout=…` (max_rss_mb: the file processes and
the workers). Goals: every case clean, max RSS < 300 MB, every kill survived and every job
finished unattended, zeros, lockout true; the exit code is 1 when one is missed.
--quick (CI, < 2 minutes) uses smaller jobs, the 100k-row file at 20k rows, a sample of the
pages, and runs the jobs, the files and the demo's races and pages side by side.
"""

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from measure import PG_DEFAULT, drop_pg, pg  # noqa: E402
from reliability_files import run_files  # noqa: E402

REDIS_DEFAULT = "redis://127.0.0.1:6379/14"
DB_PREFIX = "insurance_bench_reliability"
STAGES = ("files", "jobs", "races", "admin")
RSS_GOAL_MB = 300
SIZES = {  # quick, full
    "collective_students": (4_000, 60_000),
    "collective_chunk": (200, 2_000),
    "roster_rows": (20_000, 60_000),
    "pages_per_pattern": (1, 25),
    "link_pages": (100, 3_000),
}


# --- children -------------------------------------------------------------------------------


def child(stage: str, options: dict) -> dict:
    import django

    django.setup()
    if stage == "migrate":
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        return {}
    if stage == "jobs":
        from reliability_jobs import run_jobs

        return run_jobs(options)
    if stage == "races":
        from reliability_races import run_races

        return run_races(options)
    from reliability_admin import run_admin

    return run_admin(options)


# --- parent ---------------------------------------------------------------------------------


class Bench:
    """The databases, the Redis database and the environment every child gets."""

    def __init__(self, args, folder: Path):
        self.args = args
        self.folder = folder
        self.databases: list[str] = []
        self.quick = args.quick
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": "bench-only",
            "DJANGO_MEDIA_ROOT": str(folder / "media"),
            "DJANGO_LOG_LEVEL": "WARNING",
            "PYTHONPATH": os.pathsep.join([str(PROJECT), str(PROJECT / "bench")]),
            # the jobs' one number (config/settings.py), short so a lost worker is
            # noticed in seconds; workers inherit it from the jobs child
            "JOB_STALE_AFTER_SECONDS": str(args.stale_seconds),
        }
        self.env.pop("REDIS_URL", None)

    def size(self, name: str) -> int:
        quick, full = SIZES[name]
        return quick if self.quick else full

    def database(self, name: str, *, template: str = "") -> str:
        """Make database `name` (a copy of `template` if given); its URL."""
        full = f"{DB_PREFIX}_{name}"
        drop_pg(full)
        pg("createdb", *(("-T", f"{DB_PREFIX}_{template}") if template else ()), full)
        self.databases.append(name)
        return self.url(name)

    def url(self, name: str) -> str:
        return f"{self.args.pg}/{DB_PREFIX}_{name}"

    def run(self, stage: str, database_url: str, options: dict | None = None, **env) -> dict:
        """A child on `database_url`; its result, or {"error": …} if it failed."""
        done = subprocess.run(
            [sys.executable, __file__, "--child", stage, "--options", json.dumps(options or {})],
            env={**self.env, "DATABASE_URL": database_url, **env},
            capture_output=True,
            text=True,
            check=False,
            cwd=PROJECT,
        )
        lines = done.stdout.strip().splitlines()
        if done.returncode or not lines:
            return {"error": f"{stage} failed (exit {done.returncode}):\n{done.stderr[-3000:]}"}
        return json.loads(lines[-1])

    def cleanup(self) -> None:
        for name in self.databases:
            try:
                drop_pg(f"{DB_PREFIX}_{name}")
            except subprocess.CalledProcessError as exc:
                print(f"could not drop {DB_PREFIX}_{name}: {exc.stderr!r}", file=sys.stderr)
        flush_redis(self.args.redis)


def flush_redis(url: str) -> None:
    subprocess.run(["redis-cli", "-u", url, "flushdb"], check=False, capture_output=True)


def preflight(args) -> None:
    ready = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], check=False)
    pong = subprocess.run(["redis-cli", "-u", args.redis, "ping"], capture_output=True, text=True)
    if ready.returncode or pong.stdout.strip() != "PONG":
        sys.exit("reliability needs PostgreSQL on 127.0.0.1:5432 and Redis (see --pg, --redis)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="CI size: under two minutes")
    parser.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL server URL, no database")
    parser.add_argument("--redis", default=REDIS_DEFAULT, help="a Redis database of its own")
    parser.add_argument(
        "--stale-seconds",
        type=int,
        help="JOB_STALE_AFTER_SECONDS for the jobs (default 6 with --quick, 30 without: "
        "the full roster's one-transaction write must fit in it)",
    )
    parser.add_argument("--only", choices=STAGES, action="append", help="run only these stages")
    parser.add_argument("--json", metavar="FILE", help="also write every measurement here")
    parser.add_argument("--child")
    parser.add_argument("--options", default="{}")
    args = parser.parse_args()
    args.stale_seconds = args.stale_seconds or (6 if args.quick else 30)

    if args.child:
        print(json.dumps(child(args.child, json.loads(args.options))))
        return

    preflight(args)
    stages = [stage for stage in STAGES if stage in (args.only or STAGES)]
    started = time.perf_counter()
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        bench = Bench(args, Path(folder))
        try:
            flush_redis(args.redis)
            migrated = bench.run("migrate", bench.database("template"))
            if "error" in migrated:
                sys.exit(migrated["error"])
            for stage in stages:  # all made before any stage runs: a copy needs a quiet template
                for name in databases_of(stage, quick=args.quick):
                    if name not in bench.databases:
                        bench.database(name, template=bench.databases[0])
            results = run_stages(bench, stages, started)
        finally:
            bench.cleanup()
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1))
    from reliability_report import print_report

    if not print_report(results, wall=time.perf_counter() - started, rss_goal=RSS_GOAL_MB):
        sys.exit(1)  # a goal missed: CI fails here


def run_stages(bench: Bench, stages: list[str], started: float) -> dict:
    """In --quick, three lanes at once on their own databases: the jobs (which mostly wait
    for their stale rule), the files, and the races then the admin on the demo. RSS is
    each process's own either way; seconds are longer on a busy machine."""
    results = {}

    def run(lane: list[str]) -> None:
        for stage in lane:
            results[stage] = STAGE_RUNNERS[stage](bench, stages)
            print(f"[{stage} done at {time.perf_counter() - started:.0f} s]", flush=True)

    lanes = [[stage] for stage in stages if stage in ("jobs", "files")]
    lanes.append([stage for stage in stages if stage in ("races", "admin")])
    if not bench.quick:
        lanes = [stages]
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(lanes)) as pool:
        for future in [pool.submit(run, lane) for lane in lanes if lane]:
            future.result()
    return {stage: results[stage] for stage in stages}


def databases_of(stage: str, *, quick: bool) -> list[str]:
    return {
        "files": ["files"],
        "jobs": ["collective", "roster"],
        "races": ["wuhan"],
        "admin": ["wuhan"] if quick else ["wuhan", "shanghai"],
    }[stage]


def stage_files(bench: Bench, stages: list[str]) -> dict:
    return run_files(bench, bench.url("files"))


def stage_jobs(bench: Bench, stages: list[str]) -> dict:
    options = {
        "students": bench.size("collective_students"),
        "chunk": bench.size("collective_chunk"),
        "rows": bench.size("roster_rows"),
        "folder": str(bench.folder),
        "stale_seconds": bench.args.stale_seconds,
    }
    return {
        "jobs": [
            bench.run(
                "jobs",
                bench.url(scenario),
                {**options, "scenario": scenario},
                REDIS_URL=bench.args.redis,
            )
            for scenario in ("collective", "roster")
        ]
    }


def stage_races(bench: Bench, stages: list[str]) -> dict:
    return bench.run("races", bench.url("wuhan"), {}, SCHOOL_REGION="wuhan")


def stage_admin(bench: Bench, stages: list[str]) -> dict:
    """The Wuhan demo after the races (frozen lists, paid refunds), and in the full run
    the Shanghai demo too (insurer choices, its own pages)."""
    options = {
        "pages_per_pattern": bench.size("pages_per_pattern"),
        "link_pages": bench.size("link_pages"),
    }
    results = {}
    for region in databases_of("admin", quick=bench.quick):
        seeded = region == "wuhan" and "races" in stages
        results[region] = bench.run(
            "admin",
            bench.url(region),
            {**options, "region": region, "seed": not seeded},
            SCHOOL_REGION=region,
        )
    return results


STAGE_RUNNERS = {
    "files": stage_files,
    "jobs": stage_jobs,
    "races": stage_races,
    "admin": stage_admin,
}


if __name__ == "__main__":
    main()
