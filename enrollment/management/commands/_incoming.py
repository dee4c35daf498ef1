"""What import_bureau_results and import_payments share: a dry run by default, --commit
to apply the usable rows, the same exit codes as import_roster."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from office.errors import Refused
from office.incoming import Plan
from policies.selectors import policy_year_for

EXIT_PROBLEMS = 1
EXIT_REFUSED = 2


class IncomingFileCommand(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("file", help="文件路径（xlsx / xls / csv）")
        parser.add_argument("--year", type=int, required=True, help="参保年度，例如 2026")
        parser.add_argument("--region", help="统筹地区代码（该年度有多个地区时必填）")
        parser.add_argument("--commit", action="store_true", help="确认写入（否则只检查）")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出结果")

    # named so as not to hide BaseCommand.check (the system checks)
    def check_file(self, *, path: Path, policy_year) -> Plan:
        raise NotImplementedError

    def apply_file(self, *, path: Path, policy_year) -> Plan:
        raise NotImplementedError

    def handle(self, *args, file, year, region, commit, json: bool, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}", returncode=EXIT_REFUSED)
        try:
            policy_year = policy_year_for(year=year, region=region)
            plan = (self.apply_file if commit else self.check_file)(
                path=path, policy_year=policy_year
            )
        except Refused as exc:  # the file, the year or the apply
            raise CommandError(f"{path.name}：{exc}", returncode=EXIT_REFUSED) from exc
        data = plan.as_json()
        if json:
            self.stdout.write(_dumps(data))
        else:
            done = "已写入" if commit else "试运行，未写入；加 --commit 写入"
            self.stdout.write(f"{path.name}：{plan.summary()}（{done}）。")
            for problem in (*plan.flagged, *plan.problems):
                self.stdout.write(f"  第 {problem.row} 行「{problem.column}」：{problem.message}")
        if plan.problems:
            raise SystemExit(EXIT_PROBLEMS)


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)
