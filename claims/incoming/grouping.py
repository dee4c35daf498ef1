"""Rows into claims: rows sharing a 申请单号 are one claim, a row without one is a claim of
its own, and a claim is imported whole or not at all."""

from dataclasses import dataclass, field

from office.incoming import Problem, excerpt

from .. import rules
from .columns import COLUMN
from .rows import ClaimRow

# what every row of one claim shares: field -> may a row leave it blank
CLAIM_FIELDS = {
    "student": False,
    "type": False,
    "submitted_on": False,
    "channel": True,
    "registration": True,
    "registration_valid_until": True,
    "referral": True,
    "bank_account": True,
}


@dataclass(slots=True)
class FileClaim:
    """The rows of one claim in the file, in file order, and the values they share."""

    key: str  # the 申请单号, or "#<row>" for a row without one
    rows: list[ClaimRow] = field(default_factory=list)
    shared: dict = field(default_factory=dict)

    @property
    def row(self) -> int:
        return self.rows[0].row

    @property
    def application(self) -> str:
        return self.rows[0].application

    def value(self, name: str):
        return self.shared[name]

    @property
    def out_of_city(self) -> bool:
        return self.rows[0].type == rules.REMOTE or self.value("registration") not in (
            "",
            rules.REGISTRATION_NONE,
        )


def group_claims(
    rows: list[ClaimRow], problems: list[Problem]
) -> tuple[list[FileClaim], list[Problem]]:
    """Rows sharing a 申请单号 are one claim. A claim is imported whole or not at all: a
    row giving another value of what a claim shares (CLAIM_FIELDS) is a problem, and so is
    every other row of a claim one of whose rows has a problem (`problems`, RowProblems of
    the rows left out). Returns the usable claims and every problem, in row order."""
    claims: dict[str, FileClaim] = {}
    problems = list(problems)
    broken: dict[str, Problem] = {}
    for problem in problems:
        if getattr(problem, "application", "") and problem.application not in broken:
            broken[problem.application] = problem
    for parsed in rows:
        key = parsed.application or f"#{parsed.row}"
        claim = claims.get(key)
        if claim is None:
            claims[key] = FileClaim(
                key=key,
                rows=[parsed],
                shared={name: getattr(parsed, name) for name in CLAIM_FIELDS},
            )
            continue
        claim.rows.append(parsed)
        for name, may_be_blank in CLAIM_FIELDS.items():
            value, kept = getattr(parsed, name), claim.shared[name]
            if may_be_blank and (value in ("", None) or kept in ("", None)):
                claim.shared[name] = kept if value in ("", None) else value
                continue
            if value != kept and key not in broken:
                column = COLUMN.get(name, COLUMN["student_number"])
                broken[key] = Problem(
                    parsed.row,
                    column,
                    f"与同一申请单号「{excerpt(key)}」第 {claim.row} 行的「{column}」不一致"
                    + ("（不是同一名学生）。" if name == "student" else "。"),
                    code="inconsistent_claim",
                )
    usable = []
    for key, claim in claims.items():
        problem = broken.get(key)
        if problem is None:
            usable.append(claim)
            continue
        problems.extend(
            problem
            if parsed.row == problem.row
            else Problem(
                parsed.row,
                COLUMN["application"],
                f"同一申请单号「{excerpt(key)}」的第 {problem.row} 行有问题，整张申请未导入。",
                code="claim_incomplete",
            )
            for parsed in claim.rows
        )
    problems.sort(key=lambda problem: problem.row)
    return usable, problems
