"""Sign-in and file-serving safeguards every app shares: the client's address as the TLS
proxy saw it (for django-axes), the page a locked-out sign-in gets, and scans served so
that nothing in them can run."""

from django.conf import settings
from django.contrib import admin
from django.shortcuts import render

LOCKED_OUT_STATUS = 429


def client_ip(request) -> str | None:
    """The address a sign-in came from. Outside debug the site runs behind one TLS proxy
    (README "Production-like mode"), which appends the address it saw to
    X-Forwarded-For: the last entry is the proxy's word, anything before it is the
    client's and could be made up. Without the header (local runs) it is the peer."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and not settings.DEBUG:
        return forwarded.rsplit(",", 1)[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def lockout_response(request, original_response=None, credentials=None):
    """The sign-in page's answer while a user name is locked at this address: the admin's
    layout, in Chinese, saying for how long and who can unlock it."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    # an HttpResponse, not a TemplateResponse: axes swaps it in after rendering is over
    return render(
        request,
        "admin/lockout.html",
        {
            **admin.site.each_context(request),
            "title": "登录已暂时锁定",
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cooloff_minutes": minutes,
        },
        status=LOCKED_OUT_STATUS,
    )


def sandboxed(response):
    """A stored scan (an opt-out commitment, a claim document) as the browser may show it:
    in a sandbox, so a file that is not what it claims (HTML, SVG, a PDF with scripts)
    cannot run anything in the office's origin. The views send what is not a PDF or an
    image as an attachment."""
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
