import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.models import ClaimPayoutList
from claims.services import payouts
from office.errors import Refused


class Command(BaseCommand):
    help = (
        "导出交财务支付的报销支付清单（xlsx，学校门诊统筹支付的已批准报销申请）。--year 导出该"
        "年度待支付的清单，加 --freeze 则冻结为第 N 号清单并将其中申请标记为已支付；--list N "
        "重新导出已冻结的第 N 号清单（与冻结时逐字节相同）。清单含完整收款账户，只交财务。"
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--year", type=int, help="医保年度，例如 2026")
        which.add_argument("--list", type=int, dest="number", help="已冻结清单的编号")
        parser.add_argument("--out", required=True, help="输出文件（xlsx）")
        parser.add_argument("--freeze", action="store_true", help="冻结并标记为已支付")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出结果")

    def handle(self, *args, year, number, out, freeze, json: bool, **options):
        if freeze and number is not None:
            raise CommandError("--freeze 只能与 --year 一起使用。", returncode=2)
        try:
            if number is not None:
                exported = payouts.claim_payout_export_frozen(number=number)
            elif freeze:
                exported = payouts.claim_payout_freeze(year=year)
            else:
                exported = payouts.claim_payout_export_open(year=year)
        except ClaimPayoutList.DoesNotExist:
            raise CommandError(f"没有第 {number} 号报销支付清单。", returncode=2) from None
        except Refused as exc:  # nothing to pay, or a kept file that no longer matches
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
                f"第 {exported.number} 号报销支付清单"
                if exported.number
                else "待支付报销清单（未冻结）"
            )
            self.stdout.write(
                f"{label}：{exported.rows} 笔，合计 {exported.total} 元，已写入 {out}"
                f"（SHA-256 {exported.sha256}）。"
            )


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)
