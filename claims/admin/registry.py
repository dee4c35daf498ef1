"""What claims refer to: the facility list (imported and exported with
django-import-export), the campus clinic's referrals and each student's catastrophic
insurer for a year (read-only once recorded)."""

from django.contrib import admin
from django.contrib.auth import get_permission_codename
from import_export.admin import ImportExportModelAdmin

from office.admin_pages import WithoutRelatedLinks
from office.errors import Refused
from office.scoping import ScopedAdmin
from policies.filters import PolicyYearFilter

from .. import services
from ..models import Facility, InsurerChoice, Referral
from ..resources import FORMATS, FacilityResource
from .forms import InsurerChoiceForm, ReferralForm


@admin.register(Facility)
class FacilityAdmin(ImportExportModelAdmin):
    resource_classes = [FacilityResource]
    formats = FORMATS
    import_template_name = "admin/claims/facility/import.html"
    list_display = ["name", "level", "city", "designated"]
    list_filter = ["level", "designated", "city"]
    search_fields = ["name", "city"]

    def has_import_permission(self, request) -> bool:
        # an import adds facilities and changes the ones it names
        codenames = [get_permission_codename(action, self.opts) for action in ("add", "change")]
        return request.user.has_perms([f"claims.{codename}" for codename in codenames])

    def add_data_read_fail_error_to_form(self, form, e):
        # the office's reader says in Chinese what is wrong with the file
        if isinstance(e, Refused):
            form.add_error("import_file", e.message)
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def has_delete_permission(self, request, obj=None):
        return False  # claims and referrals point at facilities


@admin.register(Referral)
class ReferralAdmin(ScopedAdmin, WithoutRelatedLinks, admin.ModelAdmin):
    college_path = "student__college"  # office.scoping
    form = ReferralForm
    list_display = ["number", "student", "facility", "issued_on", "valid_until", "issued_by"]
    list_filter = ["issued_on", "facility__level"]
    list_select_related = ["student", "facility", "issued_by"]
    search_fields = ["number", "student__student_number", "student__name"]
    autocomplete_fields = ["student", "facility"]
    fields = ["number", "student", "facility", "issued_on", "valid_until", "issued_by"]
    readonly_fields = ["issued_by"]
    date_hierarchy = "issued_on"

    def save_model(self, request, obj, form, change):
        if change:  # a correction (a longer validity, the right facility)
            super().save_model(request, obj, form, change)
            return
        saved = services.referral_issue(**form.cleaned_data, by=request.user)
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InsurerChoice)
class InsurerChoiceAdmin(ScopedAdmin, WithoutRelatedLinks, admin.ModelAdmin):
    """Recorded once through the service and never changed (shanghai guide Q8): after
    saving, the page is read-only."""

    form = InsurerChoiceForm
    college_path = "student__college"  # office.scoping
    list_display = ["student", "policy_year", "insurer", "chosen_on", "recorded_by"]
    list_filter = [("policy_year", PolicyYearFilter), "insurer"]
    list_select_related = ["student", "policy_year__region", "recorded_by"]
    search_fields = ["student__student_number", "student__name", "insurer"]
    autocomplete_fields = ["student"]
    fields = ["student", "policy_year", "insurer", "chosen_on", "recorded_by", "recorded_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["recorded_by", "recorded_at"]
        return self.fields

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        saved = services.insurer_choose(
            student=data["student"],
            policy_year=data["policy_year"],
            insurer=data["insurer"],
            chosen_on=data["chosen_on"],
            by=request.user,
        )
        obj.pk = saved.pk

    def change_view(self, request, object_id, form_url="", extra_context=None):
        read_only = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(
            request, object_id, form_url, {**read_only, **(extra_context or {})}
        )

    def has_delete_permission(self, request, obj=None):
        return False
