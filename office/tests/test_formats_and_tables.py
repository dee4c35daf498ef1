"""Numbers as staff read them (office.templatetags.office_format), the tables' 合计 rows
and pages (office.tables), amounts in change lists (office.money_columns) and the
export formats (office.resources). Expected values worked by hand."""

from decimal import Decimal

import pytest
import tablib
from django.template import Context, Template
from django.test import RequestFactory
from openpyxl import load_workbook

from office.exports import Kind
from office.resources import CSV, XLSX
from office.tables import Table, paged, total_row
from office.templatetags.office_format import cell, money, ratio, share, wraps


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("4488560"), "4,488,560.00"),
        (Decimal("0.005"), "0.01"),  # half up, to the fen
        ("1065.5", "1,065.50"),  # the estimate's results carry text
        (355, "355.00"),
        (None, None),
        ("—", "—"),  # not an amount: as it is
    ],
)
def test_money(value, shown):
    assert money(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [(Decimal("0.75"), "75%"), (Decimal("0.755"), "75.5%"), (Decimal("1"), "100%"), ("x", "x")],
)
def test_ratio(value, shown):
    assert ratio(value) == shown


def test_share_of_a_whole():
    assert share(3, 4) == "75%"
    assert share(1999, 2000) == "99%"  # short of the whole never reads 100%
    assert share(1, 0) == "—"


def test_a_cell_shows_amounts_with_separators_and_nothing_else_changes():
    assert cell(Decimal("1234.5")) == "1,234.50"
    assert cell(2026) == 2026  # a year stays a year
    assert not wraps("已建账") and not wraps(Decimal("4488560.00"))
    assert wraps("学生在校外已参加其他基本医疗保险并继续保留")


def test_the_filters_in_a_template():
    template = Template("{% load office_format %}{{ a|money }} {{ r|ratio }} {{ p|share:w }}")

    shown = template.render(Context({"a": Decimal("1065"), "r": Decimal("0.6"), "p": 1, "w": 4}))

    assert shown == "1,065.00 60% 25%"


def test_a_total_row_adds_up_the_columns_it_is_given():
    rows = [["医学院", 2, Decimal("710.00"), "x"], ["法学院", 1, Decimal("355.00"), "y"]]

    assert total_row(rows, sums=[1, 2], label="合计") == ["合计", 3, Decimal("1065.00"), ""]


def test_a_long_list_is_shown_a_page_at_a_time_its_links_keeping_the_query():
    request = RequestFactory().get("/", {"year": "2026", "page": "2"})

    rows, paging = paged(request, list(range(250)), per_page=100)

    assert rows == list(range(100, 200))
    assert (paging.first, paging.last, paging.count) == (101, 200, 250)
    assert (None, "2") in paging.links  # the current page is not a link
    assert ("?year=2026&page=3", "3") in paging.links


def test_the_table_template_shows_total_download_and_pages():
    request = RequestFactory().get("/", {"page": "1"})
    rows, paging = paged(request, [["医学院", Decimal("4488560.00")]] * 3, per_page=2)
    table = Table(
        title="t",
        headers=["学院", "金额"],
        rows=rows,
        total=["合计", Decimal("13465680.00")],
        paging=paging,
        download="?download=1",
    )

    html = Template('{% include "admin/office/table.html" %}').render(Context({"table": table}))

    assert html.index('href="?download=1"') < html.index("<table")  # the download on top
    assert "<td>4,488,560.00</td>" in html
    assert '<tr class="office-total"><th>合计</th><th>13,465,680.00</th></tr>' in html
    assert 'href="?page=2"' in html


def dataset() -> tablib.Dataset:
    data = tablib.Dataset(headers=["学号", "金额", "说明"])
    data.append(["0012", Decimal("4488560.00"), "=1+1"])
    data.append(["0013", None, "-2"])
    data.kinds = [Kind.TEXT, Kind.MONEY, Kind.TEXT]
    return data


def test_the_xlsx_export_keeps_numbers_text_and_formulas_text():
    from io import BytesIO

    sheet = load_workbook(BytesIO(XLSX().export_data(dataset()))).active

    assert sheet["A2"].value == "0012"  # a student number keeps its zeros
    assert sheet["B2"].value == 4488560 and sheet["B2"].number_format == "#,##0.00"
    assert sheet["C2"].value == "=1+1" and sheet["C2"].data_type == "s"  # not a formula


def test_the_csv_export_neutralises_formulas_and_opens_in_excel():
    content = CSV().export_data(dataset())

    assert content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0] == "学号,金额,说明"
    assert lines[1] == "0012,4488560.00,'=1+1"
    assert lines[2] == "0013,,'-2"
