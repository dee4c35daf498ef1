"""Refunds paid out (issue #10 point 14): finance pays each recorded refund once, by date,
channel, reference and who; the refund list shows what is still to pay, with a total.

Numbers: shanghai-student-insurance-guide-2024-11.txt Q2 sets the premium at 355 yuan a
year (shanghai-2026 carries it over as 355.00); Q18 has the family mutual-aid premium
debited from the relative's account from 21 Dec, and sjtu-student-health-and-insurance-
rules-2025.txt says the school then returns what it collected ("经医保审核为共济建账成功后
由各院校退回参保费用"); its art. 25 gives finance (财务计划处) the refunds of students whose
account was not established. Wuhan charges the freshman year, 400.00 (wuhan notice Q&A
三(三))."""

import threading
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, connection, connections, transaction
from django.urls import reverse

from enrollment import services
from enrollment.models import Refund
from enrollment.services.enrollments import EnrollmentRefused
from enrollment.tests.factories import (
    EnrollmentFactory,
    FreshmanEnrollmentFactory,
    PaymentFactory,
    StudentFactory,
)

pytestmark = pytest.mark.django_db

PREMIUM = Decimal("355.00")  # shanghai guide Q2
REFUND_DAY = date(2025, 12, 22)  # family mutual aid is debited from 21 Dec (shanghai guide Q18)
PAY_DAY = date(2025, 12, 29)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def refunds(shanghai_2026) -> dict[str, Refund]:
    """Three refunds of 2026 recorded by 登记应退费用, 355.00 each:
    family: 家庭共济, collected 355.00, established -> 355.00 back.
    failed: collected 355.00, account failed -> 355.00 back.
    twice: collected 355.00 + 355.00, established -> 710.00 - 355.00 = 355.00 back."""
    family, failed, twice = (
        EnrollmentFactory(student__seq=seq, policy_year=shanghai_2026) for seq in (1, 2, 3)
    )
    services.enrollment_choose_family_aid(
        enrollment=family, at=datetime(2025, 12, 10, 10, 0, tzinfo=SHANGHAI)
    )
    for enrollment in (family, failed, twice, twice):
        PaymentFactory(enrollment=enrollment)
    services.enrollment_transition(enrollment=family, to="established")
    services.enrollment_transition(enrollment=twice, to="established")
    services.enrollment_transition(enrollment=failed, to="failed", reason="姓名不符")
    issued, refused = services.refunds_issue(year=2026, today=REFUND_DAY)
    assert refused == []
    by_enrollment = {refund.enrollment_id: refund for refund in issued}
    return {
        "family": by_enrollment[family.pk],
        "failed": by_enrollment[failed.pk],
        "twice": by_enrollment[twice.pk],
    }


def pks(*refunds: Refund) -> list[int]:
    return [refund.pk for refund in refunds]


def payout_of(refund: Refund) -> tuple:
    refund.refresh_from_db()
    return (
        refund.paid_out_on,
        refund.payout_channel,
        refund.payout_reference,
        refund.paid_out_by,
    )


# --- the service -------------------------------------------------------------------------------


def test_paying_out_records_date_channel_reference_and_who(refunds, staff):
    finance = staff("财务")

    payout = services.refunds_pay_out(
        refunds=pks(refunds["family"], refunds["failed"]),
        paid_out_on=PAY_DAY,
        channel="bank_transfer",
        reference=" ZH-20251229-01 ",
        by=finance,
        today=PAY_DAY,
    )

    # 355.00 + 355.00 = 710.00
    assert payout == services.Payout(paid=2, total=Decimal("710.00"), already_paid=0)
    for name in ("family", "failed"):
        assert payout_of(refunds[name]) == (PAY_DAY, "bank_transfer", "ZH-20251229-01", finance)
    assert payout_of(refunds["twice"]) == (None, "", "", None)


def test_a_second_mark_changes_nothing(refunds, staff):
    first, second = staff("财务"), staff("财务")
    services.refunds_pay_out(
        refunds=pks(refunds["family"]),
        paid_out_on=PAY_DAY,
        channel="cash",
        reference="XJ-1",
        by=first,
        today=PAY_DAY,
    )

    again = services.refunds_pay_out(
        refunds=pks(refunds["family"], refunds["twice"]),
        paid_out_on=date(2025, 12, 30),
        channel="campus_card",
        reference="YKT-9",
        by=second,
        today=date(2025, 12, 30),
    )

    # only twice's 355.00 is new; family keeps its first payout
    assert again == services.Payout(paid=1, total=PREMIUM, already_paid=1)
    assert payout_of(refunds["family"]) == (PAY_DAY, "cash", "XJ-1", first)
    assert payout_of(refunds["twice"]) == (date(2025, 12, 30), "campus_card", "YKT-9", second)
    assert services.refunds_pay_out(
        refunds=pks(*refunds.values()),
        paid_out_on=PAY_DAY,
        channel="cash",
        today=PAY_DAY,
    ) == services.Payout(paid=1, total=PREMIUM, already_paid=2)


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"paid_out_on": date(2025, 12, 30)}, "payout_in_future", "晚于今天"),
        ({"channel": "wechat"}, "payout_channel", "付款方式"),
        ({"reference": "x" * 65}, "payout_reference", "64"),
    ],
)
def test_a_refused_payout_marks_none_of_them(refunds, change, code, words):
    request = {
        "refunds": pks(*refunds.values()),
        "paid_out_on": PAY_DAY,
        "channel": "original_route",
        "reference": "",
        "today": PAY_DAY,
    }

    with pytest.raises(EnrollmentRefused) as refused:
        services.refunds_pay_out(**{**request, **change})

    assert refused.value.code == code and words in refused.value.message
    assert Refund.objects.filter(paid_out_on__isnull=False).count() == 0


def test_the_database_refuses_half_a_payout(refunds):
    refund = refunds["family"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.filter(pk=refund.pk).update(paid_out_on=PAY_DAY)  # no channel
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.filter(pk=refund.pk).update(payout_channel="cash")  # no date


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_clicks_on_mark_paid_out_pay_once(refunds):
    barrier = threading.Barrier(2)
    payouts = []

    def pay(channel):
        try:
            barrier.wait()
            payouts.append(
                services.refunds_pay_out(
                    refunds=pks(*refunds.values()),
                    paid_out_on=PAY_DAY,
                    channel=channel,
                    today=PAY_DAY,
                )
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pay, args=(c,)) for c in ("cash", "bank_transfer")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # one click paid all three (3 × 355.00 = 1065.00), the other found them paid
    assert sorted((p.paid, p.total, p.already_paid) for p in payouts) == [
        (0, Decimal("0.00"), 3),
        (3, Decimal("1065.00"), 0),
    ]
    assert Refund.objects.values("payout_channel").distinct().count() == 1


# --- what is still to pay ----------------------------------------------------------------------


def test_the_refund_list_shows_what_is_outstanding_with_a_total(refunds, sheet_rows):
    services.refunds_pay_out(
        refunds=pks(refunds["family"]), paid_out_on=PAY_DAY, channel="cash", today=PAY_DAY
    )

    content, count, total = services.refund_list_xlsx(year=2026)

    # failed 355.00 + twice 355.00 = 710.00; family's 355.00 was paid out
    rows = sheet_rows(content)
    assert (count, total) == (2, Decimal("710.00"))
    assert rows[0][:6] == ["序号", "学号", "姓名", "学院", "缴费年度", "退费金额"]
    assert sorted(row[1] for row in rows[1:-1]) == sorted(
        [
            refunds["failed"].enrollment.student.student_number,
            refunds["twice"].enrollment.student.student_number,
        ]
    )
    assert rows[-1][0] == "合计" and rows[-1][6] == "2 笔"
    assert Decimal(str(rows[-1][5])) == Decimal("710.00")


def test_outstanding_refunds_per_year(refunds, wuhan_2025, settings):
    enrollment = FreshmanEnrollmentFactory(
        student=StudentFactory(seq=9, registered_on=date(2025, 9, 1)),
        policy_year=wuhan_2025,
        today=date(2025, 9, 5),
    )
    PaymentFactory(enrollment=enrollment, amount=Decimal("400.00"), paid_on=date(2025, 9, 5))
    # the school registered the freshman (wuhan notice 三): the bureau answers from 未建账
    services.enrollment_transition(enrollment=enrollment, to="failed", reason="姓名不符")
    # final once the wuhan-2025 freshman window has closed (2025-11-10); a school that
    # spans two regions names the other one
    services.refunds_issue(year=2025, today=REFUND_DAY, region="wuhan")
    services.refunds_pay_out(
        refunds=pks(refunds["twice"]), paid_out_on=PAY_DAY, channel="cash", today=PAY_DAY
    )

    # the school's region (shanghai) 2026: family 355.00 + failed 355.00 = 710.00;
    # wuhan 2025: the Wuhan freshman's 400.00, not added to the school's own years
    assert services.refunds_outstanding() == [(2026, 2, Decimal("710.00"))]
    assert services.refunds_outstanding(region="wuhan") == [(2025, 1, Decimal("400.00"))]
    settings.SCHOOL_REGION = "wuhan"
    assert services.refunds_outstanding() == [(2025, 1, Decimal("400.00"))]


# --- in the admin ------------------------------------------------------------------------------


def test_finance_may_pay_out_through_its_role():
    finance = Group.objects.get(name="财务")
    assert finance.permissions.filter(codename="change_refund").exists()


def test_finance_marks_refunds_paid_in_bulk(client, refunds, staff):
    finance = staff("财务")
    client.force_login(finance)
    changelist = reverse("admin:enrollment_refund_changelist")
    selected = pks(refunds["family"], refunds["failed"])

    page = client.post(changelist, {"action": "pay_out", "_selected_action": selected, "index": 0})

    # the intermediate form: the two refunds to pay, 355.00 + 355.00 = 710.00
    text = page.content.decode()
    assert page.status_code == 200
    assert "付款日期" in text and "原路退回" in text and "710.00" in text
    assert Refund.objects.filter(paid_out_on__isnull=False).count() == 0

    done = client.post(
        changelist,
        {
            "action": "pay_out",
            "_selected_action": selected,
            "paid_out_on": "2025-12-29",
            "payout_channel": "bank_transfer",
            "payout_reference": "ZH-01",
            "pay_out": "标记为已付款",
        },
        follow=True,
    )

    assert "2 笔退费已标记为已付款，共 710.00 元" in done.content.decode()
    assert payout_of(refunds["family"]) == (PAY_DAY, "bank_transfer", "ZH-01", finance)
    assert payout_of(refunds["failed"]) == (PAY_DAY, "bank_transfer", "ZH-01", finance)
    assert payout_of(refunds["twice"])[0] is None


def test_a_future_date_is_refused_on_the_form(client, refunds, staff):
    client.force_login(staff("财务"))

    page = client.post(
        reverse("admin:enrollment_refund_changelist"),
        {
            "action": "pay_out",
            "_selected_action": pks(refunds["family"]),
            "paid_out_on": "2999-01-01",
            "payout_channel": "cash",
            "pay_out": "标记为已付款",
        },
    )

    assert page.status_code == 200 and "不能登记尚未发生的付款" in page.content.decode()
    assert payout_of(refunds["family"])[0] is None


@pytest.mark.parametrize("role", ["学生处", "审计"])
def test_only_who_may_change_refunds_pays_them_out(client, refunds, staff, role):
    client.force_login(staff(role))
    changelist = reverse("admin:enrollment_refund_changelist")

    listed = client.get(changelist)
    client.post(
        changelist,
        {
            "action": "pay_out",
            "_selected_action": pks(refunds["family"]),
            "paid_out_on": "2025-12-29",
            "payout_channel": "cash",
            "pay_out": "标记为已付款",
        },
    )

    assert listed.status_code == 200 and "标记为已付款" not in listed.content.decode()
    assert payout_of(refunds["family"])[0] is None


def test_the_outstanding_page_totals_each_year(client, refunds, staff):
    client.force_login(staff("审计"))
    services.refunds_pay_out(
        refunds=pks(refunds["family"]), paid_out_on=PAY_DAY, channel="cash", today=PAY_DAY
    )

    page = client.get(reverse("admin:enrollment_refunds_outstanding"))

    # 355.00 + 355.00 = 710.00 still to pay for 2026
    text = page.content.decode()
    assert page.status_code == 200
    assert "710.00" in text and f"{reverse('admin:enrollment_refund_list')}?year=2026" in text
    listed = client.get(reverse("admin:enrollment_refund_changelist") + "?paid_out=no")
    assert listed.context["cl"].result_count == 2
