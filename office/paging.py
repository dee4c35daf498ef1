"""Change lists that count no further than they page: the admin counts every row of a
list to draw its pages, which at 200,000 students reads the whole table (or a join of
two) on each page. A `BoundedCount` admin counts rows up to the current page and four
more pages; a longer list says "more than 500" (page 1 of 100 rows) and its further
pages appear as staff page on, so a page costs what its depth costs, never what the
table holds. Exact totals are the home page's, aggregated."""

from functools import cached_property

from django.contrib.admin.views.main import PAGE_VAR
from django.core.paginator import Paginator


class BoundedCountPaginator(Paginator):
    """A paginator whose `count` stops at `bound` + 1: exact up to `bound`, else only
    "more than `bound`" (`exact` False)."""

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, bound):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.bound = bound

    @cached_property
    def count(self) -> int:
        # SELECT COUNT(*) FROM (SELECT … LIMIT bound + 1): no ordering, stops early
        return self.object_list.order_by()[: self.bound + 1].count()

    @property
    def exact(self) -> bool:
        return self.count <= self.bound

    @property
    def bound_shown(self) -> str:
        return f"{self.bound:,}"


class BoundedCount:
    """A ModelAdmin whose change list counts boundedly (the templates
    admin/office/pagination.html and actions.html say "more than …" where the count
    stopped, in the pagination and in "select all")."""

    pages_ahead = 4
    # Django's second count, of the whole table beside the filtered one, is not made
    show_full_result_count = False

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        try:
            page = max(1, int(request.GET.get(PAGE_VAR, 1)))
        except ValueError:
            page = 1
        bound = (page + self.pages_ahead) * per_page
        return BoundedCountPaginator(
            queryset, per_page, orphans, allow_empty_first_page, bound=bound
        )
