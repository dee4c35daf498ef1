"""The office's own admin: the 任务 list of every app's jobs (office.job_list), the
schedules' records, and the beat schedules in the staff's words (office.beat_admin)."""

import functools
from pathlib import Path
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import (
    beat_admin,  # noqa: F401  (re-registers django-celery-beat's admin)
    job_list,
)
from .admin_pages import Page, WithPages
from .errors import Refused
from .models import JobList, ScheduledRun
from .scoping import ScopedAdmin
from .views import job_progress


@admin.register(JobList)
class JobListAdmin(admin.ModelAdmin):
    """任务: who started what, when, how far it is, what came of it, its file; a running
    job may be cancelled by who may start it. The list shows the kinds the user may view."""

    def get_urls(self):
        # no table behind it: only the list and the cancel button
        return [
            path(
                "",
                self.admin_site.admin_view(self.changelist_view),
                name="office_joblist_changelist",
            ),
            path(
                "cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="office_joblist_cancel",
            ),
        ]

    def has_module_permission(self, request):
        return bool(job_list.kinds_for(request.user))

    def has_view_permission(self, request, obj=None):
        return bool(job_list.kinds_for(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        kinds = job_list.kinds_for(request.user)
        if not kinds:
            raise PermissionDenied
        chosen = request.GET.get("kind", "")
        shown = [kind for kind in kinds if kind.key == chosen] or kinds
        state = request.GET.get("state", "")
        state = state if state in job_list.STATES else ""
        mine = request.GET.get("mine") == "1"
        try:
            number = max(int(request.GET.get("p", "1")), 1)
        except ValueError:
            number = 1
        listed, total = job_list.jobs_page(
            shown, state=state, started_by=request.user if mine else None, page=number
        )
        page = Paginator(range(total), job_list.PER_PAGE).get_page(number)
        filters = {"kind": chosen if len(shown) == 1 and len(kinds) > 1 else "", "state": state}
        if mine:
            filters["mine"] = "1"
        return TemplateResponse(
            request,
            "admin/office/job_list.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Jobs"),
                "opts": self.model._meta,
                "rows": [self._row(request, item) for item in listed],
                "total": total,
                "page": page,
                "kind_links": self._links(filters, "kind", [(k.key, k.label) for k in kinds]),
                "state_links": self._links(filters, "state", list(job_list.STATES.items())),
                "mine_links": self._links(filters, "mine", [("1", _("started by me"))]),
                "query": urlencode({k: v for k, v in filters.items() if v}),
                "here": request.get_full_path(),
            },
        )

    @staticmethod
    def _links(filters: dict, name: str, choices) -> list[tuple[str, str, bool]]:
        """(label, query string, selected) for "all" and each choice of one filter."""

        def query(value):
            return "?" + urlencode({k: v for k, v in {**filters, name: value}.items() if v})

        current = filters.get(name, "")
        return [(_("all"), query(""), not current)] + [
            (label, query(value), current == value) for value, label in choices
        ]

    def _row(self, request, item: job_list.Listed) -> dict:
        kind, job = item.kind, item.job
        failed = job.status == job.failed_status
        # a job of every office (a roster, a run, a digest) opens for school-wide staff only
        # (office.scoping): no link that would be refused
        model_admin = self.admin_site._registry.get(kind.model)
        opens = model_admin is None or model_admin.has_view_permission(request, job)
        file_url = kind.file_url(request, job) if job.produced_file and opens else ""
        return {
            "kind": kind,
            "job": job,
            "url": kind.url(job) if opens else "",
            "status": job.get_status_display(),
            "failed": failed,
            "result": job.error if failed else kind.summarize(job),
            "progress_url": kind.progress_url(job) if job.is_running else "",
            "file_url": file_url if file_url and job_list.file_kept(job) else "",
            "file_gone": bool(job.produced_file) and not job_list.file_kept(job),
            "may_cancel": kind.may_cancel(request.user, job),
        }

    def cancel_view(self, request):
        if request.method != "POST":
            raise PermissionDenied
        try:
            kind = job_list.kind_of(request.POST.get("kind", ""))
            pk = int(request.POST.get("pk", ""))
        except (Refused, ValueError):
            raise Http404 from None
        job = get_object_or_404(kind.model, pk=pk)
        if not (request.user.has_perm(kind.view_permission) and kind.may_cancel(request.user, job)):
            raise PermissionDenied
        if job_list.job_cancel(kind=kind, pk=pk, by=request.user):
            messages.success(request, _("%(job)s was cancelled.") % {"job": job})
        else:
            messages.warning(request, _("%(job)s had already ended.") % {"job": job})
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("admin:office_joblist_changelist")
        return redirect(back)


def scheduled_run_file(request, pk: int):
    run = get_object_or_404(ScheduledRun, pk=pk)
    if not job_list.file_kept(run):
        raise Http404
    job_list.record_download(request, run)
    return FileResponse(
        run.produced_file.open("rb"), as_attachment=True, filename=Path(run.produced_file.name).name
    )


@admin.register(ScheduledRun)
class ScheduledRunAdmin(ScopedAdmin, WithPages, admin.ModelAdmin):
    """A schedule's record, read-only; listed in 任务, not in the app list. Its file names
    every office's students: school-wide staff's (office.scoping)."""

    fields = ["title", "task", "status", "started_at", "finished_at", "result", "error", "file"]
    readonly_fields = fields
    pages = (
        Page(
            "<int:pk>/progress/",
            functools.partial(job_progress, model=ScheduledRun),
            "view_scheduledrun",
            "scheduledrun_progress",
        ),
        Page("<int:pk>/file/", scheduled_run_file, "view_scheduledrun", "scheduledrun_file"),
    )

    def has_module_permission(self, request):
        return False  # its runs are in 任务

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        kind = ScheduledRun._meta.label_lower
        return redirect(reverse("admin:office_joblist_changelist") + f"?kind={kind}")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("result"))
    def result(self, run: ScheduledRun) -> str:
        return run.summary.get("text", "") if isinstance(run.summary, dict) else ""

    @admin.display(description=gettext_lazy("file"))
    def file(self, run: ScheduledRun):
        if not job_list.file_kept(run):
            return "—"
        url = reverse("admin:office_scheduledrun_file", args=[run.pk])
        return format_html('<a href="{}">{}</a>', url, Path(run.produced_file.name).name)
