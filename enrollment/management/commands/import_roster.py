import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from enrollment import services
from enrollment.services.roster_report import unknown_columns
from office.errors import Refused
from office.spreadsheets import FileRefused
from office.writes import WriteRefused


class Command(BaseCommand):
    help = (
        "导入新生报到注册名单或名册更新（xlsx / xls / csv）。默认只做检查（试运行），"
        "加 --commit 才写入。退出码：0 全部正确，1 有错误行，2 文件无法读取或被拒绝。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="名单文件路径")
        parser.add_argument("--commit", action="store_true", help="确认写入（否则只检查）")
        parser.add_argument(
            "--valid-only", action="store_true", help="有错误行时仍导入其余正确的行"
        )
        parser.add_argument("--json", action="store_true", help="以 JSON 输出检查结果")
        parser.add_argument("--errors", metavar="XLSX", help="把错误行写入此 Excel 文件")

    def handle(self, *args, file, commit, valid_only, json: bool, errors, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}", returncode=2)
        try:
            plan = services.roster_check(path=path)
        except FileRefused as exc:  # HeaderError included
            raise CommandError(f"{path.name}：{exc}", returncode=2) from exc

        written = None
        if commit:
            try:
                written = services.roster_apply(plan=plan, valid_only=valid_only)
            except WriteRefused as exc:  # nothing written: said as what it is, exit 2
                raise CommandError(f"{path.name}：{exc}", returncode=2) from exc
            except Refused as exc:
                self.stderr.write(str(exc))
        if errors and plan.rejected_rows:
            Path(errors).write_bytes(services.roster_error_workbook(plan))

        if json:
            self.stdout.write(_json_dumps(plan.as_json()))
        else:
            self._report(plan, commit=commit, written=written)
        if plan.rejected_rows:
            raise SystemExit(1)

    def _report(self, plan, *, commit: bool, written: dict | None) -> None:
        out = self.stdout.write
        sheet = f"工作表「{plan.header.sheet}」，" if plan.header.sheet else ""
        out(f"{sheet}表头在第 {plan.header.row} 行；数据 {plan.rows} 行。")
        if plan.skipped:
            out(f"跳过表尾、重复表头等非数据行 {plan.skipped} 行。")
        if plan.header.unknown:
            out(f"未识别的列（已忽略）：{'、'.join(unknown_columns(plan.header.unknown))}")
        out(
            f"新增 {len(plan.new)}，更新 {len(plan.updated)}，未变 {plan.unchanged}，"
            f"错误 {plan.invalid_rows} 行，不符合参保条件 {len(plan.ineligible)} 人。"
        )
        report = plan.as_json()  # each row with the name and student number it gives
        for error in report["invalid"]:
            out(
                f"  第 {error['row']} 行{_who(error)}「{error['column']}」："
                f"{error['message']}（{error['code']}）"
            )
        for item in report["ineligible"]:
            out(
                f"  第 {item['row']} 行{_who(item)}不符合参保条件："
                f"{item['message']}（{item['code']}）"
            )
        if written is not None:
            out(
                self.style.SUCCESS(
                    f"已写入：新增 {written['created']}，更新 {written['updated']}。"
                )
            )
        elif not commit:
            out("这是试运行，没有写入任何数据；确认无误后加 --commit 导入。")


def _who(item: dict) -> str:
    shown = "，".join(filter(None, (item.get("name"), item.get("student_number"))))
    return f"（{shown}）" if shown else ""


def _json_dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
