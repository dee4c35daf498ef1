"""Facilities, referrals, insurer choices, claims with their lines, documents and
history, and the payout lists handed to finance (DESIGN.md §4.6, issue #11)."""

from .claims import Claim, ClaimDocument, ClaimEvent, ClaimLine
from .payouts import ClaimPayoutEntry, ClaimPayoutList
from .registry import Facility, InsurerChoice, Referral

__all__ = [
    "Claim",
    "ClaimDocument",
    "ClaimEvent",
    "ClaimLine",
    "ClaimPayoutEntry",
    "ClaimPayoutList",
    "Facility",
    "InsurerChoice",
    "Referral",
]
