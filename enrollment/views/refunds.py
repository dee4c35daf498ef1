"""Refunds: what is due for a year, recording it, the refund list for finance."""

from decimal import Decimal

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from office import admin_pages
from office.tables import Table, link

from .. import selectors, services
from ..forms import YearForm
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
        students = selectors.enrollment_students(pk for pk, _ in due)
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
                    for pk, owed in due
                ],
                footer=link(
                    f"{reverse('admin:enrollment_refund_list')}?year={year}",
                    _("Download the refund list"),
                ),
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
    return xlsx_download(
        request,
        content,
        f"退费清单-{year}.xlsx",
        detail=f"退费清单 {year}（{rows} 笔，{total} 元）",
    )
