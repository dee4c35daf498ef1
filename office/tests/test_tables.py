from types import SimpleNamespace

from office.tables import Table, counts_table, link, problems_table


def test_counts_table_has_a_column_per_key_found_and_zero_where_missing():
    table = counts_table(
        "Per college",
        "college",
        {"医学院": {"paid": 2}, "法学院": {"declared": 1, "paid": 3}},
        {"paid": "已缴费"},
    )

    assert table == Table(
        title="Per college",
        headers=["college", "declared", "已缴费"],
        rows=[["医学院", 0, 2], ["法学院", 1, 3]],
    )


def test_problems_table_names_row_column_and_reason():
    problem = SimpleNamespace(row=3, column="证件号码", message="校验位不正确")

    table = problems_table("Rows that cannot be used", [problem])

    assert table.rows == [[3, "证件号码", "校验位不正确"]]
    assert len(table.headers) == 3


def test_link_escapes_what_it_is_given():
    assert link("?a=1&b=<2>", "<下载>") == '<a href="?a=1&amp;b=&lt;2&gt;">&lt;下载&gt;</a>'
