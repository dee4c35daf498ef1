"""Prior coverage (历年参保记录) and gap years the portal has no history for (issue #10
point 11): a school that starts using the portal in a later year, or imports its roster
mid-year, must not have waiting periods invented; the collective run counts the ones it
gives only for want of a record, with a link to them, before anyone pays.

Worked from shanghai-student-insurance-guide-2024-11.txt:
- Q3: a late enrollment waits 3 fixed months from its declaration (declared 5 Mar, paid
  before 5 Jun → benefits from 5 Jun);
- Q5: each gap year adds 1 month of variable waiting: a collective enrollment for 2026
  after a 2025 gap waits 3 + 1 = 4 months from 1 Jan → benefits from 1 May 2026;
- Q6: continuity counts from the 2025 scheme year; earlier years count for nothing.
"""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from enrollment import prior_coverage, rules, services, workflow
from enrollment.models import CollectiveRun, Enrollment, PriorCoverage
from enrollment.tests import files
from enrollment.tests.factories import (
    EnrollmentRowFactory,
    LateEnrollmentFactory,
    PaymentFactory,
    StudentFactory,
)
from office.headers import find_header
from office.tests.factories import StaffFactory

HEADER = ["学号", "姓名", "年度", "参保状态"]
AT_SCHOOL_SINCE = date(2024, 9, 1)
TODAY = date(2025, 11, 12)  # inside the 2026 collective window


# --- the rule (pure) ----------------------------------------------------------------------------


def history(covered=(), not_covered=(), on_record=()) -> rules.History:
    return rules.History(
        covered=frozenset(covered),
        not_covered=frozenset(not_covered),
        on_record=frozenset({*covered, *not_covered, *on_record}),
    )


@pytest.mark.parametrize(
    ("year", "entry_year", "known", "complete", "expected"),
    [
        # the portal holds no 2025 records of its own: nothing is known, nothing invented
        (2026, 2024, history(), set(), (0, 0)),
        # 2025 complete in the portal, no record of the student at all: a gap, unrecorded
        (2026, 2024, history(), {2025}, (1, 1)),
        # 2025 complete, an enrollment that gave no cover (failed): a gap on record
        (2026, 2024, history(on_record={2025}), {2025}, (1, 0)),
        # the bureau says 未参保 in 2025, the portal knows nothing: a gap (Q5)
        (2026, 2024, history(not_covered={2025}), set(), (1, 0)),
        # the bureau says 已参保 in 2025: no gap, complete year or not
        (2026, 2024, history(covered={2025}), {2025}, (0, 0)),
        # uninsured in 2023 and 2024: before the 2025 scheme year, not counted (Q6)
        (2026, 2022, history(not_covered={2023, 2024}), set(), (0, 0)),
        # for 2027: 2025 a known gap, 2026 complete without any record
        (2027, 2024, history(not_covered={2025}), {2026}, (2, 1)),
        # entered in 2026: 2025 is not a year at school
        (2026, 2026, history(), {2025}, (0, 0)),
    ],
)
def test_gap_years_come_from_records_never_from_silence(
    year, entry_year, known, complete, expected
):
    gaps = rules.gap_years(
        known,
        year=year,
        entry_year=entry_year,
        complete_years=frozenset(complete),
        counted_from=2025,
    )

    assert (gaps.years, gaps.unrecorded) == expected


@pytest.mark.parametrize(
    ("written", "status"),
    [
        ("已参保", prior_coverage.COVERED),
        ("参保", prior_coverage.COVERED),
        ("正常参保", prior_coverage.COVERED),
        ("正常 参保", prior_coverage.COVERED),
        ("未参保", prior_coverage.NOT_COVERED),
        ("中断", prior_coverage.NOT_COVERED),
    ],
)
def test_the_statuses_as_the_bureau_and_the_school_write_them(written, status):
    line = _parse(["25020001", "张三", "2025年", written])

    assert (line.year, line.status) == (2025, status)


def test_a_status_or_year_not_understood_is_a_row_problem_quoting_a_short_prefix():
    suspended = _parse(["25020001", "张三", "2025", "暂停参保"])
    huge = _parse(["25020001", "张三", "2" * 100_000, "已参保"])

    assert (suspended.column, huge.column) == ("参保状态", "年度")
    assert "暂停参保" in suspended.message
    assert len(huge.message) < 100


def _parse(cells: list):
    header = find_header([HEADER], first_row=1, labels=prior_coverage.LABELS, required=())
    return prior_coverage.parse_line(header, 2, cells)


# --- the import ---------------------------------------------------------------------------------


@pytest.fixture
def coverage_file(tmp_path):
    """`coverage_file(rows, header=HEADER)`: a 历年参保记录 workbook below a title row."""

    def make(rows, *, header=HEADER, name="历年参保记录.xlsx"):
        return files.xlsx(tmp_path / name, rows, header=header, titles=["历年参保记录"])

    return make


def _command(path, *args) -> tuple[int, dict]:
    out = StringIO()
    try:
        call_command("import_prior_coverage", str(path), "--json", *args, stdout=out)
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    return code, json.loads(out.getvalue())


@pytest.mark.django_db
def test_the_command_checks_then_records_and_a_second_import_changes_nothing(coverage_file):
    a, b = (StudentFactory(registered_on=AT_SCHOOL_SINCE) for _ in range(2))
    path = coverage_file(
        [
            [a.student_number, a.name, "2025", "已参保"],
            [b.student_number, b.name, 2025, "未参保"],
            [a.student_number, a.name, "2024", "未参保"],  # before 2025: not counted (Q6)
        ]
    )

    code, dry = _command(path)
    assert PriorCoverage.objects.count() == 0
    code_commit, done = _command(path, "--commit")
    code_again, again = _command(path, "--commit")

    assert (code, code_commit, code_again) == (0, 0, 0)
    assert (dry["new"], dry["not_counted"], dry["applied"]) == (2, 1, False)
    assert (done["new"], done["applied"]) == (2, True)
    assert (again["new"], again["changed"], again["unchanged"]) == (0, 0, 2)
    assert set(PriorCoverage.objects.values_list("student__student_number", "year", "status")) == {
        (a.student_number, 2025, "covered"),
        (b.student_number, 2025, "not_covered"),
    }


@pytest.mark.django_db
def test_rows_that_cannot_be_used_name_their_row_and_column_and_exit_1(coverage_file):
    a, b = StudentFactory(), StudentFactory()
    path = coverage_file(
        [
            ["99999999", "", "2025", "已参保"],  # row 3: nobody
            [a.student_number, "李四", "2025", "已参保"],  # not a's name
            [b.student_number, b.name, "2025", "已参保"],
            [b.student_number, b.name, "2025", "中断"],  # the same year both ways
            [a.student_number, a.name, "2031", "已参保"],  # a year still to come
        ]
    )

    code, report = _command(path)

    assert code == 1
    assert [(p["row"], p["column"]) for p in report["problems"]] == [
        (7, "年度"),
        (3, "学号"),
        (4, "姓名"),
        (5, "参保状态"),
        (6, "参保状态"),
    ]


@pytest.mark.django_db
def test_a_row_may_name_the_student_by_id_number(coverage_file):
    student = StudentFactory()
    path = coverage_file(
        [[student.id_number, "2025", "正常参保"]], header=["证件号码", "年度", "参保状态"]
    )

    code, report = _command(path, "--commit")

    assert (code, report["new"]) == (0, 1)
    assert PriorCoverage.objects.get().student == student


@pytest.mark.django_db
def test_a_file_without_the_columns_is_refused_with_exit_2(coverage_file):
    path = coverage_file([["25020001", "2025"]], header=["学号", "年度"])

    with pytest.raises(CommandError) as refused:
        call_command("import_prior_coverage", str(path))

    assert refused.value.returncode == 2
    assert "参保状态" in str(refused.value)


# --- the collective run: a school that started using the portal mid-2025 ------------------------


@pytest.fixture
def school_started_mid_2025(shanghai_2025):
    """The portal's 2025 collective run was done for the only student it knew then; the
    four returning students (at school since 2024) were imported mid-year, so the portal
    holds nothing of them for 2025."""
    pilot = StudentFactory(registered_on=AT_SCHOOL_SINCE)
    EnrollmentRowFactory(student=pilot, policy_year=shanghai_2025, state=workflow.REMITTED)
    CollectiveRun.objects.create(policy_year=shanghai_2025, status=CollectiveRun.Status.DONE)
    returning = [StudentFactory(registered_on=AT_SCHOOL_SINCE) for _ in range(4)]
    return pilot, returning


def _run(policy_year) -> CollectiveRun:
    start = services.collective_run_start(policy_year=policy_year)
    services.collective_run_execute(run_id=start.run.pk)
    return CollectiveRun.objects.get(pk=start.run.pk)


def _cover(student, policy_year) -> tuple:
    e = Enrollment.objects.get(student=student, policy_year=policy_year)
    return e.waiting_months, e.cover_start, e.unrecorded_gap_years


@pytest.mark.django_db
def test_once_prior_coverage_is_imported_no_waiting_is_invented_and_the_report_counts_the_rest(
    school_started_mid_2025, shanghai_2026, coverage_file
):
    pilot, (a, b, c, d) = school_started_mid_2025
    coverage_file_path = coverage_file(
        [
            [a.student_number, a.name, "2025", "已参保"],
            [b.student_number, b.name, "2025", "参保"],
            [c.student_number, c.name, "2025", "未参保"],  # d is not in the bureau's file
        ]
    )
    call_command("import_prior_coverage", str(coverage_file_path), "--commit", stdout=StringIO())

    run = _run(shanghai_2026)

    assert _cover(pilot, shanghai_2026) == (0, date(2026, 1, 1), 0)
    assert _cover(a, shanghai_2026) == (0, date(2026, 1, 1), 0)
    assert _cover(b, shanghai_2026) == (0, date(2026, 1, 1), 0)
    # Q5: the bureau's 未参保 is a gap on record: 3 + 1 months from 1 Jan
    assert _cover(c, shanghai_2026) == (4, date(2026, 5, 1), 0)
    # no record at all of d in 2025, a year the portal ran: waiting, counted as unrecorded
    assert _cover(d, shanghai_2026) == (4, date(2026, 5, 1), 1)
    assert (run.summary["with_waiting"], run.summary["missing_history"]) == (2, 1)


@pytest.mark.django_db
def test_prior_coverage_imported_after_the_run_corrects_the_unpaid_waiting_periods(
    school_started_mid_2025, shanghai_2026, coverage_file
):
    _pilot, (a, b, c, d) = school_started_mid_2025
    run = _run(shanghai_2026)
    # all four got a waiting period only because the portal had never heard of them
    assert (run.summary["with_waiting"], run.summary["missing_history"]) == (4, 4)
    PaymentFactory(
        enrollment=Enrollment.objects.get(student=b, policy_year=shanghai_2026),
        paid_on=date(2025, 11, 20),
    )

    path = coverage_file(
        [[s.student_number, s.name, "2025", "已参保"] for s in (a, b)]
        + [[c.student_number, c.name, "2025", "未参保"]]
    )
    code, report = _command(path, "--commit")

    assert (code, report["recounted"]) == (0, 2)  # a (to no waiting) and c (on record now)
    assert _cover(a, shanghai_2026) == (0, date(2026, 1, 1), 0)
    # b paid before the import: what was declared and paid for stays
    assert _cover(b, shanghai_2026) == (4, date(2026, 5, 1), 1)
    assert _cover(c, shanghai_2026) == (4, date(2026, 5, 1), 0)
    assert _cover(d, shanghai_2026) == (4, date(2026, 5, 1), 1)


@pytest.mark.django_db
def test_the_run_page_counts_them_and_links_to_the_ones_left(
    client, staff, school_started_mid_2025, shanghai_2026, coverage_file
):
    pilot, (a, b, c, d) = school_started_mid_2025
    run = _run(shanghai_2026)
    path = coverage_file([[s.student_number, s.name, "2025", "已参保"] for s in (a, b, c)])
    call_command("import_prior_coverage", str(path), "--commit", stdout=StringIO())
    client.force_login(staff("医保办"))

    page = client.get(reverse("admin:enrollment_collectiverun_change", args=[run.pk]))
    text = page.content.decode()
    link = (
        reverse("admin:enrollment_enrollment_changelist")
        + f"?policy_year__id__exact={shanghai_2026.pk}&amp;history=missing"
    )
    listed = client.get(link.replace("&amp;", "&")).content.decode()

    assert "4 名学生仅因本系统没有其往年记录而被设了待遇等待期" in text
    assert link in text and "仍有 1 人" in text
    assert d.student_number in listed
    assert all(s.student_number not in listed for s in (pilot, a, b, c))


# --- the region's setting: the first year the portal's own records are complete ----------------


@pytest.mark.django_db
def test_years_before_the_portals_records_are_complete_count_only_from_prior_coverage(
    school_started_mid_2025, shanghai_2026
):
    """The office says its own records are complete from 2026: the 2025 run it holds
    does not make 2025 a year of gaps; the bureau's 未参保 still does (Q5)."""
    _pilot, (a, b, c, d) = school_started_mid_2025
    shanghai_2026.region.records_complete_from_year = 2026
    shanghai_2026.region.save()
    PriorCoverage.objects.create(student=c, year=2025, status=PriorCoverage.Status.NOT_COVERED)

    run = _run(shanghai_2026)

    assert [_cover(s, shanghai_2026)[0] for s in (a, b, c, d)] == [0, 0, 4, 0]
    assert (run.summary["with_waiting"], run.summary["missing_history"]) == (1, 0)


@pytest.mark.django_db
def test_from_the_complete_year_on_a_student_without_cover_has_a_gap(shanghai_2025, shanghai_2026):
    """Records complete from 2025 without a run in the portal (the office loaded its 2025
    enrollments): a student with none has a 2025 gap, counted as unrecorded."""
    shanghai_2026.region.records_complete_from_year = 2025
    shanghai_2026.region.save()
    covered, missing = (StudentFactory(registered_on=AT_SCHOOL_SINCE) for _ in range(2))
    EnrollmentRowFactory(student=covered, policy_year=shanghai_2025, state=workflow.REMITTED)

    run = _run(shanghai_2026)

    assert _cover(covered, shanghai_2026) == (0, date(2026, 1, 1), 0)
    assert _cover(missing, shanghai_2026) == (4, date(2026, 5, 1), 1)
    assert run.summary["missing_history"] == 1


# --- a late enrollment's waiting (Q3/Q5) --------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "waiting", "cover_start"),
    [
        # Q3: 3 fixed months from 5 Mar 2026
        (PriorCoverage.Status.COVERED, 3, date(2026, 6, 5)),
        # Q5: a 2025 gap adds a month
        (PriorCoverage.Status.NOT_COVERED, 4, date(2026, 7, 5)),
    ],
)
def test_a_late_enrollment_waits_by_the_prior_coverage_on_record(
    shanghai_2026, status, waiting, cover_start
):
    student = StudentFactory(registered_on=AT_SCHOOL_SINCE)
    PriorCoverage.objects.create(student=student, year=2025, status=status)

    enrollment = LateEnrollmentFactory(
        student=student, policy_year=shanghai_2026, today=date(2026, 3, 5)
    )
    PaymentFactory(enrollment=enrollment, paid_on=date(2026, 3, 10))
    enrollment.refresh_from_db()

    assert (enrollment.waiting_months, enrollment.cover_start) == (waiting, cover_start)


# --- the admin page -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_import_page_checks_then_applies_once(client, staff, coverage_file):
    student = StudentFactory(registered_on=AT_SCHOOL_SINCE)
    url = reverse("admin:enrollment_priorcoverage_import")
    client.force_login(staff("医保办"))
    path = coverage_file([[student.student_number, student.name, "2025", "已参保"]])

    with path.open("rb") as upload:
        checked = client.post(url, {"file": upload})
    token = checked.context["confirm"]["fields"]["token"]
    applied = client.post(url, {"token": token})
    twice = client.post(url, {"token": token})

    assert student.name in checked.content.decode()
    assert PriorCoverage.objects.filter(student=student, year=2025, status="covered").count() == 1
    assert "新增 1" in applied.content.decode()
    assert "上传的文件已失效" in twice.content.decode()
    assert PriorCoverage.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["学生处", "财务", "审计"])
def test_only_who_sees_full_ids_may_import(client, staff, role):
    """Rows are matched by full ID numbers: whether one is on the roster is not for who
    may not see them (config/roles.py)."""
    client.force_login(staff(role))

    assert client.get(reverse("admin:enrollment_priorcoverage_import")).status_code == 403


@pytest.mark.django_db
def test_the_permission_to_add_records_is_not_enough_without_full_ids(client):
    client.force_login(StaffFactory(permissions=["add_priorcoverage", "view_priorcoverage"]))

    assert client.get(reverse("admin:enrollment_priorcoverage_import")).status_code == 403
