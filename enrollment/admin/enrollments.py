from django.contrib import admin, messages
from django.contrib.admin.views.main import IS_POPUP_VAR
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from office.errors import Refused
from policies.filters import PolicyYearFilter

from .. import services, workflow
from ..models import Enrollment, EnrollmentEvent
from ..selectors import cover_shown, freshmen_confirm_in_app
from .prior_coverage import MissingHistoryFilter


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
class EnrollmentAdmin(admin.ModelAdmin):
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
        "student__college",
        "declaration_batch",
        MissingHistoryFilter,
    ]
    list_select_related = ["student", "policy_year__region"]
    search_fields = ["student__student_number", "student__name"]
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
        year = request.GET.get("policy_year__id__exact")
        moves = {
            transition.action: (_move_action(transition), transition.action, transition.label)
            for transition in workflow.by_hand(request.user)
            if transition.target != workflow.PENDING_REVIEW
            or freshmen_confirm_in_app(policy_year_id=year)
        }
        return {**moves, **actions}

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
        permissions=["change"],
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

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
