"""The Content-Security-Policy of every page (Django 5.2 has none built in; 6.0's
SECURE_CSP works the same way, so this can give way to it).

Scripts come from our own origin only: the admin's are static files, and the few inline
scripts of our templates carry the request's nonce (`<script nonce="{{ request.csp_nonce
}}">`). Two inline event handlers we do not write are allowed by their hash: the print
button of a claim statement and django-import-export's "select all" on its export page.
Inline styles stay allowed (the admin's templates and ours use `style=` attributes; a
style cannot run code). Nothing may frame the pages, post a form elsewhere or load a
plugin. A response that sets its own policy keeps it (a scan's `sandbox`:
office.security.sandboxed).

The audit trail's middleware is django-auditlog's, taking the client's address as the
sign-in lock does (the one the TLS proxy saw, not the first X-Forwarded-For entry, which
the client writes)."""

import secrets

from auditlog.middleware import AuditlogMiddleware as BaseAuditlogMiddleware

from .security import client_ip

HEADER = "Content-Security-Policy"

# sha256 of the handler's text, base64 ('unsafe-hashes' lets only these run)
ALLOWED_HANDLERS = (
    "'sha256-MguIPR6qNR8D3B+eAlK+bIRTZe8t3wkOY4B/56Me9FU='",  # window.print()
    "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='",  # onSelectToggleChange(event)
)


def policy(nonce: str) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{nonce}'", "'unsafe-hashes'", *ALLOWED_HANDLERS],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy(request.csp_nonce)
        return response


class AuditlogMiddleware(BaseAuditlogMiddleware):
    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)
