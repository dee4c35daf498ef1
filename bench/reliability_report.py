"""The reliability report: one table row per case, then the last line. A stage whose child
failed is one row that is not clean, with what it said."""

KILLS_PER_JOB = 2


def print_report(results: dict, *, wall: float, rss_goal: int) -> bool:
    """Print the table and the last line; whether every goal was met."""
    rows = []
    totals = {
        "max_rss_mb": 0.0,
        "kills": 0,
        "kills_survived": 0,
        "jobs": 0,
        "unattended": 0,
        "duplicates": 0,
        "double_payments": 0,
        "leaked_ids": 0,
        "lockout": False,
    }
    notes = []

    def failed(stage: str, result: dict) -> bool:
        if "error" in result:
            rows.append((stage, "(stage failed)", "", "", "", False))
            notes.append(result["error"])
            return True
        return False

    files = results.get("files", {})
    if files and not failed("files", files):
        for case in files["cases"]:
            rows.append(
                (
                    "file",
                    f"{case['case']} ({case['command']})",
                    f"exit {case['exit']}: {case['answer']}",
                    case["rss_mb"],
                    case["seconds"],
                    case["clean"],
                )
            )
            totals["max_rss_mb"] = max(totals["max_rss_mb"], case["rss_mb"])
            if case["problems"]:
                notes.append(f"{case['case']}: {'; '.join(case['problems'])}")

    for job in results.get("jobs", {}).get("jobs", []):
        totals["jobs"] += 1
        totals["kills"] += KILLS_PER_JOB
        if failed("job", job):
            continue
        rows.append(
            (
                "job",
                f"{job['case']}, {job['size']}, worker killed {job['kills_mid_job']}x",
                f"{job['detail']}; killed at {' and '.join(job['kill_points'])}",
                job["rss_mb"],
                job["seconds"],
                job["unattended"] and not job["duplicates"],
            )
        )
        totals["max_rss_mb"] = max(totals["max_rss_mb"], job["rss_mb"])
        totals["kills_survived"] += job["kills_survived"]
        totals["unattended"] += job["unattended"]
        totals["duplicates"] += job["duplicates"]
        if not job["requeue_task"]:
            notes.append(f"{job['case']}: no task office.requeue_stalled_jobs to call")

    races = results.get("races", {})
    if races and not failed("races", races):
        for case in races["cases"]:
            rows.append(("race", case["case"], case["detail"], "", case["seconds"], case["clean"]))
            totals["duplicates"] += case["duplicates"]
            totals["double_payments"] += case["double_payments"]
            notes.extend(f"{case['case']}: {error}" for error in case["errors"])

    for region, admin in results.get("admin", {}).items():
        if failed(f"admin {region}", admin):
            continue
        for role in admin["roles"]:
            statuses = " ".join(f"{k}:{v}" for k, v in role["statuses"].items())
            rows.append(
                (
                    "ids",
                    f"{role['role']} over the {region} demo's admin",
                    f"{role['pages']} pages ({statuses}), {role['pages_with_masked_ids']} "
                    f"with masked IDs, {role['leaks']} with a full ID",
                    "",
                    "",
                    role["clean"],
                )
            )
            totals["leaked_ids"] += role["leaks"]
            notes.extend(f"{role['role']} sees a full ID: {leak}" for leak in role["leaked_pages"])
            notes.extend(f"{role['role']} server error: {url}" for url in role["server_errors"])
        if "upload" in admin:
            upload = admin["upload"]
            rows.append(
                (
                    "upload",
                    "roster named 名单.xxx…(240 x) uploaded in the admin",
                    f"status {upload['status']}",
                    "",
                    "",
                    upload["clean"],
                )
            )
        if "lockout" in admin:
            lock = admin["lockout"]
            totals["lockout"] = lock["lockout"]
            rows.append(
                (
                    "login",
                    f"{30} wrong passwords, then the right one",
                    f"refused from attempt {lock['locked_from_attempt']}, statuses "
                    f"{lock['statuses']}, right password after: "
                    f"{'let in' if lock['right_password_after'] else 'refused'}",
                    "",
                    "",
                    lock["lockout"],
                )
            )

    met = (
        clean_rows(rows) == len(rows)
        and totals["max_rss_mb"] < rss_goal
        and totals["kills_survived"] == totals["kills"]
        and totals["unattended"] == totals["jobs"]
        and not (totals["duplicates"] or totals["double_payments"] or totals["leaked_ids"])
        and (totals["lockout"] or "admin" not in results)
    )
    _table(rows)
    for note in notes:
        print(f"  ! {note}")
    clean = clean_rows(rows)
    print(f"wall {wall:.0f} s; RSS goal < {rss_goal} MB", flush=True)
    print(
        f"reliability cases={len(rows)} clean={clean} max_rss_mb={totals['max_rss_mb']:.0f} "
        f"kills_survived={totals['kills_survived']}/{totals['kills']} "
        f"unattended={totals['unattended']}/{totals['jobs']} "
        f"duplicates={totals['duplicates']} double_payments={totals['double_payments']} "
        f"leaked_ids={totals['leaked_ids']} lockout={str(totals['lockout']).lower()}"
    )
    return met


def clean_rows(rows: list[tuple]) -> int:
    return sum(1 for row in rows if row[-1])


def _table(rows: list[tuple]) -> None:
    print(f"{'':<6} {'case':<58} {'MB':>6} {'s':>7}  ok  result")
    for kind, case, result, rss, seconds, clean in rows:
        rss = f"{rss:6.0f}" if rss != "" else " " * 6
        seconds = f"{seconds:7.2f}" if seconds != "" else " " * 7
        mark = "yes" if clean else "NO "
        print(f"{kind:<6} {case[:58]:<58} {rss} {seconds}  {mark} {result[:150]}")
