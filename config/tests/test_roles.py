import pytest
from django.contrib.auth.models import Group

from config.roles import ROLES, sync_roles

pytestmark = pytest.mark.django_db


def codenames(role: str) -> set[str]:
    return set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))


def test_the_four_roles_exist_after_migrating():
    assert set(Group.objects.values_list("name", flat=True)) >= {"医保办", "学生处", "财务", "审计"}


def test_auditor_can_only_view():
    granted = codenames("审计")

    assert "view_student" in granted and "view_policyyear" in granted
    assert all(codename.startswith("view_") for codename in granted)


def test_clinic_staff_and_student_affairs_see_full_id_numbers():
    # SJTU rules art. 25: student affairs provide the roster and remit to the tax bureau
    assert "view_full_id" in codenames("医保办") and "view_full_id" in codenames("学生处")
    for role in ("财务", "审计"):
        assert "view_full_id" not in codenames(role), role


def test_student_affairs_edit_the_roster_but_not_the_policy():
    granted = codenames("学生处")

    assert {"add_student", "change_student"} <= granted
    assert "view_policyyear" in granted
    assert "change_policyyear" not in granted


def test_clinic_staff_manage_policy_years():
    assert {"add_policyyear", "change_policyyear", "change_benefitrule"} <= codenames("医保办")


def test_sync_takes_away_what_a_role_no_longer_names():
    from django.apps import apps
    from django.contrib.auth.models import Permission

    finance = Group.objects.get(name="财务")
    finance.permissions.add(Permission.objects.get(codename="view_full_id"))
    sync_roles(apps)

    assert "view_full_id" not in codenames("财务")


def test_sync_is_idempotent():
    from django.apps import apps

    before = {role: codenames(role) for role in ROLES}
    sync_roles(apps)

    assert {role: codenames(role) for role in ROLES} == before
    assert Group.objects.filter(name__in=ROLES).count() == len(ROLES)
