"""Links a user may not follow are not shown: Django's admin links a read-only foreign
key to the related record's page whatever the user may open there (a payment's 登记人
links to 系统用户, which ends in 403 for every role but a superuser). Every admin page
is checked once rendered: a link to a record's admin page (`admin:<app>_<model>_change`)
that the model's admin would refuse the user becomes its text.

Installed by the admin site (office.admin_site), so it holds for every page, Django's
own and ours, without touching each ModelAdmin."""

import re
from urllib.parse import urlsplit

from django.template.response import TemplateResponse
from django.urls import Resolver404, resolve
from django.utils.html import strip_tags

# an anchor whose href is an admin record page, its text kept (no nested anchors in HTML)
RECORD_LINK = re.compile(r'<a\s[^>]*?href="(?P<href>/[^"]*/change/)"[^>]*>(?P<text>.*?)</a>', re.S)


def record_admin(admin_site, path: str):
    """The ModelAdmin whose record page `path` is, or None."""
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    if match.namespace != admin_site.name or not match.url_name.endswith("_change"):
        return None
    for model, model_admin in admin_site._registry.items():
        if match.url_name == f"{model._meta.app_label}_{model._meta.model_name}_change":
            return model_admin
    return None


def followable(request, admin_site, html: str) -> str:
    """`html` with each link to a record page the user may not open replaced by its text."""
    allowed: dict[str, bool] = {}

    def keep(link: re.Match) -> str:
        # /admin/app/model/<pk>/change/: one check per kind of record, not per link
        kind = link["href"].rsplit("/", 3)[0]
        if kind not in allowed:
            model_admin = record_admin(admin_site, link["href"])
            allowed[kind] = model_admin is None or model_admin.has_view_or_change_permission(
                request
            )
        return link[0] if allowed[kind] else strip_tags(link["text"])

    return RECORD_LINK.sub(keep, html)


def only_followable_links(request, admin_site, response):
    """For admin_view: a page's links checked once it is rendered."""
    if isinstance(response, TemplateResponse) and not response.is_rendered:

        def check(rendered):
            rendered.content = followable(request, admin_site, rendered.content.decode())
            return rendered

        response.add_post_render_callback(check)
    return response
