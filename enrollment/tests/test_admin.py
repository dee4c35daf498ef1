"""The student admin: the Chinese admin, full ID numbers only for who may see them (and
logged when seen), and the student form's ID checks."""

import pytest
from django.urls import reverse

from enrollment.forms import StudentForm
from enrollment.models import PersonalDataAccess
from enrollment.tests.factories import StudentFactory
from enrollment.tests.files import resident_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def student():
    return StudentFactory()


def test_admin_speaks_chinese(client, admin_user):
    client.force_login(admin_user)

    page = client.get("/admin/").content.decode()

    assert "大学生医疗保障管理办公室" in page
    assert "医保年度" in page
    assert "学生" in page


def test_ids_are_masked_for_finance(client, student, staff):
    client.force_login(staff("财务"))

    listing = client.get(reverse("admin:enrollment_student_changelist")).content.decode()
    detail = client.get(
        reverse("admin:enrollment_student_change", args=[student.pk])
    ).content.decode()

    assert student.id_number not in listing
    assert student.masked_id_number in listing
    assert student.id_number not in detail
    assert student.masked_id_number in detail
    assert not PersonalDataAccess.objects.exists()


def test_clinic_staff_see_full_ids_and_opening_one_is_logged(client, student, staff):
    user = staff("医保办")
    client.force_login(user)

    listing = client.get(reverse("admin:enrollment_student_changelist")).content.decode()
    detail = client.get(reverse("admin:enrollment_student_change", args=[student.pk]))

    assert student.id_number not in listing  # lists are masked for everyone
    assert student.masked_id_number in listing
    assert student.id_number in detail.content.decode()
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.student, access.action) == (user, student, "view_full_id")


def test_searching_by_full_id_needs_the_permission(client, student, staff):
    client.force_login(staff("财务"))
    url = reverse("admin:enrollment_student_changelist")

    found = client.get(url, {"q": student.id_number}).context["cl"].result_count

    assert found == 0


def test_editing_an_id_number_in_the_admin_updates_birth_date_and_gender(client, student, staff):
    client.force_login(staff("医保办"))
    url = reverse("admin:enrollment_student_change", args=[student.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(id_number="11010519491231002X", registered_on="2026-09-01")

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    student.refresh_from_db()
    assert (student.birth_date.isoformat(), student.gender) == ("1949-12-31", "female")


def test_id_numbers_cannot_be_probed_through_url_filters(client, staff):
    StudentFactory(name="张三", id_number=resident_id(), student_number="1")
    client.force_login(staff("审计"))
    url = reverse("admin:enrollment_student_changelist")

    assert client.get(url, {"id_number__startswith": "3"}).status_code == 400
    assert client.get(url, {"id_number": resident_id()}).status_code == 400


def test_the_student_form_checks_and_normalises_id_numbers():
    base = {
        "name": "张三",
        "id_type": "resident_id",
        "student_number": "1",
        "school": "示范大学",
        "college": "医学院",
        "education_level": "undergraduate",
        "study_mode": "full_time",
        "school_status": "studying",
        "subsidy_category": "standard",
        "training_mode": "regular",
    }

    bad = StudentForm(data={**base, "id_number": "3101152005040516A9"})
    good = StudentForm(data={**base, "id_number": "11010519491231002x"})

    assert not bad.is_valid() and "id_number" in bad.errors
    assert good.is_valid(), good.errors
    assert good.cleaned_data["id_number"] == "11010519491231002X"
