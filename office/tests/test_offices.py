"""Offices (issue #12): whose students each staff account sees (office.scoping.scope_of),
the roles (config/roles.py: the liaison's group, school-wide access given to no role), and
the offices' own pages, which only school-wide staff change. What each role sees of the
students' lists and pages is enrollment/tests/test_office_scope.py's matrix."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from config.roles import LIAISON
from office.demo import DemoAccount, seed_offices
from office.models import OfficeCollege, StaffScope
from office.scoping import NOTHING, WHOLE_SCHOOL, in_colleges, scope_of
from office.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

CAMPUS, MEDICAL = ["法学院", "外国语学院"], ["医学院"]


@pytest.fixture
def offices(two_offices):
    return two_offices


def fresh(user):
    """The account as a new request reads it (the scope is kept on the user object)."""
    return type(user).objects.get(pk=user.pk)


# --- whose students ----------------------------------------------------------------------------


def test_a_school_without_offices_is_one_office_every_account_sees_it_all(staff):
    assert scope_of(staff("医保办")) == WHOLE_SCHOOL
    assert scope_of(staff("财务")).colleges is None


def test_an_office_account_sees_its_office_colleges(offices, staff):
    campus, medical = offices

    clerk = staff("医保办", office=campus)

    scope = scope_of(clerk)
    assert scope.colleges == frozenset(CAMPUS)
    assert scope.label == "校医院医保办"
    assert scope.key == f"office-{campus.pk}"
    assert scope_of(staff("财务", office=medical)).colleges == frozenset(MEDICAL)


def test_a_liaison_sees_only_the_colleges_given_to_them(offices, staff):
    campus, _medical = offices

    liaison = staff(LIAISON, office=campus, own_colleges=["法学院"])

    scope = scope_of(liaison)
    assert scope.colleges == frozenset({"法学院"})  # not the office's other college
    assert scope.label == "法学院"
    assert scope.key.startswith("colleges-")


def test_once_the_school_has_offices_an_account_without_one_sees_no_student(offices, staff):
    assert scope_of(staff("医保办")) == NOTHING
    assert scope_of(staff("审计")).colleges == frozenset()


def test_a_liaison_without_colleges_sees_no_student_even_in_a_school_without_offices(staff):
    assert scope_of(staff(LIAISON)) == NOTHING


def test_a_liaison_given_an_office_but_no_college_sees_no_student(offices, staff):
    assert scope_of(staff(LIAISON, office=offices[0])) == NOTHING


def test_school_wide_access_and_superusers_see_every_office(offices, staff):
    campus, _medical = offices
    head = StaffFactory(role="医保办", office=campus, permissions=["school_wide"])
    root = StaffFactory(is_superuser=True)

    assert scope_of(head) == WHOLE_SCHOOL  # the permission outweighs the office
    assert scope_of(root) == WHOLE_SCHOOL


def test_an_inactive_account_sees_nothing(offices, staff):
    assert scope_of(staff("医保办", office=offices[0], is_active=False)) == NOTHING


def test_the_scope_is_read_once_per_user_object(offices, staff, django_assert_num_queries):
    clerk = fresh(staff("医保办", office=offices[0]))
    clerk.get_all_permissions()  # what the admin reads anyway

    with django_assert_num_queries(2):  # the account's facts, then its colleges
        scope_of(clerk)
        scope_of(clerk)


def test_an_account_without_a_scope_costs_one_query(offices, staff, django_assert_num_queries):
    clerk = fresh(staff("医保办"))
    clerk.get_all_permissions()

    with django_assert_num_queries(1):
        scope_of(clerk)


def test_in_colleges_narrows_by_a_lookup_path(offices):
    colleges = OfficeCollege.objects.all()

    assert in_colleges(colleges, "college", None).count() == 3
    assert list(in_colleges(colleges, "college", {"医学院"})) == [
        OfficeCollege.objects.get(college="医学院")
    ]
    assert in_colleges(colleges, "college", frozenset()).count() == 0


# --- roles -------------------------------------------------------------------------------------


def test_the_liaison_role_reads_its_students_and_confirms_for_them_without_money_or_ids():
    granted = set(
        Group.objects.get(name=LIAISON).permissions.values_list(
            "content_type__app_label", "codename"
        )
    )

    assert ("enrollment", "view_student") in granted
    assert ("enrollment", "change_enrollment") in granted  # 代学生批量确认参保
    assert ("enrollment", "view_optout") in granted  # the chase list
    assert (
        not {
            ("enrollment", "view_full_id"),
            ("enrollment", "view_payment"),
            ("enrollment", "view_refund"),
            ("enrollment", "view_paymentlist"),
            ("enrollment", "add_payment"),
            ("claims", "view_claim"),
        }
        & granted
    )


def test_school_wide_access_is_given_to_accounts_never_to_a_role():
    school_wide = Permission.objects.get(codename="school_wide")

    assert not school_wide.group_set.exists()
    # the offices themselves are 医保办's to read
    office_perms = Group.objects.get(name="医保办").permissions.filter(
        content_type__app_label="office"
    )
    assert {"view_office", "change_staffscope"} <= set(
        office_perms.values_list("codename", flat=True)
    )


# --- the offices' pages ------------------------------------------------------------------------


def test_an_office_clerk_reads_the_offices_but_changes_nothing(client, offices, staff):
    campus, medical = offices
    client.force_login(staff("医保办", office=campus))

    listed = client.get(reverse("admin:office_office_changelist"))
    page = client.get(reverse("admin:office_office_change", args=[medical.pk]))
    added = client.get(reverse("admin:office_office_add"))

    assert listed.status_code == 200 and "医学院门诊部医保办" in listed.content.decode()
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert added.status_code == 403


def test_school_wide_staff_give_a_college_to_an_office(client, offices, staff):
    campus, _medical = offices
    client.force_login(StaffFactory(role="医保办", permissions=["school_wide"]))

    response = client.post(
        reverse("admin:office_office_change", args=[campus.pk]),
        {
            "name": campus.name,
            "code": campus.code,
            "colleges-TOTAL_FORMS": "3",
            "colleges-INITIAL_FORMS": "2",
            **{
                f"colleges-{n}-{field}": value
                for n, college in enumerate(campus.colleges.order_by("pk"))
                for field, value in (("id", college.pk), ("office", campus.pk))
            },
            **{
                f"colleges-{n}-college": college
                for n, college in enumerate([*CAMPUS, "数学科学学院"])
            },
            "colleges-2-office": campus.pk,
        },
    )

    assert response.status_code == 302
    assert scope_of(StaffFactory(role="医保办", office=campus)).colleges == frozenset(
        [*CAMPUS, "数学科学学院"]
    )


def test_a_college_belongs_to_one_office(client, offices, staff):
    _campus, medical = offices
    client.force_login(StaffFactory(role="医保办", permissions=["school_wide"]))

    response = client.post(
        reverse("admin:office_office_add"),
        {
            "name": "第三医保办",
            "code": "third",
            "colleges-TOTAL_FORMS": "1",
            "colleges-INITIAL_FORMS": "0",
            "colleges-0-college": "医学院",
        },
    )

    assert response.status_code == 200  # the form again, with the error
    assert OfficeCollege.objects.get(college="医学院").office == medical


def test_a_liaisons_colleges_are_among_their_offices(client, offices, staff):
    campus, _medical = offices
    liaison = staff(LIAISON)
    client.force_login(StaffFactory(role="医保办", permissions=["school_wide"]))

    refused = client.post(
        reverse("admin:office_staffscope_add"),
        {
            "user": liaison.pk,
            "office": campus.pk,
            "colleges": [OfficeCollege.objects.get(college="医学院").pk],
        },
    )
    given = client.post(
        reverse("admin:office_staffscope_add"),
        {
            "user": liaison.pk,
            "office": campus.pk,
            "colleges": [OfficeCollege.objects.get(college="法学院").pk],
        },
    )

    assert refused.status_code == 200 and "医学院" in str(refused.context["errors"])
    assert given.status_code == 302
    assert scope_of(fresh(liaison)).colleges == frozenset({"法学院"})
    assert StaffScope.objects.get(user=liaison).office == campus


# --- the demo ----------------------------------------------------------------------------------


def test_the_demo_offices_and_accounts_are_made_once(monkeypatch):
    monkeypatch.setenv("DEMO_STAFF_PASSWORD", "demo-pass")
    offices = {
        "校医院医保办": ("campus-hospital", CAMPUS),
        "医学院门诊部医保办": ("medical-school", MEDICAL),
    }
    accounts = [
        DemoAccount("xiaoyiyuan", "医保办", "campus-hospital"),
        DemoAccount("lianluo", LIAISON, "campus-hospital", colleges=("法学院",)),
    ]

    said = seed_offices(offices=offices, accounts=accounts)
    again = seed_offices(offices=offices, accounts=accounts)

    assert len(said) == 4 and again == []
    clerk, liaison = (User.objects.get(username=n) for n in ("xiaoyiyuan", "lianluo"))
    assert clerk.check_password("demo-pass") and clerk.is_staff
    assert scope_of(clerk).colleges == frozenset(CAMPUS)
    assert scope_of(liaison).colleges == frozenset({"法学院"})
    assert said[-1] == "已创建演示账号：用户名 lianluo  密码 demo-pass  （院系联络人 · 法学院）"
