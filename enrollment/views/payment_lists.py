"""Payment lists: freezing the year's list for the tax bureau, downloading a frozen one."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import floatformat
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from office.errors import Refused
from office.tables import Table

from .. import services
from ..forms import PaymentListFreezeForm
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
    form = PaymentListFreezeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        year = form.cleaned_data["year"]
        try:
            exported = services.payment_list_freeze(year=year, by=request.user)
        except Refused as exc:
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
            "waiting": Table(
                title=_("Waiting to be remitted"),
                headers=[_("payment year"), _("headcount"), _("total")],
                rows=[
                    [line["year"], line["rows"], floatformat(line["total"], 2)]
                    for line in services.payment_list_open_totals()
                ],
            ),
        },
    )
