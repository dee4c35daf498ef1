from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from office.admin_pages import MaskedIdNumber

from .. import rules, selectors, services
from ..forms import StudentForm
from ..models import PersonalDataAccess, Student
from ..views import late

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
class StudentAdmin(MaskedIdNumber, admin.ModelAdmin):
    form = StudentForm
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
        "college",
        "education_level",
        "study_mode",
        "subsidy_category",
        "school_status",
        EligibilityFilter,
    ]
    search_fields = ["student_number", "name", "=id_number"]
    date_hierarchy = "registered_on"
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
