import functools

from django.contrib import admin
from django.db.models.fields.json import KT
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from office.admin_pages import Page, WithPages
from office.scoping import ScopedAdmin
from office.views import job_progress

from ..models import RosterImport
from ..views import roster


@admin.register(RosterImport)
class RosterImportAdmin(ScopedAdmin, WithPages, admin.ModelAdmin):
    # a roster names every office's students: school-wide staff's (office.scoping)
    list_display = ["uploaded_at", "original_name", "status", "uploaded_by", "rows", "problems"]
    list_filter = ["status"]
    list_select_related = ["started_by"]
    # A roster is keyed by full ID numbers and its report says which are on the roster
    # already: importing needs the permission to see them.
    pages = (
        Page(
            "upload/",
            roster.roster_upload,
            "add_rosterimport",
            "roster_upload",
            with_site=True,
            also=("view_full_id",),
        ),
        Page(
            "<int:pk>/progress/",
            functools.partial(job_progress, model=RosterImport),
            "view_rosterimport",
            "rosterimport_progress",
        ),
        Page(
            "<int:pk>/confirm/",
            roster.roster_import_confirm,
            "add_rosterimport",
            "rosterimport_confirm",
            also=("view_full_id",),
        ),
        Page(
            "<int:pk>/discard/",
            roster.roster_import_discard,
            "add_rosterimport",
            "rosterimport_discard",
            also=("view_full_id",),
        ),
        Page(
            "<int:pk>/errors/",
            roster.roster_import_errors,
            "add_rosterimport",
            "rosterimport_errors",
            also=("view_full_id",),
        ),
    )

    @admin.display(description=_("uploaded at"), ordering="started_at")
    def uploaded_at(self, roster_import: RosterImport):
        return roster_import.started_at

    @admin.display(description=_("uploaded by"), ordering="started_by")
    def uploaded_by(self, roster_import: RosterImport):
        return roster_import.started_by

    def get_queryset(self, request):
        """The list reads two counts out of each summary, never the summaries (a report
        may be large: the stored rows in error and the previews)."""
        return (
            super()
            .get_queryset(request)
            .defer("summary")
            .annotate(summary_rows=KT("summary__rows"), summary_invalid=KT("summary__invalid_rows"))
        )

    @admin.display(description=_("rows"))
    def rows(self, roster_import: RosterImport):
        return "" if roster_import.summary_rows is None else roster_import.summary_rows

    @admin.display(description=_("rows with errors"))
    def problems(self, roster_import: RosterImport):
        return "" if roster_import.summary_invalid is None else roster_import.summary_invalid

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:enrollment_roster_upload")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request, self.get_object(request, object_id)):
            return super().change_view(request, object_id, form_url, extra_context)
        return roster.roster_import_detail(
            request,
            self.admin_site,
            int(object_id),
            can_confirm=self.may_open(request, "rosterimport_confirm"),
            can_download_errors=self.may_open(request, "rosterimport_errors"),
        )

    def has_add_permission(self, request):
        return self.may_open(request, "roster_upload")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
