"""A student's claim statement for a year (issue #11 `claim_statement`): approved claims as
stored, the others as they would be settled now, rejected ones with their reason, and the
stored breakdowns a date-order recomputation would change.

Seeds (shared/seeds/): SH-GUIDE = shanghai-student-insurance-guide-2024-11.txt Q7 (门急诊
300 a year, then 70% / 60% / 50% at levels 1 / 2 / 3) and Q12 (claims within 6 months)."""

import json
import random
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from claims import workflow
from claims.selectors import StatementRefused, claim_statement, claim_statements
from claims.services.approval import claim_approve, claim_recompute
from claims.tests.factories import ClaimFactory, CoveredStudentFactory, LineInputFactory

pytestmark = pytest.mark.django_db

D = Decimal


def claim(student, *, visit: date, level: str, in_scope: str, submit=None, review=True):
    line = LineInputFactory(
        visit_date=visit, care="emergency", level=level, in_scope=D(in_scope), total=D(in_scope)
    )
    return ClaimFactory(
        student=student,
        lines=[line],
        received=True,
        submit=submit or visit + timedelta(days=20),
        review=review,
    )


def test_the_statement_shows_stored_pending_and_rejected_claims(covered_student):
    approved = claim(covered_student, visit=date(2025, 3, 10), level="2", in_scope="500.00")
    claim_approve(claim=approved)
    pending = claim(covered_student, visit=date(2025, 4, 2), level="3", in_scope="400.00")
    # submitted 1 Dec for a receipt of 20 Apr: past the 6 months of SH-GUIDE Q12
    late = claim(
        covered_student,
        visit=date(2025, 4, 20),
        level="1",
        in_scope="90.00",
        submit=date(2025, 12, 1),
        review=False,
    )

    statement = claim_statement(student=covered_student, year=2025)

    assert statement["student_number"] == covered_student.student_number
    assert statement["year"] == 2025
    by_number = {c["number"]: c for c in statement["claims"]}
    assert [c["number"] for c in statement["claims"]] == [
        approved.number,
        pending.number,
        late.number,
    ]
    # approved, as stored: (500 − 300) × 60% = 120.00, student 380.00
    first = by_number[approved.number]
    assert (first["state"], first["fund"], first["catastrophic"], first["student"]) == (
        "approved",
        "120.00",
        "0.00",
        "380.00",
    )
    assert first["payer"] == "bureau" and first["visit_date"] == "2025-03-10"
    assert first["lines"][0]["invoice"] == approved.lines.get().invoice_number
    assert first["lines"][0]["status"] == "covered" and first["lines"][0]["steps"]
    # pending, settled after the approved one: deductible used, 400 × 50% = 200.00
    second = by_number[pending.number]
    assert (second["state"], second["fund"], second["student"]) == ("in_review", "200.00", "200.00")
    assert second["rejection"] is None and second["payer"] == "bureau"
    # rejected: nothing paid, the student bears the 90.00, and the reason
    third = by_number[late.number]
    assert (third["fund"], third["student"]) == ("0.00", "90.00")
    assert third["rejection"]["code"] == "late_submission"
    assert "6 个月" in third["rejection"]["message"]
    # 120 + 200 + 0 = 320.00; 380 + 200 + 90 = 670.00
    assert statement["totals"] == {"fund": "320.00", "catastrophic": "0.00", "student": "670.00"}
    assert statement["differences"] == []


def test_out_of_order_approvals_are_named_with_their_difference(covered_student):
    later = claim(covered_student, visit=date(2025, 4, 2), level="3", in_scope="400.00")
    earlier = claim(covered_student, visit=date(2025, 3, 10), level="2", in_scope="500.00")
    claim_approve(claim=later)
    claim_approve(claim=earlier)

    statement = claim_statement(student=covered_student, year=2025)

    # stored: later 50.00 (took the 300), earlier 300.00; in date order earlier
    # (500 − 300) × 60% = 120.00 and later 400 × 50% = 200.00
    assert [
        (d["number"], d["paid"], d["difference"]["fund"]) for d in statement["differences"]
    ] == [
        (earlier.number, False, "-180.00"),
        (later.number, False, "150.00"),
    ]
    claim_recompute(claim=earlier, apply=True)
    after = claim_statement(student=covered_student, year=2025)
    assert after["differences"] == []
    assert [c["fund"] for c in after["claims"]] == ["120.00", "200.00"]


RECEIPTS = [
    # (visit, level, in scope) of emergency visits paid in cash (急诊垫付), in visit-date
    # order; emergency shares the outpatient 300 a year (SH-GUIDE Q7)
    ("2025-02-03", "一级", "200.00"),  # all 200 to the deductible: 0.00
    ("2025-03-09", "二级", "250.00"),  # 100 to the deductible, 150 × 60% = 90.00
    ("2025-05-20", "三级", "300.00"),  # 300 × 50% = 150.00
    ("2025-07-01", "校内", "50.00"),  # the campus clinic 80%, not counted: 40.00
    ("2025-09-14", "三级", "1000.00"),  # 1000 × 50% = 500.00
]
HEADER = ["学号", "报销类型", "医疗机构", "医院等级", "就诊日期", "票据号", "票据日期", "申请日期"]
HEADER += ["发票金额", "医保范围内金额"]


def claims_file(path, student, order: list[int], prefix: str):
    """The office's claims file (import_claims), its rows in `order`; each receipt claimed
    ten days after the visit."""
    rows = [HEADER]
    for index in order:
        visit, level, amount = RECEIPTS[index]
        handed_in = date.fromisoformat(visit) + timedelta(days=10)
        rows.append(
            [
                student.student_number,
                "急诊垫付",
                f"{level}医院",
                level,
                visit,
                f"{prefix}-{index}",
                visit,
                handed_in.isoformat(),
                amount,
                amount,
            ]
        )
    path.write_text("\n".join(",".join(row) for row in rows), encoding="utf-8")
    return path


def normalised(statement: dict, prefix: str) -> list:
    return [
        (
            {k: v for k, v in c.items() if k not in ("number", "lines")},
            json.dumps(c["lines"], ensure_ascii=False).replace(prefix, "P"),
        )
        for c in statement["claims"]
    ]


def test_claims_imported_in_shuffled_order_give_the_same_statement(tmp_path):
    shuffles = [list(range(len(RECEIPTS)))]
    for seed in (1, 2, 3):
        order = list(range(len(RECEIPTS)))
        random.Random(seed).shuffle(order)
        shuffles.append(order)
    students = [CoveredStudentFactory() for _ in shuffles]
    for index, (student, order) in enumerate(zip(students, shuffles, strict=True)):
        path = claims_file(tmp_path / f"报销{index}.csv", student, order, prefix=f"S{index}")
        call_command("import_claims", str(path), "--commit", stdout=StringIO())

    statements = list(claim_statements(year=2025, students=students))

    first = statements[0]
    assert [c["fund"] for c in first["claims"]] == ["0.00", "90.00", "150.00", "40.00", "500.00"]
    # 0 + 90 + 150 + 40 + 500 = 780.00; student 1,800 − 780 = 1,020.00
    assert first["totals"] == {"fund": "780.00", "catastrophic": "0.00", "student": "1020.00"}
    for index, statement in enumerate(statements):
        assert normalised(statement, f"S{index}") == normalised(first, "S0")


def test_statements_in_bulk_cover_every_student_with_claims():
    students = [CoveredStudentFactory() for _ in range(3)]
    for student in students[:2]:
        claim(student, visit=date(2025, 3, 10), level="2", in_scope="500.00", review=False)

    found = list(claim_statements(year=2025))

    assert [s["student_number"] for s in found] == sorted(s.student_number for s in students[:2])


def test_an_unknown_year_is_refused(covered_student):
    with pytest.raises(StatementRefused, match="没有 2031 年度"):
        claim_statement(student=covered_student, year=2031)


# ---- the command ----------------------------------------------------------------------


def run(*args) -> str:
    out = StringIO()
    call_command("claim_statement", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_command_prints_json_and_a_printable_page(covered_student):
    approved = claim(covered_student, visit=date(2025, 3, 10), level="2", in_scope="500.00")
    claim_approve(claim=approved)
    number = covered_student.student_number

    as_json = json.loads(run("--student-number", number, "--year", "2025", "--json"))
    page = run("--student-number", number, "--year", "2025")

    assert as_json == claim_statement(student=covered_student, year=2025)
    assert approved.number in page and covered_student.name in page
    assert "基金 120.00" in page and "合计：基金 120.00" in page
    assert workflow.LABELS["approved"] in page


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--student-number", "99999999", "--year", "2025"], "没有学号为 99999999 的学生"),
        (["--year", "2031"], "没有 2031 年度"),
    ],
)
def test_the_command_refuses_an_unknown_student_or_year_with_exit_2(covered_student, args, words):
    if "--student-number" not in args:
        args = ["--student-number", covered_student.student_number, *args]

    with pytest.raises(CommandError, match=words) as refused:
        run(*args)

    assert refused.value.returncode == 2
