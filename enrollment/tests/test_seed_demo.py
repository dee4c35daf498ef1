from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from stdnum.cn import ric

from enrollment import services
from enrollment.models import Enrollment, IdType, RosterImport, Student

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_builds_a_school_and_an_admin(monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    monkeypatch.delenv("DJANGO_SUPERUSER_USERNAME", raising=False)

    output = seed()

    assert Student.objects.count() >= 300
    assert Student.objects.values("college").distinct().count() >= 5
    resident_ids = Student.objects.filter(id_type=IdType.RESIDENT_ID)
    assert all(ric.is_valid(s.id_number) for s in resident_ids)
    assert resident_ids.filter(birth_date__isnull=True).count() == 0
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser
    password = output.split("密码 ")[1].split()[0]
    assert admin.check_password(password)
    # the demo school came in through the roster import, as a real one does
    roster_import = RosterImport.objects.get()
    assert roster_import.status == "imported"
    assert roster_import.summary["result"]["created"] == Student.objects.count()
    assert roster_import.summary["ineligible"]  # foreign and part-time students are listed
    # freshmen in every state the bureau reports, and the exempt severe-disability ones
    freshmen = Enrollment.objects.filter(kind="freshman")
    states = set(freshmen.values_list("state", flat=True))
    assert states == {"not_established", "pending_review", "established", "failed", "exempt"}
    # the 2026 collective enrollment, left with a payment list to freeze
    collective = set(Enrollment.objects.filter(kind="collective").values_list("state", flat=True))
    assert {"declared", "paid", "established", "opted_out", "exempt"} <= collective
    assert services.payment_list_export_open(year=2026).rows > 50
    assert Enrollment.objects.filter(state="failed").exclude(reason="").count() > 0


def test_seed_demo_twice_changes_nothing():
    seed()
    students = list(Student.objects.order_by("pk").values())
    users = get_user_model().objects.count()
    enrollments = list(Enrollment.objects.order_by("pk").values())

    output = seed()

    assert list(Student.objects.order_by("pk").values()) == students
    assert get_user_model().objects.count() == users
    assert list(Enrollment.objects.order_by("pk").values()) == enrollments
    assert RosterImport.objects.count() == 1
    assert "跳过" in output
    assert "已存在" in output


def test_admin_credentials_from_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "clinic")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-demo-password")

    seed()

    assert get_user_model().objects.get(username="clinic").check_password("a-long-demo-password")
