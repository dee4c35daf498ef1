"""The claims block of the home page of the year (claims/selectors/home.py): claims of a
policy year by state, what was claimed and what approval settled, each count linked to
the claims list filtered the same way; hidden from who may not view claims.

The claims of shanghai-2025, by hand (invoice totals; fund + catastrophic as approved):

    draft        500.00 + 300.00                 claimed   800.00
    submitted    500.00                                     500.00
    in review    200.00                                     200.00
    approved     500.00   fund 300.00 + catastrophic 50.00  500.00   settled 350.00
    rejected     100.00                                     100.00
    paid         150.00   fund 100.00                       150.00   settled 100.00
    total        6 claims                                 2,250.00   settled 450.00
    (an approved claim of shanghai-2026 is another year's)"""

from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache

from claims.tests.factories import ClaimLineFactory, ClaimRowFactory, policy_year
from office import home

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_cached_figures():
    cache.clear()
    yield
    cache.clear()


def _claim(state: str, *totals: str, year: str = "shanghai-2025", **settled):
    claim = ClaimRowFactory(state=state, policy_year=policy_year(year), **settled)
    for position, total in enumerate(totals, start=1):
        amount = Decimal(total)
        ClaimLineFactory(claim=claim, position=position, total=amount, in_scope=amount)
    return claim


@pytest.fixture
def claims_of_2025(shanghai_2025, shanghai_2026):
    approved = {"student_pays": Decimal("150.00")}
    _claim("draft", "500.00", "300.00")
    _claim("submitted", "500.00")
    _claim("in_review", "200.00")
    _claim("approved", "500.00", fund=Decimal("300.00"), catastrophic=Decimal("50.00"), **approved)
    _claim("rejected", "100.00")
    _claim(
        "paid",
        "150.00",
        fund=Decimal("100.00"),
        catastrophic=Decimal("0.00"),
        student_pays=Decimal("50.00"),
    )
    _claim(
        "approved",
        "900.00",
        year="shanghai-2026",
        fund=Decimal("1.00"),
        catastrophic=Decimal("0.00"),
        **approved,
    )


def _block() -> home.Block:
    (block,) = [
        b for b in home.year_blocks("shanghai-2025", today=date(2025, 9, 15)) if b.key == "claims"
    ]
    return block


def test_claims_by_state_with_amounts(claims_of_2025):
    (table,) = _block().tables

    rows = [[cell.value for cell in row] for row in table.rows]
    assert rows == [
        ["草稿", 1, Decimal("800.00"), Decimal("0.00")],
        ["已提交", 1, Decimal("500.00"), Decimal("0.00")],
        ["审核中", 1, Decimal("200.00"), Decimal("0.00")],
        ["已批准", 1, Decimal("500.00"), Decimal("350.00")],
        ["已驳回", 1, Decimal("100.00"), Decimal("0.00")],
        ["已支付", 1, Decimal("150.00"), Decimal("100.00")],
    ]
    assert [cell.value for cell in table.total] == [
        "合计",
        6,
        Decimal("2250.00"),
        Decimal("450.00"),
    ]
    figures = {f.label: f.value for group in _block().groups for f in group.figures}
    assert figures == {"待审核": 2, "已批准待支付": Decimal("350.00")}


def test_each_count_links_to_as_many_claims(claims_of_2025, admin_client):
    block = _block()
    (table,) = block.tables
    counted = [*(row[1] for row in table.rows), table.total[1], block.groups[0].figures[0]]

    for figure in counted:
        response = admin_client.get(figure.link.url)
        assert response.status_code == 200
        assert response.context["cl"].result_count == figure.value, figure.link.url


def test_who_may_not_view_claims_sees_no_claims_block(claims_of_2025, client, staff):
    client.force_login(staff("学生处"))  # the roster and remittance: no claims
    keys = {b["key"] for b in client.get("/admin/").context["home"]["blocks"]}
    assert "claims" not in keys and "standing" in keys

    client.force_login(staff("财务"))  # pays approved claims: sees them
    content = client.get("/admin/", {"year": "shanghai-2025"}).content.decode()
    assert "2025 年度报销" in content and "2,250.00" in content
