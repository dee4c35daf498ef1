from claims.models import ClaimPayoutList
from claims.services import payouts
from office.commands import FrozenExportCommand


class Command(FrozenExportCommand):
    help = (
        "导出交财务支付的报销支付清单（xlsx，学校门诊统筹支付的已批准报销申请）。--year 导出该"
        "年度待支付的清单，加 --freeze 则冻结为第 N 号清单并将其中申请标记为已支付；--list N "
        "重新导出已冻结的第 N 号清单（与冻结时逐字节相同）。清单含完整收款账户，只交财务。"
    )
    noun = "报销支付清单"
    open_label = "待支付报销清单（未冻结）"
    unit = "笔"
    year_help = "医保年度，例如 2026"
    freeze_help = "冻结并标记为已支付"
    model = ClaimPayoutList

    def export_open(self, year):
        return payouts.claim_payout_export_open(year=year)

    def freeze(self, year):
        return payouts.claim_payout_freeze(year=year)

    def export_frozen(self, number):
        return payouts.claim_payout_export_frozen(number=number)
