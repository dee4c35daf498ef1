from enrollment import services
from enrollment.models import PaymentList
from office.commands import FrozenExportCommand


class Command(FrozenExportCommand):
    help = (
        "导出向税务部门汇缴的缴费清单（xlsx）。--year 导出该年度待汇缴的清单，加 --freeze "
        "则冻结为第 N 号清单并将其中记录标记为已汇缴；--list N 重新导出已冻结的第 N 号清单"
        "（与冻结时逐字节相同）。"
    )
    noun = "缴费清单"
    open_label = "待汇缴清单（未冻结）"
    unit = "人"
    year_help = "缴费年度，例如 2026"
    freeze_help = "冻结并标记为已汇缴"
    model = PaymentList

    def export_open(self, year):
        return services.payment_list_export_open(year=year)

    def freeze(self, year):
        return services.payment_list_freeze(year=year)

    def export_frozen(self, number):
        return services.payment_list_export_frozen(number=number)
