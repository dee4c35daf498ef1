"""Links a user may not follow are not shown (issue #12): each role, on the demo school,
follows every admin link it is shown — the home page, each list, a record or two of
each, every button and download — and is never refused (403). The 403 page itself
uses the admin's layout."""

import re
from collections import Counter
from io import StringIO
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse

LINK = re.compile(r'<a\b[^>]*\bhref="([^"#]+)"')
# what following means nothing for, or signs the user out
SKIPPED = ("/admin/logout/", "/admin/jsi18n/", "/admin/password_change/")
PER_PATTERN = 2  # records of one kind visited: their links are alike
MAX_PAGES = 600


@pytest.fixture
def demo(settings, tmp_path, db):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=StringIO())


def pattern(path: str) -> str:
    return re.sub(r"/\d+/", "/<n>/", path)


def crawl(client, start: str) -> dict[str, int]:
    """Every admin URL reachable by links from `start` (records of one kind sampled),
    with the status each answered."""
    seen: dict[str, int] = {}
    per_pattern: Counter = Counter()
    queue = [start]
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        for href in LINK.findall(response.content.decode()):
            target = urljoin(url, href.replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc or not parts.path.startswith("/admin/"):
                continue
            if parts.path.startswith(SKIPPED) or "_popup" in parts.query:
                continue
            key = pattern(parts.path)
            if target in seen or target in queue:
                continue
            if parts.query and per_pattern[key + "?"] >= 6:
                continue  # a list's filters and pages: a few of them are enough
            if not parts.query and per_pattern[key] >= PER_PATTERN and key != parts.path:
                continue
            per_pattern[key + ("?" if parts.query else "")] += 1
            queue.append(target)
    return seen


@pytest.mark.parametrize("role", ["财务", "审计", "学生处", "院系联络人"])
def test_no_link_a_role_is_shown_ends_in_403(client, staff, demo, role):
    client.force_login(staff(role))

    seen = crawl(client, reverse("admin:index"))

    refused = sorted(url for url, status in seen.items() if status == 403)
    assert not refused, f"{role} is shown links it may not follow: {refused}"
    assert len(seen) > 30  # the crawl went through the year's lists and pages


def test_the_403_page_uses_the_admin_layout(client, staff, db):
    client.force_login(staff("审计"))

    response = client.get(reverse("admin:enrollment_roster_upload"))

    assert response.status_code == 403
    page = response.content.decode()
    assert 'id="header"' in page and 'id="user-tools"' in page  # the admin's header
    assert "没有权限" in page
    assert reverse("admin:index") in page
