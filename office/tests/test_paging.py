"""office.paging with none of the project's apps: a list of django.contrib.auth's groups
counted no further than a bound, page by page."""

import pytest
from django.contrib.auth.models import Group
from django.test import RequestFactory

from office.paging import BoundedCount, BoundedCountPaginator

pytestmark = pytest.mark.django_db


@pytest.fixture
def groups():
    Group.objects.bulk_create(Group(name=f"组{n:02d}") for n in range(25))
    return Group.objects.filter(name__startswith="组").order_by("name")


def test_the_count_is_exact_up_to_the_bound(groups):
    paginator = BoundedCountPaginator(groups, 10, bound=30)

    assert (paginator.count, paginator.exact, paginator.num_pages) == (25, True, 3)


def test_past_the_bound_the_count_says_only_more(groups):
    paginator = BoundedCountPaginator(groups, 10, bound=20)

    # 21 = "more than 20": three pages to follow, the third with at least one row
    assert (paginator.count, paginator.exact, paginator.bound_shown) == (21, False, "20")
    assert [g.name for g in paginator.page(2).object_list] == [f"组{n}" for n in range(10, 20)]


def test_the_bound_follows_the_page_asked_for():
    class Admin(BoundedCount):
        pass

    def bound(query: str) -> int:
        request = RequestFactory().get(f"/?{query}")
        return Admin().get_paginator(request, Group.objects.order_by("pk"), 100).bound

    # the page and four more, of 100 rows
    assert (bound(""), bound("p=3"), bound("p=x"), bound("p=-2")) == (500, 700, 500, 500)
    assert Admin.show_full_result_count is False
