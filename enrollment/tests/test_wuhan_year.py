"""A Wuhan school's year end to end (issue #14), with SCHOOL_REGION="wuhan": the 2025
freshmen from the registration list to the tax bureau's payment list, then the 2026
collective run and an estimate, through the commands and the admin as 医保办 sees them.

What makes it Wuhan's (wuhan-2025-student-insurance-notice.txt): every student pays 400
(三, 三(三)), special groups included (三: the school collects from every student); the
school declares freshmen in bulk (批量参保登记) and the bureau establishes them, no app
confirmation; cover needs the full premium (三(三) 足额缴纳…即可享受); a relative's
employee account pays through the bureau, which returns the premium to the relative (十):
the school refunds nothing and remits as usual; the school's outpatient fund pays
ordinary outpatient care (五.1). No page may speak of Shanghai's app or portal (随申办,
一网通办) or deadline (20 Dec 17:00).

Numbers, worked by hand: six freshmen, five pay (4 × 400 + 40 = 1640.00, the 40 flagged);
the bureau establishes four (one of them the 40) and fails one; the payment list holds
the three established and fully paid (3 × 400 = 1200.00), the family-aid one among them;
the failed one gets its 400 back once the freshman window has closed (10 Nov, assumed).
The 2026 run enrols the six and the two returning students at 400 (3200.00) and skips
the foreign student."""

import json
from datetime import date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from enrollment import selectors, services, workflow
from enrollment.models import CollectiveRun, Enrollment, PaymentList, Student
from enrollment.tests.files import HEADER, resident_id, row, xlsx
from policies.models import CalendarCorrection, PolicyYear

CHINA = ZoneInfo("Asia/Shanghai")
PREMIUM = Decimal("400.00")  # wuhan notice 三
SHANGHAI_ONLY = ["随申办", "一网通办", "12月20日", "17:00"]
NAME_CLASH = "相同证件号存在其他医保账户但姓名不同"
# the freshmen: student number → (name, registered, 特殊类别, what happens)
FRESHMEN = {
    "25010001": ("王一", "2025-09-01", "", "pays, established"),
    "25010002": ("李二", "2025-09-01", "", "pays, family aid, established"),
    "25010003": ("张三", "2025-09-02", "低保", "pays 400 like everyone, established"),
    "25010004": ("刘四", "2025-08-28", "", "pays, the bureau fails the account"),
    "25010005": ("陈五", "2025-09-03", "", "pays 40 only, established, not covered"),
    "25010006": ("杨六", "2025-09-03", "", "has not paid yet, not established"),
}
RETURNING = {"24010001": ("赵七", "2024-09-01"), "24010002": ("孙八", "2024-09-01")}


class Office:
    """医保办 at work: every page it opens and every command's output, kept to check what
    they say."""

    def __init__(self, client, tmp_path):
        self.client, self.tmp_path, self.seen = client, tmp_path, []

    def command(self, *args) -> str:
        out, err = StringIO(), StringIO()
        try:
            call_command(*args, stdout=out, stderr=err)
        finally:
            self.seen.append((args[0], out.getvalue() + err.getvalue()))
        return out.getvalue()

    def get(self, name: str, *args, **query):
        return self.keep(self.client.get(reverse(name, args=args), query))

    def post(self, name: str, data: dict, *args):
        return self.keep(self.client.post(reverse(name, args=args), data, follow=True))

    def keep(self, response):
        assert response.status_code == 200, response.request["PATH_INFO"]
        if response["Content-Type"].startswith("text/html"):
            self.seen.append((response.request["PATH_INFO"], response.content.decode()))
        return response


class FormValues(HTMLParser):
    """What a browser sends back from a page's forms, unchanged (inputs, selected
    options, text areas)."""

    def __init__(self, html: str):
        super().__init__()
        self.data, self._select, self._text = {}, None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data[name] = a.get("value") or ("on" if a.get("type") == "checkbox" else "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._text = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._text = None

    def handle_data(self, data):
        if self._text:
            self.data[self._text] += data


def roster(tmp_path):
    """The registration office's list: Wuhan ID numbers (武昌区 420106, 洪山区 420111)."""
    header = [*HEADER, "特殊类别"]
    rows = [
        row(
            name=name,
            id_number=resident_id("420106", date(2007, 3, 1), seq=index),
            student_number=number,
            报到注册时间=registered,
            特殊类别=special,
        )
        for index, (number, (name, registered, special, _)) in enumerate(FRESHMEN.items(), 1)
    ]
    rows += [
        row(
            name=name,
            id_number=resident_id("420111", date(2006, 3, 1), seq=index),
            student_number=number,
            报到注册时间=registered,
            特殊类别="",
        )
        for index, (number, (name, registered)) in enumerate(RETURNING.items(), 1)
    ]
    rows.append(
        row(name="Kim Minsu", id_number="M12345678", student_number="25019999", 特殊类别="")
    )
    rows[-1][1], rows[-1][9] = "护照", "2025-09-01"  # a foreign student: not eligible
    return xlsx(tmp_path / "2025级新生名单.xlsx", rows, header=header, titles=["2025级名单"])


def enrollment(number: str, year: int = 2025) -> Enrollment:
    return Enrollment.objects.get(student__student_number=number, policy_year__year=year)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_wuhan_school_runs_its_year_without_seeing_shanghai(
    settings, tmp_path, client, staff, payment_file, results_file, live_worker
):
    settings.SCHOOL_REGION = "wuhan"
    settings.MEDIA_ROOT = tmp_path
    settings.SESSION_COOKIE_AGE = 2 * 365 * 24 * 3600  # the clock jumps months: stay signed in
    client.force_login(staff("医保办"))
    office = Office(client, tmp_path)

    with time_machine.travel(datetime(2025, 9, 15, 10, 0, tzinfo=CHINA)):
        freshman_season(office, payment_file, results_file)
        what_the_office_looks_at(office)
        correct_the_assumed_calendar(office, "wuhan-2025", closes="2024-12-31")
        remit_the_freshmen(office)
    with time_machine.travel(datetime(2025, 11, 20, 10, 0, tzinfo=CHINA)):
        refund_the_failed_account(office)
        run_the_2026_collective_enrollment(office)
    estimate_outpatient_care(office)

    assert len(office.seen) > 30
    for where, text in office.seen:
        assert not [word for word in SHANGHAI_ONLY if word in text], where


def freshman_season(office: Office, payment_file, results_file) -> None:
    """September: the list, a declaration batch and its upload file, the premiums, a
    relative's employee account, the bureau's answer."""
    wuhan_2025 = PolicyYear.objects.get(code="wuhan-2025")
    office.command("import_roster", str(roster(office.tmp_path)), "--commit")
    assert Student.objects.count() == 9
    office.post(
        "admin:enrollment_declarationbatch_create",
        {
            "policy_year": wuhan_2025.pk,
            "registered_from": "2025-08-01",
            "registered_to": "2025-09-15",
        },
    )
    freshmen = Enrollment.objects.filter(policy_year=wuhan_2025, kind=workflow.FRESHMAN)
    assert freshmen.count() == 6  # the foreign student is not declared
    assert set(freshmen.values_list("premium_due", flat=True)) == {PREMIUM}  # 低保 too
    assert set(freshmen.values_list("payer", flat=True)) == {workflow.STUDENT}
    upload = office.keep(
        office.client.post(
            reverse("admin:enrollment_declarationbatch_changelist"),
            {
                "action": "export_and_freeze",
                "_selected_action": [freshmen[0].declaration_batch_id],
                "post": "yes",  # confirmed (office.confirm)
            },
        )
    )
    assert upload["Content-Type"].startswith("application/vnd.openxmlformats")

    pays = payment_file(
        [
            [number, "40" if number == "25010005" else "400", "2025-09-10", "微信", f"R{n}"]
            for n, number in enumerate(list(FRESHMEN)[:5], 1)
        ]
    )
    with open(pays, "rb") as upload_file:  # the dry run in the admin
        office.post(
            "admin:enrollment_payments_import", {"policy_year": wuhan_2025.pk, "file": upload_file}
        )
    report = json.loads(
        office.command("import_payments", str(pays), "--year", "2025", "--commit", "--json")
    )
    assert (report["payments"], report["total"], len(report["flagged"])) == (5, "1640.00", 1)

    office.post(
        "admin:enrollment_enrollment_changelist",
        {"action": "choose_family_aid", "_selected_action": [enrollment("25010002").pk]},
    )
    assert enrollment("25010002").payer == workflow.FAMILY_AID  # a freshman, no deadline

    ids = dict(Student.objects.values_list("student_number", "id_number"))
    answer = results_file(
        [
            [ids["25010001"], "已建账", ""],
            [ids["25010002"], "已建账", ""],
            [ids["25010003"], "已建账", ""],
            [ids["25010004"], "建账失败", NAME_CLASH],
            [ids["25010005"], "已建账", ""],
        ]
    )
    with open(answer, "rb") as upload_file:
        office.post(
            "admin:enrollment_bureau_results", {"policy_year": wuhan_2025.pk, "file": upload_file}
        )
    office.command("import_bureau_results", str(answer), "--year", "2025", "--commit")
    assert dict(freshmen.values_list("student__student_number", "state")) == {
        "25010001": workflow.ESTABLISHED,
        "25010002": workflow.ESTABLISHED,
        "25010003": workflow.ESTABLISHED,
        "25010004": workflow.FAILED,
        "25010005": workflow.ESTABLISHED,
        "25010006": workflow.NOT_ESTABLISHED,
    }
    # the full premium buys 1 Sep - 31 Dec (三(三)); 40 of 400 buys nothing yet, a failed
    # account nothing
    covered = {
        number: selectors.cover_on(student=Student.objects.get(student_number=number), day=day)
        for number, day in [
            ("25010001", date(2025, 9, 1)),
            ("25010004", date(2025, 10, 8)),
            ("25010005", date(2025, 10, 8)),
        ]
    }
    assert covered["25010001"] is not None
    assert covered["25010004"] is None and covered["25010005"] is None


def what_the_office_looks_at(office: Office) -> None:
    wuhan_2025 = PolicyYear.objects.get(code="wuhan-2025")
    for name in (
        "admin:enrollment_student_changelist",
        "admin:enrollment_enrollment_changelist",
        "admin:enrollment_declarationbatch_changelist",
        "admin:enrollment_declarationbatch_create",
        "admin:enrollment_bureau_results",
        "admin:enrollment_payment_changelist",
        "admin:enrollment_reconciliation",
        "admin:enrollment_paymentlist_freeze",
        "admin:enrollment_refund_changelist",
        "admin:enrollment_optout_changelist",
        "admin:enrollment_students_to_chase",
        "admin:enrollment_collectiverun_start",
        "admin:policies_policyyear_changelist",
        "admin:policies_estimate",
    ):
        office.get(name)
    office.get("admin:enrollment_pending_lists", policy_year=wuhan_2025.pk)
    for number in ("25010002", "25010005", "25010006"):
        office.get("admin:enrollment_enrollment_change", enrollment(number).pk)
        office.get("admin:enrollment_student_change", enrollment(number).student_id)
    short = office.get("admin:enrollment_enrollment_change", enrollment("25010005").pk)
    assert "未足额缴费" in short.content.decode()  # established, paid 40 of 400


def correct_the_assumed_calendar(office: Office, code: str, *, closes: str) -> None:
    """The office sends the year's page back with the collective window's closing day its
    district announced (made up here): a correction recorded in a published year's
    history, an edit in a draft's. Until then the page shows Shanghai's dates, marked as
    assumed: that page alone is not kept for the check."""
    policy_year = PolicyYear.objects.get(code=code)
    url = reverse("admin:policies_policyyear_change", args=[policy_year.pk])
    page = office.client.get(url)
    assert "沿用上海，武汉文件未规定" in page.content.decode()
    data = {**FormValues(page.content.decode()).data, "collective_window_closes_on": closes}
    office.keep(office.client.post(url, {**data, "_continue": "1"}, follow=True))
    policy_year.refresh_from_db()
    assert f"{policy_year.collective_window_closes_on:%Y-%m-%d}" == closes
    corrections = CalendarCorrection.objects.filter(policy_year=policy_year)
    assert corrections.exists() == policy_year.is_published


def remit_the_freshmen(office: Office) -> None:
    """The payment list, frozen through the command, holds the freshmen fully paid, the
    family-aid one included."""
    out = office.tmp_path / "缴费清单.xlsx"
    frozen = json.loads(
        office.command(
            "export_payment_list", "--year", "2025", "--out", str(out), "--freeze", "--json"
        )
    )
    assert (frozen["rows"], frozen["total"]) == (3, "1200.00")
    rows = list(load_workbook(out).active.iter_rows(min_row=2, values_only=True))
    assert [r[4] for r in rows[:3]] == ["25010001", "25010002", "25010003"]
    assert [r[10] for r in rows[:3]] == [None, "家庭共济缴费", None]  # 备注
    assert enrollment("25010002").state == workflow.REMITTED
    office.get("admin:enrollment_paymentlist_changelist")
    office.get(
        "admin:enrollment_paymentlist_download",
        PaymentList.objects.get(number=frozen["list"]).pk,
    )


def refund_the_failed_account(office: Office) -> None:
    """The bureau returned the family-aid premium to the relative: the school refunds
    only the failed account, once the freshman window has closed."""
    due = services.refunds_due(year=2025, today=date(2025, 11, 20))
    assert [(pk, owed.amount) for pk, owed in due] == [(enrollment("25010004").pk, PREMIUM)]
    office.get("admin:enrollment_refunds_issue", year=2025)


def run_the_2026_collective_enrollment(office: Office) -> None:
    """Refused while wuhan-2026 is a draft; the office checks it, publishes it, runs it."""
    wuhan_2026 = PolicyYear.objects.get(code="wuhan-2026")
    with pytest.raises(CommandError, match="尚未发布") as refused:
        office.command("run_collective_enrollment", "--year", "2026")
    assert refused.value.returncode == 2
    correct_the_assumed_calendar(office, "wuhan-2026", closes="2025-12-31")
    office.post(
        "admin:policies_policyyear_changelist",
        {"action": "publish", "_selected_action": [wuhan_2026.pk], "post": "yes"},
    )
    office.command("run_collective_enrollment", "--year", "2026")
    run = CollectiveRun.objects.get()
    collective = Enrollment.objects.filter(policy_year__year=2026)
    assert run.policy_year.code == "wuhan-2026"
    assert collective.count() == 8  # the foreign student skipped
    assert set(collective.values_list("policy_year__code", flat=True)) == {"wuhan-2026"}
    assert sum(collective.values_list("premium_due", flat=True)) == 8 * PREMIUM
    office.get("admin:enrollment_collectiverun_change", run.pk)
    office.get("admin:enrollment_enrollment_changelist", policy_year__id__exact=wuhan_2026.pk)
    for code in ("wuhan-2025", "wuhan-2026"):
        office.get("admin:policies_policyyear_change", PolicyYear.objects.get(code=code).pk)


def estimate_outpatient_care(office: Office) -> None:
    """Ordinary outpatient care is paid by the school's outpatient fund (五.1): 500 at the
    campus clinic × 70% = 350.00."""
    visit = {"date": "2025-10-08", "care": "outpatient", "level": "campus", "in_scope": "500"}
    request = office.tmp_path / "estimate.json"
    request.write_text(
        json.dumps(
            {
                "policy_year": "wuhan-2025",
                "member": {"cover_start": "2025-09-01"},
                "expenses": [visit],
            }
        )
    )
    (line,) = json.loads(office.command("estimate_reimbursement", str(request)))["expenses"]
    assert (line["fund"], line["payer"]) == ("350.00", "school_outpatient_fund")
    page = office.post(
        "admin:policies_estimate",
        {
            "policy_year": PolicyYear.objects.get(code="wuhan-2025").pk,
            "category": "standard",
            "cover_start": "2025-09-01",
            "gap_years": 0,
            "back_paid_years": 0,
            "expenses-TOTAL_FORMS": 1,
            "expenses-INITIAL_FORMS": 0,
            **{f"expenses-0-{name}": value for name, value in visit.items()},
        },
    )
    assert "学校门诊经费" in page.content.decode()
