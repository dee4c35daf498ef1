"""What a claims file would do and, applied, did: said as a table for the staff, as JSON
for scripts and in one line (office.incoming.Plan)."""

from dataclasses import dataclass, field
from decimal import Decimal

from office.incoming import Plan, Problem

from .. import rules
from .grouping import FileClaim

# rows of the preview table on the admin page (the JSON lists everything)
SHOWN_CLAIMS = 1000


@dataclass
class ClaimsPlan(Plan):
    """What a claims file would do (and, applied, did): the usable claims of the file
    (`claims`: new ones and those recorded already), the facilities it names that the
    registry lacks, and after the apply the claims created and those the checks rejected."""

    claims: list[FileClaim] = field(default_factory=list)
    # file claim key -> the number of the claim recorded from it before
    unchanged: dict[str, str] = field(default_factory=dict)
    # facility name as written -> (level, rows)
    new_facilities: dict[str, tuple[str, int]] = field(default_factory=dict)
    student_numbers: dict[int, str] = field(default_factory=dict)
    # after the apply: file claim key -> (number, check failed or None)
    results: dict[str, tuple[str, rules.Check | None]] = field(default_factory=dict)
    # the dry run's: file claim key -> the check the commit would reject the claim with
    predicted: dict[str, rules.Check] = field(default_factory=dict)

    @property
    def new(self) -> list[FileClaim]:
        return [claim for claim in self.claims if claim.key not in self.unchanged]

    def rejected(self) -> list[dict]:
        """The claims the checks rejected (applied) or would reject (a dry run: no claim
        number yet)."""
        found = []
        for claim in self.claims:
            if self.applied:
                number, check = self.results.get(claim.key, ("", None))
            else:
                number, check = "", self.predicted.get(claim.key)
            if check is not None:
                found.append(
                    {
                        "row": claim.row,
                        "claim": number,
                        "code": check.code,
                        "message": check.message,
                    }
                )
        return found

    def created(self) -> list[str]:
        return [self.results[claim.key][0] for claim in self.claims if claim.key in self.results]

    def as_json(self) -> dict:
        return {
            "rows": self.rows,
            "claims": len(self.claims),
            "invalid": [_problem_json(problem) for problem in self.problems],
            "rejected": self.rejected(),
            "created": self.created(),
            # additions
            "unchanged": len(self.unchanged),
            "new_facilities": [
                {"name": name, "level": level, "rows": rows}
                for name, (level, rows) in self.new_facilities.items()
            ],
            "flagged": [_problem_json(problem) for problem in self.flagged],
            "applied": self.applied,
            "skipped": self.skipped,
        }

    def summary(self) -> str:
        parts = [f"数据行 {self.rows}", f"报销申请 {len(self.claims)} 张"]
        if self.unchanged:
            parts.append(f"此前已导入 {len(self.unchanged)} 张")
        if self.applied:
            parts.append(f"新建并提交 {len(self.results)} 张")
            parts.append(f"自动检查驳回 {len(self.rejected())} 张")
        else:
            parts.append(f"将新建并提交 {len(self.new)} 张")
            if self.predicted:
                parts.append(f"其中自动检查将驳回 {len(self.predicted)} 张")
        if self.new_facilities:
            parts.append(f"名录外医疗机构 {len(self.new_facilities)} 家")
        parts.append(f"有问题 {len(self.problems)} 行")
        if self.skipped:
            parts.append(f"跳过表尾、重复表头等非数据行 {self.skipped} 行")
        return "，".join(parts)

    def preview(self) -> tuple[list[str], list[list]]:
        header = ["行", "申请单号", "学号", "报销类型", "票据", "发票金额", "医保范围内", "结果"]
        shown = self.claims[:SHOWN_CLAIMS]
        rows = [
            [
                claim.row,
                claim.application,
                self.student_numbers.get(claim.value("student"), ""),
                rules.TYPE_LABELS[claim.value("type")],
                len(claim.rows),
                sum((row.total for row in claim.rows), Decimal("0.00")),
                sum((row.in_scope for row in claim.rows), Decimal("0.00")),
                self._outcome(claim),
            ]
            for claim in shown
        ]
        if len(shown) < len(self.claims):
            rows.append(["…", f"其余 {len(self.claims) - len(shown)} 张未列出", *[""] * 6])
        return header, rows

    def _outcome(self, claim: FileClaim) -> str:
        if claim.key in self.unchanged:
            return f"此前已导入（{self.unchanged[claim.key]}），不再新建"
        if claim.key not in self.results:
            check = None if self.applied else self.predicted.get(claim.key)
            if check is not None:
                return f"将新建并提交，自动检查将驳回：{rules.CHECK_LABELS[check.code]}"
            return "将新建并提交"
        number, check = self.results[claim.key]
        if check is None:
            return f"{number} 已提交"
        return f"{number} 已驳回：{rules.CHECK_LABELS[check.code]}"


def _problem_json(problem: Problem) -> dict:
    return {
        "row": problem.row,
        "column": problem.column,
        "code": problem.code,
        "message": problem.message,
    }
