"""What every import command shares: a file, a dry run unless --commit, --json for
scripts, and the exit codes of import_roster (0 every row usable, 1 some rows have
problems, 2 the file, its parameters or the apply refused, nothing written). And what
every frozen-list export shares (FrozenExportCommand)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from .errors import Refused
from .incoming import Plan

EXIT_PROBLEMS = 1
EXIT_REFUSED = 2


class IncomingFileCommand(BaseCommand):
    """An importer adds its own arguments (`add_file_arguments`), turns them into its
    services' arguments (`bind`) and names its check and apply services."""

    def add_arguments(self, parser):
        parser.add_argument("file", help="文件路径（xlsx / xls / csv）")
        self.add_file_arguments(parser)
        parser.add_argument("--commit", action="store_true", help="确认写入（否则只检查）")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出结果")

    def add_file_arguments(self, parser) -> None:
        pass

    def bind(self, options: dict) -> dict:
        return {}

    # named so as not to hide BaseCommand.check (the system checks)
    def check_file(self, *, path: Path, **bound) -> Plan:
        raise NotImplementedError

    def apply_file(self, *, path: Path, **bound) -> Plan:
        raise NotImplementedError

    def handle(self, *args, file, commit, json: bool, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}", returncode=EXIT_REFUSED)
        try:
            bound = self.bind(options)
            plan = (self.apply_file if commit else self.check_file)(path=path, **bound)
        except Refused as exc:  # the file, its parameters or the apply
            raise CommandError(f"{path.name}：{exc}", returncode=EXIT_REFUSED) from exc
        if json:
            self.stdout.write(_dumps(plan.as_json()))
        else:
            done = "已写入" if commit else "试运行，未写入；加 --commit 写入"
            self.stdout.write(f"{path.name}：{plan.summary()}（{done}）。")
            for problem in (*plan.flagged, *plan.problems):
                self.stdout.write(f"  第 {problem.row} 行「{problem.column}」：{problem.message}")
        if plan.problems:
            raise SystemExit(EXIT_PROBLEMS)


class FrozenExportCommand(BaseCommand):
    """`--year Y --out F [--freeze] [--json]` writes a year's open list (frozen with
    --freeze), `--list N --out F [--json]` a frozen list again, byte for byte. Exit 2 for
    an unknown list or --freeze with --list, 1 when the service refuses. A list command
    names its words and its three services."""

    noun = ""  # 缴费清单
    open_label = ""  # 待汇缴清单（未冻结）
    unit = ""  # 人, 笔
    year_help = ""
    freeze_help = ""
    model: type

    def export_open(self, year: int): ...
    def freeze(self, year: int): ...
    def export_frozen(self, number: int): ...

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--year", type=int, help=self.year_help)
        which.add_argument("--list", type=int, dest="number", help="已冻结清单的编号")
        parser.add_argument("--out", required=True, help="输出文件（xlsx）")
        parser.add_argument("--freeze", action="store_true", help=self.freeze_help)
        parser.add_argument("--json", action="store_true", help="以 JSON 输出结果")

    def handle(self, *args, year, number, out, freeze, json: bool, **options):
        if freeze and number is not None:
            raise CommandError("--freeze 只能与 --year 一起使用。", returncode=EXIT_REFUSED)
        try:
            if number is not None:
                exported = self.export_frozen(number)
            elif freeze:
                exported = self.freeze(year)
            else:
                exported = self.export_open(year)
        except self.model.DoesNotExist:
            raise CommandError(
                f"没有第 {number} 号{self.noun}。", returncode=EXIT_REFUSED
            ) from None
        except Refused as exc:  # nothing to list, or a kept file that no longer matches
            raise CommandError(str(exc), returncode=EXIT_PROBLEMS) from exc
        Path(out).write_bytes(exported.content)
        if json:
            self.stdout.write(
                _dumps(
                    {
                        "list": exported.number,
                        "rows": exported.rows,
                        "total": str(exported.total),
                        "sha256": exported.sha256,
                    }
                )
            )
            return
        label = f"第 {exported.number} 号{self.noun}" if exported.number else self.open_label
        self.stdout.write(
            f"{label}：{exported.rows} {self.unit}，合计 {exported.total} 元，已写入 {out}"
            f"（SHA-256 {exported.sha256}）。"
        )


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)
