import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from enrollment import demo, services
from enrollment.models import RosterImport

DEMO_YEAR = 2026
DEMO_ROSTER = "示范大学学生名册（演示）.xlsx"


class Command(BaseCommand):
    help = "载入示范学校数据并创建管理员账号；重复运行不会改变任何数据。"

    def handle(self, *args, **options):
        with transaction.atomic():
            admin = self._ensure_admin()
            self._import_demo_roster(admin)

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
