import os
import secrets
from datetime import date

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from enrollment import demo, services, workflow
from enrollment.models import (
    CollectiveRun,
    DeclarationBatch,
    Enrollment,
    OptOut,
    Payment,
    RosterImport,
)
from policies.models import PolicyYear

DEMO_YEAR = 2026
DEMO_ROSTER = "示范大学学生名册（演示）.xlsx"
# The demo is seen as of mid-September of the entry year: freshmen are being declared.
DEMO_TODAY = date(DEMO_YEAR, 9, 15)
# Where the demo freshmen stand with the bureau, in turn (xianda walkthrough's states).
FRESHMAN_STORIES = [
    [],
    [workflow.PENDING_REVIEW],
    [workflow.PENDING_REVIEW, workflow.ESTABLISHED],
    [workflow.PENDING_REVIEW, workflow.ESTABLISHED],
    [workflow.PENDING_REVIEW, workflow.FAILED],
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
    help = "载入示范学校数据并创建管理员账号；重复运行不会改变任何数据。"

    def handle(self, *args, **options):
        with transaction.atomic():
            admin = self._ensure_admin()
            self._import_demo_roster(admin)
            self._enroll_freshmen(admin)
            self._collective_enrollment(admin)

    def _import_demo_roster(self, admin) -> None:
        """The demo school arrives the way a real one does: through the roster import."""
        if RosterImport.objects.filter(original_name=DEMO_ROSTER).exists():
            self.stdout.write("示范名册已导入，跳过。")
            return
        content = demo.roster_workbook(
            demo.demo_students(entry_year=DEMO_YEAR), title="示范大学学生名册（演示数据）"
        )
        roster_import = services.roster_import_file(content=content, name=DEMO_ROSTER, user=admin)
        result = roster_import.summary.get("result", {})
        self.stdout.write(
            f"示范名册已导入：新增 {result.get('created', 0)} 人，"
            f"其中不符合参保条件 {len(roster_import.summary.get('ineligible', []))} 人。"
        )

    def _enroll_freshmen(self, admin) -> None:
        """Freshmen declared in two batches (the first exported), then confirmed and
        answered by the bureau in turn."""
        policy_year = PolicyYear.objects.get(code=f"shanghai-{DEMO_YEAR}")
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
            for target in FRESHMAN_STORIES[index % len(FRESHMAN_STORIES)]:
                reason = FAILURE if target == workflow.FAILED else ""
                services.enrollment_transition(
                    enrollment=enrollment, to=target, by=admin, reason=reason
                )
        self.stdout.write(f"示范新生：{batch.number} 个申报批次，{freshmen.count()} 条参保记录。")

    def _collective_enrollment(self, admin) -> None:
        """The 2026 collective run (Nov-Dec 2025) done, then the money: payments, a few
        mismatches, family mutual aid, failed accounts, opt-outs and refunds."""
        policy_year = PolicyYear.objects.get(code=f"shanghai-{DEMO_YEAR}")
        if CollectiveRun.objects.filter(policy_year=policy_year).exists():
            self.stdout.write("示范集中参保已运行，跳过。")
            return
        start = services.collective_run_start(policy_year=policy_year, by=admin)
        # in-process, so the rest of the story sees the enrollments (the queued task
        # finds the run done and does nothing)
        services.collective_run_execute(run_id=start.run.pk)
        window = policy_year.collective_window_opens_on
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
                    enrollment=enrollment, at=policy_year.family_aid_deadline_at, by=admin
                )
            receipts = 2 if story == "paid_twice" else 1
            for receipt in range(receipts):
                services.payment_record(
                    enrollment=enrollment,
                    amount=enrollment.premium_due,
                    paid_on=window,
                    channel=Payment.Channel.ONLINE,
                    receipt_number=f"DEMO{DEMO_YEAR}-{enrollment.pk:05d}-{receipt}",
                    by=admin,
                )
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
