"""Freshman declarations: daily batches, their upload file, the pending-confirmation lists."""

from urllib.parse import quote, urlencode

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from office import admin_pages, confirm
from office.errors import Refused
from office.scoping import scope_of
from office.tables import Table, link, total_row

from .. import services
from ..forms import DeclarationBatchForm, PolicyYearForm
from ..models import DeclarationBatch
from .common import xlsx_download


def declaration_batch_create(request, admin_site):
    form = DeclarationBatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.declaration_batch_create(
                **form.cleaned_data, today=timezone.localdate(), by=request.user
            )
        except Refused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("%(batch)s: %(rows)d freshmen to declare.")
                % {"batch": batch, "rows": batch.rows},
            )
            return redirect("admin:enrollment_declarationbatch_changelist")
    return admin_pages.page(
        request,
        admin_site,
        title=_("New declaration batch"),
        opts=DeclarationBatch._meta,
        intro=_(
            "Groups the eligible freshmen registered in the date range who have not been "
            "declared yet; their freshman enrollments are created if missing. Severe "
            "disability is never declared: the bureau creates those accounts."
        ),
        form=form,
        submit=_("Create"),
    )


def declaration_batch_download(request, pk):
    """A frozen batch's file again (exporting, which freezes, is an admin action: a POST)."""
    batch = get_object_or_404(DeclarationBatch, pk=pk, exported_at__isnull=False)
    return declaration_batch_file(request, batch)


EXPORTING = (
    "导出即冻结本批次：本批 {rows} 名新生按此文件向医保经办机构申报，批次不能再删除或更改；"
    "以后再次下载得到同一文件。"
)


def declaration_batch_question(request, admin_site, batch, *, action: str = ""):
    """What exporting (which freezes) a batch does, asked first (office.confirm)."""
    return confirm.confirm_page(
        request,
        admin_site,
        opts=DeclarationBatch._meta,
        title=_("Export and freeze (upload file)"),
        what=[EXPORTING.format(rows=batch.rows)],
        tables=[
            Table(
                title=str(batch),
                headers=[_("policy year"), _("registered"), _("rows")],
                rows=[[str(batch.policy_year), _registered(batch), batch.rows]],
            )
        ],
        action=action,
        chosen=[batch.pk],
        confirm_label=_("Yes, export and freeze"),
        cancel_url=reverse("admin:enrollment_declarationbatch_changelist"),
    )


def _registered(batch) -> str:
    return f"{batch.registered_from:%Y-%m-%d} ~ {batch.registered_to:%Y-%m-%d}"


def declaration_batch_export(request, admin_site, pk):
    """A batch's 导出并冻结 link: the question, then (POST, confirmed) its file."""
    batch = get_object_or_404(DeclarationBatch, pk=pk)
    if batch.is_frozen or confirm.confirmed(request):
        return declaration_batch_file(request, batch)
    return declaration_batch_question(request, admin_site, batch)


def declaration_batch_file(request, batch):
    content = services.declaration_batch_export(batch=batch, by=request.user)
    batch.refresh_from_db(fields=["rows"])
    return xlsx_download(
        request, content, f"新生申报-{batch.number}.xlsx", detail=f"{batch}（{batch.rows} 人）"
    )


def _pending_texts(policy_year) -> tuple[str, str]:
    """The pending list's intro and table title for `policy_year`: confirming in an app
    is mentioned only where its freshmen do (issue #14: a Wuhan school registers them)."""
    if policy_year is None or policy_year.freshman_confirms_in_app:
        return (
            _("Freshmen who have neither confirmed in the app nor been confirmed in bulk."),
            _("Freshmen not yet confirmed, per college"),
        )
    if policy_year.freshman_cover_needs_full_premium:
        return (
            _(
                "Freshmen who have not paid the entry year's premium in full: the school "
                "registered them, and they are covered once it is paid."
            ),
            _("Freshmen not fully paid, per college"),
        )
    return (
        _("The school registers this year's freshmen: nothing waits on them."),
        _("Freshmen to chase, per college"),
    )


def pending_lists(request, admin_site):
    form = PolicyYearForm(request.GET or None)
    tables = []
    # before a year is chosen, the texts of the first one offered (the school's latest)
    policy_year = form.fields["policy_year"].queryset.first()
    if form.is_valid():
        policy_year = form.cleaned_data["policy_year"]
        name = services.pending_list_name(policy_year)
        colleges = scope_of(request.user).colleges  # the user's office's, or all
        if "college" in request.GET:
            college = request.GET["college"] or None
            content, rows = services.pending_list_xlsx(
                policy_year=policy_year, college=college, colleges=colleges
            )
            return xlsx_download(
                request,
                content,
                f"{name}-{policy_year.code}-{college or '全部'}.xlsx",
                detail=f"{name} {policy_year} {college or '全部学院'}（{rows} 人）",
            )
        counts = services.pending_counts(policy_year=policy_year, colleges=colleges)
        url = f"?{urlencode({'policy_year': policy_year.pk})}&college="
        rows = [
            [college, count, link(f"{url}{quote(college)}", _("Download"))]
            for college, count in counts
        ]
        tables.append(
            Table(
                title=_pending_texts(policy_year)[1],
                headers=[_("college"), _("headcount"), _("file")],
                rows=rows,
                total=total_row(rows, sums=[1]),
                download=url,
                download_label=_("Download all colleges"),
            )
        )
    return admin_pages.page(
        request,
        admin_site,
        title=_("Pending confirmations")
        if policy_year is None or policy_year.freshman_confirms_in_app
        else services.pending_list_name(policy_year),
        opts=DeclarationBatch._meta,
        intro=_pending_texts(policy_year)[0],
        form=form,
        method="get",
        submit=_("Show"),
        tables=tables,
    )
