"""The student and enrollment lists at the size of a big school (issue #12): a number is
looked up through an index (the start of a student number, or an exact normalised ID
number for who may see full numbers), a name by its start before anywhere in it; the
college filter's choices come from the college index; no date hierarchy; the enrollment
list is ordered by its primary key; counts stop after a few pages; and the number of
queries does not grow with the rows (bench/admin_pages.py measures the same at 200,000
students)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enrollment.admin.enrollments import EnrollmentAdmin
from enrollment.admin.search import CollegeFilter, number_searched
from enrollment.admin.students import StudentAdmin
from enrollment.selectors_students import colleges
from enrollment.tests.factories import EnrollmentFactory, StudentFactory

STUDENTS = reverse("admin:enrollment_student_changelist")
ENROLLMENTS = reverse("admin:enrollment_enrollment_changelist")


@pytest.mark.parametrize(
    ("term", "number"),
    [
        ("25020001", "25020001"),
        (" 2502 0001 ", "25020001"),  # typed with spaces, as read off a card
        ("11010519491231002x", "11010519491231002X"),  # stored in capitals (roster rows)
        ("E12345678", "E12345678"),  # a passport
        ("hk-2025-01", "HK-2025-01"),
        ("张三", ""),
        ("SMITH John", ""),  # a name without digits
        ("学生1000", ""),  # a name with digits is still a name
    ],
)
def test_a_term_is_a_number_when_it_holds_digits_and_no_other_script(term, number):
    assert number_searched(term) == number


@pytest.fixture
def roster(db):
    """Three students, one of them enrolled in 2026."""
    return [
        StudentFactory(name="王小明", student_number="25010001", college="医学院"),
        StudentFactory(name="王大明", student_number="25010002", college="法学院"),
        StudentFactory(name="李明", student_number="25020001", college="法学院"),
    ]


def found(client, url, **params) -> list:
    # `all` shows every row of a short list, and as a second parameter keeps the front
    # desk's redirect away
    response = client.get(url, {**params, "all": ""})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_a_student_number_or_its_start_finds_the_students(client, staff, roster):
    client.force_login(staff("财务"))

    assert found(client, STUDENTS, q="25010002") == [roster[1]]
    assert found(client, STUDENTS, q="2501000") == roster[:2]
    assert found(client, STUDENTS, q="2503") == []


def test_an_id_number_is_found_exactly_and_only_for_who_may_see_it(client, staff, roster):
    student = roster[2]
    lowered = student.id_number[:-1] + student.id_number[-1].lower()

    client.force_login(staff("医保办"))
    assert found(client, STUDENTS, q=student.id_number) == [student]
    assert found(client, STUDENTS, q=f" {lowered} ") == [student]
    assert found(client, STUDENTS, q=student.id_number[:10]) == []  # no probing by parts

    client.force_login(staff("财务"))
    assert found(client, STUDENTS, q=student.id_number) == []


def test_a_name_is_found_by_its_start_then_anywhere(client, staff, roster):
    client.force_login(staff("审计"))

    assert found(client, STUDENTS, q="王") == roster[:2]
    assert found(client, STUDENTS, q="大明") == [roster[1]]


def test_a_number_search_reads_no_leading_wildcard(client, staff, roster):
    """A LIKE '%…' cannot use an index: a number is never searched that way."""
    client.force_login(staff("医保办"))

    with CaptureQueriesContext(connection) as queries:
        found(client, STUDENTS, q=roster[0].student_number)
        found(client, STUDENTS, q=roster[0].id_number)
        found(client, ENROLLMENTS, q=roster[0].student_number)

    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert roster[0].student_number in sql
    assert f"'%{roster[0].student_number}" not in sql and f"'%{roster[0].id_number}" not in sql


def test_the_enrollment_list_is_searched_the_same_way(client, staff, roster, shanghai_2026):
    enrollment = EnrollmentFactory(student=roster[2], policy_year=shanghai_2026)
    EnrollmentFactory(student=roster[0], policy_year=shanghai_2026)

    client.force_login(staff("医保办"))
    assert found(client, ENROLLMENTS, q="25020001") == [enrollment]
    assert found(client, ENROLLMENTS, q=roster[2].id_number) == [enrollment]
    assert found(client, ENROLLMENTS, q="李") == [enrollment]

    client.force_login(staff("财务"))
    assert found(client, ENROLLMENTS, q=roster[2].id_number) == []


def test_the_college_filter_offers_the_colleges_from_the_index(client, staff, roster):
    client.force_login(staff("学生处"))

    response = client.get(STUDENTS, {"college__exact": "法学院"})
    cl = response.context["cl"]
    college = next(spec for spec in cl.filter_specs if isinstance(spec, CollegeFilter))
    choices = [choice["display"] for choice in college.choices(cl)]

    assert colleges() == ["医学院", "法学院"] == sorted({s.college for s in roster})
    assert choices[1:] == ["医学院", "法学院"]  # after 全部
    assert list(response.context["cl"].result_list) == roster[1:]


def test_the_enrollment_list_filters_by_college_through_the_student(
    client, staff, roster, shanghai_2026
):
    EnrollmentFactory(student=roster[0], policy_year=shanghai_2026)
    law = EnrollmentFactory(student=roster[1], policy_year=shanghai_2026)
    client.force_login(staff("医保办"))

    listed = found(client, ENROLLMENTS, student__college__exact="法学院")

    assert listed == [law]


def test_no_list_orders_or_groups_by_a_scan():
    assert StudentAdmin.date_hierarchy is None
    assert EnrollmentAdmin.date_hierarchy is None
    assert EnrollmentAdmin.ordering == ["-pk"]


def test_the_enrollment_list_shows_the_newest_first(client, staff, roster, shanghai_2026):
    older = EnrollmentFactory(student=roster[0], policy_year=shanghai_2026)
    newer = EnrollmentFactory(student=roster[1], policy_year=shanghai_2026)
    client.force_login(staff("医保办"))

    listed = list(client.get(ENROLLMENTS).context["cl"].result_list)

    assert listed == [newer, older]


def test_a_long_list_counts_a_few_pages_ahead(client, staff, monkeypatch, db):
    # 2 rows a page: page 1 counts up to (1 + 4) pages × 2 = 10 rows, page 4 up to 16
    monkeypatch.setattr(StudentAdmin, "list_per_page", 2)
    StudentFactory.create_in_bulk(12)
    client.force_login(staff("医保办"))

    first = client.get(STUDENTS, HTTP_ACCEPT_LANGUAGE="en")
    fourth = client.get(STUDENTS, {"p": "4"}, HTTP_ACCEPT_LANGUAGE="en")

    assert first.context["cl"].result_count == 11 and not first.context["cl"].paginator.exact
    assert "more than 10 students" in first.content.decode()
    assert "Select all students (more than 10)" in first.content.decode()
    assert fourth.context["cl"].result_count == 12 and fourth.context["cl"].paginator.exact
    assert "12 students" in fourth.content.decode()


@pytest.mark.parametrize("url", [STUDENTS, ENROLLMENTS])
def test_the_query_count_does_not_grow_with_the_rows(client, staff, shanghai_2026, url):
    client.force_login(staff("医保办"))
    EnrollmentFactory(policy_year=shanghai_2026)
    client.get(url)  # the caches a first page fills

    counts = []
    for more in (0, 30):
        for _ in range(more):
            EnrollmentFactory(policy_year=shanghai_2026)
        for params in ({}, {"q": "25021000"}, {"student__college__exact": "医学院"}):
            if url == STUDENTS and params.get("student__college__exact"):
                params = {"college__exact": "医学院"}
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url, {**params, "all": ""}).status_code == 200
            counts.append(len(queries))

    assert counts[:3] == counts[3:]
    assert max(counts) <= 15


def test_the_student_autocomplete_takes_the_start_of_a_number(client, staff, roster):
    client.force_login(staff("学生处"))

    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "2501",
            "app_label": "enrollment",
            "model_name": "optout",
            "field_name": "student",
        },
    )

    assert [row["id"] for row in response.json()["results"]] == [str(s.pk) for s in roster[:2]]
