from django.contrib import admin
from django.contrib.admin.views.main import IS_POPUP_VAR, SEARCH_VAR
from django.db.models import Q
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from office.admin_pages import MaskedIdNumber
from office.paging import BoundedCount
from office.scoping import ScopedAdmin

from .. import rules, selectors, services
from ..forms import StudentForm
from ..models import PersonalDataAccess, RosterImport, Student
from ..resources import LoggedExport, StudentResource
from ..views import late, student_page
from .search import CollegeFilter, StudentSearch, number_searched, student_numbers_searched

FULL_ID_PERMISSION = "enrollment.view_full_id"


class EligibilityFilter(admin.SimpleListFilter):
    title = _("eligibility")
    parameter_name = "eligibility"

    def lookups(self, request, model_admin):
        return [("eligible", _("Eligible")), *rules.INELIGIBILITY_LABELS.items()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(
                pk__in=selectors.student_pks_with_eligibility(queryset, self.value())
            )
        return queryset


@admin.register(Student)
class StudentAdmin(
    ScopedAdmin, BoundedCount, StudentSearch, MaskedIdNumber, LoggedExport, admin.ModelAdmin
):
    resource_classes = [StudentResource]
    form = StudentForm
    college_path = "college"  # office.scoping: the user's office's students only
    full_id_permission = FULL_ID_PERMISSION
    derived_from_id = ["birth_date", "gender"]
    list_display = [
        "student_number",
        "name",
        "masked_id_number",
        "college",
        "education_level",
        "registered_on",
        "subsidy_category",
        "eligibility",
    ]
    list_filter = [
        ("college", CollegeFilter),
        "education_level",
        "study_mode",
        "subsidy_category",
        "school_status",
        EligibilityFilter,
    ]
    # searched by StudentSearch: exact numbers through their indexes, names by their start
    search_fields = ["student_number", "name", "=id_number"]
    search_help_text = _("A student number, a full ID number or the start of a name.")
    readonly_fields = ["birth_date", "gender", "eligibility_reason", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "id_type", "id_number", "student_number"]}),
        (
            _("School"),
            {
                "fields": [
                    "school",
                    "college",
                    "major",
                    "education_level",
                    "study_mode",
                    "registered_on",
                    "school_status",
                    "graduation_date",
                ]
            },
        ),
        (
            _("Person"),
            {"fields": ["gender", "birth_date", "phone", "nationality", "origin"]},
        ),
        (
            _("Insurance"),
            {
                "fields": [
                    "eligibility_reason",
                    "subsidy_category",
                    "training_mode",
                    "in_service",
                    "insured_elsewhere",
                ]
            },
        ),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    actions = ["enroll_late"]

    @admin.action(
        description=_("Late enrollment for this year (with a waiting period)"),
        permissions=["change"],
    )
    def enroll_late(self, request, queryset):
        # the cover each student would get is confirmed on a page of its own first
        return late.enroll_late(self, request, queryset)

    @admin.display(description=_("eligibility"))
    def eligibility(self, student: Student) -> str:
        status = selectors.student_eligibility(student)
        return "✓" if status.eligible else rules.INELIGIBILITY_LABELS[status.code]

    @admin.display(description=_("eligibility"))
    def eligibility_reason(self, student: Student) -> str:
        status = selectors.student_eligibility(student)
        return _("Eligible") if status.eligible else status.message

    @admin.display(description=_("ID number"))
    def masked_id_number(self, student: Student) -> str:
        return student.masked_id_number

    def changelist_view(self, request, extra_context=None):
        """The front desk types a student number (or, who may, reads an ID card) and lands
        on the student's page when it names one student."""
        term = request.GET.get(SEARCH_VAR, "")
        alone = len(request.GET) == 1 and IS_POPUP_VAR not in request.GET
        if number_searched(term) and alone and self.has_view_or_change_permission(request):
            exact = Q(student_number__in=student_numbers_searched(term))
            if self.may_search_id(request):
                exact |= Q(id_number=number_searched(term))
            found = list(self.get_queryset(request).filter(exact).values_list("pk", flat=True)[:2])
            if len(found) == 1:
                return redirect("admin:enrollment_student_change", found[0])
        # the 导入名单 button follows the upload page's own guard
        may_import = self.admin_site.get_model_admin(RosterImport).has_add_permission(request)
        extra_context = {"may_import_roster": may_import, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and not add:  # the student's page: the years above the record
            context.update(student_page.student_page_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        services.student_derive_from_id(obj)
        super().save_model(request, obj, form, change)

    def full_id_shown(self, request, obj: Student) -> None:
        services.personal_data_access_record(
            user=request.user, action=PersonalDataAccess.Action.VIEW_FULL_ID, student_id=obj.pk
        )


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "student", "detail"]
    list_filter = ["action"]
    list_select_related = ["user", "student"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
