"""报销支付清单 in the admin: the freeze page (what waits per year, a preview of one year's
list with bank accounts masked, then a confirmation) and the download of a frozen list
(full bank accounts: finance pays into them, so it needs export_claimpayoutlist)."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrollment.models import PersonalDataAccess
from enrollment.services import personal_data_access_record
from office import admin_pages
from office.errors import Refused
from office.tables import Table

from .models import ClaimPayoutList
from .services import payouts


class ClaimPayoutFreezeForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("policy year"), min_value=2000, max_value=2100)


class ClaimPayoutConfirmForm(ClaimPayoutFreezeForm):
    """What the preview showed: a list that changed since is not frozen unseen."""

    rows = forms.IntegerField(min_value=0)
    total = forms.DecimalField(max_digits=14, decimal_places=2)


def claim_payout_freeze(request, admin_site):
    """GET ?year= previews that year's list; POST (from the preview) freezes it."""
    if request.method == "POST":
        confirmed = ClaimPayoutConfirmForm(request.POST)
        if confirmed.is_valid():
            data = confirmed.cleaned_data
            try:
                exported = payouts.claim_payout_freeze(
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
                _("Claim payout list %(number)d frozen: %(rows)d claims, %(total)s yuan.")
                % {"number": exported.number, "rows": exported.rows, "total": exported.total},
            )
            return redirect("admin:claims_claimpayoutlist_changelist")
        messages.error(request, _("The confirmation was incomplete; preview the list again."))
    form = ClaimPayoutFreezeForm(request.GET or None)
    tables, confirm, summary = [_waiting_table()], None, ""
    if form.is_valid():
        year = form.cleaned_data["year"]
        preview = payouts.claim_payout_preview(year=year)
        tables.insert(0, _preview_table(year, preview))
        summary = _("%(rows)d claims, %(total)s yuan, would be marked paid.") % {
            "rows": preview.count,
            "total": floatformat(preview.total, 2),
        }
        if preview.count:
            confirm = {
                "fields": {"year": year, "rows": preview.count, "total": str(preview.total)},
                "label": _("Freeze and mark paid"),
            }
    return admin_pages.page(
        request,
        admin_site,
        title=_("Freeze a claim payout list"),
        opts=ClaimPayoutList._meta,
        intro=_(
            "Freezing takes every approved claim of the year that the school's outpatient "
            "fund pays and that is on no list yet, numbers the list, marks its claims paid "
            "and keeps its file for finance: downloading it again gives the same bytes. "
            "Claims paid by the bureau or an insurer are never on it; a claim without a "
            "bank account waits until one is recorded."
        ),
        form=form,
        method="get",
        submit=_("Preview"),
        summary=summary,
        tables=tables,
        confirm=confirm,
    )


def _waiting_table() -> Table:
    return Table(
        title=_("Waiting to be paid"),
        headers=[_("policy year"), _("number of claims"), _("total"), _("held: no bank account")],
        rows=[
            [line["year"], line["rows"], floatformat(line["total"], 2), line["held"]]
            for line in payouts.claim_payout_open_totals()
        ],
    )


def _preview_table(year: int, preview: payouts.ClaimPayoutPreview) -> Table:
    visit, amount = payouts.VISIT + 1, payouts.AMOUNT + 1  # after 序号
    shown = [
        [
            *row[:visit],
            row[visit].isoformat() if row[visit] else "",
            floatformat(row[amount], 2),
            *row[amount + 1 :],
        ]
        for row in preview.rows
    ]
    footer = ""
    if preview.count > len(shown):
        footer = _("First %(shown)d of %(count)d rows shown.") % {
            "shown": len(shown),
            "count": preview.count,
        }
    return Table(
        title=_("Preview of the %(year)d list (bank accounts masked)") % {"year": year},
        headers=payouts.PAYOUT_HEADER,
        rows=shown,
        footer=footer,
    )


def claim_payout_download(request, pk):
    """A frozen list's kept file; each download is logged (it holds bank accounts)."""
    payout_list = get_object_or_404(ClaimPayoutList, pk=pk)
    try:
        exported = payouts.claim_payout_export_frozen(number=payout_list.number)
    except Refused as exc:  # the kept file no longer matches its SHA-256
        messages.error(request, str(exc))
        return redirect("admin:claims_claimpayoutlist_changelist")
    personal_data_access_record(
        user=request.user,
        action=PersonalDataAccess.Action.EXPORT,
        detail=f"报销支付清单 #{payout_list.number}（{exported.rows} 笔）",
    )
    return admin_pages.attachment(
        exported.content, f"报销支付清单-{payout_list.year}-{payout_list.number}.xlsx"
    )
