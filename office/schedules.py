"""The beat schedules (django-celery-beat, DatabaseScheduler): what runs when, created once
by office/migrations/0002_schedules.py and from then on edited by 医保办 in the admin
(定时任务), where a change takes effect without a restart. The tasks themselves are in
the apps' tasks.py; the ones that act on the calendar (the digest, the collective window)
read the dates from the policy year every day, so moving a window means editing the
policy year, never a schedule.

A schedule that fires twice (a beat restarted, two beats by mistake, a retried message)
must not do its work twice: such work goes through `run_once`, keyed by the task and its
day (or its policy year), recorded as a `ScheduledRun` in the jobs list."""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .models import ScheduledRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    """One PeriodicTask: every `every_minutes`, or daily at `daily_at` ("HH:MM", the
    school's time)."""

    name: str
    task: str
    description: str
    every_minutes: int = 0
    daily_at: str = ""
    # a message beat sent while no worker ran is dropped after this many seconds
    expire_seconds: int | None = None


SCHEDULES = (
    Schedule(
        "任务卡住后自动续跑",
        "office.requeue_stalled_jobs",
        "每分钟检查一次：进度停止更新的任务（处理它的进程已中断）重新排队，从中断处继续。",
        every_minutes=1,
        expire_seconds=50,  # a backlog of minute ticks is of no use
    ),
    Schedule(
        "删除过期上传文件",
        "office.remove_stale_uploads",
        "上传待确认的文件含完整证件号码，超过保留期限即删除（无论是否确认）。",
        every_minutes=60,
    ),
    Schedule(
        "清理过期任务文件",
        "office.remove_stale_jobs",
        "每晚删除保留期满的任务文件（名单错误行、日报等），并清理一年多以前的定时任务记录。",
        daily_at="02:30",
    ),
    Schedule(
        "新生待确认日报",
        "enrollment.freshman_digest",
        "新生申报期内每天生成一份按学院汇总的待确认（待缴费）名单，在「任务」中下载；"
        "设置了 DIGEST_EMAIL 时同时发送邮件通知各学院人数。新生申报期以外不做任何事。",
        daily_at="07:30",
    ),
    Schedule(
        "集中参保开启与截止",
        "enrollment.collective_window",
        "每天检查集中参保时间窗口：开启当天记录开启；截止次日记录截止并生成待跟进名单"
        "（既未参保也未签署放弃承诺书的学生），在「任务」中下载。日期取自医保年度。",
        daily_at="00:15",
    ),
)


def schedules_install(apps) -> None:
    """Create the schedules that do not exist yet (by name); ones that exist keep the
    staff's edits. `apps` is a migration's registry or django.apps.apps."""
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for schedule in SCHEDULES:
        if PeriodicTask.objects.filter(name=schedule.name).exists():
            continue
        when = {}
        if schedule.every_minutes:
            when["interval"], _ = IntervalSchedule.objects.get_or_create(
                every=schedule.every_minutes, period="minutes"
            )
        else:
            hour, minute = schedule.daily_at.split(":")
            when["crontab"], _ = CrontabSchedule.objects.get_or_create(
                minute=str(int(minute)),
                hour=str(int(hour)),
                day_of_week="*",
                day_of_month="*",
                month_of_year="*",
                timezone=settings.TIME_ZONE,
            )
        PeriodicTask.objects.create(
            name=schedule.name,
            task=schedule.task,
            description=schedule.description,
            kwargs="{}",
            expire_seconds=schedule.expire_seconds,
            **when,
        )
    # a running beat reloads its schedule when this moment changes
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def schedules_uninstall(apps) -> None:
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[schedule.name for schedule in SCHEDULES]).delete()


# --- doing a schedule's work once --------------------------------------------------------------

# what `work` returns: the run's summary ("text" is its one line in the jobs list) and the
# file it produced, as (file name, bytes), or None
Work = Callable[[], tuple[dict, tuple[str, bytes] | None]]


def run_once(*, key: str, task: str, title: str, work: Work) -> ScheduledRun | None:
    """Do `work` unless a run with `key` did it or is doing it; None when skipped. A run
    that failed, or whose process died (no heartbeat for JOB_STALE_AFTER), is tried again
    by the next firing."""
    now = timezone.now()
    try:
        with transaction.atomic():
            run = ScheduledRun.objects.create(key=key, task=task, title=title, heartbeat_at=now)
    except IntegrityError:
        retried = (
            ScheduledRun.objects.filter(key=key)
            .filter(
                Q(status=ScheduledRun.Status.FAILED)
                | Q(
                    status=ScheduledRun.Status.RUNNING,
                    heartbeat_at__lt=now - settings.JOB_STALE_AFTER,
                )
            )
            .update(status=ScheduledRun.Status.RUNNING, error="", heartbeat_at=now)
        )
        if not retried:
            return None
        run = ScheduledRun.objects.get(key=key)
    try:
        summary, produced = work()
    except Exception as exc:
        logger.exception("scheduled run %s failed", key)
        ScheduledRun.mark_failed(run.pk, f"运行失败（{type(exc).__name__}: {exc}）。")
        run.refresh_from_db()
        return run
    if produced:
        name, content = produced
        run.produced_file.save(name, ContentFile(content), save=False)
    run.summary = summary
    run.status = ScheduledRun.Status.DONE
    run.finished_at = run.heartbeat_at = timezone.now()
    run.progress_done = run.progress_total = 1
    run.save()
    return run


# --- how a schedule reads in the admin ---------------------------------------------------------

PERIODS = {
    "days": "天",
    "hours": "小时",
    "minutes": "分钟",
    "seconds": "秒",
    "microseconds": "微秒",
}
WEEKDAYS = "日一二三四五六"


def interval_shown(every: int, period: str) -> str:
    """每 5 分钟."""
    return f"每 {every} {PERIODS.get(period, period)}"


def crontab_shown(minute: str, hour: str, day_of_month: str, month: str, day_of_week: str) -> str:
    """A crontab in the staff's words where it is a plain daily, weekly or monthly time
    (每天 07:30, 每周一 07:30, 每月 1 日 07:30); otherwise its five fields, named."""
    if minute.isdigit() and hour.isdigit() and month == "*":
        at = f"{int(hour):02d}:{int(minute):02d}"
        if day_of_month == "*" and day_of_week == "*":
            return f"每天 {at}"
        if day_of_month == "*" and day_of_week.isdigit() and int(day_of_week) < 7:
            return f"每周{WEEKDAYS[int(day_of_week)]} {at}"
        if day_of_week == "*" and day_of_month.isdigit():
            return f"每月 {int(day_of_month)} 日 {at}"
    return f"分 {minute} · 时 {hour} · 日 {day_of_month} · 月 {month} · 星期 {day_of_week}"


def day_key(task: str, day, *parts: str) -> str:
    """A per-day idempotency key: `task:part…:YYYY-MM-DD`."""
    return ":".join([task, *parts, day.isoformat()])
