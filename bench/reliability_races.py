"""Races on money, on the Wuhan demo (its school pays referred outpatient claims, so its
payout list has rows): the same use case from several threads at once, each with its own
database connection, released together by a barrier.

- 10 approvals of one claim in review: one approves, the others are refused;
- two payment-list freezes and two payout-list freezes at once: no enrollment and no
  claim on two lists;
- ten refund registrations at once: one refund per enrollment owed one, for what it is
  owed; then ten payouts of the outstanding refunds at once: each paid out once.

Runs in a child of bench/reliability.py with Django set up on a fresh database."""

import threading
import time
from datetime import date

from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, Sum

YEAR = 2026
REGION = "wuhan"
# the demo is seen in mid-September 2026; by the end of November the freshman window is
# closed, so the demo's failed and opted-out enrollments are owed their premium back
TODAY = date(2026, 11, 30)
THREADS = 10


def run_races(options: dict) -> dict:
    call_command("seed_demo", verbosity=0, stdout=_Quiet(), stderr=_Quiet())
    cases = [approvals(), payment_list_freezes(), payout_freezes(), *refunds()]
    return {"cases": cases}


class _Quiet:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass


def at_once(count: int, work) -> list[tuple[str, object]]:
    """`work(i)` in `count` threads released together: ("ok", result), ("refused",
    message) for a Refused, ("error", repr) for anything else."""
    from office.errors import Refused

    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def one(index: int) -> None:
        try:
            barrier.wait()
            outcomes[index] = ("ok", work(index))
        except Refused as exc:
            outcomes[index] = ("refused", str(exc))
        except Exception as exc:  # reported, not raised: a race that crashes is a finding
            outcomes[index] = ("error", f"{type(exc).__name__}: {exc}"[:300])
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _tally(outcomes) -> str:
    kinds = [kind for kind, _ in outcomes]
    return ", ".join(f"{kinds.count(kind)} {kind}" for kind in ("ok", "refused", "error"))


def _errors(outcomes) -> list[str]:
    return sorted({str(value) for kind, value in outcomes if kind == "error"})


def approvals() -> dict:
    from claims import workflow
    from claims.models import Claim, ClaimEvent
    from claims.services.approval import claim_approve

    claim = _approvable_claim()
    if claim is None:
        return _case("10 approvals of one claim", False, "no claim in review approves", 0, 0)
    started = time.perf_counter()
    outcomes = at_once(THREADS, lambda i: claim_approve(claim=Claim.objects.get(pk=claim.pk)).pk)
    seconds = time.perf_counter() - started
    approved_events = ClaimEvent.objects.filter(claim=claim, to_state=workflow.APPROVED).count()
    approved = sum(kind == "ok" for kind, _ in outcomes)
    duplicates = max(approved_events - 1, 0) + max(approved - 1, 0)
    final = Claim.objects.get(pk=claim.pk)
    clean = approved == 1 and approved_events == 1 and final.state == workflow.APPROVED
    clean = clean and not _errors(outcomes)
    detail = (
        f"{_tally(outcomes)}; {approved_events} approval event(s), "
        f"sequence {final.approval_sequence}"
    )
    return _case("10 approvals of one claim", clean, detail, duplicates, 0, seconds, outcomes)


def _approvable_claim():
    """A claim in review whose approval goes through (tried and rolled back)."""
    from claims import workflow
    from claims.models import Claim
    from claims.services.approval import claim_approve
    from office.errors import Refused

    for claim in Claim.objects.filter(state=workflow.IN_REVIEW).order_by("pk"):
        try:
            with transaction.atomic():
                claim_approve(claim=claim)
                transaction.set_rollback(True)
        except Refused:
            continue
        return Claim.objects.get(pk=claim.pk)
    return None


def payment_list_freezes() -> dict:
    from enrollment.models import PaymentListEntry
    from enrollment.services import payment_list_freeze, payment_list_open

    waiting = payment_list_open(year=YEAR, region=REGION).count()
    started = time.perf_counter()
    outcomes = at_once(2, lambda i: payment_list_freeze(year=YEAR, region=REGION).rows)
    seconds = time.perf_counter() - started
    twice = _on_two_lists(PaymentListEntry, "enrollment")
    listed = sum(value for kind, value in outcomes if kind == "ok")
    clean = waiting > 0 and listed == waiting and not twice and not _errors(outcomes)
    detail = f"{_tally(outcomes)}; {listed} of {waiting} waiting listed, {twice} on two lists"
    return _case("2 payment-list freezes", clean, detail, 0, twice, seconds, outcomes)


def payout_freezes() -> dict:
    from claims.models import ClaimPayoutEntry
    from claims.services.payouts import claim_payout_freeze, claim_payout_open

    waiting = claim_payout_open(year=YEAR).count()
    started = time.perf_counter()
    outcomes = at_once(2, lambda i: claim_payout_freeze(year=YEAR).rows)
    seconds = time.perf_counter() - started
    twice = _on_two_lists(ClaimPayoutEntry, "claim")
    listed = sum(value for kind, value in outcomes if kind == "ok")
    clean = waiting > 0 and listed == waiting and not twice and not _errors(outcomes)
    detail = f"{_tally(outcomes)}; {listed} of {waiting} waiting listed, {twice} on two lists"
    return _case("2 payout-list freezes", clean, detail, 0, twice, seconds, outcomes)


def _on_two_lists(entry_model, member: str) -> int:
    """Members listed more than once, counted once per extra listing."""
    repeated = entry_model.objects.values(member).annotate(times=Count("pk")).filter(times__gt=1)
    return sum(row["times"] - 1 for row in repeated)


def refunds() -> list[dict]:
    from enrollment.models import Refund
    from enrollment.services.refunds import refunds_due, refunds_issue, refunds_pay_out

    owed = {pk: due.amount for pk, due in refunds_due(year=YEAR, today=TODAY, region=REGION)}
    last = Refund.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    started = time.perf_counter()
    outcomes = at_once(
        THREADS,
        lambda i: len(refunds_issue(year=YEAR, today=TODAY, region=REGION)[0]),
    )
    seconds = time.perf_counter() - started
    new = Refund.objects.filter(pk__gt=last)
    by_enrollment = {
        row["enrollment"]: row
        for row in new.values("enrollment").annotate(times=Count("pk"), total=Sum("amount"))
    }
    duplicates = sum(row["times"] - 1 for row in by_enrollment.values())
    wrong = sum(
        1 for pk, amount in owed.items() if by_enrollment.get(pk, {}).get("total") != amount
    )
    issued = sum(value for kind, value in outcomes if kind == "ok")
    clean = owed and not duplicates and not wrong and issued == len(owed)
    clean = (
        bool(clean)
        and not _errors(outcomes)
        and not refunds_due(year=YEAR, today=TODAY, region=REGION)
    )
    detail = (
        f"{_tally(outcomes)}; {len(owed)} owed, {issued} registered, "
        f"{duplicates} twice, {wrong} wrong amount"
    )
    registrations = _case(
        "10 refund registrations", clean, detail, duplicates, 0, seconds, outcomes
    )

    outstanding = list(
        Refund.objects.filter(paid_out_on__isnull=True).order_by("pk").values_list("pk", flat=True)
    )
    started = time.perf_counter()
    outcomes = at_once(
        THREADS,
        lambda i: (
            refunds_pay_out(
                refunds=outstanding,
                paid_out_on=TODAY,
                channel=Refund.Channel.values[0],
                reference=f"bench-{i}",
                today=TODAY,
            ).paid
        ),
    )
    seconds = time.perf_counter() - started
    paid = sum(value for kind, value in outcomes if kind == "ok")
    twice = max(paid - len(outstanding), 0)
    references = set(
        Refund.objects.filter(pk__in=outstanding).values_list("payout_reference", flat=True)
    )
    left = Refund.objects.filter(pk__in=outstanding, paid_out_on__isnull=True).count()
    clean = outstanding and paid == len(outstanding) and not left and not _errors(outcomes)
    detail = (
        f"{_tally(outcomes)}; {len(outstanding)} outstanding, {paid} paid out "
        f"by {len(references)} payout(s), {left} left"
    )
    payouts = _case("10 refund payouts", bool(clean), detail, 0, twice, seconds, outcomes)
    return [registrations, payouts]


def _case(name, clean, detail, duplicates, double_payments, seconds=0.0, outcomes=()) -> dict:
    return {
        "case": name,
        "clean": bool(clean),
        "detail": detail,
        "duplicates": duplicates,
        "double_payments": double_payments,
        "seconds": round(seconds, 2),
        "errors": _errors(outcomes),
    }
