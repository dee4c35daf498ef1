"""Refunds: what is due for a year, recording it, the refund list for finance, what is
still to pay out, and paying refunds out."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.admin import helpers
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from office import admin_pages
from office.errors import Refused
from office.scoping import scope_of
from office.tables import Table, link, paged, total_row

from .. import selectors, services
from ..forms import RefundPayoutForm, YearForm
from ..models import Refund
from .common import xlsx_download


def refunds_issue(request, admin_site):
    """GET ?year= shows what is due; POST records it."""
    form = YearForm(request.POST or request.GET or None)
    tables, confirm = [], None
    if form.is_valid() and request.method == "POST":
        issued, refused = services.refunds_issue(
            year=form.cleaned_data["year"], today=timezone.localdate(), by=request.user
        )
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
        due = services.refunds_due(year=year, today=timezone.localdate())
        shown, paging = paged(request, due)
        students = selectors.enrollment_students(pk for pk, _ in shown)
        owed_total = sum((owed.amount for _pk, owed in due), Decimal("0.00"))
        tables.append(
            Table(
                title=_("Due"),
                headers=[
                    _("college"),
                    _("student number"),
                    _("name"),
                    _("amount"),
                    _("reason"),
                ],
                rows=[
                    [*students[pk], owed.amount, Refund.Reason(owed.reason).label]
                    for pk, owed in shown
                ],
                # the whole list's, whichever page is shown
                total=[_("Total"), "", "", owed_total, ""],
                paging=paging,
                download=f"{reverse('admin:enrollment_refund_list')}?year={year}",
                download_label=_("Download the refund list"),
            )
        )
        if due:
            confirm = {"fields": {"year": year}, "label": _("Record refunds")}
    return admin_pages.page(
        request,
        admin_site,
        title=_("Record the refunds due"),
        opts=Refund._meta,
        intro=_(
            "Family mutual-aid premiums once the account is established, premiums of "
            "accounts that failed, money taken before an opt-out, and whatever was paid twice."
        )
        if services.school_refunds_family_aid(
            year=form.cleaned_data["year"] if form.is_valid() else None
        )
        # wuhan notice 十(三): the bureau returns a family mutual-aid premium to the payer
        else "建账失败的学生、缴费后放弃的学生，以及重复缴费的部分。"
        "家庭共济缴费由医保部门退还至缴费人账户，学校不退费，照常汇缴。",
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
    content, rows, total = services.refund_list_xlsx(
        year=year, colleges=scope_of(request.user).colleges
    )
    return xlsx_download(
        request,
        content,
        f"退费清单-{year}.xlsx",
        detail=f"退费清单 {year}（{rows} 笔，{total} 元）",
    )


def refunds_outstanding(request, admin_site):
    """Per year, the refunds recorded and not yet paid out, with a download of each
    year's refund list."""
    list_url = reverse("admin:enrollment_refund_list")
    outstanding = services.refunds_outstanding(colleges=scope_of(request.user).colleges)
    rows = [
        [year, count, total, link(f"{list_url}?year={year}", _("Download the refund list"))]
        for year, count, total in outstanding
    ]
    table = Table(
        title=_("Refunds outstanding"),
        headers=[_("policy year"), _("number of refunds"), _("amount"), _("refund list")],
        rows=rows,
        total=total_row(rows, sums=[1, 2]),
    )
    return admin_pages.page(
        request,
        admin_site,
        title=_("Refunds outstanding"),
        opts=Refund._meta,
        intro=_(
            "Refunds recorded and not yet paid out. Once paid, select them in the refunds "
            "list and use the action 'Mark as paid out'."
        ),
        tables=[table],
    )


def refunds_pay_out(modeladmin, request, queryset):
    """The admin action 标记为已付款: first a page with the selected refunds still to pay
    and a form for the date, channel and reference; its button posts the same selection
    back with the form, and the refunds are paid out."""
    selected = list(
        queryset.select_related("enrollment__student", "enrollment__policy_year").order_by(
            "enrollment__student__college", "enrollment__student__student_number", "pk"
        )
    )
    chosen = [refund.pk for refund in selected]
    form = RefundPayoutForm(
        request.POST if "pay_out" in request.POST else None,
        initial={"paid_out_on": timezone.localdate()},
    )
    if form.is_valid():
        try:
            payout = services.refunds_pay_out(
                refunds=chosen,
                paid_out_on=form.cleaned_data["paid_out_on"],
                channel=form.cleaned_data["payout_channel"],
                reference=form.cleaned_data["payout_reference"],
                by=request.user,
                today=timezone.localdate(),
            )
        except Refused as exc:
            form.add_error(None, exc.message)
        else:
            modeladmin.message_user(
                request,
                _("%(count)d refunds marked paid out, %(total)s yuan.")
                % {"count": payout.paid, "total": payout.total},
                messages.SUCCESS,
            )
            if payout.already_paid:
                modeladmin.message_user(
                    request,
                    _("%(count)d refunds had been paid out already and were left as they were.")
                    % {"count": payout.already_paid},
                    messages.WARNING,
                )
            return None
    to_pay = [refund for refund in selected if refund.paid_out_on is None]
    total = sum((refund.amount for refund in to_pay), Decimal("0.00"))
    table = Table(
        title=_("Refunds to pay out"),
        headers=[
            _("college"),
            _("student number"),
            _("name"),
            _("policy year"),
            _("amount"),
            _("reason"),
        ],
        rows=[
            [
                refund.enrollment.student.college,
                refund.enrollment.student.student_number,
                refund.enrollment.student.name,
                refund.enrollment.policy_year.year,
                refund.amount,
                refund.get_reason_display(),
            ]
            for refund in to_pay
        ],
        footer=_("Total: %(count)d refunds, %(total)s yuan.")
        % {"count": len(to_pay), "total": total},
    )
    return TemplateResponse(
        request,
        "admin/enrollment/refund/pay_out.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": _("Mark refunds paid out"),
            "opts": Refund._meta,
            "form": form,
            "table": table,
            "to_pay": len(to_pay),
            "already_paid": len(selected) - len(to_pay),
            "chosen": chosen,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )
