"""The tables the custom admin pages show (`admin/office/page.html` renders them): built
here and nowhere else, as django-oscar's dashboard keeps its tables in one module."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

PER_PAGE = 100


@dataclass(frozen=True)
class Paging:
    """Where a long table stands (`paged`): which rows of how many, and the links to the
    other pages (url None: the current page, or a gap "…")."""

    first: int
    last: int
    count: int
    links: Sequence[tuple[str | None, str]]


@dataclass(frozen=True)
class Table:
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)
    footer: str = ""
    # the 合计 row, in bold under the rows (`total_row`)
    total: Sequence[Any] | None = None
    # a long list shows one page of it (`paged`) and links to the others
    paging: Paging | None = None
    # the whole list as a file: its link stands above the table (labelled 下载 unless
    # `download_label` says otherwise)
    download: str = ""
    download_label: str = ""


def total_row(rows: Sequence[Sequence[Any]], *, sums: Sequence[int], label: str = "") -> list:
    """The 合计 row of `rows`: the columns `sums` (their indexes) added up, `label` (合计)
    in the first column, the others empty. Money stays Decimal; counts stay int."""
    width = max((len(row) for row in rows), default=max(sums, default=0) + 1)
    total: list[Any] = [""] * width
    for index in sums:
        values = [row[index] for row in rows if isinstance(row[index], int | Decimal)]
        total[index] = sum(values, Decimal("0.00") if _money(values) else 0)
    total[0] = label or _("Total")
    return total


def _money(values) -> bool:
    return any(isinstance(value, Decimal) for value in values)


def paged(request, rows, *, per_page: int = PER_PAGE, param: str = "page") -> tuple[list, Paging]:
    """One page of `rows` (a queryset is read a page at a time), by the request's
    `param`, and where it stands; the links keep the request's other parameters."""
    paginator = Paginator(rows, per_page)
    page = paginator.get_page(request.GET.get(param))
    query = request.GET.copy()
    links = []
    for number in paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1):
        if number == page.number or number == paginator.ELLIPSIS:
            links.append((None, str(number)))
            continue
        query[param] = number
        links.append((f"?{query.urlencode()}", str(number)))
    first = page.start_index()
    paging = Paging(first=first, last=page.end_index(), count=paginator.count, links=links)
    return list(page.object_list), paging


def link(url: str, label: str) -> SafeString:
    return format_html('<a href="{}">{}</a>', url, label)


def problems_table(title: str, problems: Iterable) -> Table:
    """Rows a file could not use, each with its row number, column and reason."""
    return Table(
        title=title,
        headers=[_("row"), _("column"), _("problem")],
        rows=[[p.row, p.column, p.message] for p in problems],
    )


def counts_table(title: str, first: str, counts: dict[str, dict[str, int]], labels) -> Table:
    """One row per key of `counts` (sorted), one column per label key found in any row."""
    columns = sorted({key for row in counts.values() for key in row})
    return Table(
        title=title,
        headers=[first, *(labels.get(column, column) for column in columns)],
        rows=[
            [name, *(row.get(column, 0) for column in columns)]
            for name, row in sorted(counts.items())
        ],
    )
