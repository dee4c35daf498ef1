from django.contrib import admin, messages
from django.contrib.admin.views.main import IS_POPUP_VAR
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from office.errors import Refused
from office.money_columns import MoneyColumns
from office.paging import BoundedCount
from office.scoping import ScopedAdmin
from policies.filters import PolicyYearFilter

from .. import services, workflow
from ..models import Enrollment, EnrollmentEvent
from ..resources import EnrollmentResource, LoggedExport
from ..selectors import cover_shown, freshmen_confirm_in_app
from .prior_coverage import MissingHistoryFilter
from .search import CollegeFilter, StudentSearch


class EnrollmentEventInline(admin.TabularInline):
    model = EnrollmentEvent
    extra = 0
    can_delete = False
    fields = ["at", "from_state", "to_state", "reason", "by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


# what staff read once a move made by hand is done, per target state
MOVED = {workflow.PENDING_REVIEW: _("%(count)d freshmen confirmed, now pending review.")}


def _move_action(transition):
    def move(modeladmin, request, queryset):
        moved, refused = services.enrollments_move(
            enrollments=queryset.select_related("student"), to=transition.target, by=request.user
        )
        if moved:
            done = MOVED.get(transition.target, "%(count)d 条参保记录已变为「%(state)s」。")
            state = workflow.LABELS[transition.target]
            modeladmin.message_user(
                request, done % {"count": moved, "state": state}, messages.SUCCESS
            )
        for message in refused[:20]:
            modeladmin.message_user(request, message, messages.WARNING)

    move.__name__ = transition.action
    return move


@admin.register(Enrollment)
class EnrollmentAdmin(
    ScopedAdmin, BoundedCount, StudentSearch, LoggedExport, MoneyColumns, admin.ModelAdmin
):
    resource_classes = [EnrollmentResource]
    college_path = "student__college"  # office.scoping
    list_display = [
        "student",
        "college",
        "policy_year",
        "kind",
        "state",
        "payer",
        "premium_due",
        "amount_paid",
        "cover",
    ]
    list_filter = [
        ("policy_year", PolicyYearFilter),
        "kind",
        "state",
        "payer",
        ("student__college", CollegeFilter),
        "declaration_batch",
        MissingHistoryFilter,
    ]
    list_select_related = ["student", "policy_year__region"]
    # searched by StudentSearch: the student's exact numbers through their indexes
    search_fields = ["student__student_number", "student__name"]
    search_help_text = _("A student number, a full ID number or the start of a name.")
    student_path = "student__"
    # newest first, through the primary key's index: the model's order (year, college,
    # number) joins three tables and sorts every enrollment to show one page
    ordering = ["-pk"]
    readonly_fields = [
        "student",
        "policy_year",
        "kind",
        "state",
        "payer",
        "premium_due",
        "amount_paid",
        "cover_start",
        "cover_end",
        "cover",
        "waiting_months",
        "unrecorded_gap_years",
        "reason",
        "declaration_batch",
        "created_at",
        "updated_at",
    ]
    inlines = [EnrollmentEventInline]
    actions = ["choose_family_aid"]

    @admin.display(description=_("college"), ordering="student__college")
    def college(self, enrollment: Enrollment) -> str:
        return enrollment.student.college

    @admin.display(description=_("cover"), ordering="cover_start")
    def cover(self, enrollment: Enrollment) -> str:
        """Its dates, or 未足额缴费 where a freshman's cover waits for the full premium."""
        return cover_shown(enrollment)

    def get_actions(self, request):
        """The moves staff may make by hand on a selection (代学生批量确认参保, …) come from
        the workflow's map and the user's permissions, ahead of the list's own actions."""
        actions = super().get_actions(request)
        if IS_POPUP_VAR in request.GET:
            return actions
        # bulk confirmation only where freshmen confirm in an app (a Wuhan school registers them)
        moves = {
            transition.action: (_move_action(transition), transition.action, transition.label)
            for transition in workflow.by_hand(request.user)
            if transition.target != workflow.PENDING_REVIEW or self._confirm_in_app(request)
        }
        return {**moves, **actions}

    def _confirm_in_app(self, request) -> bool:
        # a change list asks for its actions three times: read the year once per request
        if not hasattr(request, "_freshmen_confirm_in_app"):
            year = request.GET.get("policy_year__id__exact")
            request._freshmen_confirm_in_app = freshmen_confirm_in_app(policy_year_id=year)
        return request._freshmen_confirm_in_app

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # every field is read-only here: states change through actions and services
        read_only = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(
            request, object_id, form_url, {**read_only, **(extra_context or {})}
        )

    @admin.action(
        description=_("A relative pays from an employee account (family mutual aid)"),
        permissions=["family_aid"],
    )
    def choose_family_aid(self, request, queryset):
        moved = 0
        for enrollment in queryset.select_related("student"):
            try:
                services.enrollment_choose_family_aid(
                    enrollment=enrollment, at=timezone.now(), by=request.user
                )
            except Refused as exc:
                self.message_user(request, str(exc), messages.WARNING)
            else:
                moved += 1
        if moved:
            self.message_user(
                request,
                _("%(count)d enrollments now paid by family mutual aid.") % {"count": moved},
                messages.SUCCESS,
            )

    def has_family_aid_permission(self, request) -> bool:
        # who pays is a money matter: changing enrollments alone (a college's liaison
        # confirming for freshmen) is not enough, the money is recorded too
        return request.user.has_perms(["enrollment.change_enrollment", "enrollment.add_payment"])

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
