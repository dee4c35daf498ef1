"""The tables the custom admin pages show (`admin/office/page.html` renders them): built
here and nowhere else, as django-oscar's dashboard keeps its tables in one module."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Table:
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)
    footer: str = ""


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
