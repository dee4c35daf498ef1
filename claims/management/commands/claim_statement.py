import json

from django.core.management.base import BaseCommand, CommandError

from enrollment.models import Student
from office.errors import Refused

from ... import breakdowns, rules, workflow
from ...selectors import claim_statement

EXIT_REFUSED = 2


class Command(BaseCommand):
    help = (
        "打印一名学生某年度的报销结算单：已批准的申请按批准时保存的金额，其余按现在批准"
        "可得的金额；列出与按就诊日期顺序重新计算不一致的已批准申请。--json 输出 JSON。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--student-number", required=True, help="学号")
        parser.add_argument("--year", type=int, required=True, help="年度，例如 2025")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出结果")

    def handle(self, *args, student_number, year, json: bool, **options):
        student = Student.objects.filter(student_number=student_number.strip()).first()
        if student is None:
            raise CommandError(f"没有学号为 {student_number} 的学生。", returncode=EXIT_REFUSED)
        try:
            statement = claim_statement(student=student, year=year)
        except Refused as exc:
            raise CommandError(str(exc), returncode=EXIT_REFUSED) from exc
        if json:
            self.stdout.write(_dumps(statement))
        else:
            self.stdout.write("\n".join(page(statement, name=student.name)))


def page(statement: dict, *, name: str) -> list[str]:
    """The statement as a printable text page."""
    out = [
        f"报销结算单　{statement['year']} 年度",
        f"学号 {statement['student_number']}　姓名 {name}",
        "",
    ]
    if not statement["claims"]:
        out.append("本年度没有报销申请。")
    for claim in statement["claims"]:
        payer = rules.PAYER_LABELS.get(claim["payer"] or "", "未定")
        out.append(
            f"{claim['number']}　{rules.TYPE_LABELS.get(claim['type'], claim['type'])}　"
            f"{workflow.LABELS.get(claim['state'], claim['state'])}　"
            f"就诊 {claim['visit_date'] or '—'}　支付方 {payer}"
        )
        if claim["rejection"]:
            out.append(f"  驳回原因：{claim['rejection']['message']}")
        elif claim["state"] not in (workflow.APPROVED, workflow.PAID):
            out.append("  （尚未批准：以下为按现在批准计算的金额）")
        for line in claim["lines"]:
            status = breakdowns.STATUS_LABELS.get(line["status"], line["status"])
            out.append(
                f"  票据 {line['invoice']}　{line['date']}　基金 {line['fund']}　"
                f"大病保险 {line['catastrophic']}　个人自付 {line['student']}　{status}"
            )
            out.extend(f"      {step}" for step in line["steps"])
        out.append(
            f"  小计：基金 {claim['fund']}　大病保险 {claim['catastrophic']}　"
            f"个人自付 {claim['student']}"
        )
        out.append("")
    totals = statement["totals"]
    out.append(
        f"合计：基金 {totals['fund']}　大病保险 {totals['catastrophic']}　"
        f"个人自付 {totals['student']}"
    )
    if statement["differences"]:
        out += ["", "以下已批准申请保存的金额与按就诊日期顺序重新计算的结果不一致："]
        for found in statement["differences"]:
            change = found["difference"]
            note = (
                "（已支付，不可重新计算）" if found["paid"] else "（未支付，可由工作人员重新计算）"
            )
            out.append(
                f"  {found['number']}：基金 {_signed(change['fund'])}　"
                f"大病保险 {_signed(change['catastrophic'])}　"
                f"个人自付 {_signed(change['student'])}{note}"
            )
    return out


def _signed(amount: str) -> str:
    return amount if amount.startswith("-") else f"+{amount}"


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)
