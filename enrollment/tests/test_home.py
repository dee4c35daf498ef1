"""The enrollment app's blocks of the home page of the year (enrollment/selectors_home.py,
office/home.py): the figures of a small school built by hand, the lists each number
links to holding the same rows, and what each role sees.

The school (policy year shanghai-2026, premium 355.00: shanghai guide Q2):

    医学院  A established, paid 355     B paid 355       C declared        D opted out (scan)
            K not enrolled (eligible: to chase)
    法学院  E remitted, paid 355        F failed, paid 355 (refund 355.00 due)
            G exempt (重残, due 0)       H established, government pays (低保), paid 0
    —       I graduated, J foreign: not among the eligible

    eligible (not graduated)  A..H and K                                 = 9
    enrollments               A..H                                       = 8
    by state                  declared 1 (C), paid 1 (B), established 3 (A, E, H;
                              1 remitted), exempt 1, opted out 1, failed 1
    to chase                  K (D's opt-out has its scan)               = 1
    premium due               A B C E F 5 × 355.00 + G 0.00 (D opted out, H government)
                                                                          = 1,775.00
    collected                 A B E F 4 × 355.00                          = 1,420.00 → 80%
    refunds                   F 355.00 due; A 100.00 paid out
    rate per college          医学院 A of A B C (D opted out)  1/3 → 33%, B waiting
                              法学院 E G H of E F G H           3/4 → 75%
"""

from datetime import date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrollment import workflow
from enrollment.models import EnrollmentEvent, OptOut, Payment, Refund
from enrollment.tests.factories import (
    EnrollmentRowFactory,
    FreshmanEnrollmentFactory,
    StudentFactory,
)
from office import home

pytestmark = pytest.mark.django_db

PREMIUM = Decimal("355.00")  # shanghai guide Q2
TODAY = date(2026, 9, 15)  # inside the 2026 freshman window (2026-08-01 .. 2026-11-10)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def no_cached_figures():
    cache.clear()
    yield
    cache.clear()


def _enrollment(student, policy_year, state, *, paid=Decimal("0.00"), **fields):
    enrollment = EnrollmentRowFactory(
        student=student, policy_year=policy_year, state=state, amount_paid=paid, **fields
    )
    if paid:
        Payment.objects.create(
            enrollment=enrollment,
            amount=paid,
            paid_on=date(2025, 11, 25),
            channel="online",
            receipt_number=f"R-{student.student_number}",
        )
    return enrollment


@pytest.fixture
def school(shanghai_2026):
    year = shanghai_2026
    medicine = {"college": "医学院"}
    law = {"college": "法学院"}
    a = _enrollment(StudentFactory(seq=1, **medicine), year, workflow.ESTABLISHED, paid=PREMIUM)
    _enrollment(StudentFactory(seq=2, **medicine), year, workflow.PAID, paid=PREMIUM)
    _enrollment(StudentFactory(seq=3, **medicine), year, workflow.DECLARED)
    d = StudentFactory(seq=4, **medicine)
    _enrollment(d, year, workflow.OPTED_OUT)
    OptOut.objects.create(
        student=d,
        policy_year=year,
        reason="insured_elsewhere",
        signed_on=date(2025, 11, 28),
        commitment="opt-out-commitments/2025/d.pdf",
    )
    StudentFactory(seq=11, **medicine)  # K: not enrolled, no commitment
    _enrollment(StudentFactory(seq=5, **law), year, workflow.REMITTED, paid=PREMIUM)
    f = _enrollment(StudentFactory(seq=6, **law), year, workflow.FAILED, paid=PREMIUM)
    _enrollment(
        StudentFactory(seq=7, subsidy_category="severe_disability", **law),
        year,
        workflow.EXEMPT,
        premium_due=Decimal("0.00"),
    )
    _enrollment(
        StudentFactory(seq=8, subsidy_category="low_income_family", **law),
        year,
        workflow.ESTABLISHED,
        payer=workflow.GOVERNMENT,
    )
    StudentFactory(seq=9, school_status="graduated")  # I
    StudentFactory(seq=10, id_type="passport", nationality="美国")  # J
    Refund.objects.create(enrollment=f, amount=PREMIUM, reason="account_failed")
    Refund.objects.create(
        enrollment=a,
        amount=Decimal("100.00"),
        reason="duplicate",
        paid_out_on=date(2025, 12, 30),
        payout_channel="cash",
    )
    return year


def _blocks(year: str = "shanghai-2026", today: date = TODAY) -> dict[str, home.Block]:
    return {block.key: block for block in home.year_blocks(year, today=today)}


def _figures(block: home.Block) -> dict[str, home.Figure]:
    return {figure.label: figure for group in block.groups for figure in group.figures}


def test_where_the_year_stands(school):
    standing = _figures(_blocks()["standing"])

    assert {label: figure.value for label, figure in standing.items()} == {
        "在校应参保学生": 9,
        "参保记录": 8,
        "待跟进": 1,
        "待确认": 0,
        "已申报/已确认": 1,
        "已缴费": 1,
        "已建账": 3,
        "免缴（重残）": 1,
        "主动放弃": 1,
        "建账失败": 1,
        "已退费": 0,
    }
    assert standing["已建账"].note == "其中已汇缴 1"


def test_money_and_refunds(school):
    blocks = _blocks()
    money, refunds = _figures(blocks["money"]), _figures(blocks["refunds"])

    assert money["应收保费"].value == Decimal("1775.00")
    assert money["已收保费"].value == Decimal("1420.00")
    assert money["收缴率"].value == "80%"
    assert {label: figure.value for label, figure in refunds.items()} == {
        "待付退费笔数": 1,
        "待付退费金额": PREMIUM,
        "已付退费笔数": 1,
        "已付退费金额": Decimal("100.00"),
    }


def test_rate_per_college_lowest_first(school):
    (chart,) = _blocks()["colleges"].charts

    assert [(bar.label, bar.text) for bar in chart.items] == [("医学院", "33%"), ("法学院", "75%")]
    medicine = chart.items[0]
    assert medicine.secondary == Decimal(1) / 3  # B paid, waiting for the bureau


def test_deadlines_ahead_and_just_gone(school):
    """shanghai-2026: collective window 2025-11-11 .. 2025-12-20, family mutual aid until
    2025-12-20 17:00 (shanghai guide Q18), freshmen 2026-08-01 .. 2026-11-10; no 2027 yet."""
    block = _blocks()["deadlines"]
    shown = home.upcoming(block.deadlines, today=TODAY)

    assert [(d.label, d.on, d.time) for d in shown] == [
        ("2026 年度家庭共济缴费选择截止", date(2025, 12, 20), "17:00"),
        ("2026 年度新生申报开始", date(2026, 8, 1), ""),
        ("2026 年度新生申报截止", date(2026, 11, 10), ""),
    ]
    assert "2027 年度尚未建立" in block.notes[0]


def test_daily_confirmations_during_the_freshman_window(shanghai_2026):
    """Three freshmen confirm: two on 2 Sep, one on 4 Sep (Shanghai time); the line runs
    from the window's opening (1 Aug) to today (15 Sep): 46 days."""
    days = [date(2026, 9, 2), date(2026, 9, 2), date(2026, 9, 4)]
    for seq, day in enumerate(days, start=1):
        enrollment = FreshmanEnrollmentFactory(
            student__seq=seq, policy_year=shanghai_2026, confirmed=True
        )
        EnrollmentEvent.objects.filter(
            enrollment=enrollment, to_state=workflow.PENDING_REVIEW
        ).update(at=datetime(day.year, day.month, day.day, 0, 30, tzinfo=SHANGHAI))

    block = _blocks()["freshmen"]
    (chart,) = block.charts

    assert {label: f.value for label, f in _figures(block).items()} == {
        "新生参保记录": 3,
        "待确认": 0,  # all three confirmed, waiting for the bureau
        "已建账": 0,
    }
    assert len(chart.items) == 46
    assert chart.items[0].label == "08-01" and chart.items[-1].label == "09-15"
    counts = {point.label: point.value for point in chart.items if point.value}
    assert counts == {"09-02": 2, "09-04": 1}


def _count_behind(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["cl"].result_count


def test_every_number_links_to_a_list_of_as_many(school, admin_client):
    standing = _figures(_blocks()["standing"])

    for label, figure in standing.items():
        if label == "待跟进":  # the chase page, a table of its own
            response = admin_client.get(figure.link.url)
            assert len(response.context["tables"][0].rows) == figure.value
            continue
        assert _count_behind(admin_client, figure.link.url) == figure.value, label


def test_money_links_list_the_same_money(school, admin_client):
    money = _figures(_blocks()["money"])

    due = admin_client.get(money["应收保费"].link.url).context["cl"].queryset
    collected = admin_client.get(money["已收保费"].link.url).context["cl"].queryset
    assert sum(e.premium_due for e in due) == money["应收保费"].value
    assert sum(p.amount for p in collected) == money["已收保费"].value
    assert admin_client.get(money["收缴率"].link.url).status_code == 200  # 对账 of 2026

    refunds = _figures(_blocks()["refunds"])
    assert _count_behind(admin_client, refunds["待付退费笔数"].link.url) == 1
    assert _count_behind(admin_client, refunds["已付退费笔数"].link.url) == 1


def test_freshman_figures_link_to_as_many_freshmen(shanghai_2026, admin_client):
    FreshmanEnrollmentFactory(student__seq=1, policy_year=shanghai_2026, confirmed=True)
    FreshmanEnrollmentFactory(student__seq=2, policy_year=shanghai_2026)
    figures = _figures(_blocks()["freshmen"])

    assert [f.value for f in figures.values()] == [2, 1, 0]
    for figure in figures.values():
        assert _count_behind(admin_client, figure.link.url) == figure.value


def test_bars_link_to_the_college_enrollments(school, admin_client):
    (chart,) = _blocks()["colleges"].charts

    counts = [_count_behind(admin_client, link.url) for link in chart.links]

    assert counts == [4, 4]  # 医学院 A B C D, 法学院 E F G H


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inside, self.hrefs = 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and attrs.get("class") == "home-blocks":
            self.inside = 1
        elif self.inside and tag == "div":
            self.inside += 1
        elif self.inside and tag == "a":
            self.hrefs.append(attrs["href"])

    def handle_endtag(self, tag):
        if self.inside and tag == "div":
            self.inside -= 1


def _home_links(client) -> list[str]:
    response = client.get("/admin/", {"year": "shanghai-2026"})
    assert response.status_code == 200
    parser = _Links()
    parser.feed(response.content.decode())
    return parser.hrefs


@pytest.mark.parametrize("role", ["财务", "审计", "学生处", "医保办"])
def test_a_role_follows_every_link_on_the_home_page_without_a_403(school, client, staff, role):
    client.force_login(staff(role))

    links = _home_links(client)

    assert links  # the year's numbers are links for every role
    for url in set(links):
        assert client.get(url).status_code == 200, url


def test_the_page_shows_the_year_with_numbers_as_staff_write_them(school, admin_client):
    response = admin_client.get("/admin/", {"year": "shanghai-2026"})
    content = response.content.decode()

    assert response.context["home"]["year"] == "shanghai-2026"
    assert "1,775.00" in content and "1,420.00" in content and "80%" in content
    assert content.count("<svg") >= 3  # states, colleges, collected vs due
    assert 'id="nav-sidebar"' in content or "app-enrollment" in content  # app list reachable


def test_a_year_not_on_the_picker_falls_back_to_the_default(school, admin_client):
    response = admin_client.get("/admin/", {"year": "atlantis-2026"})

    assert response.context["home"]["year"] in dict(response.context["home"]["years"])


def test_who_may_not_see_money_sees_no_money(school, client, staff):
    clerk = staff("", permissions=["view_enrollment"])
    client.force_login(clerk)

    home_context = client.get("/admin/", {"year": "shanghai-2026"}).context["home"]
    keys = {block["key"] for block in home_context["blocks"]}

    assert {"standing", "colleges", "freshmen"} <= keys
    assert not keys & {"money", "refunds", "deadlines", "claims"}
    standing = home_context["blocks"][0]
    first = standing["groups"][0]["figures"]
    # the roster and the chase list are not theirs to open: the numbers show, unlinked
    assert [(f["label"], f["url"] == "") for f in first] == [
        ("在校应参保学生", True),
        ("参保记录", False),
        ("待跟进", True),
    ]


def test_the_figures_take_as_many_queries_for_a_bigger_school(shanghai_2026):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            home.year_blocks("shanghai-2026", today=TODAY)
        return len(captured)

    for seq in range(1, 4):
        _enrollment(StudentFactory(seq=seq, college=f"学院{seq}"), shanghai_2026, "paid")
    small = queries()
    for seq in range(4, 40):
        _enrollment(StudentFactory(seq=seq, college=f"学院{seq % 9}"), shanghai_2026, "paid")

    assert queries() == small <= 12


def test_the_page_is_cached_per_year_and_day(school, admin_client):
    admin_client.get("/admin/")
    with CaptureQueriesContext(connection) as again:
        admin_client.get("/admin/")
    with CaptureQueriesContext(connection) as other_year:
        admin_client.get("/admin/", {"year": "shanghai-2025"})

    assert len(again) < len(other_year)
    assert not any("enrollment_enrollment" in q["sql"] for q in again.captured_queries)
