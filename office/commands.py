"""What every import command shares: a file, a dry run unless --commit, --json for
scripts, and the exit codes of import_roster (0 every row usable, 1 some rows have
problems, 2 the file, its parameters or the apply refused, nothing written)."""

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


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)
