"""The beat schedules (office/schedules.py, created by office/migrations/0002_schedules.py)
and what they do: each created once, each firing's work done once, the freshman digest
per college during the freshman window, the collective window's opening and closing, and
the schedules as 医保办 edits them, in Chinese."""

from datetime import date, datetime, timedelta

import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from config.celery import app as celery_app
from enrollment import services
from enrollment.models import OptOut
from enrollment.tests.factories import (
    FreshmanEnrollmentFactory,
    FreshmanFactory,
    StudentFactory,
)
from office import job_list, schedules
from office.models import ScheduledRun
from office.schedules import crontab_shown, interval_shown, run_once

pytestmark = pytest.mark.django_db

# shanghai-2026 (policies 0002): freshman window 2026-08-01 .. 2026-11-10, collective
# window 2025-11-11 .. 2025-12-20
IN_FRESHMAN_WINDOW = date(2026, 9, 3)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DIGEST_EMAIL = []


# --- the schedules -----------------------------------------------------------------------------


def test_the_migration_created_each_schedule_once():
    created = {task.name: task for task in PeriodicTask.objects.select_related("crontab")}

    for schedule in schedules.SCHEDULES:
        task = created[schedule.name]
        assert task.task == schedule.task and task.enabled
        assert task.expire_seconds == schedule.expire_seconds
        if schedule.daily_at:
            hour, minute = schedule.daily_at.split(":")
            assert (task.crontab.hour, task.crontab.minute) == (str(int(hour)), str(int(minute)))
            assert str(task.crontab.timezone) == "Asia/Shanghai"
        else:
            assert (task.interval.every, task.interval.period) == (
                schedule.every_minutes,
                "minutes",
            )
    names = [schedule.name for schedule in schedules.SCHEDULES]
    assert PeriodicTask.objects.filter(name__in=names).count() == len(names)


def test_installing_again_adds_nothing_and_keeps_the_staffs_edits():
    digest = PeriodicTask.objects.get(task="enrollment.freshman_digest")
    digest.enabled = False
    digest.crontab = CrontabSchedule.objects.create(minute="0", hour="8", timezone="Asia/Shanghai")
    digest.save()
    before = PeriodicTask.objects.count()

    schedules.schedules_install(apps)

    assert PeriodicTask.objects.count() == before
    digest.refresh_from_db()
    assert not digest.enabled and digest.crontab.hour == "8"


def test_every_scheduled_task_exists():
    celery_app.loader.import_default_modules()

    assert {schedule.task for schedule in schedules.SCHEDULES} <= set(celery_app.tasks)


def test_nothing_is_scheduled_statically(settings):
    # beat's DatabaseScheduler would overwrite the staff's edits with a static entry
    assert settings.CELERY_BEAT_SCHEDULE == {}
    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        (("30", "7", "*", "*", "*"), "每天 07:30"),
        (("0", "8", "*", "*", "1"), "每周一 08:00"),
        (("5", "0", "1", "*", "*"), "每月 1 日 00:05"),
        (("*/5", "*", "*", "*", "*"), "分 */5 · 时 * · 日 * · 月 * · 星期 *"),
    ],
)
def test_a_crontab_in_words(fields, shown):
    assert crontab_shown(*fields) == shown


def test_an_interval_in_words():
    assert interval_shown(1, "minutes") == "每 1 分钟"
    assert interval_shown(2, "hours") == "每 2 小时"


# --- once per day ------------------------------------------------------------------------------


def test_a_key_does_its_work_once():
    done = []

    def work():
        done.append(1)
        return {"text": "做了"}, ("a.xlsx", b"PK")

    first = run_once(key="t:2026-09-03", task="t", title="t", work=work)
    second = run_once(key="t:2026-09-03", task="t", title="t", work=work)

    assert done == [1] and second is None
    assert first.status == ScheduledRun.Status.DONE and first.summary == {"text": "做了"}
    assert first.produced_file.read() == b"PK"


def test_a_failed_run_is_tried_again_by_the_next_firing():
    def failing():
        raise ValueError("数据库暂时不可用")

    failed = run_once(key="t:1", task="t", title="t", work=failing)
    retried = run_once(key="t:1", task="t", title="t", work=lambda: ({"text": "好了"}, None))

    assert failed.status == ScheduledRun.Status.FAILED and "数据库暂时不可用" in failed.error
    assert retried.pk == failed.pk and retried.status == ScheduledRun.Status.DONE
    assert retried.error == ""


def test_a_run_whose_process_died_is_taken_over(settings):
    stuck = ScheduledRun.objects.create(
        key="t:2", task="t", title="t", heartbeat_at=timezone.now() - timedelta(hours=1)
    )

    alive = ScheduledRun.objects.create(key="t:3", task="t", title="t", heartbeat_at=timezone.now())
    retried = run_once(key="t:2", task="t", title="t", work=lambda: ({}, None))
    skipped = run_once(key="t:3", task="t", title="t", work=lambda: ({}, None))

    assert retried.pk == stuck.pk and retried.status == ScheduledRun.Status.DONE
    assert skipped is None
    alive.refresh_from_db()
    assert alive.status == ScheduledRun.Status.RUNNING


def test_the_nightly_clean_up_fires_twice_and_runs_once():
    now = timezone.now()

    first = job_list.job_files_remove_stale_daily(now=now)
    second = job_list.job_files_remove_stale_daily(now=now + timedelta(hours=1))

    assert first.summary["text"] == "删除任务文件 0 个，清理定时任务记录 0 条"
    assert second is None


# --- the freshman digest -----------------------------------------------------------------------


@pytest.fixture
def pending(shanghai_2026):
    """医学院: 新生1 (confirmed: not pending), 新生2, 新生3; 法学院: 新生4. Expected digest,
    by hand: 医学院 2 (新生2, 新生3), 法学院 1 (新生4), in all 3."""
    medicine = [FreshmanFactory(seq=seq) for seq in (1, 2, 3)]
    law = FreshmanFactory(seq=4, college="法学院", major="法学")
    FreshmanEnrollmentFactory(student=medicine[0], policy_year=shanghai_2026, confirmed=True)
    for student in [*medicine[1:], law]:
        FreshmanEnrollmentFactory(student=student, policy_year=shanghai_2026)


def test_the_digest_lists_each_college_with_its_subtotal(pending, sheet_rows):
    [run] = services.freshman_digest_send(today=IN_FRESHMAN_WINDOW)

    rows = sheet_rows(run.produced_file.read())
    registered = datetime(2026, 9, 1)
    assert rows == [
        ["上海市 2026（shanghai-2026） 新生待确认名单（2026-09-03 生成）", *[None] * 6],
        ["学院", "专业", "学号", "姓名", "手机号", "报到注册时间", "状态"],
        ["医学院", "临床医学", "26010002", "新生2", "13800000002", registered, "未建账"],
        ["医学院", "临床医学", "26010003", "新生3", "13800000003", registered, "未建账"],
        ["医学院 小计", None, None, None, None, None, "2 人"],
        ["法学院", "法学", "26010004", "新生4", "13800000004", registered, "未建账"],
        ["法学院 小计", None, None, None, None, None, "1 人"],
        ["合计", None, None, None, None, None, "3 人"],
    ]
    assert run.summary["by_college"] == {"医学院": 2, "法学院": 1}
    assert run.summary["text"] == "待确认名单共 3 人：医学院 2 人；法学院 1 人"
    assert run.title == "上海市 2026（shanghai-2026） 新生待确认名单日报 2026-09-03"


def test_the_digest_fires_twice_a_day_and_is_made_once(pending):
    first = services.freshman_digest_send(today=IN_FRESHMAN_WINDOW)
    again = services.freshman_digest_send(today=IN_FRESHMAN_WINDOW)
    next_day = services.freshman_digest_send(today=IN_FRESHMAN_WINDOW + timedelta(days=1))

    assert len(first) == 1 and again == [] and len(next_day) == 1
    assert ScheduledRun.objects.filter(task="enrollment.freshman_digest").count() == 2


@pytest.mark.parametrize("today", [date(2026, 7, 31), date(2026, 11, 11)])
def test_outside_the_freshman_window_there_is_no_digest(pending, today):
    assert services.freshman_digest_send(today=today) == []
    assert not ScheduledRun.objects.exists()


def test_the_digest_is_mailed_with_counts_not_names(pending, settings):
    settings.DIGEST_EMAIL = ["yibaoban@example.edu"]

    [run] = services.freshman_digest_send(today=IN_FRESHMAN_WINDOW)

    [message] = mail.outbox
    assert message.to == ["yibaoban@example.edu"]
    assert "医学院 2 人；法学院 1 人" in message.body and "任务" in message.body
    assert "新生2" not in message.body and "138" not in message.body
    assert run.summary["emailed_to"] == ["yibaoban@example.edu"]


def test_a_mail_server_that_refuses_leaves_the_digest(pending, settings, monkeypatch):
    settings.DIGEST_EMAIL = ["yibaoban@example.edu"]

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("SMTP 不可用")

    monkeypatch.setattr("enrollment.services.digest.send_mail", refuse)

    [run] = services.freshman_digest_send(today=IN_FRESHMAN_WINDOW)

    assert run.status == ScheduledRun.Status.DONE and run.produced_file
    assert "邮件发送失败" in run.summary["email_error"]


def test_the_digest_is_in_the_job_list(client, staff, pending):
    [run] = services.freshman_digest_send(today=IN_FRESHMAN_WINDOW)
    client.force_login(staff("学生处"))

    page = client.get(reverse("admin:office_joblist_changelist")).content.decode()

    assert run.title in page and "待确认名单共 3 人" in page
    assert reverse("admin:office_scheduledrun_file", args=[run.pk]) in page


# --- the collective window ---------------------------------------------------------------------


@pytest.fixture
def school(shanghai_2026):
    """Three eligible students (学生1..3, 25020001..3): 学生1 opted out with a scanned
    commitment, so 学生2 and 学生3 are to chase."""
    students = [StudentFactory(seq=seq) for seq in (1, 2, 3)]
    OptOut.objects.create(
        student=students[0],
        policy_year=shanghai_2026,
        reason=OptOut.Reason.INSURED_ELSEWHERE,
        signed_on=date(2025, 11, 12),
        commitment="x.pdf",
    )
    return students


def test_the_window_opening_is_recorded_once(school):
    [opened] = services.collective_window_mark(today=date(2025, 11, 11))
    again = services.collective_window_mark(today=date(2025, 11, 12))

    assert opened.title == "上海市 2026（shanghai-2026） 集中参保开启"
    assert opened.summary["to_chase"] == 2
    assert opened.summary["text"] == "集中参保 2025-11-11～2025-12-20 已开启；待跟进 2 人"
    assert again == []


def test_the_window_closing_produces_the_chase_list_once(school, sheet_rows):
    assert services.collective_window_mark(today=date(2025, 12, 20)) != []  # opened, still open
    assert ScheduledRun.objects.filter(title__contains="截止").count() == 0

    [closed] = services.collective_window_mark(today=date(2025, 12, 21))
    late = services.collective_window_mark(today=date(2025, 12, 22))

    assert late == []
    assert closed.title == "上海市 2026（shanghai-2026） 集中参保截止"
    rows = sheet_rows(closed.produced_file.read())
    assert rows[0] == ["学院", "学号", "姓名", "手机号"]
    assert [row[1] for row in rows[1:]] == ["25020002", "25020003"]


def test_a_closing_missed_for_longer_than_a_week_is_not_made_up(school):
    assert services.collective_window_mark(today=date(2025, 12, 28)) == []


# --- the schedules in the admin ----------------------------------------------------------------


def test_the_clinic_edits_a_schedule_in_chinese(client, staff):
    client.force_login(staff("医保办"))
    digest = PeriodicTask.objects.get(task="enrollment.freshman_digest")

    listing = client.get(reverse("admin:django_celery_beat_periodictask_changelist"))
    form = client.get(reverse("admin:django_celery_beat_periodictask_change", args=[digest.pk]))
    response = client.post(
        reverse("admin:django_celery_beat_periodictask_change", args=[digest.pk]),
        {
            "name": digest.name,
            "enabled": "",
            "description": digest.description,
            "crontab": digest.crontab_id,
            "interval": "",
        },
    )

    assert listing.status_code == 200 and "每天 07:30" in listing.content.decode()
    fields = set(form.context["adminform"].form.fields)
    assert fields == {"name", "enabled", "description", "interval", "crontab"}
    assert response.status_code == 302
    digest.refresh_from_db()
    assert not digest.enabled and digest.task == "enrollment.freshman_digest"


def test_a_schedule_needs_exactly_one_time(client, staff):
    client.force_login(staff("医保办"))
    digest = PeriodicTask.objects.get(task="enrollment.freshman_digest")

    response = client.post(
        reverse("admin:django_celery_beat_periodictask_change", args=[digest.pk]),
        {"name": digest.name, "enabled": "on", "crontab": "", "interval": ""},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()


@pytest.mark.parametrize("role", ["学生处", "财务", "审计"])
def test_other_roles_do_not_see_the_schedules(client, staff, role):
    client.force_login(staff(role))

    assert (
        client.get(reverse("admin:django_celery_beat_periodictask_changelist")).status_code == 403
    )


@pytest.mark.parametrize("role", ["医保办", "学生处", "财务", "审计"])
def test_celerys_result_tables_are_hidden_from_every_role(client, staff, role):
    client.force_login(staff(role))

    index = client.get(reverse("admin:index")).content.decode()
    results = client.get(reverse("admin:django_celery_results_taskresult_changelist"))

    assert results.status_code == 403
    assert "django_celery_results" not in index
