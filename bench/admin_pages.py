"""Admin pages at 200,000 students on PostgreSQL, against the same pages at 1,000 and the
stock admin's search (issue #12).

    python bench/admin_pages.py [--students 200000] [--small 1000] [--repeat 5]
                                [--pg postgres://...] [--keep | --measure-only]

Two databases are made here (and dropped at the end unless --keep), one per size, each
migrated and filled with bulk inserts: the students (eight colleges), one shanghai-2026
enrollment each in a spread of states with its first move (an EnrollmentEvent) and,
where paid, its payment; the measured student (the middle one) has a 2025 year too,
with a refund, and an opt-out is recorded for another. Then VACUUM ANALYZE, as
autovacuum would have done.

Both sizes are measured in one process (Celery in-process, debug off, the full
middleware), signed in as a 医保办 account with the Django test client, the large
database's connection taking the default's place while its pages load. Every page is
checked and its queries counted once per size; then in `--repeat` rounds every page is
loaded at 1k and at 200k in turn (caches emptied at each switch, one untimed load, one
timed), so a machine busy with other work slows every page alike; the median is
reported. The pages:

- home: the admin index of shanghai-2026 (its figures cached 60 s, as staff see it); and
  shown, not a goal: the same with the cache emptied before each load (the aggregates);
- the student list: default, filtered by college, searched by ID number and by student
  number — an exact number naming one student answers with a redirect to the student's
  page (the front desk lands there), timed as the search request; the student's page is
  its own row, and the enrollment list's searches show the list itself;
- the enrollment list: default, filtered by college and state, searched by student
  number and by ID number;
- a student's page (the admin's change page with every year, "covered on" today);
- stock: a stock ModelAdmin (icontains over student number, name and ID number, the
  default paginator and counts) on the same table, on an AdminSite of its own, searched
  by the same ID and student numbers.

Goals: ID and student-number search ≥ 10× the stock search; every page at 200k within
1.5× of the same page at 1k; query count the same at both sizes and ≤ 15. The last line
is `admin200k id_search_speedup_vs_stock=<x> worst_page_200k_vs_1k=<y> max_queries=<n>`,
the speedup being the smaller of the two searches'.
"""

import argparse
import json
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from measure import PG_DEFAULT, drop_pg, peak_mb, pg, run_child  # noqa: E402

COLLEGES = [
    "医学院",
    "法学院",
    "外国语学院",
    "化学化工学院",
    "数学科学学院",
    "经济与管理学院",
    "机械与动力工程学院",
    "电子信息与电气工程学院",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
# the 2026 enrollments' states, in turn (most established, as late in a year)
# the college of the n-th student by n % 10: the medical school the largest, as often
COLLEGE_OF = [0, 0, 0, 1, 2, 3, 4, 5, 6, 7]
# the 2026 enrollments' states by n % 13 (coprime with 10: every college gets every
# state), most established as late in a year. The college+state page (医学院, 已建账) then
# holds ~160 rows at 1,000 students: full pages of 100 at both sizes, so the comparison
# measures size, not a half-empty page against a full one
STATES = [
    "established",
    "remitted",
    "established",
    "paid",
    "established",
    "declared",
    "established",
    "failed",
    "established",
    "opted_out",
    "established",
    "not_established",
    "established",
]
PREMIUM = Decimal("355.00")  # shanghai guide Q2
FILTER_COLLEGE = COLLEGES[0]
FILTER_STATE = "established"
DB_NAME = "insurance_bench_admin_{}"
USERNAME = "bench-clinic"
PAGES = [
    "home",
    "students",
    "students by college",
    "students by ID number",
    "students by student number",
    "enrollments",
    "enrollments by college+state",
    "enrollments by student number",
    "enrollments by ID number",
    "student's page",
]
STOCK = ["stock by ID number", "stock by student number"]
# the home page's figures computed, its 60 s cache emptied before each load: shown, not a
# goal (the cached page is the one staff open; its figures are S1's aggregates)
COLD = ["home, figures not cached"]
# an exact number naming one student answers with the student's page (a redirect)
LANDS_ON_PAGE = ["students by ID number", "students by student number"]
ALL = PAGES + COLD + STOCK
HOME_YEAR = {"year": "shanghai-2026"}


# --- children -------------------------------------------------------------------------------


def child(mode: str, students: int, repeat: int, other: str) -> dict:
    import django

    django.setup()
    if mode == "seed":
        return seed(students)
    return measure(repeat, other)


def seed(count: int) -> dict:
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection
    from stdnum.cn import ric

    from enrollment.models import Enrollment, EnrollmentEvent, OptOut, Payment, Refund, Student
    from policies.models import PolicyYear

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    year_2026 = PolicyYear.objects.get(code="shanghai-2026")
    year_2025 = PolicyYear.objects.get(code="shanghai-2025")

    def student(index: int) -> Student:
        born = date.fromordinal(date(2003, 1, 1).toordinal() + index % 1500)
        body = f"3101{index // 1000 % 100:02d}{born:%Y%m%d}{index % 1000:03d}"
        return Student(
            name=SURNAMES[index % 20] + GIVEN[index // 20 % 20] + GIVEN[index // 400 % 20],
            id_type="resident_id",
            id_number=body + ric.calc_check_digit(body + "0"),
            student_number=f"2{index:08d}",
            school="示范大学",
            college=COLLEGES[COLLEGE_OF[index % len(COLLEGE_OF)]],
            major="临床医学",
            education_level="undergraduate",
            registered_on=date(2024, 9, 1),
            birth_date=born,
            gender="male" if int(body[-1]) % 2 else "female",
            phone=f"138{index:08d}",
        )

    for first in range(0, count, 5000):
        Student.objects.bulk_create(student(i) for i in range(first, min(count, first + 5000)))
    pks = list(Student.objects.order_by("pk").values_list("pk", flat=True))

    def enrollment(index: int, pk: int) -> Enrollment:
        state = STATES[index % len(STATES)]
        paid = state in ("established", "remitted", "paid")
        return Enrollment(
            student_id=pk,
            policy_year=year_2026,
            kind="collective",
            state=state,
            payer="student",
            premium_due=PREMIUM,
            amount_paid=PREMIUM if paid else Decimal("0.00"),
            cover_start=date(2026, 1, 1) if paid else None,
            cover_end=date(2026, 12, 31) if paid else None,
        )

    for first in range(0, count, 5000):
        chunk = range(first, min(count, first + 5000))
        Enrollment.objects.bulk_create(enrollment(i, pks[i]) for i in chunk)
    rows = Enrollment.objects.order_by("pk").values_list("pk", "state", "amount_paid")
    events, payments = [], []
    for index, (pk, state, paid) in enumerate(rows.iterator(chunk_size=5000)):
        events.append(EnrollmentEvent(enrollment_id=pk, to_state=state, reason="基准测试"))
        if paid:
            payments.append(
                Payment(
                    enrollment_id=pk,
                    amount=paid,
                    paid_on=date(2025, 11, 25),
                    channel="online",
                    receipt_number=f"R{index:09d}",
                )
            )
        if len(events) == 5000:
            EnrollmentEvent.objects.bulk_create(events)
            Payment.objects.bulk_create(payments)
            events, payments = [], []
    EnrollmentEvent.objects.bulk_create(events)
    Payment.objects.bulk_create(payments)

    # the measured student: a 2025 year too, refunded once; a neighbour opted out
    measured = Student.objects.get(pk=pks[count // 2])
    earlier = Enrollment.objects.create(
        student=measured,
        policy_year=year_2025,
        kind="collective",
        state="established",
        payer="student",
        premium_due=PREMIUM,
        amount_paid=PREMIUM * 2,
        cover_start=date(2025, 1, 1),
        cover_end=date(2025, 12, 31),
    )
    Refund.objects.create(enrollment=earlier, amount=PREMIUM, reason="duplicate")
    OptOut.objects.create(
        student_id=pks[count // 2 + 1],
        policy_year=year_2025,
        reason="insured_elsewhere",
        signed_on=date(2024, 11, 28),
    )
    user = User.objects.create_user(USERNAME, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="医保办"))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {
        "rows": count,
        "seconds": time.perf_counter() - started,
        "student": measured.pk,
        "student_number": measured.student_number,
        "id_number": measured.id_number,
    }


def stock_site():
    """A stock ModelAdmin over the same table, on an AdminSite and URLs of its own that
    hold every other model admin of the project's site too: the same navigation and app
    list around it, only the student list's ModelAdmin differs."""
    import types

    from django.conf import settings
    from django.contrib import admin
    from django.urls import clear_url_caches, path

    import config.urls
    from enrollment.models import Student

    class StockStudentAdmin(admin.ModelAdmin):
        list_display = ["student_number", "name", "id_number", "college"]
        search_fields = ["student_number", "name", "id_number"]  # icontains, ORed
        change_list_template = "admin/change_list.html"  # not the project's student list

    site = admin.AdminSite(name="stock")
    for model, model_admin in admin.site._registry.items():
        if model is not Student:
            site._registry[model] = model_admin
    site.register(Student, StockStudentAdmin)
    urls = types.ModuleType("bench_admin_urls")
    urls.urlpatterns = [path("stock/", site.urls), *config.urls.urlpatterns]
    sys.modules["bench_admin_urls"] = urls
    settings.ROOT_URLCONF = "bench_admin_urls"
    clear_url_caches()


def page_urls(student) -> dict[str, tuple[str, dict]]:
    from django.urls import reverse

    students = reverse("admin:enrollment_student_changelist")
    enrollments = reverse("admin:enrollment_enrollment_changelist")
    stock = reverse("admin:enrollment_student_changelist", current_app="stock")
    assert stock.startswith("/stock/"), stock
    return {
        "home": (reverse("admin:index"), HOME_YEAR),
        "home, figures not cached": (reverse("admin:index"), HOME_YEAR),
        "students": (students, {}),
        "students by college": (students, {"college__exact": FILTER_COLLEGE}),
        "students by ID number": (students, {"q": student.id_number}),
        "students by student number": (students, {"q": student.student_number}),
        "enrollments": (enrollments, {}),
        "enrollments by college+state": (
            enrollments,
            {"student__college__exact": FILTER_COLLEGE, "state__exact": FILTER_STATE},
        ),
        "enrollments by student number": (enrollments, {"q": student.student_number}),
        "enrollments by ID number": (enrollments, {"q": student.id_number}),
        "student's page": (reverse("admin:enrollment_student_change", args=[student.pk]), {}),
        "stock by ID number": (stock, {"q": student.id_number}),
        "stock by student number": (stock, {"q": student.student_number}),
    }


def measure(repeat: int, other: str) -> dict:
    """Both sizes and the stock admin in this one process, in rounds: each round loads
    every page at 1k then at 200k, so a machine busy with something else slows all of
    them alike. The default database is the small
    one; `other` names the large one, whose connection takes the default's place while
    its pages load. Caches are emptied at each switch (a home page cached for one size
    must not answer for the other), then each page is loaded once untimed."""
    import copy

    from django.conf import settings
    from django.contrib.auth.models import User
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import cache
    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from enrollment.models import Student

    # production settings, less what needs a proxy and collected static files (as the tests)
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    stock_site()
    small = connections["default"]
    large_settings = copy.deepcopy(small.settings_dict)
    large_settings["NAME"] = other
    large = type(small)(large_settings, alias="default")

    def use(connection) -> None:
        connections["default"] = connection
        cache.clear()
        ContentType.objects.clear_cache()

    sizes = {}
    for label, connection in (("small", small), ("large", large)):
        use(connection)
        student = Student.objects.order_by("pk")[Student.objects.count() // 2]
        client = Client()
        client.force_login(User.objects.get(username=USERNAME))
        sizes[label] = (connection, client, student, page_urls(student))

    results = {"small": {}, "large": {}}
    times = {label: {name: [] for name in ALL} for label in sizes}
    for name in ALL:  # the answers checked and the queries counted, once
        for label, (connection, client, student, urls) in sizes.items():
            use(connection)
            url, params = urls[name]
            first = client.get(url, params)
            if name in COLD:
                use(connection)
            if name in LANDS_ON_PAGE:  # the front desk lands on the student's page
                assert first.status_code == 302, (name, first.status_code)
                assert first.url.endswith(f"/{student.pk}/change/"), first.url
            else:
                assert first.status_code == 200, (name, first.status_code)
                if "number" in name:
                    assert student.student_number in first.content.decode(), name
            with CaptureQueriesContext(connection) as captured:
                client.get(url, params)
            results[label][name] = {
                "queries": len(captured),  # now: the next request empties the log
                "rows": first.content.decode().count('name="_selected_action"'),
            }
    for _ in range(repeat):  # each round loads every page at both sizes, in turn
        for name in ALL:
            for label, (connection, client, _student, urls) in sizes.items():
                use(connection)
                url, params = urls[name]
                if name not in COLD:
                    client.get(url, params)  # after the switch (caches emptied), untimed
                started = time.perf_counter()
                client.get(url, params)
                times[label][name].append(time.perf_counter() - started)
    for label in sizes:
        for name in ALL:
            results[label][name]["ms"] = statistics.median(times[label][name]) * 1000
    use(small)
    return {"rows": 0, "seconds": 0, "pages": results}


# --- parent ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=200_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL server URL, no database")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--measure-only", action="store_true", help="measure kept databases")
    parser.add_argument("--child")
    parser.add_argument("--other", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        result = child(args.child, args.students, args.repeat, args.other)
        result["peak_mb"] = peak_mb()
        print(json.dumps(result))
        return

    started = time.perf_counter()
    sizes = (args.small, args.students)
    names = [DB_NAME.format(size) for size in sizes]
    try:
        for size, name in zip(sizes, names, strict=True):
            if args.measure_only:  # the databases a run with --keep left
                continue
            drop_pg(name)
            pg("createdb", name)
            seeded = run_child(__file__, "seed", f"{args.pg}/{name}", "--students", str(size))
            print(f"seed {size:>7} students in {seeded['seconds']:6.1f} s", flush=True)
        options = ("--repeat", str(args.repeat), "--other", names[1])
        measured = run_child(__file__, "measure", f"{args.pg}/{names[0]}", *options)["pages"]
    finally:
        if not (args.keep or args.measure_only):
            for name in names:
                drop_pg(name)
    small, large = measured["small"], measured["large"]

    print(
        f"\n{'page':<40}{'1k ms':>9}{'200k ms':>9}{'ratio':>7}{'q 1k':>6}{'q 200k':>7}"
        f"{'rows 1k/200k':>14}"
    )
    for name in ALL:
        a, b = small[name], large[name]
        shown = f"{name} (not a goal)" if name in COLD else name
        print(
            f"{shown:<40}{a['ms']:9.1f}{b['ms']:9.1f}{b['ms'] / a['ms']:7.2f}"
            f"{a['queries']:6d}{b['queries']:7d}{a['rows']:>9d}/{b['rows']:<4d}"
        )
    speedups = {
        "ID number": large["stock by ID number"]["ms"] / large["students by ID number"]["ms"],
        "student number": large["stock by student number"]["ms"]
        / large["students by student number"]["ms"],
    }
    for what, speedup in speedups.items():
        print(f"search by {what}: {speedup:.1f}x the stock admin at {args.students}")
    for what in ("ID number", "student number"):  # a list drawn, not a redirect: shown
        listed = large[f"stock by {what}"]["ms"] / large[f"enrollments by {what}"]["ms"]
        print(f"  (the enrollment list searched by {what}, drawn: {listed:.1f}x the stock admin)")
    independent = all(small[n]["queries"] == large[n]["queries"] for n in PAGES)
    print(f"query counts the same at both sizes: {'yes' if independent else 'NO'}")
    print(f"wall {time.perf_counter() - started:.1f} s", flush=True)
    worst = max(large[n]["ms"] / small[n]["ms"] for n in PAGES)
    most = max(max(small[n]["queries"], large[n]["queries"]) for n in PAGES)
    print(
        f"admin200k id_search_speedup_vs_stock={min(speedups.values()):.1f} "
        f"worst_page_200k_vs_1k={worst:.2f} max_queries={most}"
    )


if __name__ == "__main__":
    main()
