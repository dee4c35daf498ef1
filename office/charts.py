"""Charts for the home page, as inline SVG built on the server: no script, no charting
library, nothing fetched from a CDN (the office network may be closed). Pure: values in,
markup out. Every label is escaped; a part given a link (`href`) is wrapped in `<a>`.
Shapes are drawn with presentation attributes only (no `style`), so a strict
Content-Security-Policy leaves them alone.

Numbers read as staff write them: money `4,488,560.00`, counts `200,000`, ratios `75%`."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from html import escape

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "system-ui, -apple-system, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"
# the admin's own blues first, then colours that stay apart for the colour-blind
PALETTE = ("#417690", "#79aec8", "#f5dd5d", "#a5a5a5", "#ba2121", "#e28d3b", "#6a4c93", "#5b8e5b")
TRACK = "#e8eef1"
INK = "currentColor"
QUIET = "#808080"


# --- numbers as text ----------------------------------------------------------------------


def money_text(amount: Decimal | int) -> str:
    """4488560 -> "4,488,560.00" (to the fen, half up)."""
    return f"{Decimal(amount).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


def count_text(count: int) -> str:
    """200000 -> "200,000"."""
    return f"{count:,}"


def ratio(part: Decimal | int, whole: Decimal | int) -> Decimal:
    """part / whole between 0 and 1 (0 when there is no whole)."""
    if not whole or whole <= 0:
        return Decimal(0)
    return min(max(Decimal(part) / Decimal(whole), Decimal(0)), Decimal(1))


def percent_text(part: Decimal | int, whole: Decimal | int) -> str:
    """The share of `whole` as a whole percent, rounded half up, except that something
    short of the whole never reads 100% nor anything above nothing 0%: 1,999 of 2,000 is
    99%, 1 of 2,000 is 1%. "—" when there is no whole."""
    if not whole or whole <= 0:
        return "—"
    exact = Decimal(part) * 100 / Decimal(whole)
    shown = exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if shown >= 100 and part < whole:
        shown = Decimal(99)
    if shown <= 0 < part:
        shown = Decimal(1)
    return f"{shown:f}%"


# --- what the charts are given ------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar of `bars`: `value` is a ratio 0..1 drawn dark, `secondary` a further ratio
    stacked after it in a lighter shade (e.g. paid but not yet established)."""

    label: str
    value: Decimal
    secondary: Decimal = Decimal(0)
    href: str = ""
    note: str = ""
    # the percent written at the bar's end, from the counts behind it (percent_text);
    # left empty, from `value`
    text: str = ""


@dataclass(frozen=True)
class Point:
    """One day (or any step) of `line`."""

    label: str
    value: int
    note: str = ""


@dataclass(frozen=True)
class Segment:
    """One part of `stacked`: how many, and the list behind them."""

    label: str
    count: int
    href: str = ""
    colour: str = ""  # a fill such as "#417690"; left empty, the palette's in turn


# --- the charts ---------------------------------------------------------------------------


def bars(
    items: Sequence[Bar],
    *,
    title: str,
    value_label: str,
    secondary_label: str = "",
    width: int = 640,
) -> str:
    """Horizontal bars, one per item, each 0–100% of the track, with its percent at the
    end; a legend names the two shades when there is a secondary value."""
    label_width, row, top = 150, 26, 8
    track = width - label_width - 60
    legend = 22 if secondary_label else 0
    height = top + row * max(len(items), 1) + legend + 4
    parts = []
    for index, item in enumerate(items):
        y = top + index * row
        first = _clamp(item.value)
        second = min(_clamp(item.secondary), Decimal(1) - first)
        end = item.text or _pct(first)
        tip = item.note or f"{item.label}：{value_label} {end}"
        shapes = [
            _text(label_width - 8, y + 15, _shorten(item.label, 10), anchor="end"),
            _rect(label_width, y + 3, track, 16, TRACK),
        ]
        if second:
            shapes.append(
                _rect(
                    label_width + _scale(first, track), y + 3, _scale(second, track), 16, PALETTE[1]
                )
            )
        shapes.append(_rect(label_width, y + 3, _scale(first, track), 16, PALETTE[0]))
        shapes.append(_text(label_width + track + 6, y + 15, end, fill=INK))
        parts.append(_linked(item.href, f"<title>{escape(tip)}</title>" + "".join(shapes)))
    if not items:
        parts.append(_text(label_width, top + 15, "暂无数据", fill=QUIET))
    if secondary_label:
        y = height - legend
        parts.append(
            _legend(label_width, y, [(value_label, PALETTE[0]), (secondary_label, PALETTE[1])])
        )
    return _svg(title, width, height, parts)


def line(points: Sequence[Point], *, title: str, unit: str = "", width: int = 640) -> str:
    """A line of counts over days (or steps): a zero baseline, the highest value marked on
    the axis, the first and last labels and about six between them, a dot per point with
    its value as a tooltip."""
    left, right, top, bottom = 44, 12, 12, 28
    height = 180
    inner_w, inner_h = width - left - right, height - top - bottom
    peak = max((point.value for point in points), default=0)
    scale = _nice_ceiling(peak)
    parts = [
        _line(left, top + inner_h, left + inner_w, top + inner_h, QUIET),
        _line(left, top, left, top + inner_h, QUIET),
        _text(left - 6, top + inner_h + 4, "0", anchor="end", fill=QUIET),
        _text(left - 6, top + 8, count_text(scale), anchor="end", fill=QUIET),
    ]
    if not points:
        parts.append(_text(left + 8, top + inner_h / 2, "暂无数据", fill=QUIET))
        return _svg(title, width, height, parts)
    step = inner_w / max(len(points) - 1, 1)
    xy = [
        (left + index * step, top + inner_h - inner_h * point.value / scale)
        for index, point in enumerate(points)
    ]
    parts.append(
        f'<polyline fill="none" stroke="{PALETTE[0]}" stroke-width="2" '
        f'points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in xy)}"/>'
    )
    every = max(1, round(len(points) / 6))
    for index, ((x, y), point) in enumerate(zip(xy, points, strict=True)):
        tip = point.note or f"{point.label}：{count_text(point.value)}{unit}"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{PALETTE[0]}">'
            f"<title>{escape(tip)}</title></circle>"
        )
        last = len(points) - 1
        # every few days, and the last day, unless a regular label would crowd it
        if index == last or (index % every == 0 and last - index >= every / 2):
            anchor = "start" if index == 0 else "end" if index == last else "middle"
            parts.append(_text(x, height - 8, point.label, anchor=anchor, fill=QUIET))
    return _svg(title, width, height, parts)


def progress(
    part: Decimal,
    whole: Decimal,
    *,
    title: str,
    part_label: str,
    whole_label: str,
    money: bool = True,
    href: str = "",
    width: int = 440,
) -> str:
    """How much of a whole is done (collected vs due): a track for the whole, the part
    filled, and both amounts with the percent written under it."""
    shown = money_text if money else count_text
    height, track = 64, width - 2
    filled = _scale(ratio(part, whole), track)
    caption = (
        f"{part_label} {shown(part)} / {whole_label} {shown(whole)}（{percent_text(part, whole)}）"
    )
    parts = [
        _rect(1, 6, track, 22, TRACK),
        _linked(href, _rect(1, 6, filled, 22, PALETTE[0])),
        _text(1, 50, caption, fill=INK),
    ]
    return _svg(title, width, height, parts)


def stacked(segments: Sequence[Segment], *, title: str, width: int = 640) -> str:
    """One bar split into its parts (where every enrollment of the year stands), each part
    in its colour and linked to its list, and a legend with the counts underneath."""
    total = sum(segment.count for segment in segments)
    track = width - 2
    shown = [segment for segment in segments if segment.count]
    legend_rows = (len(segments) + 2) // 3
    height = 40 + 20 * legend_rows
    parts = [_rect(1, 6, track, 22, TRACK)]
    x = Decimal(1)
    for index, segment in enumerate(segments):
        if not segment.count:
            continue
        share = ratio(segment.count, total)
        part_width = share * track
        share_text = percent_text(segment.count, total)
        tip = f"{segment.label}：{count_text(segment.count)}（{share_text}）"
        colour = segment.colour or PALETTE[index % len(PALETTE)]
        parts.append(
            _linked(
                segment.href,
                f"<title>{escape(tip)}</title>" + _rect(x, 6, part_width, 22, colour),
            )
        )
        x += part_width
    column = width / 3
    for index, segment in enumerate(segments):
        cx, cy = 1 + (index % 3) * column, 44 + (index // 3) * 20
        colour = segment.colour or PALETTE[index % len(PALETTE)]
        text = f"{segment.label} {count_text(segment.count)}"
        parts.append(
            _linked(
                segment.href,
                _rect(cx, cy - 10, 12, 12, colour) + _text(cx + 18, cy, text, fill=INK),
            )
        )
    if not shown:
        parts.append(_text(8, 22, "暂无数据", fill=QUIET))
    return _svg(title, width, height, parts)


# --- drawing ------------------------------------------------------------------------------


def _svg(title: str, width: int, height: int, parts: list[str]) -> str:
    return (
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" font-family="{escape(FONT)}" '
        f'font-size="12" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )


def _rect(x, y, width, height, fill: str) -> str:
    return (
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{_n(height)}" fill="{fill}"/>'
    )


def _line(x1, y1, x2, y2, stroke: str) -> str:
    return (
        f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
        f'stroke="{stroke}" stroke-width="1"/>'
    )


def _text(x, y, text: str, *, anchor: str = "start", fill: str = INK) -> str:
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" fill="{fill}">{escape(text)}</text>'
    )


def _legend(x, y, entries: list[tuple[str, str]]) -> str:
    out, at = [], Decimal(x)
    for label, colour in entries:
        out.append(_rect(at, y + 4, 12, 12, colour) + _text(at + 18, y + 14, label, fill=INK))
        at += 36 + 13 * len(label)
    return "".join(out)


def _linked(href: str, inner: str) -> str:
    if not href:
        return f"<g>{inner}</g>"
    return f'<a href="{escape(href)}">{inner}</a>'


def _clamp(value) -> Decimal:
    return min(max(Decimal(value), Decimal(0)), Decimal(1))


def _scale(share: Decimal, length: int) -> Decimal:
    return (Decimal(share) * length).quantize(Decimal("0.1"), rounding=ROUND_FLOOR)


def _pct(share: Decimal) -> str:
    """A ratio 0..1 as percent_text of a thousand (the bars' end labels)."""
    return percent_text((Decimal(share) * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP), 1000)


def _nice_ceiling(peak: int) -> int:
    """The axis' top: 1, 2 or 5 times a power of ten, at least `peak` (and at least 1)."""
    if peak <= 1:
        return 1
    magnitude = 1
    while magnitude * 10 <= peak:
        magnitude *= 10
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= peak:
            return factor * magnitude
    return 10 * magnitude


def _shorten(label: str, length: int) -> str:
    return label if len(label) <= length else label[: length - 1] + "…"


def _n(value) -> str:
    """A coordinate without needless digits: 12, 12.5."""
    number = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{number.normalize():f}"
