"""Who sees what in the admin, on a demo school: 30 wrong passwords for one account, and
every admin page as each role without `enrollment.view_full_id`, counting the pages (and
downloads: xlsx parts are unzipped, csv and PDFs read as text) that show a full ID number
of one of the demo's students.

"Every page": each URL pattern of the admin site and of every registered model admin,
its arguments filled from the model's objects (the first, last and evenly between), and
every link those pages show, followed breadth-first (query strings included, a few per
path). Runs in a child of bench/reliability.py with Django set up on the demo's database;
requests go through Django's test client with production settings, less the TLS redirect
and the static manifest (as conftest.py does for the tests)."""

import html
import io
import itertools
import re
import zipfile
from collections import Counter, deque
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError

WRONG_PASSWORDS = 30
ATTACKER, CONTROL = "203.0.113.9", "198.51.100.7"
QUERY_VARIANTS = 3  # links followed per path with different query strings
SKIPPED = ("/admin/logout/", "/admin/r/", "/admin/jsi18n/", "/static/", "/media/")
HREF = re.compile(r"""(?:href|action|data-url)\s*=\s*["']([^"'#]+)""")
TOKEN = re.compile(r"[0-9A-Za-z]{6,}")
MASKED = re.compile(r"[0-9A-Za-z]{1,4}\*{3,}[0-9A-Za-z]{1,4}")  # 310*****42: students were shown
# kwargs of custom pages that are not fields of their model: what to try
FILLERS = {"year": (2026, 2025)}
BACKEND = "django.contrib.auth.backends.ModelBackend"


def run_admin(options: dict) -> dict:
    _test_settings()
    if options.get("seed"):
        call_command("seed_demo", verbosity=0, stdout=io.StringIO(), stderr=io.StringIO())
    result = {"region": options["region"], "roles": crawl_roles(options)}
    if options["region"] == "wuhan":
        result["lockout"] = lockout()
        result["upload"] = long_extension_upload()
    return result


def long_extension_upload() -> dict:
    """A roster uploaded in the admin under a name with a 240-character extension: a
    page that says what is wrong, not a 400 or a 500 (tasks run in this process)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    user = staff("bench-upload", "医保办")
    client = Client(raise_request_exception=False)
    client.force_login(user, backend=BACKEND)
    upload = SimpleUploadedFile("名单." + "x" * 240, "姓名,证件号码\n".encode())
    response = client.post(reverse("admin:enrollment_roster_upload"), {"file": upload}, follow=True)
    page = _visible(response.content.decode(errors="replace"))
    return {
        "status": response.status_code,
        "chinese": bool(re.search(r"[\u4e00-\u9fff]{4,}", page)),
        "clean": response.status_code == 200,
    }


def _test_settings() -> None:
    settings.SECURE_SSL_REDIRECT = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def staff(username: str, role: str, password: str | None = None):
    """A staff account in `role`, seeing the whole school: with offices (issue #12) an
    account sees only its office's students unless it holds `office.school_wide`, and a
    page that shows nobody proves nothing."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    user = get_user_model().objects.create_user(username, password=password, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="office", codename="school_wide")
    )
    return get_user_model().objects.get(pk=user.pk)  # permissions are cached per object


# --- password guessing ----------------------------------------------------------------------


def lockout() -> dict:
    """The right password still works from another address before; after 30 wrong ones
    from the attacker's address, the right one from there is refused."""
    from django.test import Client

    password = "Bench-only-correct-7319"
    user = staff("bench-lockout", "医保办", password)
    control = Client(REMOTE_ADDR=CONTROL)
    before = _logs_in(control, user.username, password)
    attacker = Client(REMOTE_ADDR=ATTACKER)
    statuses = [
        _login(attacker, user.username, f"wrong-{attempt}").status_code
        for attempt in range(WRONG_PASSWORDS)
    ]
    answer = _login(attacker, user.username, password)
    after = "_auth_user_id" in attacker.session
    first_refusal = next(
        (index + 1 for index, status in enumerate(statuses) if status != 200), None
    )
    text = answer.content.decode(errors="replace")
    return {
        "right_password_before": before,
        "statuses": dict(Counter(statuses)),
        "locked_from_attempt": first_refusal,
        "right_password_after": after,
        "answer_status": answer.status_code,
        "answer_chinese": bool(re.search(r"[\u4e00-\u9fff]", _visible(text))),
        "lockout": bool(before and not after),
    }


def _login(client, username: str, password: str):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def _logs_in(client, username: str, password: str) -> bool:
    _login(client, username, password)
    logged_in = "_auth_user_id" in client.session
    client.post("/admin/logout/")
    return logged_in


def _visible(page: str) -> str:
    return re.sub(r"<[^>]+>", " ", page)


# --- ID numbers seen ------------------------------------------------------------------------


def crawl_roles(options: dict) -> list[dict]:
    from config.roles import ROLES
    from enrollment.models import Student

    full_ids = {number for number in Student.objects.values_list("id_number", flat=True) if number}
    start = pattern_urls(options["pages_per_pattern"])
    results = []
    for index, role in enumerate(ROLES):
        user = staff(f"bench-role-{index}", role)
        if user.has_perm("enrollment.view_full_id"):
            continue  # may see full numbers on a student's page and in bureau files
        results.append(crawl(role, user, start, full_ids, options["link_pages"]))
    return results


def pattern_urls(per_pattern: int) -> list[str]:
    """Every admin URL pattern, with arguments taken from its model's objects."""
    from django.contrib import admin
    from django.urls import NoReverseMatch, URLPattern, reverse

    urls = ["/admin/"]
    for pattern in admin.site.get_urls():
        if isinstance(pattern, URLPattern) and pattern.name and not _names(pattern):
            urls.append(reverse(f"admin:{pattern.name}"))
    for model, model_admin in admin.site._registry.items():
        urls.append(reverse("admin:app_list", kwargs={"app_label": model._meta.app_label}))
        objects = _spread(model, per_pattern)
        for pattern in model_admin.get_urls():
            if not isinstance(pattern, URLPattern) or not pattern.name:
                continue
            for kwargs in _arguments(model, _names(pattern), objects):
                try:
                    urls.append(reverse(f"admin:{pattern.name}", kwargs=kwargs))
                except NoReverseMatch:
                    continue
    return list(dict.fromkeys(urls))


def _names(pattern) -> list[str]:
    """The arguments of a URL pattern, path() or re_path() alike."""
    return list(pattern.pattern.regex.groupindex)


def _spread(model, count: int) -> list:
    """`count` objects from the first to the last, evenly (none for a model the admin
    shows without a table of its own)."""
    try:
        pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True))
    except DatabaseError:
        return []
    if len(pks) > count:
        step = (len(pks) - 1) / max(count - 1, 1)
        pks = sorted({pks[round(index * step)] for index in range(count)})
    return list(model._default_manager.filter(pk__in=pks))


def _arguments(model, names: list[str], objects: list):
    if not names:
        yield {}
        return
    fields = {field.name: field.attname for field in model._meta.concrete_fields}
    targets = _targets(model)
    for obj in objects:
        choices = []
        for name in names:
            if name in ("pk", "object_id", "id"):
                choices.append((obj.pk,))
            elif name in fields:
                choices.append((getattr(obj, fields[name]),))
            elif name == "target":
                choices.append(targets)
            elif name in FILLERS:
                choices.append(FILLERS[name])
            else:
                choices = None
                break
        if choices:
            for values in itertools.product(*choices):
                yield dict(zip(names, values, strict=True))


def _targets(model) -> tuple:
    """The states a `…/move/<target>/` page may name: the model's state choices."""
    try:
        return tuple(value for value, _ in model._meta.get_field("state").choices)
    except Exception:
        return ()


def crawl(role: str, user, start: list[str], full_ids: set[str], link_pages: int) -> dict:
    from django.test import Client

    client = Client(REMOTE_ADDR="192.0.2.10")
    client.force_login(user, backend=BACKEND)
    queue = deque(start)
    seen = set(queue)
    variants = Counter()
    fetched, statuses, leaks, failures, masked = 0, Counter(), [], [], 0
    followed = 0
    while queue:
        url = queue.popleft()
        response = client.get(url)
        fetched += 1
        statuses[response.status_code // 100 * 100] += 1
        if response.status_code >= 500:
            failures.append(url)
            continue
        body = _body(response)
        shown = _full_ids_in(body, full_ids)
        if shown:
            leaks.append({"url": url, "ids": len(shown)})
        masked += bool(MASKED.search(body))
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for link in _links(url, body):
            path = urlsplit(link).path
            if link in seen or followed >= link_pages:
                continue
            if urlsplit(link).query:
                if variants[path] >= QUERY_VARIANTS:
                    continue
                variants[path] += 1
            seen.add(link)
            queue.append(link)
            followed += 1
    return {
        "role": role,
        "pages": fetched,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "leaks": len(leaks),
        "pages_with_masked_ids": masked,
        "leaked_pages": leaks[:10],
        "server_errors": failures[:10],
        "clean": not leaks and not failures,
    }


def _links(base: str, page: str):
    for raw in HREF.findall(page):
        link = urljoin(base, html.unescape(raw).strip())
        parts = urlsplit(link)
        if parts.scheme or parts.netloc:  # urljoin keeps absolute URLs absolute
            if parts.netloc not in ("", "testserver"):
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
        if link.startswith("/admin/") and not link.startswith(SKIPPED):
            yield link


def _body(response) -> str:
    """The text a person could read in the response: a page, JSON, csv, or every part of
    an xlsx/zip; other bytes as Latin-1, so digits still match."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                return " ".join(
                    archive.read(name).decode("utf-8", errors="replace")
                    for name in archive.namelist()
                )
        except zipfile.BadZipFile:
            pass
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("latin-1")


def _full_ids_in(text: str, full_ids: set[str]) -> set[str]:
    return {token for token in TOKEN.findall(text) if token in full_ids}
