import os
import secrets
from datetime import date

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from enrollment import demo, selectors, services, workflow
from enrollment.models import Enrollment, RosterImport, Student
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
# Continuing students in the 2026 collective enrollment (run in Nov-Dec 2025): most paid
# and established, not yet remitted, so a newcomer can freeze a payment list.
COLLECTIVE_STORIES = [
    [workflow.PAID, workflow.ESTABLISHED],
    [workflow.PAID, workflow.ESTABLISHED],
    [workflow.PAID, workflow.ESTABLISHED],
    [workflow.PAID],
    [],
    [workflow.OPTED_OUT],
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
        policy_year = PolicyYear.objects.get(code=f"shanghai-{DEMO_YEAR}")
        if Enrollment.objects.filter(policy_year=policy_year).exists():
            self.stdout.write("示范新生参保记录已存在，跳过。")
            return
        freshmen = Student.objects.filter(registered_on__year=DEMO_YEAR).order_by("student_number")
        created = 0
        for index, student in enumerate(selectors.eligible_students(freshmen)):
            enrollment = services.enrollment_create(
                student=student,
                policy_year=policy_year,
                kind=workflow.FRESHMAN,
                today=DEMO_TODAY,
                by=admin,
            )
            created += 1
            if enrollment.state == workflow.EXEMPT:
                continue
            for target in FRESHMAN_STORIES[index % len(FRESHMAN_STORIES)]:
                reason = FAILURE if target == workflow.FAILED else ""
                services.enrollment_transition(
                    enrollment=enrollment, to=target, by=admin, reason=reason
                )
        self.stdout.write(f"示范新生参保记录：{created} 条，状态各异。")

    def _collective_enrollment(self, admin) -> None:
        policy_year = PolicyYear.objects.get(code=f"shanghai-{DEMO_YEAR}")
        if Enrollment.objects.filter(policy_year=policy_year, kind=workflow.COLLECTIVE).exists():
            self.stdout.write("示范集中参保记录已存在，跳过。")
            return
        continuing = Student.objects.filter(registered_on__year__lt=DEMO_YEAR).order_by(
            "student_number"
        )
        created = 0
        for index, student in enumerate(selectors.eligible_students(continuing)):
            enrollment = services.enrollment_create(
                student=student,
                policy_year=policy_year,
                kind=workflow.COLLECTIVE,
                today=policy_year.collective_window_opens_on,
                by=admin,
            )
            created += 1
            if enrollment.state == workflow.EXEMPT:
                continue
            for target in COLLECTIVE_STORIES[index % len(COLLECTIVE_STORIES)]:
                if target == workflow.PAID and enrollment.premium_due == 0:
                    break
                paid = enrollment.premium_due if target == workflow.PAID else None
                reason = "已在外地参保，签署放弃承诺书" if target == workflow.OPTED_OUT else ""
                enrollment = services.enrollment_transition(
                    enrollment=enrollment, to=target, by=admin, reason=reason, amount_paid=paid
                )
        self.stdout.write(
            f"示范 {DEMO_YEAR} 年度集中参保记录：{created} 条（已缴费建账、待缴费、放弃等）。"
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
