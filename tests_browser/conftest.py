"""Browser tests: Playwright drives Debian's Chromium (headless, `/usr/bin/chromium`; never
`playwright install`) against pytest-django's live server, signing in through the login
form as a member of staff would. They run in the normal suite where Chromium and the
playwright package are installed and are skipped, with the reason, where they are not
(but under CI, which installs them).

Every test keeps its screenshots under artifacts/screenshots/<database>/<test>/ (README
"Browser tests"), plus one of each open page when it fails.

Playwright's sync API runs an event loop in the test's thread, which Django takes for
async code and refuses the ORM to (SynchronousOnlyOperation): DJANGO_ALLOW_ASYNC_UNSAFE
is set while the browser runs. The live server answers from its own thread, so the test
sees its writes only with transactional_db (which live_server asks for); the seeded
policy years and the roles' groups come back through serialized rollback (live_worker's
fixtures, which also start a real worker when REDIS_URL is set)."""

import contextlib
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

HERE = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("BROWSER_TESTS_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(
    os.environ.get("BROWSER_TESTS_SCREENSHOTS", HERE.parent / "artifacts" / "screenshots")
)
TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1280, "height": 900}  # the width the layout is checked at

FAILED = pytest.StashKey[bool]()


def missing() -> str:
    """Why the browser tests cannot run here, or "" when they can."""
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (requirements-dev.txt)"
    return ""


def pytest_collection_modifyitems(config, items):
    # CI installs what they need (.ci/run): there a missing browser fails, never skips
    reason = "" if os.environ.get("CI") else missing()
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
    return report


class Visit:
    """One member of staff's browser (own cookies), signed in: `page` is Playwright's
    page; `shot(step)` keeps a screenshot; `problems` gathers what the page's scripts
    reported (uncaught errors, console errors such as a Content-Security-Policy refusal)
    and each page shot that is wider than the window (it would scroll sideways)."""

    def __init__(self, page, folder: Path, label: str):
        self.page = page
        self.folder = folder
        self.label = label
        self.shots = 0
        self.problems: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: {error}"))
        page.on(
            "console",
            lambda message: (
                message.type == "error" and self.problems.append(f"{page.url}: {message.text}")
            ),
        )

    def shot(self, step: str) -> Path:
        self.shots += 1
        path = self.folder / f"{self.label}-{self.shots:02d}-{step}.png"
        self.page.screenshot(path=path, full_page=True)
        wide, window = self.page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if wide > window:
            self.problems.append(f"{self.path()}: {wide} px wide in a {window} px window")
        return path

    def path(self) -> str:
        """The current page's path and query, e.g. "/admin/?year=shanghai-2026"."""
        parts = urlsplit(self.page.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture(scope="module")
def chromium(django_db_setup, django_db_blocker, live_server):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with django_db_blocker.unblock():
        own = {alias: connections[alias] for alias in connections}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            # Once a loop runs in a thread, Django's connections there are kept per
            # context, not per thread (asgiref's thread-critical Local): the test would
            # get new ones, without the contents serialized for the rollback, and, on
            # in-memory SQLite, not the one the live server shares. It keeps its own.
            for alias, connection in own.items():
                connections[alias] = connection
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
            try:
                yield browser
            finally:
                browser.close()
                for alias in own:  # while the loop still runs: its context's entries
                    del connections[alias]


@pytest.fixture
def screenshots(request) -> Path:
    """This test's screenshot folder, emptied first."""
    from django.db import connection

    folder = SCREENSHOTS / connection.vendor / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def browse(chromium, live_server, live_worker, screenshots, settings, tmp_path, request):
    """`browse(user, label)`: a Visit signed in as `user` (password "x") through the
    admin's login form, in Chinese, 1280 px wide. Uploads go to a temporary MEDIA_ROOT;
    the home page's cached figures are forgotten first."""
    from django.core.cache import cache

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    contexts = []
    visits: list[Visit] = []

    def sign_in(user, label: str = "", *, password: str = "x") -> Visit:
        context = chromium.new_context(
            base_url=live_server.url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport=VIEWPORT,
            accept_downloads=True,
        )
        context.set_default_timeout(TIMEOUT_MS)
        # the site has no icon: the 404 Chromium gets asking for one is no page's error
        context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
        contexts.append(context)
        visit = Visit(context.new_page(), screenshots, label or user.username)
        visits.append(visit)
        page = visit.page
        page.goto("/admin/login/?next=/admin/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("#login-form [type=submit]")
        page.wait_for_url(lambda url: urlsplit(url).path == "/admin/")
        return visit

    yield sign_in
    if request.node.stash.get(FAILED, False):
        for visit in visits:
            with contextlib.suppress(Exception):  # the page may be gone: the failure counts
                visit.shot("failed")
    for context in contexts:
        context.close()
