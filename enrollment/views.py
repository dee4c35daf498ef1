"""The roster import pages of the admin: upload, the dry run's report with its progress,
confirm, and the error workbook. Each calls one service."""

from io import BytesIO

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from . import services
from .forms import PaymentListFreezeForm, RosterConfirmForm, RosterUploadForm
from .models import PaymentList, PersonalDataAccess, RosterImport


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


def roster_import_detail(request, admin_site, pk):
    roster_import = get_object_or_404(RosterImport.objects.select_related("uploaded_by"), pk=pk)
    summary = roster_import.summary
    return TemplateResponse(
        request,
        "admin/enrollment/rosterimport/detail.html",
        {
            **admin_site.each_context(request),
            "title": roster_import.original_name,
            "roster_import": roster_import,
            "summary": summary,
            "confirm_form": RosterConfirmForm(initial={"valid_only": roster_import.valid_only}),
            "can_confirm": request.user.has_perm("enrollment.add_rosterimport"),
            "opts": RosterImport._meta,
        },
    )


def roster_import_progress(request, pk):
    roster_import = get_object_or_404(RosterImport, pk=pk)
    return JsonResponse(
        {
            "status": roster_import.status,
            "done": roster_import.progress_done,
            "total": roster_import.progress_total,
        }
    )


def roster_import_confirm(request, pk):
    if request.method != "POST":
        raise PermissionDenied
    roster_import = get_object_or_404(RosterImport, pk=pk)
    form = RosterConfirmForm(request.POST)
    form.is_valid()
    valid_only = form.cleaned_data.get("valid_only", False)
    if roster_import.summary.get("invalid_rows") and not valid_only:
        messages.error(
            request,
            _("Some rows have errors: fix them and upload again, or import the valid rows only."),
        )
    elif not services.roster_import_confirm(roster_import=roster_import, valid_only=valid_only):
        messages.warning(request, _("This import has already been confirmed."))
    return redirect("admin:enrollment_rosterimport_change", pk)


def roster_import_errors(request, pk):
    roster_import = get_object_or_404(RosterImport, pk=pk)
    # the rejected rows hold full ID numbers: for their uploader, or who may see them
    if roster_import.uploaded_by_id != request.user.pk and not request.user.has_perm(
        "enrollment.view_full_id"
    ):
        raise PermissionDenied
    name = roster_import.summary.get("error_file")
    if not name:
        raise Http404
    services.personal_data_access_record(
        user=request.user,
        action=PersonalDataAccess.Action.EXPORT,
        detail=f"名单导入 #{pk} 错误行：{roster_import.original_name}",
    )
    return FileResponse(
        roster_import.file.storage.open(name, "rb"),
        as_attachment=True,
        filename=f"错误行-{roster_import.original_name.rsplit('.', 1)[0]}.xlsx",
    )


def payment_list_download(request, pk):
    payment_list = get_object_or_404(PaymentList, pk=pk)
    exported = services.payment_list_export_frozen(number=payment_list.number)
    services.personal_data_access_record(
        user=request.user,
        action=PersonalDataAccess.Action.EXPORT,
        detail=f"缴费清单 #{payment_list.number}（{exported.rows} 人）",
    )
    return FileResponse(
        BytesIO(exported.content),
        as_attachment=True,
        filename=f"缴费清单-{payment_list.year}-{payment_list.number}.xlsx",
    )


def payment_list_freeze(request, admin_site):
    form = PaymentListFreezeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        year = form.cleaned_data["year"]
        try:
            exported = services.payment_list_freeze(year=year, by=request.user)
        except services.EnrollmentRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Payment list %(number)d frozen: %(rows)d people, %(total)s yuan.")
                % {"number": exported.number, "rows": exported.rows, "total": exported.total},
            )
            return redirect("admin:enrollment_paymentlist_changelist")
    return TemplateResponse(
        request,
        "admin/enrollment/paymentlist/freeze.html",
        {**admin_site.each_context(request), "title": _("Freeze a payment list"), "form": form},
    )
