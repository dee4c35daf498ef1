"""Payments: reconciling what was collected with what is due and what was established."""

from urllib.parse import urlencode

from django.utils.translation import gettext as _

from office import admin_pages
from office.scoping import scope_of
from office.tables import Table, paged, total_row

from .. import services
from ..forms import YearForm
from ..models import Payment
from ..services.reconciliation_lists import LISTS, reconciliation_list_xlsx, reconciliation_row
from .common import xlsx_download


def _list_table(request, data: dict, which: str, *, title: str, headers: list) -> Table:
    """One of the two lists, a page at a time, its download above it."""
    enrollments, paging = paged(request, data[which], param=f"{which}_page")
    year = request.GET.get("year", "")
    return Table(
        title=title,
        headers=headers,
        rows=[reconciliation_row(enrollment) for enrollment in enrollments],
        paging=paging,
        download=f"?{urlencode({'year': year, 'download': which})}",
    )


def reconciliation(request, admin_site):
    form = YearForm(request.GET or None)
    tables = []
    if form.is_valid():
        year = form.cleaned_data["year"]
        data = services.reconciliation(year=year, colleges=scope_of(request.user).colleges)
        which = request.GET.get("download")
        if which in LISTS:
            content, rows = reconciliation_list_xlsx(enrollments=data[which], which=which)
            return xlsx_download(
                request,
                content,
                f"对账-{LISTS[which]}-{year}.xlsx",
                detail=f"对账 {year} {LISTS[which]}（{rows} 人）",
            )
        headers = [
            _("college"),
            _("student number"),
            _("name"),
            _("state"),
            _("premium due"),
            _("amount paid"),
            _("refunded"),
        ]
        totals = [
            [t["label"], t["count"], t["due"], t["paid"], t["refunded"], t["net"]]
            for t in data["totals"]
        ]
        tables = [
            Table(
                title=_("Totals per payer"),
                headers=[
                    _("payer"),
                    _("enrollments"),
                    _("premium due"),
                    _("amount paid"),
                    _("refunded"),
                    _("net collected"),
                ],
                rows=totals,
                total=total_row(totals, sums=[1, 2, 3, 4, 5]),
            ),
            _list_table(
                request,
                data,
                "paid_not_established",
                title=_("Paid but not established"),
                headers=headers,
            ),
            _list_table(
                request,
                data,
                "established_not_paid",
                title=_("Established but not paid"),
                headers=headers,
            ),
        ]
    return admin_pages.page(
        request,
        admin_site,
        title=_("Reconciliation"),
        opts=Payment._meta,
        form=form,
        method="get",
        submit=_("Show"),
        tables=tables,
    )
