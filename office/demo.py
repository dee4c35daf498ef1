"""The demo school's offices and their accounts (issue #12): the campus hospital's office
for most colleges and the medical school clinic's for the medical school (SJTU rules art.
4–5), a clerk of each and a college's liaison. Which colleges there are is the roster's
(the caller's); running it again changes nothing."""

import os
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from config.roles import LIAISON

from .offices import Office, OfficeCollege, StaffScope


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    office: str  # the office's code
    colleges: tuple[str, ...] = ()  # a liaison's own colleges


def seed_offices(
    *, offices: dict[str, tuple[str, list[str]]], accounts: list[DemoAccount]
) -> list[str]:
    """`offices`: name → (code, colleges). Each account is created once, with a password
    shown once (DEMO_STAFF_PASSWORD, else a random one); the lines say what was done."""
    lines = []
    for name, (code, colleges) in offices.items():
        office, created = Office.objects.get_or_create(code=code, defaults={"name": name})
        for college in colleges:
            OfficeCollege.objects.get_or_create(college=college, defaults={"office": office})
        if created:
            lines.append(f"已创建示范医保办：{name}（{'、'.join(colleges)}）")
    User = get_user_model()
    for account in accounts:
        if User.objects.filter(username=account.username).exists():
            continue
        password = os.environ.get("DEMO_STAFF_PASSWORD") or secrets.token_urlsafe(12)
        user = User.objects.create_user(account.username, password=password, is_staff=True)
        user.groups.add(Group.objects.get(name=account.role))
        office = Office.objects.get(code=account.office)
        scope = StaffScope.objects.create(user=user, office=office)
        scope.colleges.add(*OfficeCollege.objects.filter(college__in=account.colleges))
        where = "、".join(account.colleges) if account.role == LIAISON else office.name
        who = f"{account.role} · {where}"
        lines.append(f"已创建演示账号：用户名 {account.username}  密码 {password}  （{who}）")
    return lines
