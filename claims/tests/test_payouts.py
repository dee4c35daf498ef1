"""报销支付清单: who is on it, its total, freezing (atomic, one list per claim) and
byte-identical re-export, the command and the admin pages.

Amounts are those a Wuhan school pays from its outpatient fund (wuhan notice 五.1: at
least 70 % of ordinary outpatient care): 70 % of 200.00 = 140.00, of 350.00 = 245.00, of
100.00 = 70.00."""

import hashlib
import json
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from claims import workflow
from claims.models import Claim, ClaimEvent, ClaimPayoutEntry, ClaimPayoutList
from claims.services import payouts
from claims.tests.factories import ClaimLineFactory, ClaimRowFactory, policy_year
from enrollment.models import PersonalDataAccess, Student
from office.errors import Refused

pytestmark = pytest.mark.django_db

ACCOUNT = "6222021234567890123"


def approved(fund: str, *, year: str = "wuhan-2025", receipts: int = 1, **fields) -> Claim:
    """An approved claim the school pays `fund` on, with `receipts` outpatient receipts."""
    defaults = {
        "policy_year": policy_year(year),
        "type": "referred_outpatient",
        "state": workflow.APPROVED,
        "payer": "school_outpatient_fund",
        "fund": Decimal(fund),
        "catastrophic": Decimal("0.00"),
        "student_pays": Decimal("0.00"),
    }
    claim = ClaimRowFactory(**{**defaults, **fields})
    for position in range(1, receipts + 1):
        ClaimLineFactory(
            claim=claim,
            position=position,
            visit_date=date(2025, 4, position),
            care="outpatient",
            level="2",
        )
    return claim


@pytest.fixture
def claims(db):
    """Three claims on the 2025 list, and five that are not: the bureau's, the insurer's,
    one not yet approved, one without a bank account, one of another year."""
    on_list = [
        approved("140.00"),
        approved("245.00", receipts=2, channel="proxy"),
        approved("70.00"),
    ]
    approved("300.00", payer="bureau", year="shanghai-2025")
    approved("900.00", payer="insurer", year="shanghai-2025")
    approved("50.00", state=workflow.IN_REVIEW)
    approved("80.00", bank_account="")
    approved("60.00", year="wuhan-2026")
    return on_list


def test_the_list_holds_the_approved_claims_the_school_pays(claims, sheet_rows):
    exported = payouts.claim_payout_export_open(year=2025)

    rows = sheet_rows(exported.content)
    assert rows[0] == payouts.PAYOUT_HEADER
    listed = sorted(claims, key=lambda c: (c.student.college, c.student.student_number, c.number))
    assert [row[1] for row in rows[1:-1]] == [claim.number for claim in listed]
    assert [row[0] for row in rows[1:-1]] == [1, 2, 3]
    # the file is finance's: it carries the full account to pay into
    assert {row[8] for row in rows[1:-1]} == {ACCOUNT}
    two_receipts = next(row for row in rows if row[1] == claims[1].number)
    assert two_receipts[5] == "校外门诊（转诊）"
    assert two_receipts[6].date() == date(2025, 4, 1)  # the first visit
    assert two_receipts[9] == "2 张票据；代办"
    # 140.00 + 245.00 + 70.00 = 455.00, and the 合计 row says the same
    assert exported.rows == 3 and exported.total == Decimal("455.00")
    assert sum(Decimal(str(row[7])) for row in rows[1:-1]) == exported.total
    assert rows[-1][0] == "合计" and Decimal(str(rows[-1][7])) == Decimal("455.00")
    assert rows[-1][9] == "3 笔"


def test_the_open_totals_show_what_waits_and_what_is_held(claims):
    totals = {line["year"]: line for line in payouts.claim_payout_open_totals()}

    assert totals[2025]["rows"] == 3 and totals[2025]["total"] == Decimal("455.00")
    assert totals[2025]["held"] == 1  # the claim without a bank account
    assert totals[2026]["rows"] == 1


def test_the_preview_masks_bank_accounts(claims):
    preview = payouts.claim_payout_preview(year=2025, limit=2)

    assert preview.count == 3 and preview.total == Decimal("455.00")
    assert len(preview.rows) == 2
    assert {row[8] for row in preview.rows} == {"6222***********0123"}


def test_freezing_marks_the_claims_paid_and_reexport_is_byte_identical(claims, staff):
    clerk = staff("财务")

    first = payouts.claim_payout_freeze(year=2025, by=clerk)

    assert (first.number, first.rows, first.total) == (1, 3, Decimal("455.00"))
    assert set(Claim.objects.filter(state=workflow.PAID).values_list("pk", flat=True)) == {
        claim.pk for claim in claims
    }
    event = ClaimEvent.objects.filter(claim=claims[0]).last()
    assert (event.from_state, event.to_state, event.by) == ("approved", "paid", clerk)
    assert event.reason == "报销支付清单 #1"
    payout_list = ClaimPayoutList.objects.get()
    assert payout_list.entries.count() == 3
    assert sum(e.amount for e in payout_list.entries.all()) == payout_list.total
    assert payouts.claim_payout_export_open(year=2025).rows == 0

    Student.objects.filter(pk=claims[0].student_id).update(name="改了名字")
    again = payouts.claim_payout_export_frozen(number=1)

    assert again.content == first.content
    assert hashlib.sha256(again.content).hexdigest() == payout_list.sha256
    with pytest.raises(Refused, match="没有待支付"):
        payouts.claim_payout_freeze(year=2025)


def test_a_claim_is_on_one_list_only(claims):
    payouts.claim_payout_freeze(year=2025)
    later = approved("35.00")

    second = payouts.claim_payout_freeze(year=2025)

    assert (second.number, second.rows, second.total) == (2, 1, Decimal("35.00"))
    assert ClaimPayoutEntry.objects.get(claim=later).payout_list.number == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimPayoutEntry.objects.create(
            payout_list=ClaimPayoutList.objects.get(number=2),
            claim=claims[0],
            position=2,
            amount=Decimal("140.00"),
            row=[],
        )


def test_freezing_is_all_or_nothing(claims, monkeypatch):
    """The claims are marked paid, then something fails: the list, its entries and the
    moves are all undone."""
    write = payouts.claims_write

    def write_then_fail(*args, **kwargs):
        write(*args, **kwargs)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(payouts, "claims_write", write_then_fail)

    with pytest.raises(RuntimeError):
        payouts.claim_payout_freeze(year=2025)

    assert not ClaimPayoutList.objects.exists()
    assert not ClaimPayoutEntry.objects.exists()
    assert Claim.objects.filter(state=workflow.PAID).count() == 0
    assert not ClaimEvent.objects.filter(to_state=workflow.PAID).exists()


def test_a_list_changed_since_the_preview_is_not_frozen(claims):
    with pytest.raises(Refused, match="预览后待支付清单已变化"):
        payouts.claim_payout_freeze(year=2025, expected_rows=2, expected_total=Decimal("385.00"))

    assert not ClaimPayoutList.objects.exists()


def test_a_frozen_file_changed_in_the_database_is_refused(claims):
    payouts.claim_payout_freeze(year=2025)
    ClaimPayoutList.objects.update(content=b"not the file")

    with pytest.raises(Refused, match="保存的文件与冻结时不一致"):
        payouts.claim_payout_export_frozen(number=1)


def run(*args) -> tuple[dict, str]:
    out = StringIO()
    call_command("export_claim_payouts", *args, "--json", stdout=out)
    return json.loads(out.getvalue()), out.getvalue()


def test_the_command_freezes_and_gives_the_list_again(claims, tmp_path):
    frozen, _ = run("--year", "2025", "--out", str(tmp_path / "a.xlsx"), "--freeze")
    again, _ = run("--list", "1", "--out", str(tmp_path / "b.xlsx"))

    assert frozen == {
        "list": 1,
        "rows": 3,
        "total": "455.00",
        "sha256": hashlib.sha256((tmp_path / "a.xlsx").read_bytes()).hexdigest(),
    }
    assert again == frozen
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    open_list, _ = run("--year", "2026", "--out", str(tmp_path / "c.xlsx"))
    assert (open_list["list"], open_list["rows"], open_list["total"]) == (None, 1, "60.00")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--list", "9"], 2, "没有第 9 号报销支付清单"),
        (["--list", "1", "--freeze"], 2, "--freeze 只能与 --year 一起使用"),
        (["--year", "2024", "--freeze"], 1, "2024 年度没有待支付的报销申请"),
    ],
)
def test_the_command_refuses(args, code, message, tmp_path):
    with pytest.raises(CommandError, match=message) as raised:
        call_command("export_claim_payouts", *args, "--out", str(tmp_path / "x.xlsx"))
    assert raised.value.returncode == code
    assert not (tmp_path / "x.xlsx").exists()


# --- the admin pages ---------------------------------------------------------------------


def test_the_freeze_page_previews_then_freezes(claims, staff, client):
    client.force_login(staff("财务"))
    url = reverse("admin:claims_claimpayoutlist_freeze")

    preview = client.get(url, {"year": 2025})

    page = preview.content.decode()
    assert preview.status_code == 200
    assert "6222***********0123" in page and ACCOUNT not in page
    assert claims[0].number in page and "455.00" in page
    assert not ClaimPayoutList.objects.exists()

    stale = client.post(url, {"year": 2025, "rows": 2, "total": "385.00"})
    assert stale.status_code == 302 and not ClaimPayoutList.objects.exists()

    frozen = client.post(url, {"year": 2025, "rows": 3, "total": "455.00"})

    assert frozen.status_code == 302
    assert frozen.url == reverse("admin:claims_claimpayoutlist_changelist")
    assert ClaimPayoutList.objects.get().frozen_by.groups.get().name == "财务"
    assert Claim.objects.filter(state=workflow.PAID).count() == 3


@pytest.mark.parametrize(("role", "status"), [("财务", 200), ("医保办", 200), ("审计", 403)])
def test_who_may_download_a_frozen_list(claims, staff, client, role, status):
    frozen = payouts.claim_payout_freeze(year=2025)
    user = staff(role)
    client.force_login(user)

    response = client.get(
        reverse("admin:claims_claimpayoutlist_download", args=[ClaimPayoutList.objects.get().pk])
    )

    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == frozen.content
        logged = PersonalDataAccess.objects.get(user=user)
        assert logged.detail == "报销支付清单 #1（3 笔）"
    else:
        assert not PersonalDataAccess.objects.exists()


def test_a_changed_file_is_not_handed_out(claims, staff, client):
    payouts.claim_payout_freeze(year=2025)
    ClaimPayoutList.objects.update(content=b"not the file")
    client.force_login(staff("财务"))

    response = client.get(
        reverse("admin:claims_claimpayoutlist_download", args=[ClaimPayoutList.objects.get().pk])
    )

    assert response.status_code == 302
    assert not PersonalDataAccess.objects.exists()


def test_auditors_cannot_freeze(claims, staff, client):
    client.force_login(staff("审计"))

    response = client.post(
        reverse("admin:claims_claimpayoutlist_freeze"), {"year": 2025, "rows": 3, "total": "455"}
    )

    assert response.status_code == 403
    assert not ClaimPayoutList.objects.exists()


# --- finance pays a frozen list out (as it pays refunds out) ------------------------------


def test_finance_records_paying_a_list_out_once(claims, staff):
    clerk = staff("财务")
    payouts.claim_payout_freeze(year=2025, by=clerk)
    payout_list = ClaimPayoutList.objects.get()
    today = timezone.localdate()

    done = payouts.claim_payout_lists_pay_out(
        lists=[payout_list.pk],
        paid_out_on=today,
        channel="bank_transfer",
        reference=" ZZ-1 ",
        by=clerk,
        today=today,
    )

    # the list's three claims: 140.00 + 245.00 + 70.00 = 455.00
    assert (done.paid, done.total, done.already_paid) == (1, Decimal("455.00"), 0)
    payout_list.refresh_from_db()
    assert (payout_list.paid_out_on, payout_list.payout_channel) == (today, "bank_transfer")
    assert (payout_list.payout_reference, payout_list.paid_out_by) == ("ZZ-1", clerk)

    again = payouts.claim_payout_lists_pay_out(
        lists=[payout_list.pk], paid_out_on=today, channel="cash", today=today
    )

    assert (again.paid, again.already_paid) == (0, 1)
    payout_list.refresh_from_db()
    assert (payout_list.payout_channel, payout_list.payout_reference) == ("bank_transfer", "ZZ-1")


@pytest.mark.parametrize(
    ("days", "channel", "reference", "code"),
    [
        (1, "bank_transfer", "", "payout_in_future"),
        (-1, "bank_transfer", "", "payout_before_freeze"),
        (0, "original_route", "", "payout_channel"),
        (0, "bank_transfer", "Z" * 65, "payout_reference"),
    ],
)
def test_a_payout_that_cannot_be_is_refused(claims, days, channel, reference, code):
    payouts.claim_payout_freeze(year=2025)
    payout_list = ClaimPayoutList.objects.get()
    today = timezone.localdate(payout_list.frozen_at)

    with pytest.raises(Refused) as refused:
        payouts.claim_payout_lists_pay_out(
            lists=[payout_list.pk],
            paid_out_on=today + timedelta(days=days),
            channel=channel,
            reference=reference,
            today=today,
        )

    assert refused.value.code == code
    payout_list.refresh_from_db()
    assert payout_list.paid_out_on is None


def test_the_database_keeps_a_payout_whole(claims):
    payouts.claim_payout_freeze(year=2025)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimPayoutList.objects.update(paid_out_on=date(2025, 5, 6))


def test_the_action_marks_the_selected_lists_paid_out(claims, staff, client):
    payouts.claim_payout_freeze(year=2025)
    payout_list = ClaimPayoutList.objects.get()
    client.force_login(staff("财务"))
    changelist = reverse("admin:claims_claimpayoutlist_changelist")
    selection = {"action": "pay_out", "_selected_action": [payout_list.pk]}

    asked = client.post(changelist, selection)

    assert asked.status_code == 200 and "455.00" in asked.content.decode()
    today = timezone.localdate()
    client.post(
        changelist,
        {
            **selection,
            "pay_out": "1",
            "paid_out_on": today.isoformat(),
            "payout_channel": "bank_transfer",
        },
    )

    payout_list.refresh_from_db()
    assert payout_list.paid_out_on == today
    assert client.get(changelist, {"paid_out": "no"}).context["cl"].result_count == 0


def test_auditors_do_not_pay_lists_out(claims, staff, client):
    payouts.claim_payout_freeze(year=2025)
    client.force_login(staff("审计"))

    listing = client.get(reverse("admin:claims_claimpayoutlist_changelist")).content.decode()

    assert 'value="pay_out"' not in listing
