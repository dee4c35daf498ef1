"""The office's admin site: Django's, with the home page of the year as its index
(office.home). Installed in place of django.contrib.admin (settings.INSTALLED_APPS), as
Django's documentation overrides the default admin site; `admin.site` and
`@admin.register` stay as they are."""

import functools

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils import timezone

from . import admin_links, home


class OfficeAdminSite(admin.AdminSite):
    def admin_view(self, view, cacheable=False):
        # no page shows a link to a record the user may not open (office.admin_links)
        inner = super().admin_view(view, cacheable)

        @functools.wraps(inner)
        def checked(request, *args, **kwargs):
            return admin_links.only_followable_links(request, self, inner(request, *args, **kwargs))

        return checked

    def index(self, request, extra_context=None):
        context = home.home_context(request, today=timezone.localdate())
        return super().index(request, {**context, **(extra_context or {})})


class OfficeAdminConfig(AdminConfig):
    default_site = "office.admin_site.OfficeAdminSite"
