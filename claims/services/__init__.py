"""The claims app's use cases. Each module is one part of a claim's life: create
(drafts, numbers, receipts, checklist), submit (the automatic checks), review, documents,
registry (referrals, insurer choices); approval (breakdowns stored) and payouts (lists for
finance) are imported from their own modules."""

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
from .registry import insurer_choose, referral_issue
from .review import claim_reject, claim_start_review
from .submit import claim_submit, claims_submit

__all__ = [
    "ClaimDraft",
    "ClaimRefused",
    "LineInput",
    "claim_create",
    "claim_number",
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
