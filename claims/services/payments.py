"""The payer's payment of a claim the bureau or the insurer pays, recorded by hand: 已批准 →
已支付 with the date and the amount the office learned of (the bureau pays 零星报销 into the
student's bank card, shanghai guide Q12; the insurer pays catastrophic claims, guide Q8).
The school's own claims are paid by a frozen payout list instead (claims.services.payouts):
the workflow refuses them here.

What the payer paid may differ from the amount approved (the portal's breakdown is the
office's reckoning, the payer settles its own): it is recorded as paid, and the claim's
history says by how much it differs."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from office.writes import amount_ceiling
from policies.engine import fen

from .. import rules, workflow
from ..models import Claim, ClaimLine
from .common import ClaimRefused, claims_write

REFERENCE_LIMIT = Claim._meta.get_field("payment_reference").max_length
AMOUNT_BELOW = amount_ceiling(Claim, "paid_amount")


def approved_amount(claim: Claim) -> Decimal:
    """What the approved breakdown says the scheme pays: the fund's and the catastrophic
    cover's shares (a catastrophic claim's insurer settles both, guide Q8)."""
    return (claim.fund or Decimal("0.00")) + (claim.catastrophic or Decimal("0.00"))


@dataclass(frozen=True)
class Payment:
    """The payer's payment as the clerk gives it."""

    paid_on: date
    amount: Decimal
    reference: str = ""


def payment_problem(claim: Claim, payment: Payment, *, claimed: Decimal, today: date) -> str:
    """Why `payment` cannot be recorded on `claim`, in the clerk's words, or ""."""
    where = f"报销申请 {claim.number}"
    if payment.paid_on > today:
        return f"{where}：支付日期 {payment.paid_on} 晚于今天（{today}），不能登记尚未发生的支付。"
    if claim.submitted_on and payment.paid_on < claim.submitted_on:
        return (
            f"{where}：支付日期 {payment.paid_on} 早于申请日期 {claim.submitted_on}，"
            "请核对支付日期。"
        )
    if payment.amount < 0:
        return f"{where}：支付金额不能为负数。"
    if payment.amount >= AMOUNT_BELOW:
        return f"{where}：支付金额 {payment.amount} 过大。"
    if payment.amount != payment.amount.quantize(Decimal("0.01")):
        return f"{where}：支付金额 {payment.amount} 须精确到分。"
    if payment.amount > claimed:
        return f"{where}：支付金额 {payment.amount} 元超过票据金额合计 {claimed} 元。"
    if len(payment.reference) > REFERENCE_LIMIT:
        return f"{where}：支付凭证号最多 {REFERENCE_LIMIT} 个字符。"
    return ""


def claim_record_payment(
    *, claim: Claim, paid_on: date, amount: Decimal, reference: str = "", by=None, today: date
) -> Claim:
    """Record that the claim's payer (the bureau or the insurer) paid `amount` on `paid_on`
    and mark it 已支付, on its row locked first: a claim is paid once, so a second record
    (or two clerks at once) is refused and the first payment stays as it was."""
    payment = Payment(paid_on=paid_on, amount=amount, reference=reference.strip())
    with transaction.atomic():
        current = Claim.objects.select_for_update().get(pk=claim.pk)
        workflow.check_transition(
            workflow.Facts(state=current.state, payer=current.payer), workflow.PAID
        )
        claimed = ClaimLine.objects.filter(claim=current).aggregate(total=Sum("total"))["total"]
        # SQLite sums decimals to a number without its fen
        problem = payment_problem(current, payment, claimed=fen(Decimal(claimed or 0)), today=today)
        if problem:
            raise ClaimRefused(problem, code="payment")
        claims_write([current], to=workflow.PAID, by=by, reason=_sentence(current, payment))
        current.paid_on, current.paid_amount = payment.paid_on, payment.amount
        current.payment_reference = payment.reference
        current.save(update_fields=["paid_on", "paid_amount", "payment_reference", "updated_at"])
    return current


def _sentence(claim: Claim, payment: Payment) -> str:
    payer = rules.PAYER_LABELS.get(claim.payer, claim.payer)
    sentence = f"{payer}于 {payment.paid_on} 支付 {payment.amount} 元"
    if payment.reference:
        sentence += f"（凭证号 {payment.reference}）"
    approved = approved_amount(claim)
    if payment.amount != approved:
        sentence += f"；核定 {approved} 元，相差 {payment.amount - approved} 元"
    return sentence + "。"


# a claim's bank account may be given until it is paid or on a payout list
ACCOUNT_OPEN = (workflow.DRAFT, workflow.SUBMITTED, workflow.IN_REVIEW, workflow.APPROVED)
ACCOUNT_LIMIT = Claim._meta.get_field("bank_account").max_length


def bank_account_problem(account: str) -> str:
    """Why `account` (spaces already removed) is no bank card number, or ""."""
    if not account.isdigit() or not 12 <= len(account) <= ACCOUNT_LIMIT:
        return f"收款账户须为 12–{ACCOUNT_LIMIT} 位数字（银行卡号）。"
    return ""


def claim_bank_account_set(*, claim: Claim, account: str, by=None) -> Claim:
    """Give `claim` the bank account its payment goes to. An approved claim the school
    pays waits off the payout list until it has one (claims.services.payouts): this is
    how it gets one after its receipts are closed. Refused once the claim is paid, on a
    payout list or rejected; the history records the change, the account masked."""
    account = "".join(account.split())
    problem = bank_account_problem(account)
    if problem:
        raise ClaimRefused(problem, code="bank_account")
    with transaction.atomic():
        current = Claim.objects.select_for_update().get(pk=claim.pk)
        if current.state not in ACCOUNT_OPEN or hasattr(current, "payout_entry"):
            raise ClaimRefused(
                f"报销申请 {current.number} 为「{workflow.LABELS[current.state]}」"
                + ("且已列入报销支付清单" if hasattr(current, "payout_entry") else "")
                + "，不能再更改收款账户。",
                code="bank_account_closed",
            )
        if current.bank_account == account:
            return current
        before = rules.mask_bank_account(current.bank_account) or "（无）"
        current.bank_account = account
        current.save(update_fields=["bank_account", "updated_at"])
        current.events.create(
            from_state=current.state,
            to_state=current.state,
            reason=f"收款账户：{before} → {rules.mask_bank_account(account)}",
            by=by,
        )
    return current
