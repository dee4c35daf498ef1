from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import services
from .models import PersonalDataAccess, Student

FULL_ID_PERMISSION = "enrollment.view_full_id"


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    list_display = [
        "student_number",
        "name",
        "masked_id_number",
        "college",
        "education_level",
        "registered_on",
        "subsidy_category",
        "school_status",
    ]
    list_filter = ["college", "education_level", "study_mode", "subsidy_category", "school_status"]
    search_fields = ["student_number", "name", "=id_number"]
    date_hierarchy = "registered_on"
    readonly_fields = ["birth_date", "gender", "created_at", "updated_at"]
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
        (_("Insurance"), {"fields": ["subsidy_category"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    @admin.display(description=_("ID number"))
    def masked_id_number(self, student: Student) -> str:
        return student.masked_id_number

    def get_list_display(self, request):
        if request.user.has_perm(FULL_ID_PERMISSION):
            return _unmasked(self.list_display)
        return self.list_display

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or request.user.has_perm(FULL_ID_PERMISSION):
            return fieldsets
        return [(name, {**opts, "fields": _masked(opts["fields"])}) for name, opts in fieldsets]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.has_perm(FULL_ID_PERMISSION):
            readonly.append("masked_id_number")
        return readonly

    def get_search_fields(self, request):
        # Searching by a full ID number would let anyone probe who is on the roster.
        if request.user.has_perm(FULL_ID_PERMISSION):
            return self.search_fields
        return [field for field in self.search_fields if field != "=id_number"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and request.user.has_perm(FULL_ID_PERMISSION):
            services.personal_data_access_record(
                user=request.user,
                action=PersonalDataAccess.Action.VIEW_FULL_ID,
                student_id=object_id,
            )
        return super().change_view(request, object_id, form_url, extra_context)


def _masked(fields):
    return ["masked_id_number" if field == "id_number" else field for field in fields]


def _unmasked(fields):
    return ["id_number" if field == "masked_id_number" else field for field in fields]


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
