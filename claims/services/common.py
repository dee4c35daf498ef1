"""What every claims use case shares: the app's refusal, the workflow's facts of a claim
and the one writer of its state."""

from django.db import transaction

from office.errors import Refused
from office.transitions import StateWriter

from .. import rules, workflow
from ..models import Claim, ClaimEvent


class ClaimRefused(Refused):
    """A claims use case refused (office.errors.Refused for the claims app)."""


def missing_documents_of(claim: Claim) -> tuple[str, ...]:
    """The labels of the documents `claim` still needs (rules.required_documents)."""
    received = [document.kind for document in claim.documents.all() if document.received]
    return rules.missing_documents(required_documents_of(claim), received)


def required_documents_of(claim: Claim) -> tuple[str, ...]:
    inpatient = any(line.discharge_date or line.care == "inpatient" for line in claim.lines.all())
    return rules.required_documents(claim.type, claim.channel, inpatient=inpatient)


def facts_of(claim: Claim, *, to: str = "", on_payout_list: bool = False) -> workflow.Facts:
    """The workflow's facts of `claim`; its documents are read only for the move that
    needs them (into review), so a payout list moves thousands of claims without them."""
    if to and to != workflow.IN_REVIEW:
        return workflow.Facts(state=claim.state, payer=claim.payer, on_payout_list=on_payout_list)
    return workflow.Facts(
        state=claim.state,
        missing_documents=missing_documents_of(claim),
        payer=claim.payer,
        on_payout_list=on_payout_list,
    )


def _writer(*, on_payout_list: bool) -> StateWriter:
    return StateWriter(
        check=lambda claim, to, reason: workflow.check_transition(
            facts_of(claim, to=to, on_payout_list=on_payout_list), to, reason=reason
        ),
        event=ClaimEvent,
        owner="claim",
        stale=workflow.TransitionRefused,
    )


WRITER = _writer(on_payout_list=False)
# a frozen payout list paying the school's claims (claims.services.payouts)
PAYOUT_LIST_WRITER = _writer(on_payout_list=True)


def claims_write(
    claims: list[Claim], *, to: str, by=None, reason: str = "", on_payout_list: bool = False
) -> None:
    """The one writer of claims' states, for one claim or a payout list's thousands (rows
    the caller has locked): each move checked by the workflow, written with an event each.
    `on_payout_list`: the claims are paid by the payout list being frozen."""
    writer = PAYOUT_LIST_WRITER if on_payout_list else WRITER
    writer.write(claims, to=to, by=by, reason=reason)


def claim_transition(*, claim: Claim, to: str, by=None, reason: str = "") -> Claim:
    """Move one claim to `to` if the workflow allows it, on its row locked first so two
    clerks acting at once cannot both move it from the same state. Returns the locked
    row as it now stands."""
    with transaction.atomic():
        current = Claim.objects.select_for_update().get(pk=claim.pk)
        claims_write([current], to=to, by=by, reason=reason)
    return current
