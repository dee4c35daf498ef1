from django.utils import timezone

from claims.services.imports import claims_import_apply, claims_import_check
from office.commands import IncomingFileCommand


class Command(IncomingFileCommand):
    help = (
        "导入报销申请（每行一张票据：学号或证件号码、报销类型、医疗机构、医院等级、就诊日期、票据号、"
        "票据日期、申请日期、发票金额、医保范围内金额；同一申请单号的行为一张申请）。默认只检查，"
        "加 --commit 新建、提交并自动检查（未通过检查的申请列为驳回；只检查时列出将被驳回的申请）。"
        "退出码：0 全部可用，1 有问题行，2 文件被拒绝。"
    )

    def check_file(self, *, path):
        return claims_import_check(path=path, today=timezone.localdate())

    def apply_file(self, *, path):
        return claims_import_apply(path=path, today=timezone.localdate())
