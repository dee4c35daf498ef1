import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from enrollment import demo, services

DEMO_YEAR = 2026


class Command(BaseCommand):
    help = "载入医保年度与示范学校数据，并创建管理员账号；重复运行不会改变任何数据。"

    def handle(self, *args, **options):
        with transaction.atomic():
            created = services.students_create_missing(
                students=demo.demo_students(entry_year=DEMO_YEAR)
            )
            self.stdout.write(f"示范学生：新增 {created} 人。")
            self._ensure_admin()

    def _ensure_admin(self) -> None:
        User = get_user_model()
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "admin")
        if User.objects.filter(username=username).exists():
            self.stdout.write(f"管理员账号 {username} 已存在（密码仅在创建时显示一次）。")
            return
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD") or secrets.token_urlsafe(12)
        User.objects.create_superuser(
            username=username,
            email=os.environ.get("DJANGO_SUPERUSER_EMAIL", ""),
            password=password,
        )
        self.stdout.write(
            self.style.SUCCESS(f"已创建管理员账号：用户名 {username}  密码 {password}")
        )
