"""office/home.py without any app: the admin's index with blocks from providers given
here, what each user sees of them, the cache, the deadlines' days left. The apps' own
figures are tested in enrollment/tests/test_home.py and claims/tests/test_home.py."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from office import charts, home

pytestmark = pytest.mark.django_db

TODAY = date(2026, 9, 15)


@pytest.fixture
def calls():
    return []


@pytest.fixture
def providers(monkeypatch, calls):
    """Two years and one provider of two blocks, instead of the apps'."""

    def years(today):
        return home.Years(choices=(("y2026", "示范 2026"), ("y2025", "示范 2025")), default="y2026")

    def provider(year, today, colleges=None):
        calls.append((year, today))
        link = home.Link(
            "/admin/enrollment/enrollment/?state__in=paid", "enrollment.view_enrollment"
        )
        return [
            home.Block(
                key="open",
                title=f"{year} 进度",
                order=2,
                groups=(
                    home.Figures(
                        (
                            home.Figure("已缴费", 200000, link=link),
                            home.Figure("已收保费", Decimal("4488560"), kind=home.MONEY),
                        )
                    ),
                ),
                charts=(
                    home.Chart(
                        "bars",
                        "各学院",
                        items=(charts.Bar("医学院", Decimal("0.75")),),
                        links=(link,),
                        options={"value_label": "已建账"},
                    ),
                ),
                deadlines=(
                    home.Deadline("早已截止", date(2026, 1, 1)),
                    home.Deadline("刚截止", date(2026, 9, 14)),
                    home.Deadline("今天截止", TODAY, "17:00"),
                    home.Deadline("下月截止", date(2026, 10, 15)),
                    home.Deadline("下周截止", date(2026, 9, 22), link=link),
                ),
            ),
            home.Block(key="money", title="保费", permission="enrollment.view_payment", order=1),
        ]

    monkeypatch.setattr(home, "_years", [years])
    monkeypatch.setattr(home, "_providers", [provider])
    cache.clear()
    yield
    cache.clear()


def _context(user, **query):
    request = RequestFactory().get("/admin/", query)
    request.user = user
    return home.home_context(request, today=TODAY)["home"]


def test_a_block_shows_to_who_holds_its_permission_and_links_only_where_they_may_go(
    providers, staff, admin_user
):
    clerk = staff("", permissions=["view_enrollment"])
    nobody = staff("")

    assert [b["key"] for b in _context(admin_user)["blocks"]] == ["money", "open"]
    assert [b["key"] for b in _context(clerk)["blocks"]] == ["open"]
    (opened,) = _context(nobody)["blocks"]
    figures = opened["groups"][0]["figures"]
    assert [(f["text"], f["url"]) for f in figures] == [("200,000", ""), ("4,488,560.00", "")]
    assert "<a " not in opened["charts"][0]["svg"]  # the bar is drawn, not linked

    (linked,) = _context(clerk)["blocks"]
    assert (
        linked["groups"][0]["figures"][0]["url"] == "/admin/enrollment/enrollment/?state__in=paid"
    )
    assert '<a href="/admin/enrollment/enrollment/?state__in=paid">' in linked["charts"][0]["svg"]


def test_the_deadlines_ahead_with_days_left_after_the_two_just_gone(providers, admin_user):
    (_money, opened) = _context(admin_user)["blocks"]

    assert [(d["label"], d["left"], d["soon"], d["past"]) for d in opened["deadlines"]] == [
        ("早已截止", "已过 257 天", False, True),
        ("刚截止", "已过 1 天", False, True),
        ("今天截止", "今天", True, False),
        ("下周截止", "还有 7 天", True, False),
        ("下月截止", "还有 30 天", False, False),
    ]
    assert opened["deadlines"][2]["time"] == "17:00"


def test_only_the_two_latest_past_deadlines_are_kept():
    deadlines = [home.Deadline(str(day), date(2026, 1, day)) for day in (1, 2, 3, 10)]

    shown = home.upcoming(deadlines, today=date(2026, 1, 5))

    assert [d.label for d in shown] == ["2", "3", "10"]


def test_figures_are_computed_once_per_year_and_day(providers, calls, admin_user):
    _context(admin_user)
    _context(admin_user)
    _context(admin_user, year="y2025")

    assert calls == [("y2026", TODAY), ("y2025", TODAY)]

    home.forget(years=["y2026"], today=TODAY)
    _context(admin_user)
    assert calls[-1] == ("y2026", TODAY)


def test_an_unknown_year_shows_the_default(providers, admin_user):
    shown = _context(admin_user, year="<script>")

    assert shown["year"] == "y2026" and shown["year_label"] == "示范 2026"


def test_the_index_is_the_home_page_with_the_app_list_kept(providers, admin_client):
    response = admin_client.get("/admin/", {"year": "y2025"})
    content = response.content.decode()

    assert response.status_code == 200
    assert response.context["home"]["year"] == "y2025"
    assert '<option value="y2025" selected>' in content
    assert "y2025 进度" in content and "4,488,560.00" in content
    assert 'class="home-app-list"' in content and "app-enrollment" in content


def test_without_years_the_index_is_the_admins_own(monkeypatch, admin_client):
    monkeypatch.setattr(home, "_years", [])
    monkeypatch.setattr(home, "_providers", [])

    response = admin_client.get("/admin/")

    assert "home" not in response.context
    assert "app-enrollment" in response.content.decode()
