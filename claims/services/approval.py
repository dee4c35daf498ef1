"""Approving a claim stores its breakdown, once; recomputing re-settles unpaid approved
claims in visit-date order, showing the difference before anything is written (issue #11,
DESIGN.md §4.6: the approved breakdown is stored and never recomputed silently).

Locks: the student's row first, then the claim. A claim's breakdown depends on every claim
of the student's year approved before it, so one student's approvals and recomputations
settle one at a time, each seeing the others committed; taking the student first in every
path keeps two of them from waiting on each other."""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from enrollment.models import Student
from policies import engine

from .. import breakdowns, rules, workflow
from ..models import Claim, ClaimEvent, ClaimLine
from ..selectors import CLAIM_FIELDS, Loader, YearClaims
from .common import ClaimRefused, claims_write, facts_of

# how often the next approval number is taken again when another approval took it meanwhile
ATTEMPTS = 10
STORED_LINE_FIELDS = ["fund", "catastrophic", "student", "status", "steps"]


def claim_approve(*, claim: Claim, by=None) -> Claim:
    """Approve `claim` (审核中 → 已批准): settle it after the student's claims already
    approved that year, in their order of approval, and store every line's result, the
    claim's totals, the breakdown with every step's sentence, the rules version and its
    place in the order of approval. Ten clerks approving at once approve and store it
    once: the others are refused, as the claim is no longer in review."""
    with transaction.atomic():
        _lock_student(claim.student_id)
        current = Claim.objects.select_for_update().get(pk=claim.pk)
        workflow.check_transition(facts_of(current, to=workflow.APPROVED), workflow.APPROVED)
        year = _year_of(current)
        facts = {fact.key: fact for fact in year.facts}
        approved = [fact for fact in year.facts if fact.approved]
        try:
            result = breakdowns.approval_breakdown(
                year.rules, year.member, approved, facts[current.pk]
            )
        except breakdowns.SettlementError as error:
            raise ClaimRefused(error.message, code="stay_key") from None
        current.approval_sequence = _next_sequence(current.pk)
        claims_write([current], to=workflow.APPROVED, by=by)
        if not current.payer:
            current.payer = rules.decide_payer(current.type, [line.payer for line in result.lines])
        current.approved_at, current.approved_by = timezone.now(), by
        _store(current, result, year.rules, settled_after=[fact.number for fact in approved])
        current.save(
            update_fields=[
                "payer",
                "approved_at",
                "approved_by",
                "fund",
                "catastrophic",
                "student_pays",
                "breakdown",
                "rules_version",
            ]
        )
    return current


@dataclass(frozen=True)
class Recomputation:
    """Stored against date-order amounts of the unpaid approved claims that differ (each
    `(fund, catastrophic, student)`), and whether they were written."""

    differences: tuple[breakdowns.Difference, ...]
    applied: bool

    def as_json(self) -> list[dict]:
        def amounts(values) -> dict:
            return {
                name: str(value)
                for name, value in zip(("fund", "catastrophic", "student"), values, strict=True)
            }

        return [
            {
                "number": found.number,
                "stored": amounts(found.stored),
                "recomputed": amounts(found.recomputed.amounts()),
                "difference": amounts(found.change),
            }
            for found in self.differences
        ]


def claim_recompute(*, claim: Claim, apply: bool = False, by=None) -> Recomputation:
    """The unpaid approved claims of `claim`'s student and policy year whose stored
    breakdown differs from a date-order recomputation (claims.breakdowns.date_order), and,
    only when `apply`, their breakdowns re-stored with an event each naming the change.

    They are re-settled together: moving a deductible or a cap from one claim to another
    is only right when both move, or the year would charge it twice or not at all. Paid
    claims keep what they were paid."""
    with transaction.atomic():
        _lock_student(claim.student_id)
        current = Claim.objects.select_for_update().get(pk=claim.pk)
        if current.state != workflow.APPROVED:
            raise ClaimRefused(
                f"报销申请 {current.number} 为「{workflow.LABELS[current.state]}」："
                "只有已批准、尚未支付的报销申请可以重新计算。",
                code="not_recomputable",
            )
        year = _year_of(current)
        stored = year.stored()
        found = tuple(d for d in year.differences() if not d.paid)
        if not (apply and found):
            return Recomputation(found, applied=False)
        locked = {
            row.pk: row
            for row in Claim.objects.select_for_update().filter(
                pk__in=[d.key for d in found], state=workflow.APPROVED
            )
        }
        if len(locked) != len(found):
            raise ClaimRefused("部分报销申请已被他人修改，请重试。", code="stale")
        for difference in found:
            row = locked[difference.key]
            previous = row.breakdown
            _store(row, difference.recomputed, year.rules, settled_after=None)
            row.breakdown["recomputed"] = {
                "at": timezone.now().isoformat(),
                "previous": {
                    name: str(value)
                    for name, value in zip(
                        ("fund", "catastrophic", "student"), stored[row.pk], strict=True
                    )
                },
                "previous_rules_version": previous.get("rules_version", ""),
            }
            row.save(
                update_fields=[
                    "fund",
                    "catastrophic",
                    "student_pays",
                    "breakdown",
                    "rules_version",
                    "updated_at",
                ]
            )
            ClaimEvent.objects.create(
                claim=row,
                from_state=workflow.APPROVED,
                to_state=workflow.APPROVED,
                reason=_change_sentence(difference),
                by=by,
            )
    return Recomputation(found, applied=True)


def _change_sentence(difference: breakdowns.Difference) -> str:
    (old_fund, old_cat, old_student) = difference.stored
    new = difference.recomputed
    return (
        "按就诊日期顺序重新计算："
        f"基金支付 {old_fund} → {new.fund}，大病保险 {old_cat} → {new.catastrophic}，"
        f"个人自付 {old_student} → {new.student}。"
    )


def _lock_student(student_id: int) -> None:
    list(Student.objects.select_for_update().filter(pk=student_id).values_list("pk", flat=True))


def _year_of(claim: Claim) -> YearClaims:
    """The claims of `claim`'s student and policy year, as the engine's facts."""
    if claim.policy_year_id is None or claim.enrollment_id is None:
        raise ClaimRefused(
            f"报销申请 {claim.number} 没有覆盖就诊日的参保记录，无法计算报销金额。",
            code="not_covered",
        )
    rows = Claim.objects.filter(
        student_id=claim.student_id, policy_year_id=claim.policy_year_id
    ).values(*CLAIM_FIELDS)
    (year,) = Loader().years(rows)
    if year.member is None:
        raise ClaimRefused(
            f"报销申请 {claim.number} 的参保记录尚无待遇起止日期，无法计算报销金额。",
            code="cover_unknown",
        )
    return year


def _next_sequence(pk: int) -> int:
    """The next place in the order of approval (unique). Two approvals of different
    students at once may take the same number: the constraint makes the second wait for
    the first and fail, and it takes the number after."""
    for _ in range(ATTEMPTS):
        last = Claim.objects.aggregate(last=Max("approval_sequence"))["last"] or 0
        try:
            with transaction.atomic():
                Claim.objects.filter(pk=pk).update(approval_sequence=last + 1)
        except IntegrityError:
            if not Claim.objects.filter(approval_sequence=last + 1).exists():
                raise
        else:
            return last + 1
    raise ClaimRefused("同时批准的报销申请太多，请稍后重试。", code="busy")


def _store(
    claim: Claim,
    result: breakdowns.ClaimResult,
    policy: engine.PolicyYearRules,
    *,
    settled_after: list[str] | None,
) -> None:
    """Write `result` on the claim (in memory: the caller saves it) and on its lines."""
    lines = list(ClaimLine.objects.filter(claim=claim).order_by("position"))
    settled = {line.key: line for line in result.lines}
    for line in lines:
        found = settled[line.pk]
        line.fund, line.catastrophic, line.student = found.fund, found.catastrophic, found.student
        line.status, line.steps = found.status, list(found.steps)
    ClaimLine.objects.bulk_update(lines, STORED_LINE_FIELDS)
    claim.fund, claim.catastrophic, claim.student_pays = result.amounts()
    claim.rules_version = breakdowns.rules_version(policy)
    claim.breakdown = {
        "policy_year": policy.code,
        "rules_version": claim.rules_version,
        "fund": str(result.fund),
        "catastrophic": str(result.catastrophic),
        "student": str(result.student),
        "lines": [
            {
                "invoice": line.invoice_number,
                "date": line.visit_date.isoformat(),
                "deductible": str(settled[line.pk].deductible),
                "fund": str(line.fund),
                "catastrophic": str(line.catastrophic),
                "student": str(line.student),
                "status": line.status,
                "payer": settled[line.pk].payer,
                "steps": line.steps,
            }
            for line in lines
        ],
    }
    if settled_after is not None:
        claim.breakdown["settled_after"] = settled_after
