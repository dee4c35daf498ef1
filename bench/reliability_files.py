"""Hostile files for the reliability report: R2's cases (office/tests/hostile.py), each run
through its importer's command in a process of its own by bench/hostile_files.py's
`measure_case` (exit code, peak RSS from wait4, seconds, a clear Chinese answer and no
traceback). Here each is also held to the memory goal and, imported with --commit into
a PostgreSQL database, to writing nothing when it is refused."""

import functools
import subprocess
from dataclasses import replace

from hostile_files import measure_case

from office.tests import hostile

RSS_GOAL_MB = 300
QUICK_WIDE_ROWS = 20_000
CLAIMS_CASE = "newline_flood"  # the one case also run through import_claims


def planned() -> list[tuple[str, str]]:
    """(case, command) in the order they run."""
    return [(name, "import_roster") for name in hostile.CASES] + [(CLAIMS_CASE, "import_claims")]


def run_files(bench, database_url: str) -> dict:
    folder = bench.folder / "hostile"
    folder.mkdir()
    wide = hostile.CASES["wide_100k_x_90"]
    if bench.quick:
        hostile.CASES["wide_100k_x_90"] = replace(
            wide,
            build=functools.partial(hostile.wide_rows, rows=QUICK_WIDE_ROWS),
            about=f"{QUICK_WIDE_ROWS:,} rows x 90 columns (--quick)",
        )
    rows = []
    try:
        for name, command in planned():
            before = rows_kept(database_url)
            result = measure_case(name, folder, database_url, command=command, commit=True)
            if bench.quick and name == "wide_100k_x_90":
                result["case"] = f"wide_{QUICK_WIDE_ROWS // 1000}k_x_90"
            rows.append(judge(result, written=rows_kept(database_url) - before))
    finally:
        hostile.CASES["wide_100k_x_90"] = wide
    return {"cases": rows}


def rows_kept(database_url: str) -> int:
    """Students and claims in the database (psql: a Django process costs a second)."""
    query = "SELECT (SELECT count(*) FROM enrollment_student) + (SELECT count(*) FROM claims_claim)"
    done = subprocess.run(
        ["psql", database_url, "-tAc", query], capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip())


def judge(result: dict, *, written: int) -> dict:
    problems = []
    if not result["clean"]:
        problems.append(f"exit {result['exit']}: not the expected answer")
    if "Traceback" in result["stdout"] + result["stderr"]:
        problems.append("traceback")
    if result["rss_mb"] >= RSS_GOAL_MB:
        problems.append(f"{result['rss_mb']} MB")
    if written and result["exit"] != 0:
        problems.append(f"{written} rows written although the file was refused")
    return {
        "case": result["case"],
        "command": result["command"],
        "exit": result["exit"],
        "rss_mb": result["rss_mb"],
        "seconds": result["seconds"],
        "answer": result["message"],
        "clean": not problems,
        "problems": problems,
    }
