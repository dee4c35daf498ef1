import json

from django.core.management.base import BaseCommand, CommandError

from office.errors import Refused
from policies.engine import LEVEL_LABELS

from ... import rules, workflow
from ...selectors import claims_report

EXIT_REFUSED = 2
SECTIONS = (
    ("by_state", "按状态", workflow.LABELS),
    ("by_type", "按报销类型", rules.TYPE_LABELS),
    ("by_level", "按医院等级", LEVEL_LABELS),
)
COLUMNS = ("count", "claimed", "fund", "catastrophic", "student")
TITLES = ("件数", "申请金额", "基金支付", "大病保险", "个人自付")
WIDTHS = (6, 14, 14, 14, 14)


class Command(BaseCommand):
    help = (
        "某年度报销统计：按状态、报销类型和医院等级汇总件数、申请金额、基金支付、大病保险"
        "支付和个人自付（已批准的按保存的金额，其余按现在批准可得的金额）。--json 输出 JSON。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="年度，例如 2025")
        parser.add_argument("--region", help="统筹地区代码（默认本校所在地区）")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出结果")

    def handle(self, *args, year, region, json: bool, **options):
        try:
            report = claims_report(year=year, region=region)
        except Refused as exc:
            raise CommandError(str(exc), returncode=EXIT_REFUSED) from exc
        if json:
            self.stdout.write(_dumps(report))
        else:
            self.stdout.write("\n".join(page(report)))


def page(report: dict) -> list[str]:
    """The report as a printable text page: one table per breakdown, then the total."""
    header = _pad("", 18) + "".join(
        _pad(title, width, right=True) for title, width in zip(TITLES, WIDTHS, strict=True)
    )
    out = [f"{report['year']} 年度报销统计", ""]
    for key, title, labels in SECTIONS:
        out += [title, header]
        for code, bucket in report[key].items():
            out.append(_row(labels.get(code, code), bucket))
        out.append("")
    out.append(_row("合计", report["total"]))
    return out


def _row(label: str, bucket: dict) -> str:
    cells = (str(bucket[name]) for name in COLUMNS)
    return _pad(label, 18) + "".join(
        _pad(cell, width, right=True) for cell, width in zip(cells, WIDTHS, strict=True)
    )


def _pad(text: str, width: int, *, right: bool = False) -> str:
    """`text` padded to `width` columns of a printed page, where a Chinese character takes
    two."""
    used = sum(2 if ord(char) > 0x2E80 else 1 for char in text)
    space = " " * max(width - used, 1)
    return space + text if right else text + space


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)
