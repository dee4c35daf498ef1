"""The admin's extra pages: the roster import, payment lists, the collective run,
declarations, incoming files, opt-outs, refunds and reconciliation. Each calls services."""

import re
import uuid
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from policies.models import PolicyYear
from policies.rules import fen

from . import exports, incoming, roster, rules, services, spreadsheets, workflow
from .forms import (
    DeclarationBatchForm,
    IncomingFileForm,
    PaymentListFreezeForm,
    PolicyYearForm,
    RosterConfirmForm,
    RosterUploadForm,
    YearForm,
)
from .models import (
    CollectiveRun,
    DeclarationBatch,
    Enrollment,
    OptOut,
    Payment,
    PaymentList,
    PersonalDataAccess,
    Refund,
    RosterImport,
)


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
        {
            **admin_site.each_context(request),
            "title": _("Freeze a payment list"),
            "form": form,
            "open_lists": services.payment_list_open_totals(),
        },
    )


# --- lifecycle pages -------------------------------------------------------------------------
# Most pages share one template (admin/enrollment/page.html): an explanation, a form, and
# tables of {"title", "headers", "rows"}.


def _page(request, admin_site, *, title: str, opts, intro: str = "", form=None, **context):
    return TemplateResponse(
        request,
        "admin/enrollment/page.html",
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


def _xlsx(content: bytes, filename: str) -> FileResponse:
    return FileResponse(BytesIO(content), as_attachment=True, filename=filename)


def _log_export(request, detail: str) -> None:
    services.personal_data_access_record(
        user=request.user, action=PersonalDataAccess.Action.EXPORT, detail=detail
    )


def collective_run_start(request, admin_site):
    form = PolicyYearForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        start = services.collective_run_start(
            policy_year=form.cleaned_data["policy_year"], by=request.user
        )
        if start.action == "running":
            messages.warning(request, _("A collective run for this year is already running."))
        elif start.action == "resumed":
            messages.warning(request, _("The run's worker had stopped; the run was resumed."))
        return redirect("admin:enrollment_collectiverun_change", start.run.pk)
    return _page(
        request,
        admin_site,
        title=_("Start the collective enrollment"),
        opts=CollectiveRun._meta,
        intro=_(
            "Creates the enrollment of every eligible student at school in the chosen year, "
            "priced from the policy year; opt-outs and ineligible students are skipped with "
            "their reason. Running it again creates nothing twice."
        ),
        form=form,
        submit=_("Start"),
    )


def collective_run_detail(request, admin_site, pk):
    run = get_object_or_404(
        CollectiveRun.objects.select_related("policy_year__region", "started_by"), pk=pk
    )
    report = run.report or {}
    states = sorted({key for counts in report.get("by_college", {}).values() for key in counts})
    labels = {**workflow.LABELS, "existing": _("already enrolled"), "skipped": _("skipped")}
    tables = [
        {
            "title": _("Per college"),
            "headers": [_("college"), *(labels.get(state, state) for state in states)],
            "rows": [
                [college, *(counts.get(state, 0) for state in states)]
                for college, counts in sorted(report.get("by_college", {}).items())
            ],
        },
        {
            "title": _("Exceptions"),
            "headers": [_("student number"), _("name"), _("college"), _("reason")],
            "rows": [
                [e["student_number"], e["name"], e["college"], e["reason"]]
                for e in report.get("exceptions", [])
            ],
        },
    ]
    return TemplateResponse(
        request,
        "admin/enrollment/collectiverun/detail.html",
        {
            **admin_site.each_context(request),
            "title": str(run),
            "opts": CollectiveRun._meta,
            "run": run,
            "totals": services.collective_run_totals(run),
            "created": {workflow.LABELS[k]: v for k, v in report.get("created", {}).items()},
            "skipped": {rules.SKIP_LABELS[k]: v for k, v in report.get("skipped", {}).items()},
            "tables": tables,
        },
    )


def collective_run_progress(request, pk):
    run = get_object_or_404(CollectiveRun, pk=pk)
    return JsonResponse(
        {"status": run.status, "done": run.progress_done, "total": run.progress_total}
    )


def declaration_batch_create(request, admin_site):
    form = DeclarationBatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.declaration_batch_create(
                **form.cleaned_data, today=timezone.localdate(), by=request.user
            )
        except services.EnrollmentRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("%(batch)s: %(rows)d freshmen to declare.")
                % {"batch": batch, "rows": batch.rows},
            )
            return redirect("admin:enrollment_declarationbatch_changelist")
    return _page(
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


def declaration_batch_file(request, batch):
    content = services.declaration_batch_export(batch=batch, by=request.user)
    batch.refresh_from_db(fields=["rows"])
    _log_export(request, f"{batch}（{batch.rows} 人）")
    return _xlsx(content, f"新生申报-{batch.number}.xlsx")


def pending_lists(request, admin_site):
    form = PolicyYearForm(request.GET or None)
    tables = []
    if form.is_valid():
        policy_year = form.cleaned_data["policy_year"]
        if "college" in request.GET:
            college = request.GET["college"] or None
            content, rows = services.pending_list_xlsx(policy_year=policy_year, college=college)
            _log_export(request, f"待确认名单 {policy_year} {college or '全部学院'}（{rows} 人）")
            return _xlsx(content, f"待确认名单-{policy_year.code}-{college or '全部'}.xlsx")
        counts = services.pending_counts(policy_year=policy_year)
        link = f"?{urlencode({'policy_year': policy_year.pk})}&college="
        tables.append(
            {
                "title": _("Freshmen not yet confirmed, per college"),
                "headers": [_("college"), _("headcount"), _("file")],
                "rows": [
                    [
                        college,
                        count,
                        format_html('<a href="{}{}">{}</a>', link, quote(college), _("Download")),
                    ]
                    for college, count in counts
                ],
                "footer": format_html('<a href="{}">{}</a>', link, _("Download all colleges")),
            }
        )
    return _page(
        request,
        admin_site,
        title=_("Pending confirmations"),
        opts=DeclarationBatch._meta,
        intro=_("Freshmen who have neither confirmed in the app nor been confirmed in bulk."),
        form=form,
        method="get",
        submit=_("Show"),
        tables=tables,
    )


def incoming_file(request, admin_site, *, check, apply, title: str, intro: str, opts):
    """Upload → dry run report → confirm, for the bureau's results and payment files. The
    upload is kept under a random name between the two steps and read again to apply;
    uploads never confirmed are removed after a day (they hold full ID numbers)."""
    confirming = request.method == "POST" and "token" in request.POST
    form = IncomingFileForm(None if confirming else request.POST or None, request.FILES or None)
    context = {}
    if confirming:
        token = request.POST["token"]
        policy_year = get_object_or_404(PolicyYear, pk=request.POST.get("policy_year"))
        form = IncomingFileForm(initial={"policy_year": policy_year.pk})
        stored = _incoming_path(token)
        if not stored.exists():
            messages.error(request, _("The uploaded file has expired; upload it again."))
        else:
            try:
                plan = apply(path=stored, policy_year=policy_year, by=request.user, name=token)
            except services.EnrollmentRefused as exc:
                messages.error(request, str(exc))
            else:
                stored.unlink()
                messages.success(
                    request, _("Done: %(summary)s") % {"summary": incoming.summary(plan.as_json())}
                )
                context["tables"] = _plan_tables(plan, applied=True)
    elif request.method == "POST" and form.is_valid():
        services.incoming_uploads_remove_stale()
        upload, policy_year = form.cleaned_data["file"], form.cleaned_data["policy_year"]
        token = f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()}"
        stored = _incoming_path(token)
        stored.parent.mkdir(parents=True, exist_ok=True)
        with stored.open("wb") as target:
            for part in upload.chunks():
                target.write(part)
        try:
            plan = check(path=stored, policy_year=policy_year, name=upload.name)
        except (spreadsheets.FileRefused, roster.HeaderError) as exc:
            stored.unlink()
            messages.error(request, str(exc))
        else:
            context.update(
                confirm={
                    "fields": {"token": token, "policy_year": policy_year.pk},
                    "label": _("Confirm and apply the usable rows"),
                },
                summary=incoming.summary(plan.as_json()),
                tables=_plan_tables(plan, applied=False),
            )
    return _page(request, admin_site, title=title, opts=opts, intro=intro, form=form, **context)


def _incoming_path(token: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}\.(xlsx|xls|csv)", token):
        raise PermissionDenied
    return services.incoming_upload_path(token)


def _plan_tables(plan, *, applied: bool) -> list[dict]:
    header, rows = plan.preview()
    tables = [
        {
            "title": _("Applied") if applied else _("Would be applied on confirmation"),
            "headers": header,
            "rows": rows,
        }
    ]
    flagged = getattr(plan, "flagged", [])
    for title, problems in (
        (_("Rows that cannot be used (left out)"), plan.problems),
        (_("Amounts that do not match the premium due (recorded and flagged)"), flagged),
    ):
        if problems:
            tables.append(
                {
                    "title": title,
                    "headers": [_("row"), _("column"), _("problem")],
                    "rows": [[p.row, p.column, p.message] for p in problems],
                }
            )
    return tables


def bureau_results(request, admin_site):
    return incoming_file(
        request,
        admin_site,
        check=services.bureau_results_check,
        apply=services.bureau_results_apply,
        title=_("Import the bureau's account results"),
        intro=_(
            "A file with the columns 证件号码, 建账结果 (已建账 / 建账失败) and 失败原因. "
            "Unknown or repeated ID numbers are reported, never guessed."
        ),
        opts=DeclarationBatch._meta,
    )


def payments_import(request, admin_site):
    return incoming_file(
        request,
        admin_site,
        check=services.payments_import_check,
        apply=services.payments_import_apply,
        title=_("Import a payment file"),
        intro=_(
            "A file with the columns 学号 (or 证件号码), 金额, 缴费日期, 缴费方式 and 收据号. "
            "Amounts that do not match the premium due are recorded and flagged."
        ),
        opts=Payment._meta,
    )


def opt_out_commitment(request, pk):
    """The scan, typed by its first bytes whatever its name: a PDF or an image is shown,
    anything else (a scan stored before names were ours) only downloaded."""
    opt_out = get_object_or_404(OptOut, pk=pk)
    if not opt_out.commitment:
        raise Http404
    services.personal_data_access_record(
        user=request.user,
        action=PersonalDataAccess.Action.EXPORT,
        student_id=opt_out.student_id,
        detail=f"放弃参保承诺书 {opt_out.policy_year}",
    )
    scan = opt_out.commitment.open("rb")
    kind = services.commitment_kind(scan.read(16))
    scan.seek(0)
    if kind is None:
        return FileResponse(scan, as_attachment=True, content_type="application/octet-stream")
    return FileResponse(scan, content_type=SCAN_TYPES[kind])


SCAN_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


def students_to_chase(request, admin_site):
    form = PolicyYearForm(request.GET or None)
    tables = []
    if form.is_valid():
        policy_year = form.cleaned_data["policy_year"]
        students = services.students_to_chase(policy_year=policy_year)
        rows = [[s.college, s.student_number, s.name, s.phone] for s in students]
        if "download" in request.GET:
            headers = ["学院", "学号", "姓名", "手机号"]
            _log_export(request, f"未参保且未签放弃承诺 {policy_year}（{len(rows)} 人）")
            return _xlsx(
                exports.xlsx([headers, *rows], sheet="待跟进"), f"待跟进-{policy_year.code}.xlsx"
            )
        tables.append(
            {
                "title": _("%(count)d students") % {"count": len(rows)},
                "headers": [_("college"), _("student number"), _("name"), _("phone")],
                "rows": rows,
                "footer": format_html(
                    '<a href="?policy_year={}&download=1">{}</a>', policy_year.pk, _("Download")
                ),
            }
        )
    return _page(
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


def refunds_issue(request, admin_site):
    """GET ?year= shows what is due; POST records it."""
    form = YearForm(request.POST or request.GET or None)
    tables, confirm = [], None
    if form.is_valid() and request.method == "POST":
        issued, refused = services.refunds_issue(year=form.cleaned_data["year"], by=request.user)
        messages.success(
            request,
            _("%(count)d refunds recorded, %(total)s yuan.")
            % {"count": len(issued), "total": sum((r.amount for r in issued), Decimal("0.00"))},
        )
        for message in refused:
            messages.warning(request, message)
        return redirect("admin:enrollment_refund_changelist")
    if form.is_valid():
        year = form.cleaned_data["year"]
        due = services.refunds_due(year=year)
        students = {
            pk: values
            for pk, *values in Enrollment.objects.filter(pk__in=[pk for pk, _ in due]).values_list(
                "pk", "student__college", "student__student_number", "student__name"
            )
        }
        tables.append(
            {
                "title": _("Due"),
                "headers": [
                    _("college"),
                    _("student number"),
                    _("name"),
                    _("amount"),
                    _("reason"),
                ],
                "rows": [
                    [*students[pk], owed.amount, Refund.Reason(owed.reason).label]
                    for pk, owed in due
                ],
                "footer": format_html(
                    '<a href="{}?year={}">{}</a>',
                    reverse("admin:enrollment_refund_list"),
                    year,
                    _("Download the refund list"),
                ),
            }
        )
        if due:
            confirm = {"fields": {"year": year}, "label": _("Record refunds")}
    return _page(
        request,
        admin_site,
        title=_("Record the refunds due"),
        opts=Refund._meta,
        intro=_(
            "Family mutual-aid premiums once the account is established, premiums of "
            "accounts that failed, money taken before an opt-out, and whatever was paid twice."
        ),
        form=form,
        method="get",
        submit=_("Show"),
        tables=tables,
        confirm=confirm,
    )


def refund_list_download(request):
    form = YearForm(request.GET)
    if not form.is_valid():
        raise Http404
    year = form.cleaned_data["year"]
    content, rows, total = services.refund_list_xlsx(year=year)
    _log_export(request, f"退费清单 {year}（{rows} 笔，{total} 元）")
    return _xlsx(content, f"退费清单-{year}.xlsx")


def reconciliation(request, admin_site):
    form = YearForm(request.GET or None)
    tables = []
    if form.is_valid():
        data = services.reconciliation(year=form.cleaned_data["year"])

        def rows(enrollments):
            return [
                [
                    e.student.college,
                    e.student.student_number,
                    e.student.name,
                    workflow.LABELS[e.state],
                    e.premium_due,
                    e.amount_paid,
                    fen(e.refunded),
                ]
                for e in enrollments
            ]

        headers = [
            _("college"),
            _("student number"),
            _("name"),
            _("state"),
            _("premium due"),
            _("amount paid"),
            _("refunded"),
        ]
        tables = [
            {
                "title": _("Totals per payer"),
                "headers": [
                    _("payer"),
                    _("enrollments"),
                    _("premium due"),
                    _("amount paid"),
                    _("refunded"),
                    _("net collected"),
                ],
                "rows": [
                    [t["label"], t["count"], t["due"], t["paid"], t["refunded"], t["net"]]
                    for t in data["totals"]
                ],
            },
            {
                "title": _("Paid but not established"),
                "headers": headers,
                "rows": rows(data["paid_not_established"]),
            },
            {
                "title": _("Established but not paid"),
                "headers": headers,
                "rows": rows(data["established_not_paid"]),
            },
        ]
    return _page(
        request,
        admin_site,
        title=_("Reconciliation"),
        opts=Payment._meta,
        form=form,
        method="get",
        submit=_("Show"),
        tables=tables,
    )
