import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from enrollment import services
from enrollment.models import PaymentList
from office.errors import Refused


class Command(BaseCommand):
    help = (
        "导出向税务部门汇缴的缴费清单（xlsx）。--year 导出该年度待汇缴的清单，加 --freeze "
        "则冻结为第 N 号清单并将其中记录标记为已汇缴；--list N 重新导出已冻结的第 N 号清单"
        "（与冻结时逐字节相同）。"
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--year", type=int, help="缴费年度，例如 2026")
        which.add_argument("--list", type=int, dest="number", help="已冻结清单的编号")
        parser.add_argument("--out", required=True, help="输出文件（xlsx）")
        parser.add_argument("--freeze", action="store_true", help="冻结并标记为已汇缴")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出结果")

    def handle(self, *args, year, number, out, freeze, json: bool, **options):
        if freeze and number is not None:
            raise CommandError("--freeze 只能与 --year 一起使用。", returncode=2)
        try:
            if number is not None:
                exported = services.payment_list_export_frozen(number=number)
            elif freeze:
                exported = services.payment_list_freeze(year=year)
            else:
                exported = services.payment_list_export_open(year=year)
        except PaymentList.DoesNotExist:
            raise CommandError(f"没有第 {number} 号缴费清单。", returncode=2) from None
        except Refused as exc:  # a frozen file that no longer matches its digest too
            raise CommandError(str(exc), returncode=1) from exc
        Path(out).write_bytes(exported.content)
        result = {
            "list": exported.number,
            "rows": exported.rows,
            "total": str(exported.total),
            "sha256": exported.sha256,
        }
        if json:
            self.stdout.write(_dumps(result))
        else:
            label = (
                f"第 {exported.number} 号缴费清单" if exported.number else "待汇缴清单（未冻结）"
            )
            self.stdout.write(
                f"{label}：{exported.rows} 人，合计 {exported.total} 元，已写入 {out}"
                f"（SHA-256 {exported.sha256}）。"
            )


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)
