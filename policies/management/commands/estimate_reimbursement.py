import json
import sys

from django.core.management.base import BaseCommand, CommandError

from policies import services
from policies.estimates import EstimateInputError


class Command(BaseCommand):
    help = (
        "按医保年度规则试算报销：读取 JSON 文件（- 表示标准输入），输出 JSON 明细。"
        "输入有误时指明字段并以退出码 2 结束。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON 文件路径，或 - 表示标准输入")

    def handle(self, *args, file, **options):
        try:
            if file == "-":
                request = json.load(sys.stdin)
            else:
                with open(file, encoding="utf-8-sig") as handle:
                    request = json.load(handle)
        except OSError as exc:
            raise CommandError(f"无法读取文件 {file}：{exc.strerror}", returncode=2) from exc
        except (ValueError, RecursionError) as exc:
            raise CommandError(f"{file} 不是有效的 JSON：{_why(exc)}", returncode=2) from exc
        try:
            result = services.estimate_run(request=request)
        except EstimateInputError as exc:
            raise CommandError(f"字段 {exc.field}：{exc.message}", returncode=2) from exc
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))


def _why(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"第 {error.lineno} 行第 {error.colno} 列附近格式错误"
    if isinstance(error, UnicodeDecodeError):
        return "文件不是 UTF-8 编码"
    if isinstance(error, RecursionError):
        return "嵌套层数过多"
    return "数字位数过多"  # int() refuses integers of more than 4,300 digits
