"""财务 and 审计 open the home page of the demo year and follow every link on it — the
figures, the charts' bars, the deadlines, the app list, the sidebar, the header — and
none ends in a 403 (issue #12: links a user may not follow are not shown), nor in any
other error."""

from io import StringIO
from urllib.parse import urlencode, urlsplit

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from office.models import Office

# skipped, not broken, where playwright is not installed (conftest.py says why)
expect = pytest.importorskip("playwright.sync_api").expect

YEAR = "shanghai-2026"  # the demo's year (seed_demo: DEMO_YEAR in the school's region)

# every link of the page, resolved against it (an SVG chart's <a> has no `.href` string)
LINKS = """() => [...document.querySelectorAll("a[href]")].map(a => [
    new URL(a.getAttribute("href"), document.baseURI).href,
    (a.textContent || a.getAttribute("aria-label") || "").trim().slice(0, 40),
])"""


@pytest.fixture
def demo(transactional_db):
    """The demo school (seed_demo), whose year has something in every block: seeded once
    for both roles (it takes a while)."""
    call_command("seed_demo", stdout=StringIO())
    cache.clear()


def test_finance_and_audit_follow_every_link_on_the_home_page(demo, browse, staff, live_server):
    # where the school runs several offices, an account works for one (office.scoping)
    office = Office.objects.order_by("pk").first()
    failures = []
    for role, label in [("财务", "finance"), ("审计", "audit")]:
        visit = browse(staff(role, office=office), label)
        page = visit.page
        page.goto(f"{reverse('admin:index')}?{urlencode({'year': YEAR})}")
        expect(page.locator("#home-standing")).to_be_visible()
        visit.shot("home")

        links = {}
        for url, text in page.evaluate(LINKS):
            if url.startswith(live_server.url) and not urlsplit(url).path.startswith("/static/"):
                links.setdefault(url.split("#")[0], text)
        for url, text in links.items():
            response = page.request.get(url)  # the page's cookies: as a click would
            if response.status >= 400:
                path = url.removeprefix(live_server.url)
                failures.append(f"{role}: {response.status} {text!r} {path}")

        filtered = [url for url in links if "/admin/" in url and "?" in url]
        assert len(filtered) >= 10, role  # the figures' filtered lists were among them
        assert visit.problems == [], role
    assert failures == []
