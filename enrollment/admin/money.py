from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from office.admin_pages import Page, WithoutRelatedLinks, WithPages
from office.money_columns import MoneyColumns
from office.scoping import ScopedAdmin
from policies.filters import PolicyYearFilter

from .. import services
from ..forms import PaymentForm
from ..models import Payment, PaymentList, Refund
from ..resources import LoggedExport, PaymentResource, RefundResource
from ..views import incoming, payment_lists, payments, refunds


@admin.register(PaymentList)
class PaymentListAdmin(ScopedAdmin, WithPages, MoneyColumns, admin.ModelAdmin):
    # the whole school's list: its file and freezing it are school-wide staff's (office.scoping)
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
        # the tax bureau's file carries full ID numbers
        Page(
            "<int:pk>/download/",
            payment_lists.payment_list_download,
            "export_paymentlist",
            "paymentlist_download",
            also=("view_full_id",),
        ),
    )
    page_links = {"download": "paymentlist_download"}

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
class PaymentAdmin(
    ScopedAdmin, WithoutRelatedLinks, WithPages, LoggedExport, MoneyColumns, admin.ModelAdmin
):
    resource_classes = [PaymentResource]
    college_path = "enrollment__student__college"  # office.scoping
    whole_school_pages = ("payments_import",)
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
    list_filter = ["channel", "paid_on", ("enrollment__policy_year", PolicyYearFilter)]
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
        recorded = {name: form.cleaned_data[name] for name in PaymentForm.Meta.fields}
        saved = services.payment_record(**recorded, by=request.user)
        obj.pk = saved.pk
        if saved.mismatch:
            self.message_user(request, saved.mismatch, messages.WARNING)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PaidOutFilter(admin.SimpleListFilter):
    title = _("payout")
    parameter_name = "paid_out"

    def lookups(self, request, model_admin):
        return [("no", _("Outstanding")), ("yes", _("Paid out"))]

    def queryset(self, request, queryset):
        if self.value() in ("no", "yes"):
            return queryset.filter(paid_out_on__isnull=self.value() == "no")
        return queryset


@admin.register(Refund)
class RefundAdmin(ScopedAdmin, WithPages, LoggedExport, MoneyColumns, admin.ModelAdmin):
    resource_classes = [RefundResource]
    college_path = "enrollment__student__college"  # office.scoping
    whole_school_pages = ("refunds_issue",)  # the refunds due of the whole year
    list_display = [
        "enrollment",
        "amount",
        "reason",
        "created_at",
        "created_by",
        "paid_out_on",
        "payout_channel",
        "payout_reference",
        "paid_out_by",
    ]
    list_filter = [
        PaidOutFilter,
        "reason",
        ("enrollment__policy_year", PolicyYearFilter),
        "payout_channel",
    ]
    list_select_related = [
        "enrollment__student",
        "enrollment__policy_year__region",
        "created_by",
        "paid_out_by",
    ]
    search_fields = [
        "enrollment__student__student_number",
        "enrollment__student__name",
        "payout_reference",
    ]
    actions = ["pay_out"]
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
        Page(
            "outstanding/",
            refunds.refunds_outstanding,
            "view_refund",
            "refunds_outstanding",
            button=_("Refunds outstanding"),
            with_site=True,
        ),
    )

    @admin.action(description=_("Mark as paid out"), permissions=["pay_out"])
    def pay_out(self, request, queryset):
        return refunds.refunds_pay_out(self, request, queryset)

    def has_pay_out_permission(self, request) -> bool:
        # paying out is finance's change to a refund; the refund itself stays read-only
        codename = get_permission_codename("change", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    def has_add_permission(self, request):
        return False  # recorded with 登记应退费用

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
