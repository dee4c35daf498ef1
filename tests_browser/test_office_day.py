"""医保办's day in the browser: upload the freshmen's roster, read the dry run, confirm it,
watch the job finish, then the home page of the year, a student's page found by their
number at the front desk, and the pending-confirmation list exported and opened."""

import re
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.urls import reverse

from enrollment import services
from enrollment.models import RosterImport, Student
from enrollment.tests.files import row, students, xlsx

# skipped, not broken, where playwright is not installed (conftest.py says why)
expect = pytest.importorskip("playwright.sync_api").expect

YEAR = "shanghai-2026"
# a day of shanghai-2026's freshman window: the declaration page declares on today's date,
# so the test declares through the service, given the day
DECLARED_ON = date(2026, 9, 15)
JOB_TIMEOUT_MS = 60_000


def roster(tmp_path: Path) -> Path:
    """Twelve freshmen of 医学院 registered 2026-09-01 (enrollment/tests/files.py) and one
    row whose ID number fails its check digit: 13 rows, 12 valid."""
    bad = row(name="错号", id_number="310105199003071243", student_number="26999999")
    return xlsx(tmp_path / "2026级新生名单.xlsx", [*students(12), bad], titles=["2026级新生"])


def test_roster_to_pending_list(browse, staff, tmp_path, shanghai_2026, sheet_rows):
    office_staff = staff("医保办")
    visit = browse(office_staff, "yibaoban")
    page = visit.page
    visit.shot("home")

    # upload: the file is checked first, nothing written
    page.goto(reverse("admin:enrollment_roster_upload"))
    page.set_input_files("input[type=file]", roster(tmp_path))
    visit.shot("upload")
    page.click("input[type=submit].default")
    summary = page.locator("#summary")
    expect(summary).to_be_visible(timeout=JOB_TIMEOUT_MS)  # the job's page reloads itself
    expect(page.locator("#content h2").first).to_have_text("已检查，待确认")
    expect(summary_cell(page, "行数")).to_have_text("13")
    expect(summary_cell(page, "新增")).to_have_text("12")
    expect(summary_cell(page, "错误行数")).to_have_text("1")
    expect(page.locator("#invalid")).to_contain_text("26999999")
    expect(page.locator("#preview-new")).to_contain_text("学生7")
    assert Student.objects.count() == 0
    visit.shot("dry-run")

    # confirm the valid rows only; the import is a job whose page follows it to the end
    page.check("input[name=valid_only]")
    page.get_by_role("button", name="导入").click()
    expect(page.locator("#content h2").first).to_have_text("已导入", timeout=JOB_TIMEOUT_MS)
    visit.shot("imported")
    roster_import = RosterImport.objects.get()
    assert roster_import.summary["result"] == {"created": 12, "updated": 0}
    assert Student.objects.count() == 12

    # the jobs list (任务) shows it finished
    page.goto(reverse("admin:office_joblist_changelist"))
    job = page.locator("#job-list tbody tr", has_text=roster_import.original_name)
    expect(job).to_contain_text("已导入")
    visit.shot("jobs")

    # the office declares them (DECLARED_ON)
    services.declaration_batch_create(
        policy_year=shanghai_2026,
        registered_from=date(2026, 8, 1),
        registered_to=date(2026, 9, 30),
        today=DECLARED_ON,
        by=office_staff,
    )
    cache.clear()  # the home page's figures are a minute old at most: as if a minute passed

    # the home page of the year: 12 freshmen waiting to confirm, the number opens them
    page.goto(f"{reverse('admin:index')}?{urlencode({'year': YEAR})}")
    pending = figure(page, "待确认")
    expect(pending.locator(".home-value")).to_have_text("12")
    expect(figure(page, "在校应参保学生").locator(".home-value")).to_have_text("12")
    visit.shot("home-of-the-year")
    pending.locator("a.home-value").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(12)
    visit.shot("pending-enrollments")

    # the front desk types a student number and lands on the student's page
    page.goto(reverse("admin:enrollment_student_changelist"))
    page.fill("#searchbar", "26000007")
    page.press("#searchbar", "Enter")
    student = Student.objects.get(student_number="26000007")
    page.wait_for_url(f"**{reverse('admin:enrollment_student_change', args=[student.pk])}")
    expect(page.locator("#student-years")).to_contain_text("未建账")
    page.fill("input[name=cover_on]", "2026-10-01")
    page.locator("#student-cover input[type=submit]").click()
    expect(page.locator("#student-cover .messagelist li")).to_contain_text("2026-10-01")
    visit.shot("student-page")

    # the pending-confirmation list of the year, exported for 医学院 and opened
    page.goto(reverse("admin:enrollment_pending_lists"))
    page.select_option("select[name=policy_year]", str(shanghai_2026.pk))
    page.locator("#content form input[type=submit]").click()
    college = page.locator("tr", has_text="医学院")
    expect(college).to_contain_text("12")
    visit.shot("pending-list")
    with page.expect_download() as download:
        college.get_by_role("link", name="下载").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    listed = sheet_rows(Path(download.value.path()).read_bytes())
    header = next(i for i, line in enumerate(listed) if "学号" in line)
    numbers = [line[listed[header].index("学号")] for line in listed[header + 1 :]]
    assert sorted(n for n in numbers if n and n.startswith("26")) == [
        f"26{index:06d}" for index in range(12)
    ]

    assert visit.problems == []


def figure(page, label: str, block: str = "standing"):
    """The figure labelled exactly `label` in the home page's block `block`."""
    return page.locator(f"#home-{block} li.home-figure").filter(
        has=page.locator(".home-label", has_text=exactly(label))
    )


def summary_cell(page, label: str):
    """The roster report's summary figure labelled exactly `label`."""
    row = page.locator("#summary tr").filter(has=page.locator("th", has_text=exactly(label)))
    return row.locator("td")


def exactly(text: str) -> re.Pattern:
    return re.compile(f"^{re.escape(text)}$")
