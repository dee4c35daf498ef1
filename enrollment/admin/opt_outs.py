from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from office.admin_pages import Page, WithoutRelatedLinks, WithPages
from office.scoping import ScopedAdmin
from policies.filters import PolicyYearFilter

from .. import services
from ..forms import OptOutForm
from ..models import OptOut
from ..resources import LoggedExport, OptOutResource
from ..views import opt_outs


@admin.register(OptOut)
class OptOutAdmin(ScopedAdmin, WithoutRelatedLinks, WithPages, LoggedExport, admin.ModelAdmin):
    resource_classes = [OptOutResource]
    college_path = "student__college"  # office.scoping
    form = OptOutForm
    list_display = ["student", "policy_year", "reason", "signed_on", "scan", "recorded_by"]
    list_filter = [("policy_year", PolicyYearFilter), "reason", "student__college"]
    list_select_related = ["student", "policy_year__region", "recorded_by"]
    search_fields = ["student__student_number", "student__name"]
    autocomplete_fields = ["student"]
    pages = (
        Page(
            "<int:pk>/commitment/", opt_outs.opt_out_commitment, "view_optout", "optout_commitment"
        ),
        Page(
            "chase/",
            opt_outs.students_to_chase,
            "view_optout",
            "students_to_chase",
            button=_("Not enrolled, no signed commitment"),
            with_site=True,
        ),
    )

    @admin.display(description=_("scan"))
    def scan(self, opt_out: OptOut) -> str:
        if not opt_out.commitment:
            return _("missing")
        url = reverse("admin:enrollment_optout_commitment", args=[opt_out.pk])
        return format_html('<a href="{}">{}</a>', url, _("View"))

    def save_model(self, request, obj, form, change):
        if change:  # only the scan can be added later, through the service that names it
            upload = form.cleaned_data.get("commitment")
            if "commitment" in form.changed_data and upload:
                services.opt_out_attach_commitment(
                    opt_out=OptOut.objects.get(pk=obj.pk), commitment=upload
                )
            return
        data = form.cleaned_data
        saved = services.opt_out_record(
            student=data["student"],
            policy_year=data["policy_year"],
            reason=data["reason"],
            detail=data["detail"],
            signed_on=data["signed_on"],
            commitment=data.get("commitment") or None,
            by=request.user,
        )
        obj.pk = saved.pk

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["student", "policy_year", "reason", "detail", "signed_on", "scan"]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            # read-only, Django would link the stored file itself, past the access log
            fields = [field for field in fields if field != "commitment"]
        return fields

    def has_delete_permission(self, request, obj=None):
        return False
