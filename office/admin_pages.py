"""What every app's admin shares: extra pages declared once (`Page`, `WithPages`), foreign
keys without edit icons, ID numbers masked in lists and for who may not see them in
full, and the page and download helpers of the custom views. Nothing here names an app:
permissions and URL names take the app label of the admin's model."""

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO

from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse


@dataclass(frozen=True)
class Page:
    """An extra admin page: its URL, the permission of the model's app that guards it (a
    codename) and any further ones it also needs (`also`, e.g. to see full ID numbers),
    and the label of its button on the change list, if it has one. A page that renders
    within the admin (`with_site`) is given the admin site."""

    pattern: str
    view: Callable
    permission: str
    name: str
    button: str = ""
    with_site: bool = False
    also: tuple[str, ...] = ()


class WithPages:
    """Declares its extra pages once (`pages`): the URLs, their guards and the change
    list's buttons (shown to who holds the page's permission) all follow from it. A page
    named `upload` of an app `enrollment` is `admin:enrollment_upload`, guarded by
    `enrollment.<permission>`."""

    pages: tuple[Page, ...] = ()
    # field or column name -> the page it links to (a download): shown only to who may
    # open that page, never as a link that ends in 403
    page_links: dict[str, str] = {}
    change_list_template = "admin/office/change_list_links.html"

    def get_urls(self):
        return [*(self._url(page) for page in self.pages), *super().get_urls()]

    def page_permission(self, page: Page) -> str:
        return self._qualified(page.permission)

    def page_permissions(self, page: Page) -> list[str]:
        return [self._qualified(codename) for codename in (page.permission, *page.also)]

    def may_open(self, request, name: str) -> bool:
        page = next(page for page in self.pages if page.name == name)
        return self.page_allowed(request, page)

    def page_allowed(self, request, page: Page) -> bool:
        """Whether the user may open `page`: its URL, button and links follow this (office.
        scoping.ScopedAdmin adds the user's office to the permissions)."""
        return request.user.has_perms(self.page_permissions(page))

    def page_arguments_check(self, request, page: Page, kwargs: dict) -> None:
        """Raise (Http404) when the URL's arguments name what the user may not open."""

    def _qualified(self, codename: str) -> str:
        """A bare codename is the model's app's; "app.codename" names another app's."""
        if "." in codename:
            return codename
        return f"{self.model._meta.app_label}.{codename}"

    def page_url_name(self, page: Page) -> str:
        return f"{self.model._meta.app_label}_{page.name}"

    def _url(self, page: Page):
        view = (
            functools.partial(page.view, admin_site=self.admin_site)
            if page.with_site
            else page.view
        )

        def guarded(request, *args, **kwargs):
            if not self.page_allowed(request, page):
                raise PermissionDenied
            self.page_arguments_check(request, page, kwargs)
            return view(request, *args, **kwargs)

        return path(
            page.pattern, self.admin_site.admin_view(guarded), name=self.page_url_name(page)
        )

    def changelist_view(self, request, extra_context=None):
        links = [
            (reverse(f"admin:{self.page_url_name(page)}"), page.button)
            for page in self.pages
            if page.button and self.page_allowed(request, page)
        ]
        return super().changelist_view(request, {"extra_links": links, **(extra_context or {})})

    def get_list_display(self, request):
        return self._linkable(request, super().get_list_display(request))

    def get_fields(self, request, obj=None):
        return self._linkable(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        return self._linkable(request, super().get_readonly_fields(request, obj))

    def _linkable(self, request, fields) -> list:
        hidden = {
            field for field, name in self.page_links.items() if not self.may_open(request, name)
        }
        return [field for field in fields if field not in hidden]


class WithoutRelatedLinks:
    """Foreign keys without the admin's add/change/delete icons: a clerk recording an
    opt-out or a payment must not edit students or policy years from there."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.is_relation and field is not None:
            for name in ("can_add_related", "can_change_related", "can_delete_related"):
                setattr(field.widget, name, False)
        return field


def masked(fields: Sequence[str]) -> list[str]:
    return ["masked_id_number" if field == "id_number" else field for field in fields]


class MaskedIdNumber:
    """A model with `id_number` and a `masked_id_number` property. Lists show the masked
    number to everyone; the full one shows on the record's own page only, to who holds
    `full_id_permission` ("app_label.codename"), and each showing is recorded
    (`full_id_shown`). For everyone else the form, the search and the URL filters see the
    masked number only, and the fields that can be read off the number
    (`derived_from_id`: a birth date, a gender) are not shown either: with them beside the
    masked number only a few thousand numbers remain possible, few enough to try."""

    full_id_permission: str = ""
    derived_from_id: Sequence[str] = ()

    def sees_full_id(self, request) -> bool:
        return request.user.has_perm(self.full_id_permission)

    def full_id_shown(self, request, obj) -> None:
        """Record that `request.user` was shown `obj`'s full ID number (the app's log)."""
        raise NotImplementedError

    def get_list_display(self, request):
        return masked(super().get_list_display(request))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.sees_full_id(request):
            return fieldsets
        return [
            (name, {**opts, "fields": self._without_full_id(opts["fields"])})
            for name, opts in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not self.sees_full_id(request):
            readonly.append("masked_id_number")
        return readonly

    def has_add_permission(self, request):
        # a new record is keyed by its full number, and the form would say whether that
        # number is taken already
        return self.sees_full_id(request) and super().has_add_permission(request)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and not add and self.sees_full_id(request):
            self.full_id_shown(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def lookup_allowed(self, lookup, value, request=None):
        # URL filters on the ID number would let anyone probe it digit by digit
        if lookup.startswith("id_number") and not (request and self.sees_full_id(request)):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_search_fields(self, request):
        # Searching by a full ID number would let anyone probe who is on the roster.
        fields = super().get_search_fields(request)
        if self.sees_full_id(request):
            return fields
        return [field for field in fields if field != "=id_number"]

    def _without_full_id(self, fields: Sequence[str]) -> list[str]:
        return [field for field in masked(fields) if field not in self.derived_from_id]


def page(request, admin_site, *, title: str, opts, intro: str = "", form=None, **context):
    """The shared page of the custom views: an explanation, a form, an optional confirm
    button, and tables (`office.tables.Table`)."""
    return TemplateResponse(
        request,
        "admin/office/page.html",
        {
            **admin_site.each_context(request),
            "title": title,
            "opts": opts,
            "intro": intro,
            "form": form,
            "tables": [],
            **context,
        },
    )


def attachment(content: bytes, filename: str) -> FileResponse:
    return FileResponse(BytesIO(content), as_attachment=True, filename=filename)
