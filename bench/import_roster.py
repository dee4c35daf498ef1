"""Roster import benchmark: 60,000 rows, end to end, against two references measured in
the same run on the same file.

    python bench/import_roster.py [--rows 60000] [--stock-rows 5000] [--pg postgres://...]

Each measurement runs in a fresh subprocess (its peak RSS is its own) on a fresh
database: SQLite in a temp file, and a PostgreSQL database created and dropped here.

- ours: roster_check + roster_apply (parse, validate, compare, write); then, in another
  process on the same database, the same file again (it must write nothing, faster);
- stock: django-import-export's ModelResource with import_id_fields on PostgreSQL, the
  baseline a team would start from; run on the first --stock-rows rows of the same file
  because it needs minutes for all of them, and compared in rows/s;
- floor: python-calamine parse + PostgreSQL COPY of the already-built rows, no validation.

The last line is `import60k speedup_vs_stock=<x> ratio_to_floor=<y> reimport_vs_first=<z>`.
"""

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from measure import PG_DEFAULT, drop_pg, fresh_pg, peak_mb, report, run_child  # noqa: E402


def build_file(path: Path, rows: int) -> None:
    from openpyxl import Workbook
    from stdnum.cn import ric

    from enrollment.tests.files import HEADER

    colleges = ["医学院", "法学院", "外国语学院", "化学化工学院", "数学科学学院", "经济与管理学院"]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for index in range(rows):
        born = date(2006, 1, 1).toordinal() + index % 700
        body = f"3101{index // 1000 % 100:02d}{date.fromordinal(born):%Y%m%d}{index % 1000:03d}"
        sheet.append(
            [
                f"学生{index}",
                "居民身份证",
                body + ric.calc_check_digit(body + "0"),
                f"26{index:07d}",
                "示范大学",
                colleges[index % len(colleges)],
                "临床医学",
                "本科",
                "全日制",
                "2026-09-01",
            ]
        )
    workbook.save(path)


# --- children: one measurement each ---------------------------------------------------------


def child(mode: str, path: Path, limit: int) -> dict:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    if mode == "ours":
        return measure_ours(path)
    if mode == "reimport":
        return measure_reimport(path)
    if mode == "stock":
        return measure_stock(path, limit)
    return measure_floor(path)


def measure_ours(path: Path) -> dict:
    from enrollment import services
    from enrollment.models import Student

    started = time.perf_counter()
    plan = services.roster_check(path=path)
    services.roster_apply(plan=plan)
    seconds = time.perf_counter() - started
    assert Student.objects.count() == plan.rows == len(plan.new), "first import incomplete"
    return {"rows": plan.rows, "seconds": seconds}


def measure_reimport(path: Path) -> dict:
    from enrollment import services

    started = time.perf_counter()
    plan = services.roster_check(path=path)
    written = services.roster_apply(plan=plan)
    seconds = time.perf_counter() - started
    assert written == {"created": 0, "updated": 0} and plan.unchanged == plan.rows
    return {"rows": plan.rows, "seconds": seconds}


def measure_stock(path: Path, limit: int) -> dict:
    import tablib
    from import_export import fields, resources

    from enrollment import roster
    from enrollment.models import Student
    from enrollment.tests.files import HEADER

    names = roster.REQUIRED_COLUMNS  # the file's columns, in its order

    class StudentResource(resources.ModelResource):
        class Meta:
            model = Student
            import_id_fields = ("id_type", "id_number")
            fields = tuple(names)

    for name, column in zip(names, HEADER, strict=True):
        StudentResource.fields[name] = fields.Field(attribute=name, column_name=column)

    dataset = tablib.Dataset().load(path.read_bytes(), format="xlsx")
    dataset = dataset.subset(rows=range(min(limit, len(dataset))))
    started = time.perf_counter()
    result = StudentResource().import_data(dataset, dry_run=False, use_transactions=True)
    seconds = time.perf_counter() - started
    assert not result.has_errors() and not result.has_validation_errors(), "stock import failed"
    assert Student.objects.count() == len(dataset)
    return {"rows": len(dataset), "seconds": seconds}


def measure_floor(path: Path) -> dict:
    from django.db import connection
    from python_calamine import CalamineWorkbook

    from enrollment import roster

    columns = list(roster.REQUIRED_COLUMNS)
    extra = ("", "", "", "", "standard", "regular", False, False, "studying")
    started = time.perf_counter()
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()[1:]
    now = "2026-11-22 00:00:00+00"
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY enrollment_student (" + ", ".join(columns) + ", gender, phone, nationality, "
            "origin, subsidy_category, training_mode, in_service, insured_elsewhere, "
            "school_status, created_at, updated_at) FROM STDIN"
        ) as copy,
    ):
        for row in rows:
            copy.write_row([*row, *extra, now, now])
    seconds = time.perf_counter() - started
    return {"rows": len(rows), "seconds": seconds}


# --- parent ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--stock-rows", type=int, default=5_000)
    parser.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL server URL, no database")
    parser.add_argument("--child")
    parser.add_argument("--file")
    args = parser.parse_args()

    if args.child:
        result = child(args.child, Path(args.file), args.stock_rows)
        result["peak_mb"] = peak_mb()
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster-60k.xlsx"
        started = time.perf_counter()
        build_file(path, args.rows)
        print(
            f"built {path.name}: {args.rows} rows, {path.stat().st_size / 1e6:.1f} MB "
            f"in {time.perf_counter() - started:.1f} s"
        )
        sqlite_url = f"sqlite:///{folder}/bench.sqlite3"
        options = ("--file", str(path), "--stock-rows", str(args.stock_rows))

        def measure(mode: str, url: str) -> dict:
            return run_child(__file__, mode, url, *options)

        results = {
            "ours on SQLite": measure("ours", sqlite_url),
            "  re-import on SQLite": measure("reimport", sqlite_url),
        }
        try:
            pg_url = fresh_pg(args.pg, "insurance_bench_ours")
            results["ours on PostgreSQL"] = measure("ours", pg_url)
            results["  re-import on PostgreSQL"] = measure("reimport", pg_url)
        finally:
            drop_pg("insurance_bench_ours")
        for mode in ("stock", "floor"):
            name = f"insurance_bench_{mode}"
            try:
                results[f"{mode} on PostgreSQL"] = measure(mode, fresh_pg(args.pg, name))
            finally:
                drop_pg(name)

    for label, result in results.items():
        report(label, result)
    ours = results["ours on PostgreSQL"]
    again = results["  re-import on PostgreSQL"]
    stock = results["stock on PostgreSQL"]
    floor = results["floor on PostgreSQL"]
    speedup = (ours["rows"] / ours["seconds"]) / (stock["rows"] / stock["seconds"])
    ratio = ours["seconds"] / floor["seconds"]
    reimport = again["seconds"] / ours["seconds"]
    print(
        f"import60k speedup_vs_stock={speedup:.1f} ratio_to_floor={ratio:.2f} "
        f"reimport_vs_first={reimport:.2f}"
    )


if __name__ == "__main__":
    main()
