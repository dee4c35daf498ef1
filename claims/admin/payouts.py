"""报销支付清单: frozen lists, read-only. The freeze page (a preview, then a confirmation
that marks the claims paid) and the download of a frozen list are claims.views_payouts'."""

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from office.admin_pages import Page, WithPages

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
class ClaimPayoutListAdmin(WithPages, admin.ModelAdmin):
    list_display = ["number", "year", "rows", "total", "frozen_at", "frozen_by", "download"]
    list_select_related = ["frozen_by"]
    readonly_fields = ["number", "year", "rows", "total", "sha256", "frozen_at", "frozen_by"]
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

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:claims_claimpayoutlist_freeze")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
