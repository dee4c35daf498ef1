from enrollment import services

from ._incoming import PolicyYearFileCommand


class Command(PolicyYearFileCommand):
    help = (
        "导入医保部门返回的建账结果（证件号码、建账结果、失败原因）：已建账或建账失败。默认只检查，"
        "加 --commit 写入可用的行。退出码：0 全部可用，1 有问题行，2 文件无法读取或被拒绝。"
    )

    def check_file(self, *, path, policy_year):
        return services.bureau_results_check(path=path, policy_year=policy_year)

    def apply_file(self, *, path, policy_year):
        return services.bureau_results_apply(path=path, policy_year=policy_year)
