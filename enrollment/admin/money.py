from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from office.admin_pages import Page, WithoutRelatedLinks, WithPages

from .. import services
from ..forms import PaymentForm
from ..models import Payment, PaymentList, Refund
from ..views import incoming, payment_lists, payments, refunds


@admin.register(PaymentList)
class PaymentListAdmin(WithPages, admin.ModelAdmin):
    list_display = ["number", "year", "rows", "total", "frozen_at", "frozen_by", "download"]
    list_select_related = ["frozen_by"]
    readonly_fields = ["number", "year", "rows", "total", "sha256", "frozen_at", "frozen_by"]
    pages = (
        Page(
            "freeze/",
            payment_lists.payment_list_freeze,
            "add_paymentlist",
            "paymentlist_freeze",
            with_site=True,
        ),
        Page(
            "<int:pk>/download/",
            payment_lists.payment_list_download,
            "export_paymentlist",
            "paymentlist_download",
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    @admin.display(description=_("file"))
    def download(self, payment_list: PaymentList) -> str:
        url = reverse("admin:enrollment_paymentlist_download", args=[payment_list.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:enrollment_paymentlist_freeze")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(WithoutRelatedLinks, WithPages, admin.ModelAdmin):
    form = PaymentForm
    list_display = [
        "receipt_number",
        "enrollment",
        "amount",
        "paid_on",
        "channel",
        "mismatch",
        "recorded_by",
    ]
    list_filter = ["channel", "paid_on", "enrollment__policy_year"]
    list_select_related = ["enrollment__student", "enrollment__policy_year__region", "recorded_by"]
    search_fields = ["receipt_number", "enrollment__student__student_number"]
    autocomplete_fields = ["enrollment"]
    pages = (
        Page(
            "import/",
            incoming.payments_import,
            "add_payment",
            "payments_import",
            button=_("Import a payment file"),
            with_site=True,
        ),
        Page(
            "reconciliation/",
            payments.reconciliation,
            "view_payment",
            "reconciliation",
            button=_("Reconciliation"),
            with_site=True,
        ),
    )

    def save_model(self, request, obj, form, change):
        saved = services.payment_record(**form.cleaned_data, by=request.user)
        obj.pk = saved.pk
        if saved.mismatch:
            self.message_user(request, saved.mismatch, messages.WARNING)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Refund)
class RefundAdmin(WithPages, admin.ModelAdmin):
    list_display = ["enrollment", "amount", "reason", "created_at", "created_by"]
    list_filter = ["reason", "enrollment__policy_year"]
    list_select_related = ["enrollment__student", "enrollment__policy_year__region", "created_by"]
    search_fields = ["enrollment__student__student_number", "enrollment__student__name"]
    pages = (
        Page(
            "issue/",
            refunds.refunds_issue,
            "add_refund",
            "refunds_issue",
            button=_("Record the refunds due"),
            with_site=True,
        ),
        Page("list/", refunds.refund_list_download, "view_refund", "refund_list"),
    )

    def has_add_permission(self, request):
        return False  # recorded with 登记应退费用

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
