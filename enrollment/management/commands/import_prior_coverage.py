from django.utils import timezone

from enrollment import services
from office.commands import IncomingFileCommand


class Command(IncomingFileCommand):
    help = (
        "导入历年参保记录（证件号码或学号、年度、参保状态：已参保 / 未参保），供计算断保年数和"
        "待遇等待期。默认只检查，加 --commit 写入可用的行，并重算尚未缴费的集中参保记录的等待期。"
        "退出码：0 全部可用，1 有问题行，2 文件无法读取或被拒绝。"
    )

    def bind(self, options: dict) -> dict:
        return {"today": timezone.localdate()}

    def check_file(self, *, path, today):
        return services.prior_coverage_check(path=path, today=today)

    def apply_file(self, *, path, today):
        return services.prior_coverage_apply(path=path, today=today)
