"""What import_bureau_results and import_payments add to office's import command: the
policy year the file is about (--year, and --region for a school that spans two)."""

from office.commands import IncomingFileCommand
from policies.selectors import policy_year_for


class PolicyYearFileCommand(IncomingFileCommand):
    def add_file_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="参保年度，例如 2026")
        parser.add_argument(
            "--region",
            help="统筹地区代码（默认为本校所在地区 SCHOOL_REGION；跨地区的学校用于指定另一地区）",
        )

    def bind(self, options: dict) -> dict:
        return {"policy_year": policy_year_for(year=options["year"], region=options["region"])}
