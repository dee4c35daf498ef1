"""A claim's amounts, pure: the rule engine over the student's year (DESIGN.md §4.5–4.6,
issue #11 "Breakdowns"). No ORM, no clock: claims.selectors loads the claims as the plain
facts below, and this module settles them with ``engine.estimate``, once per student and
policy year however many claims the year holds.

Order of settlement. The engine derives every year-to-date figure (the outpatient yearly
deductible, stays so far, annual limits, the catastrophic burden) from the expenses it is
given, earlier first. The claims already approved come first, in the order they were
approved (their stored breakdowns were computed that way), then the others in visit-date
order: what each would get if approved now. Rejected claims pay nothing and take nothing
from the year.

The date-order recomputation (``date_order``) is what the approved claims would have
received had they arrived in visit-date order. Paid claims keep their place at the head of
it: their money is gone, so the rest of the year is settled after it, and re-settling an
unpaid claim can never give the student a deductible or a cap twice.
"""

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from decimal import Decimal

from policies import engine
from policies.engine import ZERO

REJECTED = "rejected"
PAID = "paid"
# a line whose care and level the policy year has no benefit rule for
NO_RULE = "no_rule"
# a line whose claim is rejected
CLAIM_REJECTED = "claim_rejected"
# a claim with no enrollment covering it: nothing to settle it against
NOT_COVERED = "not_covered"

# a line's result (the engine's statuses and this module's), as staff read it
STATUS_LABELS = {
    engine.COVERED: "按规定支付",
    engine.EXCLUDED: "不属于支付范围",
    engine.OUT_OF_COVER: "不在待遇期内",
    engine.NO_REFERRAL: "无转诊单",
    NO_RULE: "无对应待遇",
    CLAIM_REJECTED: "申请已驳回",
    NOT_COVERED: "无参保记录",
}


@dataclass(frozen=True)
class LineFacts:
    """One receipt, as the engine needs it. ``referral`` is whether a valid referral
    covers its visit date; ``stay`` the hospital stay key (住院号)."""

    key: int
    invoice: str
    visit_date: date
    care: str
    level: str
    in_scope: Decimal
    out_of_scope: Decimal = ZERO
    catastrophic_disease: bool = False
    excluded: str | None = None
    referral: bool = False
    stay: str | None = None

    def expense(self) -> engine.Expense:
        return engine.Expense(
            date=self.visit_date,
            care=self.care,
            level=self.level,
            in_scope=self.in_scope,
            out_of_scope=self.out_of_scope,
            catastrophic_disease=self.catastrophic_disease,
            excluded=self.excluded or None,
            referral=self.referral,
            stay=self.stay or None,
        )


@dataclass(frozen=True)
class ClaimFacts:
    """One claim: its lines in position order, its state and, once approved, its place in
    the order of approval. ``rejection`` is the sentence a rejected claim was given."""

    key: int
    number: str
    state: str
    lines: tuple[LineFacts, ...]
    approval_sequence: int | None = None
    rejection: str = ""

    @property
    def visit_date(self) -> date | None:
        return min((line.visit_date for line in self.lines), default=None)

    @property
    def approved(self) -> bool:
        return self.approval_sequence is not None

    @property
    def paid(self) -> bool:
        return self.state == PAID


@dataclass(frozen=True)
class LineResult:
    key: int
    deductible: Decimal
    fund: Decimal
    catastrophic: Decimal
    student: Decimal
    status: str
    steps: tuple[str, ...]
    payer: str | None = None


@dataclass(frozen=True)
class ClaimResult:
    key: int
    lines: tuple[LineResult, ...]
    fund: Decimal = field(init=False)
    catastrophic: Decimal = field(init=False)
    student: Decimal = field(init=False)

    def __post_init__(self) -> None:
        for name in ("fund", "catastrophic", "student"):
            total = sum((getattr(line, name) for line in self.lines), ZERO)
            object.__setattr__(self, name, total)

    @property
    def payers(self) -> frozenset[str]:
        """The engine payers (engine.PAYERS) of the fund's share of its paid lines."""
        return frozenset(line.payer for line in self.lines if line.payer and line.fund)

    def amounts(self) -> tuple[Decimal, Decimal, Decimal]:
        return (self.fund, self.catastrophic, self.student)


class SettlementError(ValueError):
    """A line the engine cannot settle (a stay key that joins no stay); ``claim`` and
    ``line`` are the keys, ``message`` is for staff."""

    def __init__(self, claim: int, line: int, message: str):
        super().__init__(message)
        self.claim, self.line, self.message = claim, line, message


def rules_version(rules: engine.PolicyYearRules) -> str:
    """The policy-year code and a digest of the rules snapshot a breakdown was computed
    with: a stored breakdown names the rules it followed, and a draft year corrected later
    gets a new version."""
    snapshot = json.dumps(asdict(rules), sort_keys=True, default=str, ensure_ascii=False)
    return f"{rules.code}:{hashlib.sha256(snapshot.encode()).hexdigest()[:12]}"


def settlement_order(claims: Iterable[ClaimFacts]) -> list[ClaimFacts]:
    """The approved (and paid) claims in the order they were approved, then the others
    still pending in visit-date order; rejected claims take no part."""
    approved = sorted((c for c in claims if c.approved), key=lambda c: (c.approval_sequence, c.key))
    pending = sorted(
        (c for c in claims if not c.approved and c.state != REJECTED),
        key=lambda c: (c.visit_date or date.max, c.number, c.key),
    )
    return approved + pending


def date_order(claims: Iterable[ClaimFacts]) -> list[ClaimFacts]:
    """The approved claims as if they had arrived in visit-date order, paid ones first
    (see the module's docstring)."""
    approved = [c for c in claims if c.approved]
    paid = sorted((c for c in approved if c.paid), key=lambda c: (c.approval_sequence, c.key))
    unpaid = sorted(
        (c for c in approved if not c.paid),
        key=lambda c: (c.visit_date or date.max, c.number, c.key),
    )
    return paid + unpaid


def settle(
    rules: engine.PolicyYearRules,
    member: engine.Member,
    ordered: Sequence[ClaimFacts],
    *,
    strict: bool = False,
) -> dict[int, ClaimResult]:
    """Settle ``ordered`` claims in that order with one ``engine.estimate``: every claim's
    lines, in position order, one engine expense each.

    A line the policy year has no benefit rule for pays nothing (status ``no_rule``) and
    takes no part. A stay key that joins no stay raises ``SettlementError`` when ``strict``
    (an approval must not store a guess); otherwise the key is dropped from that line, the
    line settled on its own and the step says so (a statement of what claims would get)."""
    cover = engine.estimate(rules, member, ()).cover
    notes: dict[int, str] = {}
    lines = {line.key: line for claim in ordered for line in claim.lines}
    while True:
        entries: list[tuple[ClaimFacts, LineFacts]] = []
        settled: dict[int, LineResult] = {}
        for claim in ordered:
            for line in claim.lines:
                line = lines[line.key]
                problem = _no_rule(rules, cover, line)
                if problem:
                    settled[line.key] = _unpaid(line, NO_RULE, problem)
                else:
                    entries.append((claim, line))
        try:
            estimate = engine.estimate(rules, member, [line.expense() for _, line in entries])
            break
        except engine.StayKeyError as error:
            claim, line = entries[error.index]
            if strict:
                raise SettlementError(
                    claim.key, line.key, f"{claim.number} 票据 {line.invoice}：{error.message}"
                ) from None
            notes[line.key] = f"{error.message}本笔按未并入住院结算。"
            lines[line.key] = replace(line, stay=None)

    for (_, line), result in zip(entries, estimate.expenses, strict=True):
        steps = result.reasons
        if line.key in notes:
            steps = (notes[line.key], *steps)
        settled[line.key] = LineResult(
            key=line.key,
            deductible=result.deductible,
            fund=result.fund,
            catastrophic=result.catastrophic,
            student=result.student,
            status=result.status,
            steps=steps,
            payer=result.payer,
        )
    return {
        claim.key: ClaimResult(claim.key, tuple(settled[line.key] for line in claim.lines))
        for claim in ordered
    }


def year_breakdowns(
    rules: engine.PolicyYearRules | None,
    member: engine.Member | None,
    claims: Sequence[ClaimFacts],
) -> dict[int, ClaimResult]:
    """What every claim of one student's policy year gets now (the settlement order):
    approved claims settled again in their order of approval (as they were approved,
    unless the year's rules changed since), pending ones what they would get if approved
    next in visit-date order, rejected ones nothing. Without a member (no enrollment
    covers the claims) nothing is paid."""
    results = {c.key: rejected(c) for c in claims if c.state == REJECTED and not c.approved}
    ordered = settlement_order(claims)
    if rules is None or member is None:
        results.update({c.key: not_covered(c) for c in ordered})
    else:
        results.update(settle(rules, member, ordered))
    return results


def approval_breakdown(
    rules: engine.PolicyYearRules,
    member: engine.Member,
    approved: Sequence[ClaimFacts],
    claim: ClaimFacts,
) -> ClaimResult:
    """The breakdown ``claim`` is approved with: settled after the student's claims already
    approved that year, in their order of approval."""
    ordered = [*settlement_order([c for c in approved if c.approved]), claim]
    return settle(rules, member, ordered, strict=True)[claim.key]


@dataclass(frozen=True)
class Difference:
    """A stored breakdown against the date-order recomputation (recomputed − stored)."""

    key: int
    number: str
    paid: bool
    stored: tuple[Decimal, Decimal, Decimal]
    recomputed: ClaimResult

    @property
    def change(self) -> tuple[Decimal, Decimal, Decimal]:
        return tuple(
            new - old for new, old in zip(self.recomputed.amounts(), self.stored, strict=True)
        )


def differences(
    rules: engine.PolicyYearRules | None,
    member: engine.Member | None,
    claims: Sequence[ClaimFacts],
    stored: dict[int, tuple[Decimal, Decimal, Decimal]],
) -> list[Difference]:
    """The approved claims whose stored (fund, catastrophic, student) differ from the
    date-order recomputation, in that order."""
    if rules is None or member is None:
        return []
    ordered = date_order(claims)
    if not ordered:
        return []
    recomputed = settle(rules, member, ordered)
    return [
        Difference(c.key, c.number, c.paid, stored[c.key], recomputed[c.key])
        for c in ordered
        if c.key in stored and recomputed[c.key].amounts() != stored[c.key]
    ]


def rejected(claim: ClaimFacts) -> ClaimResult:
    why = claim.rejection or "报销申请已驳回。"
    return ClaimResult(claim.key, tuple(_unpaid(line, CLAIM_REJECTED, why) for line in claim.lines))


def not_covered(claim: ClaimFacts) -> ClaimResult:
    why = "就诊日无参保记录，不享受待遇。"
    return ClaimResult(claim.key, tuple(_unpaid(line, NOT_COVERED, why) for line in claim.lines))


def _unpaid(line: LineFacts, status: str, why: str) -> LineResult:
    student = line.in_scope + line.out_of_scope
    return LineResult(
        key=line.key,
        deductible=ZERO,
        fund=ZERO,
        catastrophic=ZERO,
        student=student,
        status=status,
        steps=(
            f"{line.visit_date:%Y-%m-%d} 票据 {line.invoice}：{why}",
            f"个人自付 {student} 元。",
        ),
    )


def _no_rule(rules: engine.PolicyYearRules, cover: engine.Cover, line: LineFacts) -> str:
    """Why the engine could not settle ``line`` at all, or "". The engine checks an
    exclusion and the cover dates before it looks up the benefit rule, and an emergency
    rescue that joins a stay is settled by the stay's rule (engine.stay_cares checks it)."""
    if line.excluded or not cover.start <= line.visit_date <= cover.end:
        return ""
    if line.stay and line.care == "emergency":
        return ""  # settled by its stay's rule: engine.stay_cares checks that one
    try:
        engine.rule_for(rules, line.care, line.level)
    except ValueError:
        return (
            f"医保年度 {rules.code} 没有{engine.CARE_LABELS[line.care]}·"
            f"{engine.LEVEL_LABELS[line.level]}的待遇规则，不予支付。"
        )
    return ""
