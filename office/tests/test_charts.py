"""office/charts.py: inline SVG that parses, escapes what it is given, links where told,
and numbers written as staff write them."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from office import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title") is not None  # named for screen readers
    return root


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("4488560"), "4,488,560.00"),
        (Decimal("0.005"), "0.01"),  # half up, to the fen
        (Decimal("1234.5"), "1,234.50"),
        (0, "0.00"),
    ],
)
def test_money_reads_to_the_fen_with_thousands(amount, text):
    assert charts.money_text(amount) == text


@pytest.mark.parametrize(
    ("part", "whole", "text"),
    [
        (3, 4, "75%"),
        (1, 3, "33%"),
        (2, 3, "67%"),  # 66.67 half up
        (1, 200, "1%"),  # 0.5 half up
        (1, 2000, "1%"),  # 0.05: something is never 0%
        (1999, 2000, "99%"),  # 99.95: short of the whole is never 100%
        (2000, 2000, "100%"),
        (0, 2000, "0%"),
        (5, 0, "—"),  # no whole, no ratio
    ],
)
def test_percent_reads_as_whole_percents(part, whole, text):
    assert charts.percent_text(part, whole) == text


def test_bars_draw_each_share_with_its_percent_and_link():
    svg = charts.bars(
        [
            charts.Bar("医学院", Decimal("0.5"), secondary=Decimal("0.25"), href="/a?x=1&y=2"),
            charts.Bar("法学院", Decimal("1"), text="100%"),
        ],
        title="各学院建账率",
        value_label="已建账",
        secondary_label="待建账",
        width=640,
    )
    root = parse(svg)

    links = root.findall(f".//{SVG}a")
    assert [link.get("href") for link in links] == ["/a?x=1&y=2"]
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert texts[:3] == ["医学院", "50%", "法学院"] and "100%" in texts
    assert {"已建账", "待建账"} <= set(texts)  # the legend
    # the track is 640 - 150 - 60 = 430 wide: half of it, then a quarter after it
    widths = [rect.get("width") for rect in links[0].iter(f"{SVG}rect")]
    assert widths == ["430", "107.5", "215"]


def test_labels_are_escaped_not_markup():
    svg = charts.bars(
        [charts.Bar("<script>alert(1)</script> & Co", Decimal("0.1"))],
        title='"标题" <b>',
        value_label="x",
    )
    root = parse(svg)

    assert root.find(f".//{SVG}script") is None
    assert "<script>" not in svg
    assert root.find(f"{SVG}title").text == '"标题" <b>'


def test_a_long_college_name_is_shortened_with_its_full_name_in_the_tooltip():
    name = "电子信息与电气工程学院（微电子）"
    root = parse(charts.bars([charts.Bar(name, Decimal("0.4"))], title="t", value_label="已建账"))

    assert root.find(f".//{SVG}text").text == "电子信息与电气工程…"
    assert name in root.find(f".//{SVG}g/{SVG}title").text


def test_a_line_has_a_dot_per_day_and_its_peak_on_the_axis():
    points = [charts.Point(f"09-{day:02d}", value) for day, value in enumerate([0, 3, 7, 2], 1)]
    root = parse(charts.line(points, title="新生每日确认参保人数", unit=" 人"))

    dots = root.findall(f".//{SVG}circle")
    assert len(dots) == 4
    assert dots[2].find(f"{SVG}title").text == "09-03：7 人"
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert "10" in texts  # 7 rounded up to a nice axis top
    assert texts[-1] == "09-04"  # the last day is always labelled
    # the highest dot touches the axis' top at 7/10 of the plot's height
    assert root.find(f".//{SVG}polyline").get("points").count(",") == 4


def test_charts_without_data_say_so():
    for svg in (
        charts.bars([], title="t", value_label="v"),
        charts.line([], title="t"),
        charts.stacked([charts.Segment("已建账", 0)], title="t"),
    ):
        root = parse(svg)
        assert "暂无数据" in [text.text for text in root.iter(f"{SVG}text")]


def test_progress_writes_both_amounts_and_the_percent():
    root = parse(
        charts.progress(
            Decimal("1420.00"),
            Decimal("1775.00"),
            title="已收与应收保费",
            part_label="已收",
            whole_label="应收",
            href="/admin/enrollment/payment/",
        )
    )

    caption = [text.text for text in root.iter(f"{SVG}text")][-1]
    assert caption == "已收 1,420.00 / 应收 1,775.00（80%）"
    filled = root.find(f".//{SVG}a/{SVG}rect")
    assert filled.get("width") == "350.4"  # 80% of a 438 track, rounded down


def test_stacked_parts_fill_the_bar_in_proportion_and_link():
    segments = [
        charts.Segment("已建账", 3, href="/e?state__in=established"),
        charts.Segment("已缴费", 1),
        charts.Segment("建账失败", 0, href="/e?state__in=failed"),
    ]
    root = parse(charts.stacked(segments, title="参保记录的状态", width=402))

    parts = [a for a in root.findall(f"{SVG}a")]
    # 已建账: its part of the bar and its legend entry; 建账失败 has no part, only a legend
    assert [a.get("href") for a in parts] == [
        "/e?state__in=established",
        "/e?state__in=established",
        "/e?state__in=failed",
    ]
    bar = parts[0].find(f"{SVG}rect")
    assert bar.get("width") == "300"  # 3/4 of the 400 track
    legend = [text.text for text in root.iter(f"{SVG}text")]
    assert legend == ["已建账 3", "已缴费 1", "建账失败 0"]
