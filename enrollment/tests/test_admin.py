import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from enrollment import demo
from enrollment.models import PersonalDataAccess, Student

pytestmark = pytest.mark.django_db


@pytest.fixture
def student():
    Student.objects.bulk_create(demo.demo_students(entry_year=2026, count=3))
    return Student.objects.get(student_number="2601" + "00000")


def staff(role: str) -> User:
    user = User.objects.create_user(username=role, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def test_admin_speaks_chinese(client, admin_user):
    client.force_login(admin_user)

    page = client.get("/admin/").content.decode()

    assert "大学生医疗保障管理办公室" in page
    assert "医保年度" in page
    assert "学生" in page


def test_ids_are_masked_for_student_affairs(client, student):
    client.force_login(staff("学生处"))

    listing = client.get(reverse("admin:enrollment_student_changelist")).content.decode()
    detail = client.get(
        reverse("admin:enrollment_student_change", args=[student.pk])
    ).content.decode()

    assert student.id_number not in listing
    assert student.masked_id_number in listing
    assert student.id_number not in detail
    assert student.masked_id_number in detail
    assert not PersonalDataAccess.objects.exists()


def test_clinic_staff_see_full_ids_and_opening_one_is_logged(client, student):
    user = staff("医保办")
    client.force_login(user)

    listing = client.get(reverse("admin:enrollment_student_changelist")).content.decode()
    detail = client.get(reverse("admin:enrollment_student_change", args=[student.pk]))

    assert student.id_number in listing
    assert student.id_number in detail.content.decode()
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.student, access.action) == (user, student, "view_full_id")


def test_searching_by_full_id_needs_the_permission(client, student):
    client.force_login(staff("学生处"))
    url = reverse("admin:enrollment_student_changelist")

    found = client.get(url, {"q": student.id_number}).context["cl"].result_count

    assert found == 0


def test_editing_an_id_number_in_the_admin_updates_birth_date_and_gender(client, student):
    client.force_login(staff("医保办"))
    url = reverse("admin:enrollment_student_change", args=[student.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(id_number="11010519491231002X", registered_on="2026-09-01")

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    student.refresh_from_db()
    assert (student.birth_date.isoformat(), student.gender) == ("1949-12-31", "female")
