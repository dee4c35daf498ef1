"""Submitting claims: the automatic checks (claims.rules.check_claim) on the facts of
the database, read once for every claim submitted together. A claim failing a hard rule
is rejected at once with the rule's code and sentence; the others wait for review."""

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from datetime import date
from types import SimpleNamespace

from django.db import transaction

from .. import rules, workflow
from ..models import Claim, ClaimLine
from .common import ClaimRefused, claims_write
from .create import ClaimDraft, lines_by_claim
from .facts import CHUNK, Covers, PolicyYears, _chunks, referrals_by_pk


def claims_submit(
    claims: Sequence[Claim], *, today: date, by=None
) -> list[tuple[Claim, rules.Check | None]]:
    """Submit draft `claims` (dated `today` unless they carry the date they were handed
    in) and check them. Each comes back as it now stands, with the check it failed (None
    when it passed). Refused as a whole (workflow.TransitionRefused) if one of them is no
    longer a draft."""
    with transaction.atomic():
        locked = _lock([claim.pk for claim in claims])
        before = [_decided(claim) for claim in locked]
        results = _check(locked, today=today)
        _write_decided(locked, before)
        claims_write(locked, to=workflow.SUBMITTED, by=by)
        failed: dict[str, list[Claim]] = defaultdict(list)
        for claim, check in zip(locked, results, strict=True):
            if check is not None:
                failed[check.code].append(claim)
        for code, rejected in failed.items():
            claims_write(
                rejected,
                to=workflow.REJECTED,
                by=by,
                reason=f"自动检查未通过：{rules.CHECK_LABELS[code]}",
            )
    return list(zip(locked, results, strict=True))


def claim_submit(*, claim: Claim, today: date, by=None) -> Claim:
    """Submit one draft claim (claims_submit): it comes back submitted, or rejected with
    `rejection_code` and `rejection_message` set."""
    [(submitted, _check)] = claims_submit([claim], today=today, by=by)
    return submitted


# what submission decides on a claim (_check); the last two differ claim by claim
DECIDED = (
    "submitted_on",
    "policy_year_id",
    "payer",
    "rejection_code",
    "enrollment_id",
    "rejection_message",
)
EACH_ITS_OWN = ("enrollment_id", "rejection_message")


def _decided(claim: Claim) -> tuple:
    return tuple(getattr(claim, name) for name in DECIDED)


def _write_decided(claims: list[Claim], before: list[tuple]) -> None:
    """Write what _check changed: one UPDATE per field and value, and bulk_update only
    for what differs claim by claim, on the claims it changed. An import's fifty
    thousand claims keep their date, year and enrollment, share a few payers and mostly
    pass; bulk_update's CASE over every row and field took minutes on them."""
    same: dict[tuple[str, object], list[int]] = defaultdict(list)
    each: dict[str, list[Claim]] = defaultdict(list)
    for claim, old in zip(claims, before, strict=True):
        for name, value in zip(DECIDED, old, strict=True):
            new = getattr(claim, name)
            if new == value:
                continue
            if name in EACH_ITS_OWN:
                each[name].append(claim)
            else:
                same[(name, new)].append(claim.pk)
    for (name, value), pks in same.items():
        for chunk in _chunks(pks):
            Claim.objects.filter(pk__in=chunk).update(**{name: value})
    for name, changed in each.items():
        Claim.objects.bulk_update(changed, [name.removesuffix("_id")], batch_size=CHUNK)


def _lock(pks: list[int]) -> list[Claim]:
    order = {pk: index for index, pk in enumerate(pks)}
    locked: list[Claim] = []
    for chunk in _chunks(sorted(pks)):
        locked.extend(
            # only the claims' rows: the policy year is joined to be read, not locked
            Claim.objects.select_for_update(of=("self",))
            .filter(pk__in=chunk)
            .select_related("policy_year")
            .order_by("pk")
        )
    return sorted(locked, key=lambda claim: order[claim.pk])


def claims_predict(
    drafts: Sequence[ClaimDraft],
    *,
    today: date,
    claimed_before: Collection[str] = (),
    covers: Covers | None = None,
) -> list[rules.Check | None]:
    """The check each of `drafts` would fail if it were recorded and submitted now (None
    where it would pass), writing nothing: an import's dry run says which claims the
    commit would reject. The same checks on the same facts as claims_submit; a receipt
    claimed in the database, earlier in `drafts` or among the invoice numbers
    `claimed_before` (an earlier chunk of the same file) is a repeat. Plain records, not
    model instances: a dry run of fifty thousand claims builds none. `covers`: the
    students' covers read once for a whole file."""
    invoices = sorted({line.invoice_number.strip() for draft in drafts for line in draft.lines})
    seen = set(claimed_before)
    for chunk in _chunks(invoices):
        seen.update(
            ClaimLine.objects.filter(
                invoice_number__in=chunk, duplicate_of__isnull=True
            ).values_list("invoice_number", flat=True)
        )
    claims, lines = [], []
    for draft in drafts:
        claims.append(
            SimpleNamespace(
                student_id=draft.student_id,
                type=draft.type,
                submitted_on=draft.submitted_on,
                out_of_city=rules.is_out_of_city(draft.type, draft.out_of_city),
                remote_registration=draft.remote_registration,
                remote_registration_valid_until=draft.remote_registration_valid_until,
                referral_id=draft.referral_id,
                policy_year=None,
                enrollment=None,
            )
        )
        receipts = []
        for given in draft.lines:
            invoice = given.invoice_number.strip()
            receipts.append(
                SimpleNamespace(
                    invoice_number=invoice,
                    invoice_date=given.invoice_date,
                    visit_date=given.visit_date,
                    care=given.care,
                    level=given.level,
                    repeat=invoice in seen,
                )
            )
            seen.add(invoice)
        lines.append(receipts)
    return check_claims(
        claims, lines, today=today, repeated=lambda line: line.repeat, covers=covers
    )


def _check(claims: list[Claim], *, today: date) -> list[rules.Check | None]:
    lines = lines_by_claim([claim.pk for claim in claims])
    return check_claims(claims, [lines[claim.pk] for claim in claims], today=today)


def check_claims(
    claims: Sequence[Claim],
    lines: Sequence[Sequence[ClaimLine]],
    *,
    today: date,
    repeated: Callable[[ClaimLine], bool] = lambda line: line.duplicate_of_id is not None,
    covers: Covers | None = None,
) -> list[rules.Check | None]:
    """Check each claim against its receipts (`lines`, in the same order), and set on it
    what submission decides: its date, its cover's policy year and enrollment (the cover
    may have come since it was drafted), who pays it, and the rejection found. `repeated`
    says whether a receipt was claimed before."""
    covers = covers or Covers(claim.student_id for claim in claims)
    years = PolicyYears()
    referrals = referrals_by_pk(claim.referral_id for claim in claims)
    results = []
    for claim, claim_lines in zip(claims, lines, strict=True):
        if not claim_lines:
            raise ClaimRefused(f"{claim} 没有票据，不能提交。", code="no_lines")
        claim.submitted_on = claim.submitted_on or today
        first_visit = min(line.visit_date for line in claim_lines)
        first_cover = covers.on(claim.student_id, first_visit)
        if first_cover is not None:
            claim.enrollment = first_cover.enrollment
            claim.policy_year = first_cover.enrollment.policy_year
        else:
            claim.enrollment = None
            claim.policy_year = claim.policy_year or years.of_school(first_visit.year)
        referral = referrals.get(claim.referral_id)
        if referral is not None and referral.student_id != claim.student_id:
            referral = None
        facts = []
        for line in claim_lines:
            cover = covers.on(claim.student_id, line.visit_date)
            year = cover.enrollment.policy_year if cover else claim.policy_year
            facts.append(
                rules.LineFacts(
                    invoice_number=line.invoice_number,
                    invoice_date=line.invoice_date,
                    visit_date=line.visit_date,
                    care=line.care,
                    level=line.level,
                    covered=cover is not None,
                    in_waiting=bool(cover and cover.in_waiting),
                    referral_required=years.referral_required(year, line.care, line.level),
                    referral_valid=referral is not None
                    and rules.referral_valid(
                        issued_on=referral.issued_on,
                        valid_until=referral.valid_until,
                        day=line.visit_date,
                    ),
                    duplicate=repeated(line),
                )
            )
        check = rules.check_claim(
            rules.ClaimFacts(
                type=claim.type,
                submitted_on=claim.submitted_on,
                lines=tuple(facts),
                claim_window_months=claim.policy_year.claim_window_months
                if claim.policy_year
                else None,
                out_of_city=claim.out_of_city,
                remote_registration=claim.remote_registration,
                remote_registration_valid_until=claim.remote_registration_valid_until,
            )
        )
        claim.payer = rules.decide_payer(
            claim.type,
            (years.payer(claim.policy_year, line.care, line.level) for line in claim_lines),
        )
        claim.rejection_code = check.code if check else ""
        claim.rejection_message = check.message if check else ""
        results.append(check)
    return results
