"""Money in and out (DESIGN.md §1.3, §4.3, §4.4, §5): collected premiums, payment files,
the family mutual-aid choice, refunds, reconciliation, and the opt-out register.

Numbers: shanghai-student-insurance-guide-2024-11.txt Q2 sets the student premium at
355 yuan per person per year (policy year "shanghai-2026" carries it over as 355.00);
Q18 sets the family mutual-aid (共济缴费) deadline at 20 Dec 17:00 and says the relative's
employee account is debited from 21 Dec, so what the school collected goes back."""

import threading
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.urls import reverse

from enrollment import services, workflow
from enrollment.models import (
    Enrollment,
    EnrollmentEvent,
    OptOut,
    Payment,
    PersonalDataAccess,
    Refund,
)
from enrollment.services import payments as payments_module
from enrollment.tests.factories import (
    EnrollmentFactory,
    FreshmanEnrollmentFactory,
    PaymentFactory,
    StudentFactory,
)
from office.scans import MAX_SCAN_BYTES, scan_problem

pytestmark = pytest.mark.django_db

PREMIUM = Decimal("355.00")  # shanghai guide Q2
IN_WINDOW = date(2025, 11, 20)  # the 2026 collective window: 2025-11-11 .. 2025-12-20
REFUND_DAY = date(2025, 12, 22)  # family mutual aid is debited from 21 Dec (shanghai guide Q18)
SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def fresh(enrollment) -> Enrollment:
    return Enrollment.objects.get(pk=enrollment.pk)


# --- payment_record ----------------------------------------------------------------------------


def test_the_exact_premium_makes_a_declared_enrollment_paid(shanghai_2026):
    enrollment = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)
    assert (enrollment.state, enrollment.premium_due) == ("declared", PREMIUM)

    payment = PaymentFactory(
        enrollment=enrollment, amount=Decimal("355.00"), receipt_number="SJ-0001"
    )

    paid = fresh(enrollment)
    assert (paid.state, paid.amount_paid) == ("paid", PREMIUM)
    assert payment.mismatch == ""
    assert paid.events.last().reason == "收据号 SJ-0001"


def test_a_wrong_amount_is_kept_and_flagged_and_the_rest_settles_it(shanghai_2026):
    enrollment = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)

    short = PaymentFactory(enrollment=enrollment, amount=Decimal("300.00"))

    assert short.mismatch and "300.00" in short.mismatch and "355.00" in short.mismatch
    assert (fresh(enrollment).state, fresh(enrollment).amount_paid) == (
        "declared",
        Decimal("300.00"),
    )

    # 355.00 - 300.00 = 55.00 outstanding: paying exactly that is not a mismatch
    rest = PaymentFactory(enrollment=enrollment, amount=Decimal("55.00"))

    assert rest.mismatch == ""
    assert (fresh(enrollment).state, fresh(enrollment).amount_paid) == ("paid", PREMIUM)


def test_a_payment_after_paid_is_flagged_as_a_duplicate(shanghai_2026):
    enrollment = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)
    PaymentFactory(enrollment=enrollment)

    again = PaymentFactory(enrollment=enrollment)

    assert "重复缴费" in again.mismatch
    # 355.00 + 355.00 = 710.00 collected, still one premium due
    assert (fresh(enrollment).state, fresh(enrollment).amount_paid) == ("paid", Decimal("710.00"))


def test_a_receipt_number_is_recorded_once(shanghai_2026):
    first, second = (
        EnrollmentFactory(student__seq=1, policy_year=shanghai_2026),
        EnrollmentFactory(student__seq=2, policy_year=shanghai_2026),
    )
    PaymentFactory(enrollment=first, receipt_number="SJ-0001")

    with pytest.raises(services.EnrollmentRefused, match="SJ-0001"):
        PaymentFactory(enrollment=second, receipt_number="SJ-0001")

    assert Payment.objects.count() == 1
    assert (fresh(second).state, fresh(second).amount_paid) == ("declared", 0)


def test_no_payment_for_exempt_or_opted_out_enrollments(shanghai_2026):
    exempt = EnrollmentFactory(
        student__seq=1, student__subsidy_category="severe_disability", policy_year=shanghai_2026
    )
    opted_out = services.enrollment_transition(
        enrollment=EnrollmentFactory(student__seq=2, policy_year=shanghai_2026),
        to="opted_out",
        reason="已在外地参保",
    )
    # DESIGN.md §4.4: severe disability pays nothing and is never charged
    assert (exempt.state, exempt.premium_due) == ("exempt", 0)

    for enrollment in (exempt, opted_out):
        with pytest.raises(services.EnrollmentRefused, match="不能登记缴费"):
            PaymentFactory(enrollment=enrollment)

    assert not Payment.objects.exists()
    assert fresh(exempt).amount_paid == fresh(opted_out).amount_paid == 0


def test_paid_comes_only_from_a_recorded_payment(shanghai_2026):
    enrollment = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)

    with pytest.raises(workflow.TransitionRefused, match="缴费记录"):
        services.enrollment_transition(enrollment=enrollment, to="paid")


def test_a_manual_payment_repeating_one_on_record_is_shown_before_it_is_saved(
    client, staff, shanghai_2026
):
    """Issue #10, point 15: the same enrollment, amount and date as a recorded payment is
    shown with it and saved only once ticked as another payment; a receipt number on
    record is never saved again."""
    enrollment = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)
    PaymentFactory(enrollment=enrollment, paid_on=date(2025, 11, 25), receipt_number="SJ-0001")
    client.force_login(staff("财务"))
    url = reverse("admin:enrollment_payment_add")
    typed = {
        "enrollment": enrollment.pk,
        "amount": "355.00",
        "paid_on": "2025-11-25",
        "channel": "cash",
        "receipt_number": "SJ-0002",
    }

    shown = client.post(url, typed)

    assert shown.status_code == 200  # the form again: nothing saved
    page = shown.content.decode()
    assert "SJ-0001" in page and 'type="checkbox" name="confirm_repeat"' in page
    assert Payment.objects.count() == 1

    same_receipt = client.post(
        url, {**typed, "paid_on": "2025-11-26", "receipt_number": "SJ-0001", "confirm_repeat": "on"}
    )

    assert "收据号 SJ-0001 已登记过" in same_receipt.content.decode()
    assert Payment.objects.count() == 1

    confirmed = client.post(url, {**typed, "confirm_repeat": "on"})

    assert confirmed.status_code == 302
    receipts = sorted(Payment.objects.values_list("receipt_number", flat=True))
    assert receipts == ["SJ-0001", "SJ-0002"]
    # 355.00 + 355.00 = 710.00: recorded, and flagged as paid twice for a refund
    assert fresh(enrollment).amount_paid == Decimal("710.00")


def test_no_payment_is_taken_for_a_government_paid_student(shanghai_2026):
    enrollment = EnrollmentFactory(
        student__seq=1, student__subsidy_category="low_income_family", policy_year=shanghai_2026
    )

    with pytest.raises(services.EnrollmentRefused, match="学校不代收"):
        PaymentFactory(enrollment=enrollment)
    assert fresh(enrollment).amount_paid == 0


def test_a_government_paid_account_is_established_without_collection(shanghai_2026):
    enrollment = EnrollmentFactory(
        student__seq=1, student__subsidy_category="low_income_family", policy_year=shanghai_2026
    )

    services.enrollment_transition(enrollment=enrollment, to="established")

    assert (fresh(enrollment).state, fresh(enrollment).amount_paid) == ("established", 0)
    assert list(services.payment_list_open(year=2026)) == []  # nothing to remit


# --- payment files -----------------------------------------------------------------------------


@pytest.fixture
def payers(shanghai_2026):
    return [EnrollmentFactory(student__seq=seq, policy_year=shanghai_2026) for seq in (1, 2, 3)]


def test_a_payment_file_is_recorded(payment_file, payers, shanghai_2026):
    path = payment_file(
        [
            ["25020001", "355.00", "2025-11-25", "现金", "SJ-0001"],
            ["25020002", "￥355", "2025/11/26", "微信", "SJ-0002"],
        ],
    )

    plan = services.payments_import_check(path=path, policy_year=shanghai_2026)

    # 2 × 355.00 = 710.00
    assert plan.as_json() == {
        "rows": 2,
        "payments": 2,
        "total": "710.00",
        "unchanged": 0,
        "flagged": [],
        "problems": [],
        "applied": False,
        "skipped": 0,
    }
    assert not Payment.objects.exists()  # a dry run writes nothing

    services.payments_import_apply(path=path, policy_year=shanghai_2026)

    assert [(fresh(e).state, fresh(e).amount_paid) for e in payers[:2]] == [
        ("paid", PREMIUM),
        ("paid", PREMIUM),
    ]
    assert dict(Payment.objects.values_list("receipt_number", "channel")) == {
        "SJ-0001": "cash",
        "SJ-0002": "online",
    }
    assert Payment.objects.get(receipt_number="SJ-0002").paid_on == date(2025, 11, 26)


def test_row_problems_name_row_and_column(payment_file, payers, shanghai_2026):
    path = payment_file(
        [
            ["25020001", "355.001", "2025-11-25", "现金", "SJ-0001"],  # a third decimal
            ["25020002", "355.00", "2025-11-25", "信用卡", "SJ-0002"],  # unknown channel
            ["99999999", "355.00", "2025-11-25", "现金", "SJ-0003"],  # nobody
            ["25020003", "355.00", "2025-11-25", "校园卡", "SJ-0004"],  # fine
        ],
        titles=["2025年11月 学生医保代收明细"],
    )

    plan = services.payments_import_apply(path=path, policy_year=shanghai_2026)

    # header on sheet row 2 below the title, so data starts on row 3
    assert plan.header_row == 2
    assert [(p.row, p.column) for p in plan.problems] == [(3, "金额"), (4, "缴费方式"), (5, "学号")]
    assert "355.001" in plan.problems[0].message
    assert "信用卡" in plan.problems[1].message
    assert "99999999" in plan.problems[2].message
    # the usable line is recorded; the problem rows are not
    assert list(Payment.objects.values_list("receipt_number", flat=True)) == ["SJ-0004"]
    assert [fresh(e).state for e in payers] == ["declared", "declared", "paid"]


def test_a_wrong_amount_in_a_file_is_flagged_and_still_recorded(
    payment_file, payers, shanghai_2026
):
    path = payment_file([["25020001", "300", "2025-11-25", "现金", "SJ-0001"]])

    plan = services.payments_import_apply(path=path, policy_year=shanghai_2026)

    [flag] = plan.flagged
    assert (flag.row, flag.column) == (2, "金额")
    assert Payment.objects.get().mismatch
    assert (fresh(payers[0]).state, fresh(payers[0]).amount_paid) == (
        "declared",
        Decimal("300.00"),
    )


def test_importing_the_same_file_again_adds_nothing(payment_file, payers, shanghai_2026):
    path = payment_file(
        [
            ["25020001", "355.00", "2025-11-25", "现金", "SJ-0001"],
            ["25020002", "355.00", "2025-11-25", "现金", "SJ-0002"],
        ],
    )
    services.payments_import_apply(path=path, policy_year=shanghai_2026)

    again = services.payments_import_apply(path=path, policy_year=shanghai_2026)

    assert (again.unchanged, again.lines, again.problems) == (2, [], [])
    assert Payment.objects.count() == 2
    assert fresh(payers[0]).amount_paid == PREMIUM  # not 710.00


def test_a_payment_line_for_an_opted_out_student_says_so(payment_file, shanghai_2026):
    """Issue #10, point 15: one student opted out before the collective run (so has no
    enrollment), another after it (enrollment 主动放弃): each line says the student opted
    out, not that there is no enrollment."""
    before_the_run = StudentFactory(seq=1)
    OptOut.objects.create(
        student=before_the_run,
        policy_year=shanghai_2026,
        reason=OptOut.Reason.INSURED_ELSEWHERE,
        signed_on=date(2025, 11, 12),
    )
    services.enrollment_transition(
        enrollment=EnrollmentFactory(student__seq=2, policy_year=shanghai_2026),
        to="opted_out",
        reason="已在外地参保",
    )
    path = payment_file(
        [
            ["25020001", "355.00", "2025-11-25", "现金", "SJ-0001"],
            ["25020002", "355.00", "2025-11-25", "现金", "SJ-0002"],
        ]
    )

    plan = services.payments_import_check(path=path, policy_year=shanghai_2026)

    assert [(p.row, p.column) for p in plan.problems] == [(2, "学号"), (3, "学号")]
    assert all("放弃参保承诺" in p.message for p in plan.problems)
    assert not any("没有参保记录" in p.message for p in plan.problems)
    assert plan.lines == []


def test_a_receipt_reused_for_someone_else_is_a_problem(payment_file, payers, shanghai_2026):
    PaymentFactory(enrollment=payers[0], receipt_number="SJ-0001")
    path = payment_file([["25020002", "355.00", "2025-11-25", "现金", "SJ-0001"]])

    plan = services.payments_import_apply(path=path, policy_year=shanghai_2026)

    assert [(p.row, p.column) for p in plan.problems] == [(2, "收据号")]
    assert fresh(payers[1]).amount_paid == 0


def test_two_lines_for_one_student_flag_the_second_as_a_duplicate(
    payment_file, payers, shanghai_2026
):
    path = payment_file(
        [
            ["25020001", "355.00", "2025-11-25", "现金", "SJ-0001"],
            ["25020001", "355.00", "2025-11-26", "微信", "SJ-0002"],
        ],
    )

    plan = services.payments_import_apply(path=path, policy_year=shanghai_2026)

    # the second line is checked against 355.00 already counted from the first
    assert [(f.row, f.column) for f in plan.flagged] == [(3, "金额")]
    assert "重复缴费" in plan.flagged[0].message
    assert (fresh(payers[0]).state, fresh(payers[0]).amount_paid) == ("paid", Decimal("710.00"))


def test_the_usable_lines_are_recorded_all_or_nothing(
    payment_file, payers, monkeypatch, shanghai_2026
):
    path = payment_file(
        [
            ["25020001", "355.00", "2025-11-25", "现金", "SJ-0001"],
            ["25020002", "355.00", "2025-11-25", "现金", "SJ-0002"],
        ],
    )
    real = payments_module.payment_record
    calls = []

    def second_one_breaks(**kwargs):
        # fault injection, not a mock of the database: the first line is really written
        calls.append(kwargs["receipt_number"])
        if len(calls) == 2:
            raise RuntimeError("connection lost")
        return real(**kwargs)

    monkeypatch.setattr(payments_module, "payment_record", second_one_breaks)

    with pytest.raises(RuntimeError):
        services.payments_import_apply(path=path, policy_year=shanghai_2026)

    assert calls == ["SJ-0001", "SJ-0002"]
    assert not Payment.objects.exists()
    assert (fresh(payers[0]).state, fresh(payers[0]).amount_paid) == ("declared", 0)


# --- family mutual aid -------------------------------------------------------------------------


def test_family_aid_can_be_chosen_until_the_deadline(shanghai_2026):
    early, on_time, late = (
        EnrollmentFactory(student__seq=seq, policy_year=shanghai_2026) for seq in (1, 2, 3)
    )
    deadline = datetime(2025, 12, 20, 17, 0, tzinfo=SHANGHAI)  # shanghai guide Q18
    assert shanghai_2026.family_aid_deadline_at == deadline

    services.enrollment_choose_family_aid(
        enrollment=early, at=datetime(2025, 12, 1, 9, 0, tzinfo=SHANGHAI)
    )
    services.enrollment_choose_family_aid(enrollment=on_time, at=deadline)
    with pytest.raises(services.EnrollmentRefused, match="截止"):
        # 09:01 UTC is 17:01 in Shanghai
        services.enrollment_choose_family_aid(
            enrollment=late, at=datetime(2025, 12, 20, 9, 1, tzinfo=ZoneInfo("UTC"))
        )

    assert [fresh(e).payer for e in (early, on_time, late)] == [
        "family_aid",
        "family_aid",
        "student",
    ]
    assert fresh(early).events.last().reason.startswith("改为家庭共济缴费")


def test_times_shown_to_staff_are_in_shanghai_time(shanghai_2026, admin_user):
    """Issue #10, point 12: the deadline is 20 Dec 17:00 in Shanghai (guide Q18), stored
    as 09:00 UTC; staff read 17:00."""
    enrollment = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)

    with pytest.raises(services.EnrollmentRefused) as refused:
        services.enrollment_choose_family_aid(
            enrollment=enrollment, at=datetime(2025, 12, 21, 9, 0, tzinfo=SHANGHAI)
        )

    assert "2025-12-20 17:00" in str(refused.value)
    access = PersonalDataAccess.objects.create(
        user=admin_user, action=PersonalDataAccess.Action.EXPORT, detail="退费清单"
    )
    PersonalDataAccess.objects.filter(pk=access.pk).update(
        at=datetime(2025, 12, 20, 9, 0, tzinfo=ZoneInfo("UTC"))
    )
    access.refresh_from_db()
    assert str(access).endswith("2025-12-20 17:00")


def test_family_aid_is_not_for_freshmen(shanghai_2026):
    first_year = services.enrollment_create(
        student=StudentFactory(seq=1, registered_on=date(2026, 9, 1)),
        policy_year=shanghai_2026,
        kind="freshman",
        today=date(2026, 9, 2),
    )

    with pytest.raises(services.EnrollmentRefused, match="集中参保"):
        services.enrollment_choose_family_aid(
            enrollment=first_year, at=datetime(2025, 12, 1, 9, 0, tzinfo=SHANGHAI)
        )
    assert fresh(first_year).payer == "student"


@pytest.mark.parametrize("category", ["hardship", "low_income_family"])
def test_family_aid_never_replaces_the_school_fund_or_the_government(shanghai_2026, category):
    enrollment = EnrollmentFactory(
        student__seq=1, student__subsidy_category=category, policy_year=shanghai_2026
    )

    with pytest.raises(services.EnrollmentRefused, match="不改为家庭共济缴费"):
        services.enrollment_choose_family_aid(
            enrollment=enrollment, at=shanghai_2026.family_aid_deadline_at
        )
    assert fresh(enrollment).payer != workflow.FAMILY_AID


# --- refunds -----------------------------------------------------------------------------------


def established(enrollment) -> Enrollment:
    return services.enrollment_transition(enrollment=enrollment, to="established")


@pytest.fixture
def refund_cases(shanghai_2026):
    """family: 家庭共济, collected 355.00, established -> 355.00 back, refunded.
    failed: collected 355.00, account failed -> 355.00 back, refunded.
    twice: collected 355.00 + 355.00 = 710.00, established -> 710.00 - 355.00 = 355.00 back,
    stays established.
    normal: collected 355.00, established -> nothing.
    disabled: 重残, exempt -> never charged, nothing."""
    family, failed, twice, normal = (
        EnrollmentFactory(student__seq=seq, policy_year=shanghai_2026) for seq in (1, 2, 3, 4)
    )
    disabled = EnrollmentFactory(
        student__seq=5, student__subsidy_category="severe_disability", policy_year=shanghai_2026
    )
    services.enrollment_choose_family_aid(
        enrollment=family, at=datetime(2025, 12, 10, 10, 0, tzinfo=SHANGHAI)
    )
    for enrollment in (family, failed, twice, normal):
        PaymentFactory(enrollment=enrollment)
    PaymentFactory(enrollment=twice)
    established(family)
    established(twice)
    established(normal)
    services.enrollment_transition(
        enrollment=failed, to="failed", reason="相同证件号存在其他医保账户但姓名不同"
    )
    return {
        "family": family,
        "failed": failed,
        "twice": twice,
        "normal": normal,
        "disabled": disabled,
    }


def test_refunds_due(refund_cases):
    due = dict(services.refunds_due(year=2026, today=REFUND_DAY))

    case = {name: e.pk for name, e in refund_cases.items()}
    assert set(due) == {case["family"], case["failed"], case["twice"]}
    assert (due[case["family"]].amount, due[case["family"]].reason) == (PREMIUM, "family_aid")
    assert (due[case["failed"]].amount, due[case["failed"]].reason) == (PREMIUM, "account_failed")
    # 710.00 collected - 355.00 premium = 355.00 excess, not the 710.00 collected
    assert (due[case["twice"]].amount, due[case["twice"]].reason) == (PREMIUM, "duplicate")
    assert [due[case[n]].refunds_state for n in ("family", "failed", "twice")] == [
        True,
        True,
        False,
    ]


def test_refunds_issue_records_them_once(refund_cases):
    issued, refused = services.refunds_issue(year=2026, today=REFUND_DAY)
    assert refused == []

    # 3 × 355.00 = 1065.00
    assert len(issued) == 3
    assert sum(refund.amount for refund in issued) == Decimal("1065.00")
    states = {name: fresh(e).state for name, e in refund_cases.items()}
    assert states == {
        "family": "refunded",
        "failed": "refunded",
        "twice": "established",  # only the excess goes back; the account stands
        "normal": "established",
        "disabled": "exempt",
    }
    assert fresh(refund_cases["family"]).events.last().reason == "退费 355.00 元"

    assert services.refunds_issue(year=2026, today=REFUND_DAY) == ([], [])
    assert services.refunds_due(year=2026, today=REFUND_DAY) == []
    assert Refund.objects.count() == 3


def test_severe_disability_is_never_charged_nor_refunded(refund_cases):
    disabled = fresh(refund_cases["disabled"])
    services.refunds_issue(year=2026, today=REFUND_DAY)

    assert (disabled.premium_due, disabled.amount_paid) == (0, 0)
    assert not Refund.objects.filter(enrollment=disabled).exists()
    assert not Payment.objects.filter(enrollment=disabled).exists()


def test_an_overpayment_is_refunded_by_its_excess_only(shanghai_2026):
    enrollment = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)
    PaymentFactory(enrollment=enrollment)
    # flagged as a duplicate when recorded
    PaymentFactory(enrollment=enrollment, amount=Decimal("100.00"))

    [refund], _ = services.refunds_issue(year=2026, today=REFUND_DAY)

    # 355.00 + 100.00 = 455.00 collected; 455.00 - 355.00 = 100.00 back
    assert (refund.amount, refund.reason) == (Decimal("100.00"), "duplicate")
    assert fresh(enrollment).state == "paid"


def test_money_collected_before_an_opt_out_is_not_lost(shanghai_2026):
    enrollment = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)
    # a first instalment, then the student signs an opt-out
    PaymentFactory(enrollment=enrollment, amount=Decimal("300.00"))

    services.opt_out_record(
        student=enrollment.student,
        policy_year=shanghai_2026,
        reason="insured_elsewhere",
        signed_on=date(2025, 11, 28),
    )

    due = dict(services.refunds_due(year=2026, today=REFUND_DAY))
    assert (due[enrollment.pk].amount, due[enrollment.pk].reason) == (
        Decimal("300.00"),
        "opted_out",
    )


def test_refund_list_total_to_the_fen(refund_cases, sheet_rows):
    stray = refund_cases["normal"]
    # a stray fen on an established account
    PaymentFactory(enrollment=stray, amount=Decimal("0.01"))
    services.refunds_issue(year=2026, today=REFUND_DAY)

    content, count, total = services.refund_list_xlsx(year=2026)

    # 355.00 + 355.00 + 355.00 + 0.01 = 1065.01
    rows = sheet_rows(content)
    assert (count, total) == (4, Decimal("1065.01"))
    assert rows[0] == [
        "序号",
        "学号",
        "姓名",
        "学院",
        "缴费年度",
        "退费金额",
        "退费原因",
        "登记时间",
    ]
    amounts = [Decimal(str(row[5])) for row in rows[1:-1]]
    assert sorted(amounts) == [Decimal("0.01"), PREMIUM, PREMIUM, PREMIUM]
    assert rows[-1][0] == "合计" and rows[-1][6] == "4 笔"
    assert Decimal(str(rows[-1][5])) == sum(amounts) == Decimal("1065.01")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_clicks_on_record_refunds_refund_once(shanghai_2026):
    enrollment = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)
    PaymentFactory(enrollment=enrollment)
    PaymentFactory(enrollment=enrollment)  # paid twice: 355.00 back, once
    barrier = threading.Barrier(2)

    def issue():
        try:
            barrier.wait()
            services.refunds_issue(year=2026, today=date(2025, 12, 22))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert list(Refund.objects.values_list("amount", flat=True)) == [Decimal("355.00")]


@pytest.mark.parametrize(
    ("today", "refunded"),
    [
        # the wuhan-2025 freshman window closes 2025-11-10: until then the account may
        # still be fixed and confirmed again, so nothing goes back yet
        (date(2025, 9, 6), False),
        (date(2025, 11, 10), False),
        (date(2025, 11, 11), True),
    ],
)
def test_a_wuhan_freshmans_failed_account_is_refunded_once_the_failure_is_final(
    wuhan_2025, today, refunded, settings
):
    """Wuhan charges the freshman year, 400.00 (wuhan notice Q&A 三(三))."""
    settings.SCHOOL_REGION = "wuhan"
    enrollment = FreshmanEnrollmentFactory(
        student=StudentFactory(seq=1, registered_on=date(2025, 9, 1)),
        policy_year=wuhan_2025,
        today=date(2025, 9, 5),
    )
    PaymentFactory(
        enrollment=enrollment,
        amount=Decimal("400.00"),
        paid_on=date(2025, 9, 5),
        receipt_number="WH-1",
    )
    # the school registered the freshman (wuhan notice 三): the bureau answers from 未建账
    services.enrollment_transition(enrollment=enrollment, to="failed", reason="姓名不符")

    due = services.refunds_due(year=2025, today=today)
    issued, refused = services.refunds_issue(year=2025, today=today)

    assert refused == []
    if refunded:
        assert [(r.amount, r.reason) for r in issued] == [(Decimal("400.00"), "account_failed")]
        assert [pk for pk, _ in due] == [enrollment.pk]
        assert fresh(enrollment).state == workflow.REFUNDED
    else:
        assert (issued, due) == ([], [])
        assert fresh(enrollment).state == workflow.FAILED
        # fixed and registered again while the window is open: the bureau establishes it
        services.enrollment_transition(enrollment=enrollment, to="established")


# --- reconciliation ----------------------------------------------------------------------------


def test_reconciliation(shanghai_2026):
    paid_only = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)
    complete = EnrollmentFactory(student__seq=2, policy_year=shanghai_2026)
    short = EnrollmentFactory(student__seq=3, policy_year=shanghai_2026)
    hardship = EnrollmentFactory(
        student__seq=4, student__subsidy_category="hardship", policy_year=shanghai_2026
    )
    dibao = EnrollmentFactory(
        student__seq=5, student__subsidy_category="low_income_family", policy_year=shanghai_2026
    )
    family = EnrollmentFactory(student__seq=6, policy_year=shanghai_2026)
    leaving = EnrollmentFactory(student__seq=7, policy_year=shanghai_2026)
    PaymentFactory(enrollment=paid_only)
    PaymentFactory(enrollment=complete)
    established(complete)
    # 100.00 of 355.00 collected, then the bureau established the account anyway
    PaymentFactory(enrollment=short, amount=Decimal("100.00"))  # short: stays declared, flagged
    established(short)
    services.enrollment_choose_family_aid(
        enrollment=family, at=datetime(2025, 12, 10, 10, 0, tzinfo=SHANGHAI)
    )
    PaymentFactory(enrollment=family)
    established(family)
    services.enrollment_transition(enrollment=leaving, to="opted_out", reason="已在外地参保")
    services.refunds_issue(year=2026, today=REFUND_DAY)  # the family-aid premium goes back

    report = services.reconciliation(year=2026)

    assert [e.pk for e in report["paid_not_established"]] == [paid_only.pk]
    assert [e.pk for e in report["established_not_paid"]] == [short.pk]
    totals = {
        row["payer"]: (row["label"], row["count"], row["due"], row["paid"], row["refunded"])
        for row in report["totals"]
    }
    assert totals == {
        # paid_only, complete, short and the opted-out one: due 3 × 355.00 = 1065.00 (the
        # opted-out student owes nothing); paid 355.00 + 355.00 + 100.00 = 810.00
        "student": ("学生本人", 4, Decimal("1065.00"), Decimal("810.00"), Decimal("0.00")),
        "school_fund": ("学校困难补助", 1, PREMIUM, Decimal("0.00"), Decimal("0.00")),
        "government": ("政府补助", 1, PREMIUM, Decimal("0.00"), Decimal("0.00")),
        "family_aid": ("家庭共济缴费", 1, PREMIUM, PREMIUM, PREMIUM),
    }
    assert (fresh(hardship).payer, fresh(dibao).payer) == ("school_fund", "government")
    assert all(row["net"] == row["paid"] - row["refunded"] for row in report["totals"])


def test_a_refunded_opt_out_leaves_the_paid_not_established_list(shanghai_2026):
    enrollment = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)
    PaymentFactory(enrollment=enrollment, amount=Decimal("300.00"))
    services.opt_out_record(
        student=enrollment.student,
        policy_year=shanghai_2026,
        reason="insured_elsewhere",
        signed_on=date(2025, 11, 28),
    )
    held = [e.pk for e in services.reconciliation(year=2026)["paid_not_established"]]

    services.refunds_issue(year=2026, today=REFUND_DAY)

    assert held == [enrollment.pk]  # 300.00 held without an account
    assert list(services.reconciliation(year=2026)["paid_not_established"]) == []


# --- opt-outs ----------------------------------------------------------------------------------


def commitment(name="承诺书.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_an_opt_out_closes_the_open_collective_enrollment(shanghai_2026, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    enrollment = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)

    opt_out = services.opt_out_record(
        student=enrollment.student,
        policy_year=shanghai_2026,
        reason="insured_elsewhere",
        signed_on=date(2025, 11, 28),
        commitment=commitment(),
    )

    closed = fresh(enrollment)
    assert closed.state == "opted_out"
    assert closed.reason.startswith("签署放弃参保承诺书")
    assert OptOut.objects.get() == opt_out
    stored = tmp_path / opt_out.commitment.name
    assert stored.is_file() and stored.read_bytes() == PDF
    assert (
        EnrollmentEvent.objects.filter(enrollment=closed).last().from_state,
        EnrollmentEvent.objects.filter(enrollment=closed).last().to_state,
    ) == ("declared", "opted_out")


def test_reason_other_needs_details(shanghai_2026):
    enrollment = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)
    arguments = {
        "student": enrollment.student,
        "policy_year": shanghai_2026,
        "reason": "other",
        "signed_on": date(2025, 11, 28),
    }

    for detail in ("", "   "):
        with pytest.raises(services.EnrollmentRefused, match="须填写说明"):
            services.opt_out_record(**arguments, detail=detail)
    assert not OptOut.objects.exists()
    assert fresh(enrollment).state == "declared"

    services.opt_out_record(**arguments, detail="已参加父母单位补充医疗")

    assert fresh(enrollment).state == "opted_out"
    assert "已参加父母单位补充医疗" in fresh(enrollment).reason


def test_an_established_enrollment_cannot_be_opted_out_and_no_scan_is_kept(
    shanghai_2026, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    enrollment = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)
    PaymentFactory(enrollment=enrollment)
    services.enrollment_transition(enrollment=enrollment, to="established")

    # workflow: 已建账 → 主动放弃 is not a move (the account exists)
    with pytest.raises(services.EnrollmentRefused, match="不能变为「主动放弃」"):
        services.opt_out_record(
            student=enrollment.student,
            policy_year=shanghai_2026,
            reason="insured_elsewhere",
            signed_on=date(2025, 11, 28),
            commitment=commitment(),
        )

    assert not OptOut.objects.exists()
    assert fresh(enrollment).state == "established"
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_second_opt_out_is_refused_and_leaves_no_scan_behind(shanghai_2026, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # no enrollment for the year: nothing for the workflow to refuse
    unenrolled = StudentFactory(seq=1)
    arguments = {
        "student": unenrolled,
        "policy_year": shanghai_2026,
        "reason": "insured_elsewhere",
        "signed_on": date(2025, 11, 28),
    }
    first = services.opt_out_record(**arguments, commitment=commitment("first.pdf"))

    with pytest.raises(services.EnrollmentRefused):
        services.opt_out_record(**arguments, commitment=commitment("second.pdf"))

    assert OptOut.objects.count() == 1
    kept = [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.pdf")]
    assert kept == [first.commitment.name]  # stored under a name of ours, not "first.pdf"


def test_commitment_problem():
    limit = 5 * 1024 * 1024
    assert limit == MAX_SCAN_BYTES

    assert scan_problem(PDF, len(PDF)) == ""
    assert scan_problem(b"\xff\xd8\xff\xe0\x00\x10JFIF", 1000) == ""
    assert scan_problem(b"\x89PNG\r\n\x1a\n\x00\x00", 1000) == ""
    assert scan_problem(PDF, limit) == ""  # exactly 5 MB is fine
    assert "5 MB" in scan_problem(PDF, limit + 1)
    for head in (b"MZ\x90\x00", b"PK\x03\x04", b"<html>", b"PDF-1.4", b""):
        assert "PDF、JPG 或 PNG" in scan_problem(head, 1000)


def test_students_to_chase(shanghai_2025, shanghai_2026, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    unenrolled = StudentFactory(seq=1, college="法学院")
    unsigned = StudentFactory(seq=2)  # opted out on paper, the scan not uploaded yet
    enrolled = EnrollmentFactory(student__seq=3, policy_year=shanghai_2026).student
    part_time = StudentFactory(seq=4, study_mode="part_time")  # not eligible
    graduated = StudentFactory(seq=5, school_status="graduated")
    signed = StudentFactory(seq=6)
    services.opt_out_record(
        student=unsigned,
        policy_year=shanghai_2026,
        reason="insured_elsewhere",
        signed_on=date(2025, 11, 28),
    )
    services.opt_out_record(
        student=signed,
        policy_year=shanghai_2026,
        reason="insured_elsewhere",
        signed_on=date(2025, 11, 28),
        commitment=commitment(),
    )

    chase = list(services.students_to_chase(policy_year=shanghai_2026))

    assert chase == [unsigned, unenrolled]  # ordered by college: 医学院 before 法学院
    assert not {enrolled, part_time, graduated, signed} & set(chase)

    services.opt_out_record(
        student=unenrolled,
        policy_year=shanghai_2026,
        reason="other",
        detail="已参加境外保险",
        signed_on=date(2025, 12, 1),
        commitment=commitment("scan.pdf"),
    )

    assert list(services.students_to_chase(policy_year=shanghai_2026)) == [unsigned]
    # another year's chase list is not affected by this year's commitment
    other_year = shanghai_2025
    assert unenrolled in services.students_to_chase(policy_year=other_year)


def test_an_opt_out_without_its_scan_is_chased_until_the_scan_arrives(
    shanghai_2026, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    enrollment = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)
    opt_out = services.opt_out_record(
        student=enrollment.student,
        policy_year=shanghai_2026,
        reason="insured_elsewhere",
        signed_on=date(2025, 11, 28),
    )
    chased = list(services.students_to_chase(policy_year=shanghai_2026))

    services.opt_out_attach_commitment(
        opt_out=opt_out, commitment=SimpleUploadedFile("scan.pdf", b"%PDF-1.4 signed")
    )

    assert fresh(enrollment).state == workflow.OPTED_OUT
    assert chased == [enrollment.student]
    assert list(services.students_to_chase(policy_year=shanghai_2026)) == []


def test_a_web_page_dressed_as_a_pdf_is_stored_and_served_as_a_pdf(
    admin_client, shanghai_2026, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    enrollment = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)
    trap = SimpleUploadedFile("scan.html", b"%PDF-1.4<script>alert(1)</script>", "text/html")
    opt_out = services.opt_out_record(
        student=enrollment.student,
        policy_year=shanghai_2026,
        reason="insured_elsewhere",
        signed_on=date(2025, 11, 28),
        commitment=trap,
    )

    response = admin_client.get(reverse("admin:enrollment_optout_commitment", args=[opt_out.pk]))

    assert opt_out.commitment.name.endswith(".pdf") and "scan" not in opt_out.commitment.name
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_scan_stored_under_its_own_name_is_only_downloaded(
    admin_client, shanghai_2026, settings, tmp_path
):
    """Scans stored before names were ours keep the uploaded name: typed by content."""
    settings.MEDIA_ROOT = tmp_path
    enrollment = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)
    opt_out = OptOut.objects.create(
        student=enrollment.student,
        policy_year=shanghai_2026,
        reason="insured_elsewhere",
        signed_on=date(2025, 11, 28),
    )
    opt_out.commitment.save("旧.html", ContentFile(b"<script>alert(1)</script>"))

    response = admin_client.get(reverse("admin:enrollment_optout_commitment", args=[opt_out.pk]))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
