"""Payments: reconciling what was collected with what is due and what was established."""

from django.utils.translation import gettext as _

from office import admin_pages
from office.tables import Table
from policies.engine import fen

from .. import services, workflow
from ..forms import YearForm
from ..models import Payment


def _enrollment_rows(enrollments) -> list[list]:
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


def reconciliation(request, admin_site):
    form = YearForm(request.GET or None)
    tables = []
    if form.is_valid():
        data = services.reconciliation(year=form.cleaned_data["year"])
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
                rows=[
                    [t["label"], t["count"], t["due"], t["paid"], t["refunded"], t["net"]]
                    for t in data["totals"]
                ],
            ),
            Table(
                title=_("Paid but not established"),
                headers=headers,
                rows=_enrollment_rows(data["paid_not_established"]),
            ),
            Table(
                title=_("Established but not paid"),
                headers=headers,
                rows=_enrollment_rows(data["established_not_paid"]),
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
