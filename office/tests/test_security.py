"""Sign-in, sessions and deploy (issue #13): django-axes locks a user name at an address
after AXES_FAILURE_LIMIT wrong passwords and 医保办 unlock it; sessions end after 30 idle
minutes and with the browser; an empty secret key refuses to start; every page carries a
Content-Security-Policy its inline scripts obey; scans are served sandboxed; the compose
file publishes gunicorn on loopback only."""

import base64
import hashlib
import os
import re
import subprocess
import sys
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from enrollment.models import OptOut, RosterImport
from enrollment.tests.factories import EnrollmentFactory, StudentFactory
from office import security
from office.tests.factories import StaffFactory

PROJECT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n%scan\n"
HTML = b"<html><script>alert(document.cookie)</script></html>"


# --- sign-in: django-axes ----------------------------------------------------------------------


def sign_in(client, username, password, address="10.1.1.1"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


@pytest.fixture
def clerk(db):
    return StaffFactory(username="clerk")  # password "x"


def test_five_wrong_passwords_lock_the_user_name_at_that_address(client, clerk, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    tries = [sign_in(client, "clerk", f"wrong{n}").status_code for n in range(5)]

    locked = sign_in(client, "clerk", "x")  # the right password no longer helps

    assert tries == [200, 200, 200, 200, 429]
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "登录已暂时锁定" in page and "连续 5 次" in page and "30 分钟" in page
    assert "医保办" in page and 'id="site-name"' in page  # the admin's layout
    assert "_auth_user_id" not in client.session


def test_a_lock_holds_one_user_name_at_one_address(client, clerk):
    other = StaffFactory(username="other")
    for n in range(5):
        sign_in(client, "clerk", f"wrong{n}")

    from_elsewhere = sign_in(client, "clerk", "x", address="10.9.9.9")
    client.logout()
    someone_else_here = sign_in(client, "other", "x")

    assert from_elsewhere.status_code == 302  # signed in
    assert someone_else_here.status_code == 302
    assert int(client.session["_auth_user_id"]) == other.pk


def test_a_success_before_the_limit_starts_the_count_again(client, clerk):
    for n in range(4):
        sign_in(client, "clerk", f"wrong{n}")
    assert sign_in(client, "clerk", "x").status_code == 302
    client.logout()

    tries = [sign_in(client, "clerk", f"again{n}").status_code for n in range(4)]

    assert tries == [200] * 4


def test_the_lock_ends_after_thirty_minutes(client, clerk):
    for n in range(5):
        sign_in(client, "clerk", f"wrong{n}")

    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        assert sign_in(client, "clerk", "x").status_code == 302


def test_clinic_staff_unlock_a_locked_user(client, clerk, staff):
    for n in range(5):
        sign_in(client, "clerk", f"wrong{n}")
    attempt = AccessAttempt.objects.get(username="clerk")
    office = client_of(staff("医保办"))

    listed = office.get(reverse("admin:axes_accessattempt_changelist"))
    done = office.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "unlock", "_selected_action": [attempt.pk]},
        follow=True,
    )

    assert listed.status_code == 200 and "clerk" in listed.content.decode()
    assert len(list(done.context["messages"])) == 1  # how many records went
    assert not AccessAttempt.objects.filter(username="clerk").exists()
    assert sign_in(client, "clerk", "x").status_code == 302


def test_only_clinic_staff_may_unlock(staff):
    def codenames(role):
        group = Group.objects.get(name=role)
        return set(group.permissions.values_list("codename", flat=True))

    assert {"view_accessattempt", "delete_accessattempt"} <= codenames("医保办")
    for role in ("学生处", "财务", "审计"):
        assert "delete_accessattempt" not in codenames(role), role
    assert "view_accessattempt" in codenames("审计")  # auditors read who was locked out


def test_the_address_is_the_one_the_proxy_saw(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )

    settings.DEBUG = False
    behind_proxy = security.client_ip(request)
    settings.DEBUG = True
    local = security.client_ip(request)

    # the client may write anything before; the proxy appends what it saw
    assert behind_proxy == "203.0.113.7"
    assert local == "172.18.0.5"


def test_a_test_client_login_still_works(client, clerk):
    """Tests use force_login; login() goes through axes with a request of its own."""
    client.force_login(clerk)

    assert client.get(reverse("admin:index")).status_code == 200


# --- sessions ----------------------------------------------------------------------------------


def client_of(user):
    from django.test import Client

    signed_in = Client()
    signed_in.force_login(user)
    return signed_in


def test_a_session_ends_after_thirty_idle_minutes(staff):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        browser = client_of(staff("审计"))
        assert browser.get(reverse("admin:index")).status_code == 200

    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        idle = browser.get(reverse("admin:index"))

    assert idle.status_code == 302 and reverse("admin:login") in idle["Location"]


def test_each_request_renews_the_thirty_minutes(staff):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        browser = client_of(staff("审计"))
        browser.get(reverse("admin:index"))
    for minutes in (25, 50, 75):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert browser.get(reverse("admin:index")).status_code == 200


def test_the_session_cookie_ends_with_the_browser(client, clerk):
    signed_in = sign_in(client, "clerk", "x")

    cookie = signed_in.cookies["sessionid"]
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    assert cookie["httponly"] is True


# --- deploy: the secret key ----------------------------------------------------------------------


@pytest.mark.parametrize("debug", ["false", "true"])
@pytest.mark.parametrize("key", ["", "   "])
def test_an_empty_secret_key_refuses_to_start(debug, key):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG=debug, DJANGO_SECRET_KEY=key)

    run = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert run.returncode != 0
    assert "DJANGO_SECRET_KEY is empty" in run.stderr


# --- deploy: Content-Security-Policy -------------------------------------------------------------


class InlineCode(HTMLParser):
    """Inline scripts (with their nonce) and inline event handlers of a page."""

    def __init__(self):
        super().__init__()
        self.scripts: list[str | None] = []  # nonce of each inline script
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        javascript = attrs.get("type", "text/javascript") in ("text/javascript", "module")
        if tag == "script" and "src" not in attrs and javascript:
            self.scripts.append(attrs.get("nonce"))
        self.handlers += [value for name, value in attrs.items() if name.startswith("on")]


def assert_obeys_its_policy(response):
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    allowed = set(re.findall(r"'(sha256-[^']+)'", policy))
    page = InlineCode()
    page.feed(response.content.decode())
    assert all(script == nonce for script in page.scripts), page.scripts
    for handler in page.handlers:
        digest = base64.b64encode(hashlib.sha256(handler.encode()).digest()).decode()
        assert f"sha256-{digest}" in allowed, handler
    return page


def test_every_page_has_a_policy_with_a_fresh_nonce(client):
    first = client.get(reverse("admin:login"))
    second = client.get(reverse("admin:login"))

    policy = first["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "base-uri 'self'" in policy and "form-action 'self'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";")[0]
    assert policy != second["Content-Security-Policy"]
    assert_obeys_its_policy(first)


def test_admin_pages_obey_the_policy(admin_client, shanghai_2026, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    enrollment = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)
    pages = [
        reverse("admin:index"),
        reverse("admin:enrollment_student_changelist"),
        reverse("admin:enrollment_student_change", args=[enrollment.student.pk]),
        reverse("admin:enrollment_student_add"),
        reverse("admin:enrollment_enrollment_change", args=[enrollment.pk]),
        reverse("admin:enrollment_payment_add"),
        reverse("admin:enrollment_refund_changelist"),
        reverse("admin:enrollment_payments_import"),
        reverse("admin:policies_policyyear_change", args=[shanghai_2026.pk]),
        reverse("admin:policies_estimate"),
    ]

    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert_obeys_its_policy(response)


def test_a_running_jobs_progress_script_carries_the_nonce(admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = RosterImport(original_name="名单.xlsx", sha256="0" * 64, status="checking")
    job.file.save("名单.xlsx", ContentFile(b"x"), save=False)
    job.save()

    response = admin_client.get(reverse("admin:enrollment_rosterimport_change", args=[job.pk]))

    page = assert_obeys_its_policy(response)
    assert len(page.scripts) == 1  # the progress poller, allowed by its nonce


def test_the_statement_print_button_is_allowed_by_its_hash(admin_client, shanghai_2025):
    from claims.tests.factories import ClaimRowFactory

    claim = ClaimRowFactory(state="approved")

    response = admin_client.get(
        reverse("admin:claims_claim_statement", args=[claim.student_id, 2025])
    )

    page = assert_obeys_its_policy(response)
    assert page.handlers == ["window.print()"]


# --- scans: sandboxed, attachments unless PDF or image ----------------------------------------


@pytest.fixture
def opt_out_with(shanghai_2026, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    def make(name: str, content: bytes) -> OptOut:
        opt_out = OptOut.objects.create(
            student=StudentFactory(),
            policy_year=shanghai_2026,
            reason="insured_elsewhere",
            signed_on=date(2025, 11, 28),
        )
        opt_out.commitment.save(name, ContentFile(content))
        return opt_out

    return make


def test_an_opt_out_scan_is_shown_in_a_sandbox(admin_client, opt_out_with):
    opt_out = opt_out_with("承诺书.pdf", PDF)

    response = admin_client.get(reverse("admin:enrollment_optout_commitment", args=[opt_out.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Security-Policy"] == "sandbox"
    assert not response.get("Content-Disposition", "").startswith("attachment")


def test_an_opt_out_scan_that_is_not_a_pdf_or_image_is_only_downloaded(admin_client, opt_out_with):
    opt_out = opt_out_with("旧.html", HTML)

    response = admin_client.get(reverse("admin:enrollment_optout_commitment", args=[opt_out.pk]))

    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Security-Policy"] == "sandbox"


@pytest.mark.parametrize(
    ("content", "inline"), [(PDF, True), (b"\x89PNG\r\n\x1a\n0000", True), (HTML, False)]
)
def test_a_claim_document_scan_is_sandboxed(admin_client, settings, tmp_path, content, inline):
    from claims.tests.factories import ClaimDocumentFactory

    settings.MEDIA_ROOT = tmp_path
    document = ClaimDocumentFactory()
    document.scan.save("扫描件", ContentFile(content))

    response = admin_client.get(reverse("admin:claims_claimdocument_scan", args=[document.pk]))

    assert response["Content-Security-Policy"] == "sandbox"
    assert response.get("Content-Disposition", "").startswith("attachment") is not inline


# --- deploy: the compose file ------------------------------------------------------------------


def test_compose_publishes_gunicorn_on_loopback_only():
    compose = (PROJECT / "docker-compose.yml").read_text()

    published = re.findall(r"ports:\s*\[([^\]]*)\]", compose)
    assert published == ['"127.0.0.1:8000:8000"']
    assert "TLS" in compose
