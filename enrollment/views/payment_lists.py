"""Payment lists: freezing the year's list for the tax bureau, downloading a frozen one."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from office import confirm
from office.charts import money_text
from office.errors import Refused
from office.tables import Table, total_row
from policies.engine import fen

from .. import services
from ..forms import PaymentListConfirmForm, PaymentListFreezeForm
from ..models import PaymentList
from .common import xlsx_download


def payment_list_download(request, pk):
    payment_list = get_object_or_404(PaymentList, pk=pk)
    exported = services.payment_list_export_frozen(number=payment_list.number)
    return xlsx_download(
        request,
        exported.content,
        f"缴费清单-{payment_list.year}-{payment_list.number}.xlsx",
        detail=f"缴费清单 #{payment_list.number}（{exported.rows} 人）",
    )


def payment_list_freeze(request, admin_site):
    """GET ?year= shows what freezing that year's list would do; its confirmation (POST,
    `post=yes`, with the rows and total it showed) freezes it."""
    if confirm.confirmed(request):
        confirmation = PaymentListConfirmForm(request.POST)
        if confirmation.is_valid():
            data = confirmation.cleaned_data
            try:
                exported = services.payment_list_freeze(
                    year=data["year"],
                    by=request.user,
                    expected_rows=data["rows"],
                    expected_total=data["total"],
                )
            except Refused as exc:
                messages.error(request, str(exc))
                return redirect(f"{request.path}?year={data['year']}")
            messages.success(
                request,
                _("Payment list %(number)d frozen: %(rows)d people, %(total)s yuan.")
                % {
                    "number": exported.number,
                    "rows": exported.rows,
                    "total": money_text(exported.total),
                },
            )
            return redirect("admin:enrollment_paymentlist_changelist")
        messages.error(request, _("The confirmation was incomplete; preview the list again."))
    form = PaymentListFreezeForm(request.POST or request.GET or None)
    # SQLite sums decimals to a number without its fen
    waiting = [
        {**line, "total": fen(line["total"])} for line in services.payment_list_open_totals()
    ]
    rows = [[line["year"], line["rows"], line["total"]] for line in waiting]
    preview = None
    if form.is_valid():
        year = form.cleaned_data["year"]
        preview = next((line for line in waiting if line["year"] == year), None)
        if preview is None:
            messages.warning(request, f"{year} 年度没有待汇缴的记录。")
    return TemplateResponse(
        request,
        "admin/enrollment/paymentlist/freeze.html",
        {
            **admin_site.each_context(request),
            "title": _("Freeze a payment list"),
            "opts": PaymentList._meta,
            "form": form,
            "preview": preview,
            "confirmed": confirm.CONFIRMED,
            "waiting": Table(
                title=_("Waiting to be remitted"),
                headers=[_("payment year"), _("headcount"), _("total")],
                rows=rows,
                total=total_row(rows, sums=[1, 2]),
            ),
        },
    )
