"""The freshman roster import: upload, dry-run report, confirmation, the rejected rows."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from office import retention
from office.errors import Refused

from .. import services
from ..forms import RosterConfirmForm, RosterUploadForm
from ..models import RosterImport
from ..services.roster_report import roster_changes_shown
from .common import record_export


def roster_upload(request, admin_site):
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        roster_import = services.roster_import_start(
            upload=form.cleaned_data["file"], user=request.user
        )
        return redirect("admin:enrollment_rosterimport_change", roster_import.pk)
    return TemplateResponse(
        request,
        "admin/enrollment/rosterimport/upload.html",
        {**admin_site.each_context(request), "title": _("Import a roster"), "form": form},
    )


def roster_import_detail(request, admin_site, pk, *, can_confirm: bool, can_download_errors: bool):
    roster_import = get_object_or_404(RosterImport.objects.select_related("started_by"), pk=pk)
    summary = roster_import.summary
    changes = [  # in the staff's words (专业名称：临床医学 → 法学), in the interface language
        (item, roster_changes_shown(item.get("changes", {})))
        for item in summary.get("preview_updated", [])
    ]
    return TemplateResponse(
        request,
        "admin/enrollment/rosterimport/detail.html",
        {
            **admin_site.each_context(request),
            "title": roster_import.original_name,
            "roster_import": roster_import,
            "summary": summary,
            "changes": changes,
            "confirm_form": RosterConfirmForm(initial={"valid_only": roster_import.valid_only}),
            "can_confirm": can_confirm,
            "can_download_errors": can_download_errors
            and may_download_errors(request.user, roster_import),
            "opts": RosterImport._meta,
        },
    )


def roster_import_confirm(request, pk):
    if request.method != "POST":
        raise PermissionDenied
    roster_import = get_object_or_404(RosterImport, pk=pk)
    form = RosterConfirmForm(request.POST)
    form.is_valid()
    valid_only = form.cleaned_data.get("valid_only", False)
    try:
        claimed = services.roster_import_confirm(roster_import=roster_import, valid_only=valid_only)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        if not claimed:
            messages.warning(request, _("This import has already been confirmed."))
    return redirect("admin:enrollment_rosterimport_change", pk)


def roster_import_discard(request, pk):
    """Give up a checked import instead of confirming it: its files (full ID numbers) go."""
    if request.method != "POST":
        raise PermissionDenied
    roster_import = get_object_or_404(RosterImport, pk=pk)
    error = retention.discarded_by(request.user)
    if retention.job_discard(roster_import, error=error, now=timezone.now()):
        messages.success(request, _("The upload was discarded and its file deleted."))
    else:
        messages.warning(request, _("Only an import waiting for confirmation can be discarded."))
    return redirect("admin:enrollment_rosterimport_change", pk)


# besides its uploader, who handles every roster import's rows (医保办, 学生处; the page
# itself needs add_rosterimport and view_full_id, which the uploader holds)
OTHERS_ERRORS_PERMISSION = "enrollment.change_rosterimport"


def may_download_errors(user, roster_import: RosterImport) -> bool:
    """An import's rows in error (full ID numbers) are its uploader's to download, or
    who holds OTHERS_ERRORS_PERMISSION; no one else is shown the link."""
    return roster_import.started_by_id == user.pk or user.has_perm(OTHERS_ERRORS_PERMISSION)


def roster_import_errors(request, pk):
    roster_import = get_object_or_404(RosterImport, pk=pk)
    if not roster_import.produced_file:
        raise Http404
    if not may_download_errors(request.user, roster_import):
        raise PermissionDenied
    record_export(user=request.user, detail=f"名单导入 #{pk} 错误行：{roster_import.original_name}")
    return FileResponse(
        roster_import.produced_file.open("rb"),
        as_attachment=True,
        filename=f"错误行-{roster_import.original_name.rsplit('.', 1)[0]}.xlsx",
    )
