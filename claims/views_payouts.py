"""报销支付清单 in the admin: the freeze page (what waits per year, a preview of one year's
list with bank accounts masked, then a confirmation), the download of a frozen list
(full bank accounts: finance pays into them, so it needs export_claimpayoutlist) and
finance's record of paying lists out (标记为已付款, as for refunds)."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminDateWidget
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrollment.forms import DATE_FORMATS
from enrollment.models import PersonalDataAccess
from enrollment.services import personal_data_access_record
from office import admin_pages
from office.charts import money_text
from office.errors import Refused
from office.tables import Table
from policies.engine import fen

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
            "total": money_text(preview.total),
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
            [line["year"], line["rows"], fen(line["total"]), line["held"]]
            for line in payouts.claim_payout_open_totals()
        ],
    )


def _preview_table(year: int, preview: payouts.ClaimPayoutPreview) -> Table:
    visit, amount = payouts.VISIT + 1, payouts.AMOUNT + 1  # after 序号
    shown = [
        [
            *row[:visit],
            row[visit].isoformat() if row[visit] else "",
            money_text(row[amount]),
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


# --- paying lists out (标记为已付款) ------------------------------------------------------


class PaidOutFilter(admin.SimpleListFilter):
    title = gettext_lazy("payout")
    parameter_name = "paid_out"

    def lookups(self, request, model_admin):
        return [("no", gettext_lazy("Outstanding")), ("yes", gettext_lazy("Paid out"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(paid_out_on__isnull=self.value() == "no")
        return queryset


class PayoutListPaidOutForm(forms.Form):
    """How finance paid the selected payout lists out: one date, channel and reference."""

    paid_out_on = forms.DateField(
        label=gettext_lazy("paid out on"), input_formats=DATE_FORMATS, widget=AdminDateWidget
    )
    payout_channel = forms.ChoiceField(
        label=gettext_lazy("payout channel"), choices=ClaimPayoutList.Channel.choices
    )
    payout_reference = forms.CharField(
        label=gettext_lazy("payout reference"),
        max_length=ClaimPayoutList._meta.get_field("payout_reference").max_length,
        required=False,
        help_text=gettext_lazy("The transfer's serial number or the receipt number, if any."),
    )


def claim_payout_lists_pay_out(modeladmin, request, queryset):
    """The admin action 标记为已付款: the selected lists still to pay out with their
    totals and a form for the date, channel and reference; its button posts the same
    selection back with the form, and the lists are marked paid out."""
    selected = list(queryset.defer("content").order_by("number"))
    form = PayoutListPaidOutForm(
        request.POST if "pay_out" in request.POST else None,
        initial={"paid_out_on": timezone.localdate()},
    )
    if form.is_valid():
        try:
            done = payouts.claim_payout_lists_pay_out(
                lists=[payout_list.pk for payout_list in selected],
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
                f"{done.paid} 张报销支付清单已登记付款，合计 {done.total} 元。",
                messages.SUCCESS,
            )
            if done.already_paid:
                modeladmin.message_user(
                    request,
                    f"{done.already_paid} 张清单此前已登记付款，保持原登记不变。",
                    messages.WARNING,
                )
            return None
    to_pay = [payout_list for payout_list in selected if payout_list.paid_out_on is None]
    total = sum((payout_list.total for payout_list in to_pay), Decimal("0.00"))
    table = Table(
        title=_("Claim payout lists to pay out"),
        headers=[_("list number"), _("year"), _("rows"), _("total"), _("frozen at")],
        rows=[[f"#{p.number}", p.year, p.rows, p.total, f"{p.frozen_at:%Y-%m-%d}"] for p in to_pay],
        footer=f"合计 {len(to_pay)} 张清单，{money_text(total)} 元。",
    )
    return TemplateResponse(
        request,
        "admin/claims/claimpayoutlist/pay_out.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": _("Mark as paid out"),
            "opts": ClaimPayoutList._meta,
            "form": form,
            "table": table,
            "to_pay": len(to_pay),
            "already_paid": len(selected) - len(to_pay),
            "chosen": [payout_list.pk for payout_list in selected],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )
