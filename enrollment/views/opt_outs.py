"""Opt-outs: the signed commitment's scan, and the students still to chase."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from office import admin_pages
from office.scans import scan_kind
from office.scoping import scope_of
from office.security import sandboxed
from office.tables import Table, paged

from .. import services
from ..forms import PolicyYearForm
from ..models import OptOut
from .common import record_export, xlsx_download

SCAN_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


def opt_out_commitment(request, pk):
    """The scan, typed by its first bytes whatever its name: a PDF or an image is shown,
    anything else (a scan stored before names were ours) only downloaded."""
    opt_out = get_object_or_404(OptOut, pk=pk)
    if not opt_out.commitment:
        raise Http404
    record_export(
        user=request.user,
        student_id=opt_out.student_id,
        detail=f"放弃参保承诺书 {opt_out.policy_year}",
    )
    scan = opt_out.commitment.open("rb")
    kind = scan_kind(scan.read(16))
    scan.seek(0)
    if kind is None:
        return sandboxed(
            FileResponse(scan, as_attachment=True, content_type="application/octet-stream")
        )
    return sandboxed(FileResponse(scan, content_type=SCAN_TYPES[kind]))


def students_to_chase(request, admin_site):
    form = PolicyYearForm(request.GET or None)
    tables = []
    if form.is_valid():
        policy_year = form.cleaned_data["policy_year"]
        colleges = scope_of(request.user).colleges  # the user's office's, or all
        if "download" in request.GET:
            content, count = services.students_to_chase_xlsx(
                policy_year=policy_year, colleges=colleges
            )
            return xlsx_download(
                request,
                content,
                f"待跟进-{policy_year.code}.xlsx",
                detail=f"未参保且未签放弃承诺 {policy_year}（{count} 人）",
            )
        students, paging = paged(
            request, services.students_to_chase(policy_year=policy_year, colleges=colleges)
        )
        tables.append(
            Table(
                title=_("%(count)d students") % {"count": paging.count},
                headers=[_("college"), _("student number"), _("name"), _("phone")],
                rows=[[s.college, s.student_number, s.name, s.phone] for s in students],
                paging=paging,
                download=f"?policy_year={policy_year.pk}&download=1",
            )
        )
    return admin_pages.page(
        request,
        admin_site,
        title=_("Not enrolled, no signed commitment"),
        opts=OptOut._meta,
        intro=_(
            "Eligible students not enrolled for the year (none, or opted out) whose signed "
            "opt-out commitment is not scanned in: student affairs must get one or the other."
        ),
        form=form,
        method="get",
        submit=_("Show"),
        tables=tables,
    )
