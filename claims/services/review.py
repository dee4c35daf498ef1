"""Review: a submitted claim goes to review only with its documents complete; a reviewer
may reject it with a code and a sentence. Approval is claims.services.approval."""

from django.db import transaction

from .. import rules, workflow
from ..models import Claim
from .common import ClaimRefused, claim_transition, claims_write


def claim_start_review(*, claim: Claim, by=None) -> Claim:
    """已提交 → 审核中, refused naming the documents still missing (DESIGN.md §4.6)."""
    return claim_transition(claim=claim, to=workflow.IN_REVIEW, by=by)


def claim_reject(*, claim: Claim, message: str, code: str = rules.OTHER, by=None) -> Claim:
    """Reject a submitted or reviewed claim: `code` one of the checks' codes (a hard rule
    found in review) or rules.OTHER, `message` the sentence the student reads."""
    message = message.strip()
    if code not in rules.REJECTION_LABELS:
        raise ClaimRefused(f"未知的驳回原因代码「{code}」。", code="invalid")
    with transaction.atomic():
        current = Claim.objects.select_for_update().get(pk=claim.pk)
        claims_write([current], to=workflow.REJECTED, by=by, reason=message)
        current.rejection_code, current.rejection_message = code, message
        current.save(update_fields=["rejection_code", "rejection_message", "updated_at"])
    return current
