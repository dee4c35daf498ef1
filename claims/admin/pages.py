"""The claims admin's own pages: a student's statement for a year, printable (issue #11:
the admin has the same statement as `claim_statement`), a document's scan, opened
through the access log like an opt-out's, the bank account given after the receipts are
closed, and the date-order recomputation of a student's approved claims (the difference
first, then written on confirmation)."""

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrollment.models import Student
from enrollment.views.common import record_export
from office import admin_pages
from office.errors import Refused
from office.scans import scan_kind
from office.scoping import scope_of
from office.security import sandboxed
from office.tables import Table

from .. import rules, services, workflow
from ..models import Claim, ClaimDocument
from ..selectors import claim_statement
from ..services.approval import claim_recompute

SCAN_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
PAYER_LABELS = {**rules.PAYER_LABELS, None: "待定"}


def claim_statement_page(request, student: int, year: int):
    """报销结算单: every claim of the student's year, approved ones as stored and the others
    as they would be settled now, line by line with each step's sentence, and the
    approved claims a date-order recomputation would change."""
    students = scope_of(request.user).filter(Student.objects, "college")  # office.scoping
    person = get_object_or_404(students, pk=student)
    try:
        statement = claim_statement(student=person, year=year)
    except Refused as exc:
        raise Http404(exc.message) from None
    names = dict(Claim.objects.filter(student=person).values_list("number", "pk"))
    claims = [
        {
            **claim,
            "pk": names.get(claim["number"]),
            "type_label": rules.TYPE_LABELS.get(claim["type"], claim["type"]),
            "state_label": workflow.LABELS.get(claim["state"], claim["state"]),
            "payer_label": PAYER_LABELS.get(claim["payer"], claim["payer"]),
            "rejection_label": rules.REJECTION_LABELS.get(
                (claim["rejection"] or {}).get("code"), ""
            ),
        }
        for claim in statement["claims"]
    ]
    return TemplateResponse(
        request,
        "admin/claims/statement.html",
        {
            "student": person,
            "year": year,
            "statement": statement,
            "claims": claims,
            "title": f"报销结算单 · {person} · {year} 年度",
        },
    )


def claim_document_scan(request, pk: int):
    """The scan, typed by its first bytes whatever its name: a PDF or an image is shown,
    anything else only downloaded."""
    documents = scope_of(request.user).filter(ClaimDocument.objects, "claim__student__college")
    document = get_object_or_404(documents.select_related("claim"), pk=pk)
    if not document.scan:
        raise Http404
    record_export(
        user=request.user,
        student_id=document.claim.student_id,
        detail=f"报销材料 {document.claim} {document}",
    )
    scan = document.scan.open("rb")
    kind = scan_kind(scan.read(16))
    scan.seek(0)
    if kind is None:
        return sandboxed(
            FileResponse(scan, as_attachment=True, content_type="application/octet-stream")
        )
    return sandboxed(FileResponse(scan, content_type=SCAN_TYPES[kind]))


class BankAccountForm(forms.Form):
    bank_account = forms.CharField(label=gettext_lazy("bank account"), max_length=64)


def claim_bank_account(request, pk: int, admin_site):
    """收款账户 of a claim whose receipts are closed (submitted, in review or approved and
    not yet on a payout list): an approved claim the school pays waits for one."""
    claim = get_object_or_404(Claim.objects.select_related("student"), pk=pk)
    back = reverse("admin:claims_claim_change", args=[claim.pk])
    form = BankAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_bank_account_set(
                claim=claim, account=form.cleaned_data["bank_account"], by=request.user
            )
        except Refused as exc:
            form.add_error("bank_account", exc.message)
        else:
            messages.success(request, f"{claim} 的收款账户已登记。")
            return redirect(back)
    current = claim.masked_bank_account or "（无）"
    return admin_pages.page(
        request,
        admin_site,
        title=f"{claim}：{_('bank account')}",
        opts=Claim._meta,
        intro=f"{claim.student} 的报销申请 {claim}，现为「{workflow.LABELS[claim.state]}」，"
        f"收款账户 {current}。学校门诊统筹支付的申请登记收款账户后才列入报销支付清单。",
        form=form,
        submit=_("Save"),
    )


def claim_recompute_page(request, pk: int, admin_site):
    """The student's unpaid approved claims of the year whose stored breakdowns differ from
    a date-order recomputation, each with the difference; written only on confirmation."""
    claim = get_object_or_404(Claim.objects.select_related("student"), pk=pk)
    back = reverse("admin:claims_claim_change", args=[claim.pk])
    try:
        found = claim_recompute(claim=claim, apply=request.method == "POST", by=request.user)
    except Refused as exc:
        messages.warning(request, exc.message)
        return redirect(back)
    if found.applied:
        messages.success(
            request,
            f"已按就诊日期顺序重新核算 {len(found.differences)} 件报销申请："
            + "、".join(difference.number for difference in found.differences),
        )
        return redirect(back)
    parts, names = ("stored", "recomputed", "difference"), ("fund", "catastrophic", "student")
    rows = [
        [line["number"], *(line[part][name] for part in parts for name in names)]
        for line in found.as_json()
    ]
    headers = [_("claim number")] + [
        f"{part}·{name}"
        for part in ("已存", "重新核算", "差额")
        for name in ("基金支付", "大病保险", "个人自付")
    ]
    return admin_pages.page(
        request,
        admin_site,
        title=f"{claim}：{_('Recompute in visit-date order')}",
        opts=Claim._meta,
        intro=(
            f"{claim.student} {claim.policy_year} 已批准、尚未支付的报销申请，按就诊日期顺序"
            "重新核算后金额不同的如下；确认后写入（每件申请的处理记录写明变化），已支付的不变。"
            if found.differences
            else f"{claim.student} {claim.policy_year} 已批准、尚未支付的报销申请按就诊日期顺序"
            "重新核算，金额没有变化。"
        ),
        tables=[Table(title=_("Differences"), headers=headers, rows=rows)] if rows else [],
        confirm={"fields": {}, "label": _("Recompute and store")} if found.differences else None,
    )
