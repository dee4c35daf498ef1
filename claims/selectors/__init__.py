"""Reads of claims: a student's statement for a year (claim_statement) and the year's
report (claims_report), both issue #11's JSON. Claims are loaded as plain facts once per
student and policy year (loading) and settled by claims.breakdowns; approved claims show
what was stored on approval. Money is a string to the fen in every JSON."""

from .loading import CLAIM_FIELDS, Loader, YearClaims, claim_facts, lines_of, year_claims
from .report import claims_report
from .statement import StatementRefused, claim_statement, claim_statements

__all__ = [
    "CLAIM_FIELDS",
    "Loader",
    "StatementRefused",
    "YearClaims",
    "claim_facts",
    "claim_statement",
    "claim_statements",
    "claims_report",
    "lines_of",
    "year_claims",
]
