"""医保办, their colleges and who works for which, in the admin. 医保办 read them; only
who holds school-wide access changes them (an office's clerk must not move themselves
or a college to another office)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .offices import Office, OfficeCollege, StaffScope
from .scoping import college_sources, sees_whole_school


class SchoolWideChanges:
    def has_add_permission(self, request, *args):
        return sees_whole_school(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return sees_whole_school(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return sees_whole_school(request.user) and super().has_delete_permission(request, obj)


class OfficeCollegeInline(SchoolWideChanges, admin.TabularInline):
    model = OfficeCollege
    extra = 0
    fields = ["college"]


@admin.register(Office)
class OfficeAdmin(SchoolWideChanges, admin.ModelAdmin):
    list_display = ["name", "code", "college_list", "staff_count"]
    search_fields = ["name", "code", "colleges__college"]
    inlines = [OfficeCollegeInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("colleges", "staff")

    @admin.display(description=_("colleges"))
    def college_list(self, office: Office) -> str:
        return "、".join(college.college for college in office.colleges.all()) or "—"

    @admin.display(description=_("staff accounts"))
    def staff_count(self, office: Office) -> int:
        return len(office.staff.all())

    def changelist_view(self, request, extra_context=None):
        """Says which of the roster's colleges no office holds: only school-wide staff see
        their students."""
        unassigned = unassigned_colleges()
        if unassigned and Office.objects.exists():
            self.message_user(
                request,
                _("No office holds these colleges; only school-wide staff see their students: ")
                + "、".join(unassigned),
                level="warning",
            )
        return super().changelist_view(request, extra_context)


def unassigned_colleges() -> list[str]:
    """The colleges of the roster (as the apps register them) that no office holds."""
    known = {college for source in college_sources() for college in source()}
    held = set(OfficeCollege.objects.values_list("college", flat=True))
    return sorted(known - held)


class StaffScopeForm(forms.ModelForm):
    class Meta:
        model = StaffScope
        fields = ["user", "office", "colleges"]

    def clean(self):
        data = super().clean()
        office, colleges = data.get("office"), data.get("colleges") or []
        foreign = [college.college for college in colleges if office and college.office != office]
        if foreign:
            raise forms.ValidationError(
                _("%(colleges)s: not colleges of %(office)s.")
                % {"colleges": "、".join(foreign), "office": office}
            )
        return data


@admin.register(StaffScope)
class StaffScopeAdmin(SchoolWideChanges, admin.ModelAdmin):
    form = StaffScopeForm
    list_display = ["user", "office", "own_colleges"]
    list_filter = ["office"]
    list_select_related = ["user", "office"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    filter_horizontal = ["colleges"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("colleges")

    @admin.display(description=_("own colleges"))
    def own_colleges(self, scope: StaffScope) -> str:
        return "、".join(college.college for college in scope.colleges.all()) or "—"
