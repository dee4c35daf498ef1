"""对账's two lists as files (the page, enrollment.views.payments, shows them a page at a
time): the enrollments holding money without an account, and the accounts whose
premium is not fully collected (enrollment.selectors.reconciliation)."""

from office import exports
from policies.engine import fen

from .. import workflow

LISTS = {
    "paid_not_established": "已缴费未建账",
    "established_not_paid": "已建账未足额缴费",
}
HEADER = ["学院", "学号", "姓名", "状态", "应缴保费", "已缴金额", "已退费"]
KINDS = {header: exports.Kind.MONEY for header in ("应缴保费", "已缴金额", "已退费")}


def reconciliation_row(enrollment) -> list:
    """One enrollment of either list (annotated with `refunded`), as page and file show it."""
    student = enrollment.student
    return [
        student.college,
        student.student_number,
        student.name,
        workflow.LABELS[enrollment.state],
        enrollment.premium_due,
        enrollment.amount_paid,
        fen(enrollment.refunded),
    ]


def reconciliation_list_xlsx(*, enrollments, which: str) -> tuple[bytes, int]:
    """The list `which` (a key of LISTS) as a workbook, and how many rows it has."""
    rows = [reconciliation_row(enrollment) for enrollment in enrollments.iterator()]
    content = exports.xlsx(exports.columns_of(HEADER, KINDS), rows, sheet=LISTS[which])
    return content, len(rows)
