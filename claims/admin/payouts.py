"""报销支付清单: frozen lists, read-only. The freeze page (a preview, then a confirmation
that marks the claims paid) and the download of a frozen list are claims.views_payouts'."""

from django.contrib import admin
from django.contrib.auth import get_permission_codename
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from office.admin_pages import Page, WithPages
from office.money_columns import MoneyColumns
from office.scoping import ScopedAdmin

from .. import views_payouts
from ..models import ClaimPayoutEntry, ClaimPayoutList


class ClaimPayoutEntryInline(admin.TabularInline):
    model = ClaimPayoutEntry
    extra = 0
    can_delete = False
    fields = ["position", "claim", "amount"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ClaimPayoutList)
class ClaimPayoutListAdmin(ScopedAdmin, WithPages, MoneyColumns, admin.ModelAdmin):
    # pays every office's claims: school-wide staff's (office.scoping)
    list_display = [
        "number",
        "year",
        "rows",
        "total",
        "frozen_at",
        "frozen_by",
        "paid_out_on",
        "download",
    ]
    list_filter = [views_payouts.PaidOutFilter]
    list_select_related = ["frozen_by"]
    readonly_fields = [
        "number",
        "year",
        "rows",
        "total",
        "sha256",
        "frozen_at",
        "frozen_by",
        "paid_out_on",
        "payout_channel",
        "payout_reference",
        "paid_out_by",
    ]
    actions = ["pay_out"]
    inlines = [ClaimPayoutEntryInline]
    pages = (
        Page(
            "freeze/",
            views_payouts.claim_payout_freeze,
            "add_claimpayoutlist",
            "claimpayoutlist_freeze",
            button=_("Freeze a claim payout list"),
            with_site=True,
        ),
        # finance's file carries full bank accounts
        Page(
            "<int:pk>/download/",
            views_payouts.claim_payout_download,
            "export_claimpayoutlist",
            "claimpayoutlist_download",
        ),
    )
    page_links = {"download": "claimpayoutlist_download"}

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    @admin.display(description=_("file"))
    def download(self, payout_list: ClaimPayoutList) -> str:
        url = reverse("admin:claims_claimpayoutlist_download", args=[payout_list.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    @admin.action(description=_("Mark as paid out"), permissions=["pay_out"])
    def pay_out(self, request, queryset):
        return views_payouts.claim_payout_lists_pay_out(self, request, queryset)

    def has_pay_out_permission(self, request) -> bool:
        # finance, who freezes the lists, records paying them out; the list stays read-only
        codename = get_permission_codename("add", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:claims_claimpayoutlist_freeze")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
