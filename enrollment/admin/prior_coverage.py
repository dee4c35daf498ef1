from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from office.admin_pages import Page, WithPages
from office.scoping import ScopedAdmin

from .. import services
from ..models import PriorCoverage
from ..views import prior_coverage


@admin.register(PriorCoverage)
class PriorCoverageAdmin(ScopedAdmin, WithPages, admin.ModelAdmin):
    college_path = "student__college"  # office.scoping
    whole_school_pages = ("priorcoverage_import",)
    list_display = ["student", "year", "status", "source", "recorded_by", "recorded_at"]
    list_filter = ["year", "status"]
    list_select_related = ["student", "recorded_by"]
    search_fields = ["student__student_number", "student__name"]
    fields = ["student", "year", "status", "source", "recorded_by", "recorded_at"]
    readonly_fields = fields
    pages = (
        Page(
            "import/",
            prior_coverage.prior_coverage_import,
            "add_priorcoverage",
            "priorcoverage_import",
            button=_("Import prior coverage"),
            with_site=True,
        ),
    )

    def has_add_permission(self, request):
        return False  # records come from the bureau's or the school's files

    def has_change_permission(self, request, obj=None):
        return False  # a corrected file changes them

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.waiting_recount(student_pks={obj.student_id})

    def delete_queryset(self, request, queryset):
        students = set(queryset.values_list("student_id", flat=True))
        super().delete_queryset(request, queryset)
        services.waiting_recount(student_pks=students)


class MissingHistoryFilter(admin.SimpleListFilter):
    """Enrollments given gap years only because the portal holds no record of the student
    for them: the collective run's report links here, for staff to check before anyone
    pays (an import of prior coverage counts them again)."""

    title = _("prior years")
    parameter_name = "history"

    def lookups(self, request, model_admin):
        return [("missing", _("Gap years without any record"))]

    def queryset(self, request, queryset):
        if self.value() == "missing":
            return queryset.filter(unrecorded_gap_years__gt=0)
        return queryset
