"""The home page of the year: the admin's index shows where a policy year stands — its
enrollments, money, refunds, claims and next deadlines — with charts, every number a
link to the filtered list behind it.

Nothing here names an app. The apps register in their AppConfig.ready a source of years
(`register_years`: the picker's choices and the default year) and providers of blocks
(`register`: year key and day in, `Block`s out), written with their own selectors. The
blocks of a year are computed by aggregate queries and kept in Django's cache for
CACHE_SECONDS per year and day; what a user sees of them is decided afterwards, per
request: a block needs its permission, a link the permission of the list it opens."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from itertools import zip_longest
from typing import Any

from django.core.cache import cache
from django.utils.safestring import mark_safe

from . import charts
from .scoping import WHOLE_SCHOOL, Scope, scope_of

CACHE_SECONDS = 60
CACHE_PREFIX = "office:home"

COUNT, MONEY, RATIO, TEXT = "count", "money", "ratio", "text"


@dataclass(frozen=True)
class Link:
    """A change list (or page) behind a number, and the permission ("app.codename")
    needed to open it: who lacks it sees the number without the link."""

    url: str
    permission: str


@dataclass(frozen=True)
class Figure:
    """A number (or a short text) with its label, how it reads (COUNT `200,000`, MONEY
    `4,488,560.00`, RATIO given as a text by charts.percent_text, TEXT) and its link."""

    label: str
    value: Any
    kind: str = COUNT
    link: Link | None = None
    note: str = ""


@dataclass(frozen=True)
class Figures:
    """A row of figures; `flow` reads them as steps (→) of one process."""

    figures: tuple[Figure, ...]
    title: str = ""
    flow: bool = False


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[Figure, ...], ...]
    total: tuple[Figure, ...] = ()


@dataclass(frozen=True)
class Chart:
    """A chart of office.charts (`kind` names its builder: bars, line, progress,
    stacked), its items (charts.Bar, Point, Segment) and, item by item, the link behind
    each (`links`, for `href`); further keyword arguments of the builder in `options`."""

    kind: str
    title: str
    items: tuple = ()
    links: tuple[Link | None, ...] = ()
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Deadline:
    label: str
    on: date
    time: str = ""  # e.g. "17:00" where the deadline is a moment of the day
    link: Link | None = None


@dataclass(frozen=True)
class Block:
    """One part of the home page, shown to who holds `permission` ("" for every staff
    account) in the order of `order`."""

    key: str
    title: str
    permission: str = ""
    order: int = 100
    groups: tuple[Figures, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()
    deadlines: tuple[Deadline, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Years:
    """The picker's choices (key, label), the default's key first among equals."""

    choices: tuple[tuple[str, str], ...]
    default: str


YearSource = Callable[[date], Years]
# called as provider(year, today, colleges=…): `colleges` None for the whole school, else
# the college names of the user's office (office.scoping) whose figures it gives
Provider = Callable[..., Iterable[Block]]

_years: list[YearSource] = []
_providers: list[Provider] = []


def register_years(source: YearSource) -> None:
    """The one source of the picker's years (the last registered wins)."""
    _years[:] = [source]


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


# --- computing (cached) -------------------------------------------------------------------


def year_blocks(year: str, *, today: date, colleges=None) -> list[Block]:
    """Every provider's blocks of `year` on `today`, computed now (no cache): what the
    page shows, and what a benchmark times. `colleges`: of those colleges only."""
    blocks = [
        block for provider in _providers for block in provider(year, today, colleges=colleges)
    ]
    return sorted(blocks, key=lambda block: (block.order, block.key))


def cached_year_blocks(year: str, *, today: date, scope: Scope = WHOLE_SCHOOL) -> list[Block]:
    """Kept per year, day and scope (an office's figures are its own; `forget` drops the
    whole school's, an office's expire after CACHE_SECONDS)."""
    key = f"{CACHE_PREFIX}:{year}:{today.isoformat()}"
    if not scope.whole_school:
        key += f":{scope.key}"
    return cache.get_or_set(
        key, lambda: year_blocks(year, today=today, colleges=scope.colleges), CACHE_SECONDS
    )


def years_of(today: date) -> Years | None:
    if not _years:
        return None
    return cache.get_or_set(
        f"{CACHE_PREFIX}:years:{today.isoformat()}", lambda: _years[0](today), CACHE_SECONDS
    )


def forget(*, years: Sequence[str] = (), today: date) -> None:
    """Drop the cached figures of `years` on `today` (and the picker's years)."""
    cache.delete_many(
        [f"{CACHE_PREFIX}:years:{today.isoformat()}"]
        + [f"{CACHE_PREFIX}:{year}:{today.isoformat()}" for year in years]
    )


# --- what one user sees -------------------------------------------------------------------


def home_context(request, *, today: date) -> dict:
    """The index's `home`: the year picked (`?year=`, else the default), the years to
    pick from and the blocks the user may see, every link they may not follow removed.
    Empty when no app gives years (the admin's plain index)."""
    years = years_of(today)
    if years is None or not years.choices:
        return {}
    keys = [key for key, _label in years.choices]
    year = request.GET.get("year")
    year = year if year in keys else years.default
    user = request.user
    scope = scope_of(user)  # the user's office's figures (office.scoping)
    shown = [
        _shown(block, user, today)
        for block in cached_year_blocks(year, today=today, scope=scope)
        if not block.permission or user.has_perm(block.permission)
    ]
    return {
        "home": {
            "year": year,
            "year_label": dict(years.choices)[year],
            "scope_label": "" if scope.whole_school else scope.label,
            "years": years.choices,
            "blocks": shown,
            "today": today,
            "cache_seconds": CACHE_SECONDS,
        }
    }


def _url(link: Link | None, user) -> str:
    if link is None or not user.has_perm(link.permission):
        return ""
    return link.url


def figure_text(figure: Figure) -> str:
    if figure.kind == COUNT:
        return charts.count_text(int(figure.value))
    if figure.kind == MONEY:
        return charts.money_text(Decimal(figure.value))
    return str(figure.value)


def _figure(figure: Figure, user) -> dict:
    return {
        "label": figure.label,
        "text": figure_text(figure),
        "url": _url(figure.link, user),
        "note": figure.note,
        "kind": figure.kind,
    }


def _chart(chart: Chart, user) -> str:
    items = [
        replace(item, href=_url(link, user)) if hasattr(item, "href") else item
        for item, link in zip_longest(chart.items, chart.links[: len(chart.items)])
    ]
    builder = getattr(charts, chart.kind)
    # the builders escape every text they are given
    if chart.kind == "progress":
        href = _url(chart.links[0], user) if chart.links else ""
        return mark_safe(builder(title=chart.title, href=href, **chart.options))
    return mark_safe(builder(items, title=chart.title, **chart.options))


def _deadline(deadline: Deadline, today: date, user) -> dict:
    days = (deadline.on - today).days
    if days > 0:
        left = f"还有 {days} 天"
    elif days == 0:
        left = "今天"
    else:
        left = f"已过 {-days} 天"
    return {
        "label": deadline.label,
        "on": deadline.on,
        "time": deadline.time,
        "left": left,
        "soon": 0 <= days <= 14,
        "past": days < 0,
        "url": _url(deadline.link, user),
    }


def upcoming(deadlines: Iterable[Deadline], *, today: date, past: int = 2) -> list[Deadline]:
    """The deadlines still ahead, soonest first, after the `past` most recent that have
    gone by (so the page also says what just closed)."""
    ordered = sorted(deadlines, key=lambda deadline: deadline.on)
    gone = [deadline for deadline in ordered if deadline.on < today]
    return (gone[-past:] if past else []) + [d for d in ordered if d.on >= today]


def _shown(block: Block, user, today: date) -> dict:
    return {
        "key": block.key,
        "title": block.title,
        "groups": [
            {
                "title": group.title,
                "flow": group.flow,
                "figures": [_figure(figure, user) for figure in group.figures],
            }
            for group in block.groups
        ],
        "tables": [
            {
                "headers": table.headers,
                "rows": [[_figure(cell, user) for cell in row] for row in table.rows],
                "total": [_figure(cell, user) for cell in table.total],
            }
            for table in block.tables
        ],
        "charts": [{"title": chart.title, "svg": _chart(chart, user)} for chart in block.charts],
        "deadlines": [
            _deadline(deadline, today, user) for deadline in upcoming(block.deadlines, today=today)
        ],
        "notes": block.notes,
    }
