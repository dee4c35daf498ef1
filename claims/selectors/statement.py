"""A student's claims of a year: issue #11's claim_statement."""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from decimal import Decimal

from enrollment.models import Student
from office.errors import Refused
from policies import engine
from policies.engine import ZERO
from policies.models import PolicyYear

from .. import breakdowns, rules, workflow
from ..models import Claim
from .loading import CLAIM_FIELDS, MONEY, Loader, YearClaims, chunks, year_claims


class StatementRefused(Refused):
    """A statement or report asked for a year the portal has no policy year of."""


def claim_statement(*, student: Student, year: int) -> dict:
    """Issue #11's claim_statement of `student` for `year`: every claim, approved ones as
    stored, the others as they would be settled now; plus `differences`, the approved
    claims whose stored breakdown differs from a date-order recomputation (see
    claims.breakdowns) and by how much."""
    _known_year(year)
    return next(claim_statements(year=year, students=[student]))


def claim_statements(*, year: int, students: Sequence[Student] | None = None) -> Iterator[dict]:
    """Statements of many students at once, in student-number order: `students`, or every
    student with a claim in `year`. A few queries per two thousand students."""
    if students is None:
        ids = (
            Claim.objects.filter(year_claims(year))
            .values_list("student_id", flat=True)
            .distinct()
            .order_by()
        )
        numbers = dict(Student.objects.filter(pk__in=list(ids)).values_list("pk", "student_number"))
    else:
        numbers = {student.pk: student.student_number for student in students}
    order = sorted(numbers, key=lambda pk: (numbers[pk], pk))
    loader = Loader()
    for chunk in chunks(order):
        rows = Claim.objects.filter(year_claims(year), student_id__in=chunk).values(*CLAIM_FIELDS)
        by_student: dict[int, list[YearClaims]] = defaultdict(list)
        for group in loader.years(rows):
            by_student[group.student_id].append(group)
        for pk in chunk:
            yield _statement(numbers[pk], year, by_student.get(pk, []))


def _statement(student_number: str, year: int, groups: list[YearClaims]) -> dict:
    claims, differences = [], []
    for group in groups:
        pending = any(row["approval_sequence"] is None for row in group.rows)
        results = group.results() if pending else {}
        for row in group.rows:
            lines = group.lines[row["pk"]]
            if row["approval_sequence"] is not None:
                claims.append(_claim_json(row, _stored_lines(lines), stored_totals(row)))
            else:
                result = results[row["pk"]]
                claims.append(
                    _claim_json(row, _computed_lines(lines, result), result.amounts(), result)
                )
        differences += [_difference_json(found) for found in group.differences()]
    claims.sort(key=lambda claim: (claim["visit_date"] or "", claim["number"]))
    return {
        "student_number": student_number,
        "year": year,
        "claims": claims,
        "totals": {
            name: money(sum((Decimal(claim[name]) for claim in claims), ZERO)) for name in MONEY
        },
        "differences": differences,
    }


def _claim_json(row, lines, amounts, result: breakdowns.ClaimResult | None = None) -> dict:
    payer = row["payer"] or None
    if payer is None and result is not None and row["state"] != workflow.REJECTED:
        payer = rules.decide_payer(row["type"], [line.payer for line in result.lines])
    rejection = None
    if row["state"] == workflow.REJECTED:
        rejection = {"code": row["rejection_code"], "message": row["rejection_message"]}
    visits = [line["date"] for line in lines]
    return {
        "number": row["number"],
        "state": row["state"],
        "type": row["type"],
        "payer": payer,
        "visit_date": min(visits) if visits else None,
        **{name: money(amount) for name, amount in zip(MONEY, amounts, strict=True)},
        "rejection": rejection,
        "lines": lines,
    }


def stored_totals(row: dict) -> tuple[Decimal, Decimal, Decimal]:
    return (row["fund"] or ZERO, row["catastrophic"] or ZERO, row["student_pays"] or ZERO)


def _stored_lines(lines: list[dict]) -> list[dict]:
    return [
        {
            "invoice": line["invoice_number"],
            "date": line["visit_date"].isoformat(),
            **{name: money(line[name] or ZERO) for name in MONEY},
            "status": line["status"],
            "steps": list(line["steps"] or []),
        }
        for line in lines
    ]


def _computed_lines(lines: list[dict], result: breakdowns.ClaimResult) -> list[dict]:
    return [
        {
            "invoice": line["invoice_number"],
            "date": line["visit_date"].isoformat(),
            "fund": money(settled.fund),
            "catastrophic": money(settled.catastrophic),
            "student": money(settled.student),
            "status": settled.status,
            "steps": list(settled.steps),
        }
        for line, settled in zip(lines, result.lines, strict=True)
    ]


def _difference_json(found: breakdowns.Difference) -> dict:
    def amounts(values) -> dict:
        return {name: money(value) for name, value in zip(MONEY, values, strict=True)}

    return {
        "number": found.number,
        "paid": found.paid,
        "stored": amounts(found.stored),
        "recomputed": amounts(found.recomputed.amounts()),
        "difference": amounts(found.change),
    }


def money(amount: Decimal) -> str:
    return str(engine.fen(amount))


def _known_year(year: int) -> None:
    if not PolicyYear.objects.filter(year=year).exists():
        raise StatementRefused(f"没有 {year} 年度的医保年度数据。", code="no_policy_year")
