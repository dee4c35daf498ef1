import functools

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from office.admin_pages import Page, WithPages
from office.scoping import ScopedAdmin
from office.views import job_progress
from policies.filters import PolicyYearFilter

from ..models import CollectiveRun
from ..views import collective


@admin.register(CollectiveRun)
class CollectiveRunAdmin(ScopedAdmin, WithPages, admin.ModelAdmin):
    # a run enrolls every office's students: school-wide staff's (office.scoping)
    list_display = ["number", "policy_year", "status", "started_at", "started_by", "progress"]
    list_filter = ["status", ("policy_year", PolicyYearFilter)]
    list_select_related = ["policy_year__region", "started_by"]
    pages = (
        Page(
            "start/",
            collective.collective_run_start,
            "add_collectiverun",
            "collectiverun_start",
            button=_("Start the collective enrollment"),
            with_site=True,
        ),
        Page(
            "<int:pk>/progress/",
            functools.partial(job_progress, model=CollectiveRun),
            "view_collectiverun",
            "collectiverun_progress",
        ),
    )

    @admin.display(description=_("run number"), ordering="pk")
    def number(self, run: CollectiveRun) -> str:
        return f"#{run.pk}"

    @admin.display(description=_("progress"))
    def progress(self, run: CollectiveRun) -> str:
        return f"{run.progress_done} / {run.progress_total}"

    def has_add_permission(self, request):
        return False  # started with its own button

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request, self.get_object(request, object_id)):
            return super().change_view(request, object_id, form_url, extra_context)
        return collective.collective_run_detail(request, self.admin_site, int(object_id))

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
