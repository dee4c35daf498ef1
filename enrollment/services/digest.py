"""What the beat schedules do in the enrollment app (office/schedules.py lists them), each
once however often its schedule fires (office.schedules.run_once), recorded in the jobs
list with its file:

- during the freshman window (the school region's policy years whose window holds
  `today`), a daily digest of the freshmen still to chase, per college: the pending list
  as one workbook, college by college with a subtotal each, and, when DIGEST_EMAIL is
  set, an email with the counts per college (the names stay behind the sign-in: the
  email says where to download them);
- the collective window (集中参保): on its first day the opening is recorded with how
  many students are still to chase; the day after its last day (or within a week, if
  beat was down) the closing is recorded and the chase list (eligible, neither enrolled
  nor holding a signed opt-out) is produced for 学生处. Nothing else changes: the
  collective run itself is still started by staff."""

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail

from office import exports
from office.schedules import day_key, run_once
from policies.models import PolicyYear
from policies.selectors import school_region

from .declarations import PENDING_COLUMNS, _pending_state, pending_confirmations, pending_list_name
from .opt_outs import students_to_chase, students_to_chase_xlsx

logger = logging.getLogger(__name__)

DIGEST_TASK = "enrollment.freshman_digest"
WINDOW_TASK = "enrollment.collective_window"
# a closing missed while beat was down is still recorded this many days later
CLOSING_CATCH_UP = timedelta(days=7)


def _school_years():
    return PolicyYear.objects.filter(region__code=school_region()).select_related("region")


# --- the freshman window's daily digest --------------------------------------------------------


def freshman_digest_send(*, today: date) -> list:
    """Today's digest of every policy year whose freshman window holds `today` and whose
    freshmen have something to do (confirm in the app, or pay in full); the runs made now
    (none when today's were made already)."""
    years = _school_years().filter(
        freshman_window_opens_on__lte=today, freshman_window_closes_on__gte=today
    )
    runs = []
    for policy_year in years:
        if not (
            policy_year.freshman_confirms_in_app or policy_year.freshman_cover_needs_full_premium
        ):
            continue
        name = pending_list_name(policy_year)
        run = run_once(
            key=day_key(DIGEST_TASK, today, policy_year.code),
            task=DIGEST_TASK,
            title=f"{policy_year} 新生{name}日报 {today}",
            work=lambda policy_year=policy_year: _digest(policy_year, today),
        )
        if run is not None:
            runs.append(run)
    return runs


def _digest(policy_year, today: date):
    name = pending_list_name(policy_year)
    content, counts = freshman_digest_xlsx(policy_year=policy_year, today=today)
    total = sum(counts.values())
    per_college = "；".join(f"{college} {count} 人" for college, count in counts.items())
    text = f"{name}共 {total} 人" + (f"：{per_college}" if per_college else "")
    summary = {"text": text, "total": total, "by_college": counts, "emailed_to": []}
    if settings.DIGEST_EMAIL:
        summary.update(_mailed(policy_year, today, text))
    filename = f"{name}日报-{policy_year.code}-{today.isoformat()}.xlsx"
    return summary, (filename, content)


def freshman_digest_xlsx(*, policy_year, today: date) -> tuple[bytes, dict[str, int]]:
    """The pending list college by college, each followed by its subtotal, then the
    total; and the count per college."""
    name = pending_list_name(policy_year)
    counts: dict[str, int] = {}
    blank = [None] * (len(PENDING_COLUMNS) - 2)
    with exports.XlsxSheet(
        PENDING_COLUMNS, sheet=name, titles=[f"{policy_year} 新生{name}（{today} 生成）"]
    ) as out:
        college = None
        for enrollment in pending_confirmations(policy_year=policy_year):
            student = enrollment.student
            if college is not None and student.college != college:
                out.total_row([f"{college} 小计", *blank, f"{counts[college]} 人"])
            college = student.college
            counts[college] = counts.get(college, 0) + 1
            out.row(
                [
                    student.college,
                    student.major,
                    student.student_number,
                    student.name,
                    student.phone,
                    student.registered_on,
                    _pending_state(enrollment),
                ]
            )
        if college is not None:
            out.total_row([f"{college} 小计", *blank, f"{counts[college]} 人"])
        out.total_row(["合计", *blank, f"{sum(counts.values())} 人"])
    return out.content, counts


def _mailed(policy_year, today: date, text: str) -> dict:
    """The counts by email; a mail server that refuses is noted on the run, which keeps
    its file."""
    subject = f"{policy_year} 新生{pending_list_name(policy_year)}日报 {today}"
    body = (
        f"{text}。\n\n名单（含姓名、手机号）请登录管理后台，在「办公室 › 任务」中下载当天的日报。"
    )
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, settings.DIGEST_EMAIL)
    except Exception as exc:
        logger.exception("the digest could not be mailed")
        return {"email_error": f"邮件发送失败（{type(exc).__name__}: {exc}）"}
    return {"emailed_to": list(settings.DIGEST_EMAIL)}


# --- the collective window ---------------------------------------------------------------------


def collective_window_mark(*, today: date) -> list:
    """Record the opening of every collective window that holds `today`, and the closing
    (with the chase list) of every one that ended before it, within CLOSING_CATCH_UP;
    each once per policy year."""
    runs = []
    years = _school_years()
    opened = years.filter(
        collective_window_opens_on__lte=today, collective_window_closes_on__gte=today
    )
    for policy_year in opened:
        runs.append(
            run_once(
                key=f"{WINDOW_TASK}:opened:{policy_year.code}",
                task=WINDOW_TASK,
                title=f"{policy_year} 集中参保开启",
                work=lambda policy_year=policy_year: _opened(policy_year),
            )
        )
    closed = years.filter(
        collective_window_closes_on__lt=today,
        collective_window_closes_on__gte=today - CLOSING_CATCH_UP,
    )
    for policy_year in closed:
        runs.append(
            run_once(
                key=f"{WINDOW_TASK}:closed:{policy_year.code}",
                task=WINDOW_TASK,
                title=f"{policy_year} 集中参保截止",
                work=lambda policy_year=policy_year: _closed(policy_year),
            )
        )
    return [run for run in runs if run is not None]


def _window(policy_year) -> str:
    return f"{policy_year.collective_window_opens_on}～{policy_year.collective_window_closes_on}"


def _opened(policy_year):
    to_chase = students_to_chase(policy_year=policy_year).count()
    text = f"集中参保 {_window(policy_year)} 已开启；待跟进 {to_chase} 人"
    if not policy_year.is_published:
        text += "（该年度仍为草稿，发布后才能运行集中参保）"
    return {"text": text, "to_chase": to_chase}, None


def _closed(policy_year):
    content, to_chase = students_to_chase_xlsx(policy_year=policy_year)
    text = f"集中参保 {_window(policy_year)} 已截止；待跟进 {to_chase} 人，名单见文件"
    filename = f"集中参保截止待跟进名单-{policy_year.code}.xlsx"
    return {"text": text, "to_chase": to_chase}, (filename, content)
