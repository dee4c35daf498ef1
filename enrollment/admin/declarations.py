from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from office import confirm
from office.admin_pages import Page, WithPages
from office.errors import Refused
from office.scoping import ScopedAdmin
from policies.filters import PolicyYearFilter

from .. import services
from ..models import DeclarationBatch
from ..views import declarations, incoming


@admin.register(DeclarationBatch)
class DeclarationBatchAdmin(ScopedAdmin, WithPages, admin.ModelAdmin):
    # batches hold every office's freshmen: school-wide staff's (office.scoping), but for
    # the pending lists, which show the user's colleges
    office_pages = ("pending_lists",)
    list_display = ["number", "policy_year", "registered", "rows", "exported", "download"]
    list_filter = [("policy_year", PolicyYearFilter)]
    list_select_related = ["policy_year__region", "created_by"]
    fields = [
        "number",
        "policy_year",
        "registered_from",
        "registered_to",
        "rows",
        "members",
        "created_by",
        "created_at",
        "exported_at",
        "exported_by",
        "sha256",
        "download",
    ]
    readonly_fields = fields
    pages = (
        Page(
            "create/",
            declarations.declaration_batch_create,
            "add_declarationbatch",
            "declarationbatch_create",
            button=_("New declaration batch"),
            with_site=True,
        ),
        # the upload file carries full ID numbers: for who declares to the bureau
        Page(
            "<int:pk>/download/",
            declarations.declaration_batch_download,
            "add_declarationbatch",
            "declarationbatch_download",
            also=("view_full_id",),
        ),
        # the 导出并冻结 link of a batch not exported yet: asks first, then gives the file
        Page(
            "<int:pk>/export/",
            declarations.declaration_batch_export,
            "add_declarationbatch",
            "declarationbatch_export",
            with_site=True,
            also=("view_full_id",),
        ),
        Page(
            "results/",
            incoming.bureau_results,
            "change_enrollment",
            "bureau_results",
            button=_("Import the bureau's account results"),
            with_site=True,
            also=("view_full_id",),  # keyed by ID number: the dry run tells which are known
        ),
        Page(
            "pending/",
            declarations.pending_lists,
            "view_enrollment",
            "pending_lists",
            # the page says what it lists for the year (待确认名单, 未足额缴费名单…)
            button=_("Freshmen to follow up"),
            with_site=True,
        ),
    )

    page_links = {"download": "declarationbatch_download"}
    actions = ["export_and_freeze"]

    @admin.display(description=_("registered"), ordering="registered_from")
    def registered(self, batch: DeclarationBatch) -> str:
        return f"{batch.registered_from:%Y-%m-%d} ~ {batch.registered_to:%m-%d}"

    @admin.display(description=_("exported at"), ordering="exported_at")
    def exported(self, batch: DeclarationBatch) -> str:
        return (
            f"{timezone.localtime(batch.exported_at):%Y-%m-%d %H:%M}" if batch.exported_at else "-"
        )

    @admin.display(description=_("file"))
    def download(self, batch: DeclarationBatch) -> str:
        if not batch.is_frozen:
            # shown only to who may download, who may also export (has_freeze_permission)
            url = reverse("admin:enrollment_declarationbatch_export", args=[batch.pk])
            return format_html('<a href="{}">{}</a>', url, _("Export and freeze…"))
        url = reverse("admin:enrollment_declarationbatch_download", args=[batch.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    @admin.action(description=_("Export and freeze (upload file)"), permissions=["freeze"])
    def export_and_freeze(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose one batch."), messages.WARNING)
            return None
        batch = queryset.get()
        if batch.is_frozen or confirm.confirmed(request):
            return declarations.declaration_batch_file(request, batch)
        return declarations.declaration_batch_question(
            request, self.admin_site, batch, action="export_and_freeze"
        )

    @admin.display(description=_("members"))
    def members(self, batch: DeclarationBatch) -> str:
        url = reverse("admin:enrollment_enrollment_changelist")
        return format_html(
            '<a href="{}?declaration_batch__id__exact={}">{}</a>',
            url,
            batch.pk,
            _("Enrollments in this batch"),
        )

    def has_freeze_permission(self, request) -> bool:
        """Exporting gives the file: who may download it."""
        return self.may_open(request, "declarationbatch_download")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    def has_add_permission(self, request):
        return False  # created with its own button

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return bool(obj is None or not obj.is_frozen) and super().has_delete_permission(
            request, obj
        )

    def delete_model(self, request, obj):
        try:
            services.declaration_batch_delete(batch=obj)
        except Refused as exc:  # exported since the page was shown: the delete view's
            raise PermissionDenied(str(exc)) from exc  # transaction undoes its log entry

    def delete_queryset(self, request, queryset):
        for batch in queryset:
            self.delete_model(request, batch)
