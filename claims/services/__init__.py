"""The claims app's use cases. Each module is one part of a claim's life: create
(drafts, numbers, receipts, checklist), submit (the automatic checks), review, documents,
registry (referrals, insurer choices), payments (the bureau's and the insurer's payments
recorded by hand); approval (breakdowns stored) and payouts (lists for finance) are
imported from their own modules."""

from .common import (
    ClaimRefused,
    claim_transition,
    claims_write,
    facts_of,
    missing_documents_of,
    required_documents_of,
)
from .create import ClaimDraft, LineInput, claim_create, claim_number, claims_create
from .documents import document_receive, documents_checklist
from .payments import approved_amount, claim_bank_account_set, claim_record_payment
from .registry import insurer_choose, referral_issue
from .review import claim_reject, claim_start_review
from .submit import claim_submit, claims_submit

__all__ = [
    "ClaimDraft",
    "ClaimRefused",
    "LineInput",
    "approved_amount",
    "claim_bank_account_set",
    "claim_create",
    "claim_number",
    "claim_record_payment",
    "claim_reject",
    "claim_start_review",
    "claim_submit",
    "claim_transition",
    "claims_create",
    "claims_submit",
    "claims_write",
    "document_receive",
    "documents_checklist",
    "facts_of",
    "insurer_choose",
    "missing_documents_of",
    "referral_issue",
    "required_documents_of",
]
