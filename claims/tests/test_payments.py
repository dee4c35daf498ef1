"""已批准 → 已支付 by hand for the claims the bureau or the insurer pays (their payment's
date and amount recorded), never for the school's own (paid by a payout list); the bank
account an approved claim still needs; and the date-order recomputation from the claim's
page, the difference first.

Seeds (shared/seeds/): SH-GUIDE = shanghai-student-insurance-guide-2024-11.txt Q7 — 门急诊
起付线 300 a year, then level 1/2/3 pay 70% / 60% / 50%; Q12 — 零星报销 is paid by the
bureau. The standard claim below: an emergency visit on 10 Mar 2025 at a level-2 hospital,
600.00 invoiced, 500.00 within scope: (500 − 300) × 60% = 120.00 from the fund."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from claims import workflow
from claims.models import Claim, ClaimEvent
from claims.services import (
    ClaimRefused,
    claim_bank_account_set,
    claim_record_payment,
    payouts,
)
from claims.services.approval import claim_approve
from claims.tests.factories import (
    ClaimFactory,
    ClaimLineFactory,
    ClaimRowFactory,
    LineInputFactory,
    policy_year,
)
from office.errors import Refused

pytestmark = pytest.mark.django_db

D = Decimal
VISIT = date(2025, 3, 10)
HANDED_IN = VISIT + timedelta(days=20)  # 30 Mar 2025
TODAY = date(2025, 5, 10)
ACCOUNT = "6222021234567890123"


def approved_bureau_claim(student=None, *, visit=VISIT, level="2", in_scope="500.00"):
    """The standard claim (see the module), approved: the bureau pays 120.00."""
    kwargs = {"student": student} if student is not None else {}
    claim = ClaimFactory(
        **kwargs,
        lines=[
            LineInputFactory(
                visit_date=visit,
                care="emergency",
                level=level,
                in_scope=D(in_scope),
                total=D("600.00"),
            )
        ],
        received=True,
        submit=visit + timedelta(days=20),
        review=True,
    )
    return claim_approve(claim=claim)


def school_claim(**fields) -> Claim:
    """An approved claim a Wuhan school pays from its outpatient fund (wuhan notice 五.1)."""
    defaults = {
        "policy_year": policy_year("wuhan-2025"),
        "type": "referred_outpatient",
        "state": workflow.APPROVED,
        "payer": "school_outpatient_fund",
        "fund": D("140.00"),
        "catastrophic": D("0.00"),
        "student_pays": D("60.00"),
    }
    claim = ClaimRowFactory(**{**defaults, **fields})
    ClaimLineFactory(
        claim=claim,
        position=1,
        care="outpatient",
        level="2",
        total=D("200.00"),
        in_scope=D("200.00"),
    )
    return claim


# --- the service ------------------------------------------------------------------------


def test_the_bureaus_payment_is_recorded_and_the_claim_is_paid(staff):
    clerk = staff("医保办")
    claim = approved_bureau_claim()
    assert (claim.payer, claim.fund) == ("bureau", D("120.00"))

    paid = claim_record_payment(
        claim=claim,
        paid_on=date(2025, 5, 6),
        amount=D("120.00"),
        reference=" ZF001 ",
        by=clerk,
        today=TODAY,
    )

    paid.refresh_from_db()
    assert paid.state == workflow.PAID
    assert (paid.paid_on, paid.paid_amount, paid.payment_reference) == (
        date(2025, 5, 6),
        D("120.00"),
        "ZF001",
    )
    event = paid.events.get(to_state=workflow.PAID)
    assert (event.from_state, event.by) == (workflow.APPROVED, clerk)
    assert event.reason == "医保基金于 2025-05-06 支付 120.00 元（凭证号 ZF001）。"


def test_a_payment_other_than_the_approved_amount_says_by_how_much():
    claim = approved_bureau_claim()

    claim_record_payment(claim=claim, paid_on=date(2025, 5, 6), amount=D("110.00"), today=TODAY)

    claim.refresh_from_db()
    assert claim.paid_amount == D("110.00")
    # recorded as the payer paid it; approved 120.00, so 110.00 − 120.00 = −10.00
    assert "核定 120.00 元，相差 -10.00 元" in claim.events.last().reason


@pytest.mark.parametrize(
    ("paid_on", "amount", "reference", "words"),
    [
        (date(2025, 5, 11), "120.00", "", "晚于今天（2025-05-10）"),
        (date(2025, 3, 29), "120.00", "", "早于申请日期 2025-03-30"),
        (date(2025, 5, 6), "-1.00", "", "不能为负数"),
        (date(2025, 5, 6), "600.01", "", "超过票据金额合计 600.00 元"),
        (date(2025, 5, 6), "120.001", "", "须精确到分"),
        (date(2025, 5, 6), "120.00", "Z" * 65, "最多 64 个字符"),
    ],
)
def test_a_payment_that_cannot_be_is_refused_and_nothing_written(paid_on, amount, reference, words):
    claim = approved_bureau_claim()
    events = ClaimEvent.objects.count()

    with pytest.raises(ClaimRefused) as refused:
        claim_record_payment(
            claim=claim, paid_on=paid_on, amount=D(amount), reference=reference, today=TODAY
        )

    assert refused.value.code == "payment" and words in refused.value.message
    claim.refresh_from_db()
    assert (claim.state, claim.paid_on, claim.paid_amount) == (workflow.APPROVED, None, None)
    assert ClaimEvent.objects.count() == events


def test_a_claim_is_paid_once_and_keeps_its_first_payment():
    claim = approved_bureau_claim()
    claim_record_payment(claim=claim, paid_on=date(2025, 5, 6), amount=D("120.00"), today=TODAY)

    with pytest.raises(Refused) as refused:
        claim_record_payment(claim=claim, paid_on=date(2025, 5, 8), amount=D("100.00"), today=TODAY)

    assert "已支付" in refused.value.message
    claim.refresh_from_db()
    assert (claim.paid_on, claim.paid_amount) == (date(2025, 5, 6), D("120.00"))
    assert claim.events.filter(to_state=workflow.PAID).count() == 1


def test_the_schools_claims_are_paid_by_a_payout_list_not_by_hand():
    claim = school_claim()

    with pytest.raises(Refused) as refused:
        claim_record_payment(claim=claim, paid_on=date(2025, 5, 6), amount=D("140.00"), today=TODAY)

    assert "报销支付清单" in refused.value.message
    claim.refresh_from_db()
    assert claim.state == workflow.APPROVED


def test_a_claim_not_approved_is_not_paid():
    claim = ClaimFactory(received=True, submit=HANDED_IN, review=True)

    with pytest.raises(Refused):
        claim_record_payment(claim=claim, paid_on=date(2025, 5, 6), amount=D("1.00"), today=TODAY)


def test_the_database_keeps_a_payment_whole():
    claim = approved_bureau_claim()
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(paid_on=date(2025, 5, 6))
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(paid_on=date(2025, 5, 6), paid_amount=D("-1"))


# --- the admin --------------------------------------------------------------------------


@pytest.fixture
def clinic(client, staff):
    client.force_login(staff("医保办"))
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_action_records_each_selected_claim_at_its_approved_amount(clinic):
    bureau = approved_bureau_claim()
    school = school_claim()
    changelist = reverse("admin:claims_claim_changelist")
    selection = {"action": "record_payment", "_selected_action": [bureau.pk, school.pk]}

    asked = clinic.post(changelist, selection)

    page = asked.content.decode()
    assert asked.status_code == 200 and bureau.number in page and "120.00" in page
    bureau.refresh_from_db()
    assert bureau.state == workflow.APPROVED  # nothing before the date is given

    done = clinic.post(
        changelist, {**selection, "record_payment": "1", "paid_on": "2025-05-06"}, follow=True
    )

    bureau.refresh_from_db()
    school.refresh_from_db()
    assert (bureau.state, bureau.paid_amount) == (workflow.PAID, D("120.00"))
    assert school.state == workflow.APPROVED
    said = messages_of(done)
    assert any(school.number in message and "报销支付清单" in message for message in said)


def test_finance_records_no_payment_by_hand(client, staff):
    client.force_login(staff("财务"))
    listing = client.get(reverse("admin:claims_claim_changelist")).content.decode()
    assert 'value="record_payment"' not in listing


def test_a_claims_page_records_the_amount_the_payer_paid(clinic):
    bureau = approved_bureau_claim()
    school = school_claim()
    url = reverse("admin:claims_claim_move", args=[bureau.pk, "paid"])
    page = clinic.get(reverse("admin:claims_claim_change", args=[bureau.pk])).content.decode()
    assert url in page
    school_page = clinic.get(reverse("admin:claims_claim_change", args=[school.pk]))
    assert reverse("admin:claims_claim_move", args=[school.pk, "paid"]) not in (
        school_page.content.decode()
    )

    form = clinic.get(url).content.decode()
    assert 'value="120.00"' in form  # the approved amount is offered
    clinic.post(url, {"paid_on": "2025-05-06", "amount": "118.50", "reference": "ZF9"})

    bureau.refresh_from_db()
    assert (bureau.state, bureau.paid_amount, bureau.payment_reference) == (
        workflow.PAID,
        D("118.50"),
        "ZF9",
    )
    shown = clinic.get(reverse("admin:claims_claim_change", args=[bureau.pk])).content.decode()
    assert "医保基金于 2025-05-06 支付 118.50 元（凭证号 ZF9）；核定 120.00 元" in shown


# --- the bank account of an approved claim ------------------------------------------------


def test_an_approved_claim_held_for_its_account_gets_one_and_joins_the_list(staff):
    held = school_claim(bank_account="")
    [waiting] = payouts.claim_payout_open_totals()
    assert (waiting["rows"], waiting["held"]) == (0, 1)

    claim_bank_account_set(claim=held, account="6222 0212 3456 7890 123", by=staff("医保办"))

    held.refresh_from_db()
    assert held.bank_account == ACCOUNT
    assert list(payouts.claim_payout_open(year=2025)) == [held]
    event = held.events.get()
    assert (event.from_state, event.to_state) == (workflow.APPROVED, workflow.APPROVED)
    assert event.reason == "收款账户：（无） → 6222***********0123"  # never the full number


@pytest.mark.parametrize("account", ["6222-0212-3456", "12345", "6" * 33])
def test_what_is_no_bank_card_number_is_refused(account):
    with pytest.raises(ClaimRefused) as refused:
        claim_bank_account_set(claim=school_claim(bank_account=""), account=account)
    assert refused.value.code == "bank_account"


def test_a_paid_or_listed_claims_account_stays(staff):
    claim = school_claim(bank_account=ACCOUNT)
    payouts.claim_payout_freeze(year=2025, by=staff("财务"))

    with pytest.raises(ClaimRefused) as refused:
        claim_bank_account_set(claim=claim, account="6222999988887777666")

    assert refused.value.code == "bank_account_closed"
    claim.refresh_from_db()
    assert claim.bank_account == ACCOUNT


def test_the_claims_page_takes_the_account(clinic):
    held = school_claim(bank_account="")
    url = reverse("admin:claims_claim_bank_account", args=[held.pk])
    assert url in clinic.get(reverse("admin:claims_claim_change", args=[held.pk])).content.decode()

    refused = clinic.post(url, {"bank_account": "abc"})
    assert "12–32 位数字" in refused.content.decode()
    clinic.post(url, {"bank_account": ACCOUNT})

    held.refresh_from_db()
    assert held.bank_account == ACCOUNT


# --- recomputation from the claim's page --------------------------------------------------


def test_the_recomputation_shows_the_difference_then_stores_it(clinic, covered_student):
    # SH-GUIDE Q7: approved first, the later visit (level 3, 400.00) took the 300
    # deductible: (400 − 300) × 50% = 50.00; the earlier one (level 2, 500.00) then paid
    # 500 × 60% = 300.00. In visit-date order: earlier (500 − 300) × 60% = 120.00, later
    # 400 × 50% = 200.00.
    later = approved_bureau_claim(
        covered_student, visit=date(2025, 4, 2), level="3", in_scope="400.00"
    )
    earlier = approved_bureau_claim(covered_student, visit=VISIT, level="2", in_scope="500.00")
    assert (later.fund, earlier.fund) == (D("50.00"), D("300.00"))
    url = reverse("admin:claims_claim_recompute", args=[later.pk])
    assert url in clinic.get(reverse("admin:claims_claim_change", args=[later.pk])).content.decode()

    shown = clinic.get(url).content.decode()

    assert "-180.00" in shown and "150.00" in shown
    later.refresh_from_db()
    assert later.fund == D("50.00")  # nothing written by looking

    clinic.post(url)

    later.refresh_from_db()
    earlier.refresh_from_db()
    assert (later.fund, earlier.fund) == (D("200.00"), D("120.00"))
    again = clinic.get(url).content.decode()
    assert "金额没有变化" in again
