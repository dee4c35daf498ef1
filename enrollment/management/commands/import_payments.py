from enrollment import services

from ._incoming import PolicyYearFileCommand


class Command(PolicyYearFileCommand):
    help = (
        "导入缴费记录（学号或证件号码、金额、缴费日期、缴费方式、收据号）。金额与应缴不符的记录"
        "照样登记并标出。默认只检查，加 --commit 写入。"
        "退出码：0 全部可用，1 有问题行，2 文件被拒绝。"
    )

    def check_file(self, *, path, policy_year):
        return services.payments_import_check(path=path, policy_year=policy_year)

    def apply_file(self, *, path, policy_year):
        return services.payments_import_apply(path=path, policy_year=policy_year)
