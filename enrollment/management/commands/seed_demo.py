import os
import secrets
from datetime import date, datetime, time

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from enrollment import demo, services, workflow
from enrollment.models import (
    CollectiveRun,
    DeclarationBatch,
    Enrollment,
    OptOut,
    Payment,
    RosterImport,
)
from office.demo import seed_offices
from policies.selectors import policy_year_for, school_region
from policies.services import policy_year_publish

DEMO_YEAR = 2026
DEMO_ROSTER = "示范大学学生名册（演示）.xlsx"
# The demo is seen as of mid-September of the entry year: freshmen are being declared.
DEMO_TODAY = date(DEMO_YEAR, 9, 15)
# Where the demo freshmen stand, in turn. Each story is steps; a step the demo year does
# not have is passed over, so one list tells both cities' stories (policy-year data,
# DESIGN.md §4): CONFIRM only where freshmen confirm in an app (Shanghai's 随申办, xianda
# walkthrough); PAY only where the entry year is charged (Wuhan 400, notice 三(三));
# FAMILY_AID only where freshmen may use a relative's employee account (Wuhan notice 十).
CONFIRM, PAY, FAMILY_AID = "confirm", "pay", "family_aid"
FRESHMAN_STORIES = [
    [],
    [CONFIRM, PAY],
    [CONFIRM, PAY, workflow.ESTABLISHED],
    [CONFIRM, PAY, FAMILY_AID, workflow.ESTABLISHED],
    [CONFIRM, PAY, workflow.FAILED],
]
FAILURE = "相同证件号存在其他医保账户但姓名不同"
FRESHMAN_BATCHES = [
    (date(DEMO_YEAR, 8, 1), date(DEMO_YEAR, 9, 2)),
    (date(DEMO_YEAR, 9, 3), date(DEMO_YEAR, 9, 10)),
]
# The 2026 collective enrollment (run in Nov-Dec 2025), student by student in turn: most
# paid and established, not yet remitted, so a newcomer can freeze a payment list.
COLLECTIVE_STORIES = [
    "established",
    "established",
    "established",
    "paid",
    "unpaid",
    "established",
    "opted_out",
    "established",
    "family_aid",
    "established",
    "failed",
    "paid_twice",
]


class Command(BaseCommand):
    help = (
        "载入示范学校数据并创建管理员账号；学校所在地区取自 SCHOOL_REGION（默认上海），"
        "示范数据按该地区的医保年度办理。重复运行不会改变任何数据。"
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            admin = self._ensure_admin()
            self._import_demo_roster(admin)
            policy_year = self._demo_policy_year()
            self._enroll_freshmen(admin, policy_year)
            self._collective_enrollment(admin, policy_year)
            # Later parts of the year add their demo here, one call each, with the same
            # admin, policy year and DEMO_TODAY, and the same "skip when already there"
            # rule (e.g. claims/demo.py: facilities, referrals, claims of the demo year).
            if apps.is_installed("claims"):  # claims depends on enrollment, not the reverse
                from claims.demo import seed_claims

                self.stdout.write(seed_claims(policy_year=policy_year, today=DEMO_TODAY, by=admin))
            # two offices and their accounts (office.demo); the admin sees the whole school
            for line in seed_offices(offices=demo.OFFICES, accounts=demo.OFFICE_ACCOUNTS):
                self.stdout.write(self.style.SUCCESS(line) if "密码" in line else line)

    def _import_demo_roster(self, admin) -> None:
        """The demo school arrives the way a real one does: through the roster import."""
        if RosterImport.objects.filter(original_name=DEMO_ROSTER).exists():
            self.stdout.write("示范名册已导入，跳过。")
            return
        students = demo.demo_students(entry_year=DEMO_YEAR, region=school_region())
        content = demo.roster_workbook(students, title="示范大学学生名册（演示数据）")
        roster_import = services.roster_import_file(content=content, name=DEMO_ROSTER, user=admin)
        result = roster_import.summary.get("result", {})
        self.stdout.write(
            f"示范名册已导入：新增 {result.get('created', 0)} 人，"
            f"其中不符合参保条件 {len(roster_import.summary.get('ineligible', []))} 人。"
        )

    def _demo_policy_year(self):
        """The school's region's demo year. A year seeded as a draft (wuhan-2026: its
        numbers wait for the city's notice) is published first, through the service the
        office uses, as the office would before enrolling anyone in it."""
        policy_year = policy_year_for(year=DEMO_YEAR)
        if not policy_year.is_published:
            policy_year_publish(policy_year=policy_year)
            self.stdout.write(f"已发布 {policy_year}（迁移中为草稿）。")
        return policy_year

    def _enroll_freshmen(self, admin, policy_year) -> None:
        """Freshmen declared in two batches (the first exported), then confirmed, paid
        and answered by the bureau in turn, as far as the year has these steps."""
        if DeclarationBatch.objects.filter(policy_year=policy_year).exists():
            self.stdout.write("示范新生申报批次已存在，跳过。")
            return
        for first, last in FRESHMAN_BATCHES:
            batch = services.declaration_batch_create(
                policy_year=policy_year,
                registered_from=first,
                registered_to=last,
                today=DEMO_TODAY,
                by=admin,
            )
        first = DeclarationBatch.objects.filter(policy_year=policy_year).order_by("number").first()
        services.declaration_batch_export(batch=first, by=admin)
        freshmen = Enrollment.objects.filter(
            policy_year=policy_year, kind=workflow.FRESHMAN
        ).order_by("student__student_number")
        for index, enrollment in enumerate(freshmen.exclude(state=workflow.EXEMPT)):
            for step in FRESHMAN_STORIES[index % len(FRESHMAN_STORIES)]:
                self._freshman_step(admin, policy_year, enrollment, step)
        self.stdout.write(f"示范新生：{batch.number} 个申报批次，{freshmen.count()} 条参保记录。")

    def _freshman_step(self, admin, policy_year, enrollment, step: str) -> None:
        if step == CONFIRM:
            if policy_year.freshman_confirms_in_app:
                services.enrollment_transition(
                    enrollment=enrollment, to=workflow.PENDING_REVIEW, by=admin
                )
        elif step == PAY:
            if enrollment.premium_due > 0 and not services.payment_problem(enrollment):
                self._pay(admin, enrollment, paid_on=DEMO_TODAY)
        elif step == FAMILY_AID:
            if policy_year.family_aid_for_freshmen and enrollment.payer == workflow.STUDENT:
                services.enrollment_choose_family_aid(
                    enrollment=enrollment, at=_noon(DEMO_TODAY), by=admin
                )
        else:
            reason = FAILURE if step == workflow.FAILED else ""
            services.enrollment_transition(enrollment=enrollment, to=step, by=admin, reason=reason)

    def _collective_enrollment(self, admin, policy_year) -> None:
        """The 2026 collective run (Nov-Dec 2025) done, then the money: payments, a few
        mismatches, family mutual aid, failed accounts, opt-outs and refunds."""
        if CollectiveRun.objects.filter(policy_year=policy_year).exists():
            self.stdout.write("示范集中参保已运行，跳过。")
            return
        start = services.collective_run_start(policy_year=policy_year, by=admin)
        # in-process, so the rest of the story sees the enrollments (the queued task
        # finds the run done and does nothing)
        services.collective_run_execute(run_id=start.run.pk)
        window = policy_year.collective_window_opens_on
        # where the year sets a deadline (Shanghai's 20 Dec 17:00), relatives choose at
        # the last moment; Wuhan sets none (notice 十): the day the window closes
        family_aid_at = policy_year.family_aid_deadline_at or _noon(
            policy_year.collective_window_closes_on
        )
        enrollments = Enrollment.objects.filter(
            policy_year=policy_year, kind=workflow.COLLECTIVE, state=workflow.DECLARED
        ).order_by("student__student_number")
        for index, enrollment in enumerate(enrollments.exclude(payer=workflow.GOVERNMENT)):
            story = COLLECTIVE_STORIES[index % len(COLLECTIVE_STORIES)]
            if story == "opted_out":
                services.opt_out_record(
                    student=enrollment.student,
                    policy_year=policy_year,
                    reason=OptOut.Reason.INSURED_ELSEWHERE,
                    detail="户籍地已参保",
                    signed_on=window,
                    by=admin,
                )
                continue
            if story == "unpaid":
                continue
            if story == "family_aid":
                services.enrollment_choose_family_aid(
                    enrollment=enrollment, at=family_aid_at, by=admin
                )
            for _receipt in range(2 if story == "paid_twice" else 1):
                self._pay(admin, enrollment, paid_on=window)
            if story in ("established", "family_aid", "paid_twice"):
                services.enrollment_transition(
                    enrollment=enrollment, to=workflow.ESTABLISHED, by=admin
                )
            elif story == "failed":
                services.enrollment_transition(
                    enrollment=enrollment, to=workflow.FAILED, by=admin, reason=FAILURE
                )
        refunds, _ = services.refunds_issue(year=DEMO_YEAR, today=DEMO_TODAY, by=admin)
        totals = services.collective_run_totals(CollectiveRun.objects.get(pk=start.run.pk))
        self.stdout.write(
            f"示范 {DEMO_YEAR} 年度集中参保：新建 {totals['created']} 条，"
            f"跳过 {totals['skipped']} 人；已缴费建账待汇缴、待缴费、放弃、家庭共济、"
            f"建账失败各有示例，退费 {len(refunds)} 笔。"
        )

    def _pay(self, admin, enrollment, *, paid_on: date) -> None:
        """One premium collected online; receipts are numbered per enrollment."""
        receipt = Payment.objects.filter(enrollment=enrollment).count()
        services.payment_record(
            enrollment=enrollment,
            amount=enrollment.premium_due,
            paid_on=paid_on,
            channel=Payment.Channel.ONLINE,
            receipt_number=f"DEMO{DEMO_YEAR}-{enrollment.pk:05d}-{receipt}",
            by=admin,
        )

    def _ensure_admin(self):
        User = get_user_model()
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "admin")
        existing = User.objects.filter(username=username).first()
        if existing:
            self.stdout.write(f"管理员账号 {username} 已存在（密码仅在创建时显示一次）。")
            return existing
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD") or secrets.token_urlsafe(12)
        admin = User.objects.create_superuser(
            username=username,
            email=os.environ.get("DJANGO_SUPERUSER_EMAIL", ""),
            password=password,
        )
        self.stdout.write(
            self.style.SUCCESS(f"已创建管理员账号：用户名 {username}  密码 {password}")
        )
        return admin


def _noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))
