"""Collective enrollment benchmark: 60,000 students on PostgreSQL, the year-end run, its
re-run and the payment-list export, each against a reference measured in the same run.

    python bench/collective_enrollment.py [--students 60000] [--naive-rows 3000]
                                          [--pg postgres://...]

The students (all eligible: resident ID, full-time, registered 2025-09-01, six colleges)
are bulk-inserted into a fresh PostgreSQL database created here after `migrate`; a second
database for the naive loop is a copy of it (createdb -T). Both are dropped at the end.
Each measurement runs in a fresh subprocess (its peak RSS is its own, the ~baseline of a
Django process included) with Celery eager (REDIS_URL removed: the job runs in-process).

- run: services.collective_run_start for shanghai-2026, which runs the chunked job; the
  run must end DONE with one enrollment per eligible student;
- re-run: the same again in another process on the same database; it must create nothing
  (enrollment and event row counts unchanged) and be faster than the first;
- naive: services.enrollment_create one student at a time (the per-student path a team
  would write first) for the first --naive-rows students of the copy, compared in
  students/s because it needs minutes for all of them;
- export: every enrollment marked paid with one UPDATE and established through the one
  writer of a state (untimed), so the open payment list holds every student; then
  services.payment_list_export_open(year=2026) timed, with the process's peak RSS;
- stock export: a django-import-export ModelResource over the same queryset and columns,
  Resource.export() then Dataset.xlsx (tablib), timed in its own process.

The last line is `collective60k speedup_vs_naive=<x> rerun_vs_first=<y>
export_speedup_vs_stock=<z> export_peak_mb=<m>`. Goals: the run ≥ 10x the naive loop,
the re-run writes nothing and takes less than the first (< 1), the export (office.exports:
XlsxWriter in constant_memory mode) ≥ 3x stock with a peak of at most 100 MB (the Django
process alone is about 75 MB).
"""

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from measure import PG_DEFAULT, drop_pg, peak_mb, pg, report, run_child  # noqa: E402

POLICY_YEAR = "shanghai-2026"
YEAR = 2026
COLLEGES = ["医学院", "法学院", "外国语学院", "化学化工学院", "数学科学学院", "经济与管理学院"]
STOCK_COLUMNS = (
    "name",
    "id_type",
    "id_number",
    "student_number",
    "college",
    "year",
    "scheme",
    "category",
    "premium_due",
    "payer",
)
DB_OURS = "insurance_bench_collective"
DB_NAIVE = "insurance_bench_collective_naive"


# --- children: one measurement each ---------------------------------------------------------


def child(mode: str, students: int, naive_rows: int) -> dict:
    import django

    django.setup()
    measures = {
        "seed": lambda: seed(students),
        "run": measure_run,
        "rerun": measure_rerun,
        "naive": lambda: measure_naive(naive_rows),
        "settle": settle,
        "export": measure_export,
        "stock": measure_stock,
    }
    return measures[mode]()


def seed(count: int) -> dict:
    from django.core.management import call_command
    from stdnum.cn import ric

    from enrollment.models import Student

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    batch = []
    for index in range(count):
        born = date.fromordinal(date(2006, 1, 1).toordinal() + index % 700)
        body = f"3101{index // 1000 % 100:02d}{born:%Y%m%d}{index % 1000:03d}"
        batch.append(
            Student(
                name=f"学生{index}",
                id_type="resident_id",
                id_number=body + ric.calc_check_digit(body + "0"),
                student_number=f"25{index:07d}",
                school="示范大学",
                college=COLLEGES[index % len(COLLEGES)],
                major="临床医学",
                education_level="undergraduate",
                study_mode="full_time",
                registered_on=date(2025, 9, 1),
                birth_date=born,
                gender="male" if int(body[-1]) % 2 else "female",
            )
        )
        if len(batch) == 2000:
            Student.objects.bulk_create(batch)
            batch = []
    Student.objects.bulk_create(batch)
    assert Student.objects.count() == count
    return {"rows": count, "seconds": time.perf_counter() - started}


def _counts(policy_year) -> tuple[int, int]:
    from enrollment.models import Enrollment, EnrollmentEvent

    return (
        Enrollment.objects.filter(policy_year=policy_year).count(),
        EnrollmentEvent.objects.filter(enrollment__policy_year=policy_year).count(),
    )


def measure_run() -> dict:
    from enrollment import services
    from enrollment.models import CollectiveRun, Student
    from enrollment.selectors import student_pks_with_eligibility
    from policies.models import PolicyYear

    policy_year = PolicyYear.objects.get(code=POLICY_YEAR)
    students = Student.objects.count()
    eligible = len(student_pks_with_eligibility(Student.objects.all(), "eligible"))
    assert _counts(policy_year) == (0, 0), "the database is not fresh"
    started = time.perf_counter()
    start = services.collective_run_start(policy_year=policy_year)
    seconds = time.perf_counter() - started
    run = CollectiveRun.objects.get(pk=start.run.pk)
    totals = services.collective_run_totals(run)
    enrollments, events = _counts(policy_year)
    assert start.action == "started" and run.status == CollectiveRun.Status.DONE, run.status
    assert enrollments == events == eligible == totals["created"], (enrollments, eligible)
    return {"rows": students, "seconds": seconds, "created": enrollments, "events": events}


def measure_rerun() -> dict:
    from enrollment import services
    from enrollment.models import CollectiveRun, Student
    from policies.models import PolicyYear

    policy_year = PolicyYear.objects.get(code=POLICY_YEAR)
    students = Student.objects.count()
    before = _counts(policy_year)
    started = time.perf_counter()
    start = services.collective_run_start(policy_year=policy_year)
    seconds = time.perf_counter() - started
    run = CollectiveRun.objects.get(pk=start.run.pk)
    totals = services.collective_run_totals(run)
    after = _counts(policy_year)
    assert start.action == "started" and run.status == CollectiveRun.Status.DONE, run.status
    assert totals["created"] == 0 and totals["existing"] == before[0], totals
    assert after == before, f"the re-run wrote rows: {before} -> {after}"
    return {"rows": students, "seconds": seconds, "created": totals["created"], "rows_after": after}


def measure_naive(limit: int) -> dict:
    from enrollment import services
    from enrollment.models import Student
    from policies.models import PolicyYear

    policy_year = PolicyYear.objects.get(code=POLICY_YEAR)
    assert _counts(policy_year) == (0, 0), "the database is not fresh"
    started = time.perf_counter()
    for student in Student.objects.order_by("pk")[:limit]:
        services.enrollment_create(
            student=student, policy_year=policy_year, kind="collective", today=date(2025, 11, 20)
        )
    seconds = time.perf_counter() - started
    assert _counts(policy_year) == (limit, limit)
    return {"rows": limit, "seconds": seconds}


def settle() -> dict:
    """Untimed set-up of the export: every enrollment established and paid in full."""
    from django.db.models import F

    from enrollment import services, workflow
    from enrollment.models import Enrollment
    from enrollment.services.enrollments import FACT_FIELDS, moves_write
    from policies.models import PolicyYear

    policy_year = PolicyYear.objects.get(code=POLICY_YEAR)
    started = time.perf_counter()
    enrollments = Enrollment.objects.filter(policy_year=policy_year)
    enrollments.update(amount_paid=F("premium_due"))
    # established as the bureau's results would be: through the one writer of a state
    declared = list(enrollments.only(*FACT_FIELDS, "policy_year", "cover_start"))
    moves_write(declared, to=workflow.ESTABLISHED, reason="基准测试：已建账")
    marked = len(declared)
    open_rows = services.payment_list_open(year=YEAR).count()
    assert open_rows == marked, (open_rows, marked)
    return {"rows": open_rows, "seconds": time.perf_counter() - started}


def measure_export() -> dict:
    from enrollment import services

    expected = services.payment_list_open(year=YEAR).count()
    baseline = peak_mb()
    started = time.perf_counter()
    exported = services.payment_list_export_open(year=YEAR)
    seconds = time.perf_counter() - started
    assert exported.rows == expected, (exported.rows, expected)
    return {
        "rows": exported.rows,
        "seconds": seconds,
        "baseline_mb": baseline,
        "bytes": len(exported.content),
    }


def measure_stock() -> dict:
    from import_export import fields, resources

    from enrollment import services
    from enrollment.models import Enrollment

    class EnrollmentResource(resources.ModelResource):
        name = fields.Field(attribute="student__name", column_name="姓名")
        id_type = fields.Field(attribute="student__id_type", column_name="证件类型")
        id_number = fields.Field(attribute="student__id_number", column_name="证件号码")
        student_number = fields.Field(attribute="student__student_number", column_name="学号")
        college = fields.Field(attribute="student__college", column_name="学院")
        year = fields.Field(column_name="缴费年度")
        scheme = fields.Field(column_name="险种")
        category = fields.Field(column_name="人员类别")
        premium_due = fields.Field(attribute="premium_due", column_name="应缴金额")
        payer = fields.Field(attribute="payer", column_name="备注")

        class Meta:
            model = Enrollment
            fields = STOCK_COLUMNS
            export_order = STOCK_COLUMNS

        # the constant columns of the list, the documented import-export way
        def dehydrate_year(self, enrollment):
            return str(YEAR)

        def dehydrate_scheme(self, enrollment):
            return services.payment_lists.SCHEME

        def dehydrate_category(self, enrollment):
            return services.payment_lists.PERSON_CATEGORY

    queryset = services.payment_list_open(year=YEAR)
    expected = queryset.count()
    baseline = peak_mb()
    started = time.perf_counter()
    dataset = EnrollmentResource().export(queryset=queryset)
    content = dataset.xlsx
    seconds = time.perf_counter() - started
    assert len(dataset) == expected and dataset.width == len(STOCK_COLUMNS), (
        len(dataset),
        dataset.width,
    )
    return {
        "rows": len(dataset),
        "seconds": seconds,
        "baseline_mb": baseline,
        "bytes": len(content),
    }


# --- parent ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=60_000)
    parser.add_argument("--naive-rows", type=int, default=3_000)
    parser.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL server URL, no database")
    parser.add_argument("--child")
    args = parser.parse_args()

    if args.child:
        result = child(args.child, args.students, args.naive_rows)
        result["peak_mb"] = peak_mb()
        print(json.dumps(result))
        return

    ours_url, naive_url = f"{args.pg}/{DB_OURS}", f"{args.pg}/{DB_NAIVE}"
    options = ("--students", str(args.students), "--naive-rows", str(args.naive_rows))
    started = time.perf_counter()
    try:
        drop_pg(DB_OURS)
        drop_pg(DB_NAIVE)
        pg("createdb", DB_OURS)
        seeded = run_child(__file__, "seed", ours_url, *options)
        report("seed (bulk_create)", seeded, "students")
        pg("createdb", "-T", DB_OURS, DB_NAIVE)  # the same students, before the run

        first = run_child(__file__, "run", ours_url, *options)
        report("run (collective)", first, "students")
        print(f"  created {first['created']} enrollments, {first['events']} events")
        again = run_child(__file__, "rerun", ours_url, *options)
        report("  re-run", again, "students")
        print(f"  created {again['created']}; enrollment/event rows {again['rows_after']}")
        naive = run_child(__file__, "naive", naive_url, *options)
        report("naive enrollment_create", naive, "students")

        settled = run_child(__file__, "settle", ours_url, *options)
        print(f"settle: {settled['rows']} rows established+paid in {settled['seconds']:.2f} s")
        export = run_child(__file__, "export", ours_url, *options)
        report("export (payment list)", export)
        print(
            f"  {export['bytes'] / 1e6:.1f} MB xlsx; process RSS before export "
            f"{export['baseline_mb']:.0f} MB, peak {export['peak_mb']:.0f} MB"
        )
        stock = run_child(__file__, "stock", ours_url, *options)
        report("stock export (import-export)", stock)
        print(
            f"  {stock['bytes'] / 1e6:.1f} MB xlsx; process RSS before export "
            f"{stock['baseline_mb']:.0f} MB, peak {stock['peak_mb']:.0f} MB"
        )
    finally:
        drop_pg(DB_OURS)
        drop_pg(DB_NAIVE)
    print(f"wall {time.perf_counter() - started:.1f} s", flush=True)

    speedup = (first["rows"] / first["seconds"]) / (naive["rows"] / naive["seconds"])
    rerun = again["seconds"] / first["seconds"]
    export_speedup = stock["seconds"] / export["seconds"]
    print(
        f"collective60k speedup_vs_naive={speedup:.2f} rerun_vs_first={rerun:.2f} "
        f"export_speedup_vs_stock={export_speedup:.2f} export_peak_mb={export['peak_mb']:.0f}"
    )


if __name__ == "__main__":
    main()
