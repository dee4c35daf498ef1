import json

from django.core.management.base import BaseCommand, CommandError

from enrollment import services
from enrollment.models import CollectiveRun
from office.errors import Refused
from office.jobs import JobNotFinished, job_wait
from policies.selectors import policy_year_for

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_NOT_FINISHED = 3


class Command(BaseCommand):
    help = (
        "为目标年度运行集中参保：为每位符合条件、该年度在校的学生建立参保记录（可重复运行，"
        "不会重复建立），跳过已放弃和不符合条件的学生并说明原因。同一年度同时只运行一个任务；"
        "任务中断后再次运行会从中断处继续。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="参保年度，例如 2026")
        parser.add_argument(
            "--region",
            help="统筹地区代码（默认为本校所在地区 SCHOOL_REGION；跨地区的学校用于指定另一地区）",
        )
        parser.add_argument(
            "--no-wait", action="store_true", help="只启动任务，不等待完成（需要 Celery worker）"
        )
        parser.add_argument(
            "--timeout",
            type=float,
            help="最多等待的秒数（默认一直等到任务结束；任务长时间没有进展时也会停止等待）",
        )
        parser.add_argument("--json", action="store_true", help="以 JSON 输出运行报告")

    def handle(self, *args, year, region, no_wait, timeout, json: bool, **options):
        try:
            policy_year = policy_year_for(year=year, region=region)
            start = services.collective_run_start(policy_year=policy_year)
        except Refused as exc:  # no such year, or a draft
            raise CommandError(str(exc), returncode=EXIT_BAD_INPUT) from exc
        run = start.run
        if start.action == "running":
            self.stderr.write(
                f"{policy_year} 的集中参保任务 #{run.pk} 正在运行"
                f"（{run.progress_done}/{run.progress_total}），不重复启动。"
            )
        elif start.action == "resumed":
            self.stderr.write(
                f"任务 #{run.pk} 的 worker 已中断，从第 {run.progress_done} 人处继续。"
            )
        run.refresh_from_db()
        if no_wait and run.is_running:  # in-process (no broker), the run is already over
            self.stdout.write(f"集中参保任务 #{run.pk} 已在运行。")
            return
        try:
            run = job_wait(run, timeout=timeout, on_progress=self._show_progress)
        except JobNotFinished as exc:  # no worker, or --timeout: the run itself goes on
            raise CommandError(str(exc), returncode=EXIT_NOT_FINISHED) from exc
        totals = services.collective_run_totals(run)
        if json:
            self.stdout.write(_dumps(run, totals))
        else:
            self.stdout.write(
                f"集中参保任务 #{run.pk}（{policy_year}）：{run.get_status_display()}。"
                f"新建 {totals['created']} 条，已有 {totals['existing']} 条，"
                f"跳过 {totals['skipped']} 人。"
            )
        if run.status == CollectiveRun.Status.FAILED:
            raise CommandError(run.error, returncode=EXIT_FAILED)

    def _show_progress(self, run: CollectiveRun) -> None:
        if run.progress_done != getattr(self, "_shown", None):
            self._shown = run.progress_done
            self.stderr.write(f"进度 {run.progress_done}/{run.progress_total}")


def _dumps(run: CollectiveRun, totals) -> str:
    return json.dumps(
        {
            "run": run.pk,
            "status": run.status,
            "created": totals["created"],
            "existing": totals["existing"],
            "skipped": totals["skipped"],
            "report": run.summary,
        },
        ensure_ascii=False,
    )
