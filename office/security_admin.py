"""The admin of sign-in security (django-axes: who is locked out, 解除锁定; sign-ins) and of
the audit trail (django-auditlog), in the staff's language; imported by office/admin.py.
Who may see or unlock is config/roles.py's."""

from auditlog.admin import LogEntryAdmin as BaseLogEntryAdmin
from auditlog.filters import ResourceTypeFilter
from auditlog.models import LogEntry
from auditlog.render import get_field_verbose_name
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


@admin.register(AccessAttempt)
class AccessAttemptAdmin(admin.ModelAdmin):
    """Failed sign-ins per user name and address. Unlocking removes the pair's count."""

    list_display = ["username", "ip_address", "failures_since_start", "locked", "attempt_time"]
    list_filter = ["attempt_time"]
    search_fields = ["=username", "=ip_address"]
    fields = ["username", "ip_address", "user_agent", "failures_since_start", "attempt_time"]
    readonly_fields = fields
    actions = ["unlock"]

    @admin.display(description=_("locked"), boolean=True)
    def locked(self, attempt: AccessAttempt) -> bool:
        return attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT

    @admin.action(description=_("Unlock the selected sign-ins"), permissions=["delete"])
    def unlock(self, request, queryset):
        pairs = Q()
        for username, ip_address in queryset.values_list("username", "ip_address"):
            pairs |= Q(username=username, ip_address=ip_address)
        count = AccessAttempt.objects.filter(pairs).delete()[0] if pairs else 0
        self.message_user(
            request,
            ngettext(
                "%(count)d sign-in record removed: the user may sign in again.",
                "%(count)d sign-in records removed: the users may sign in again.",
                count,
            )
            % {"count": count},
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ["attempt_time", "username", "ip_address", "logout_time"]
    search_fields = ["=username", "=ip_address"]
    fields = ["username", "ip_address", "user_agent", "attempt_time", "logout_time"]
    readonly_fields = fields
    date_hierarchy = "attempt_time"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


if admin.site.is_registered(LogEntry):
    admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class LogEntryAdmin(BaseLogEntryAdmin):
    """The audit trail: auditlog's own pages, with the changed fields named as the forms
    name them. Searching the changes themselves is left out: it would read every entry."""

    list_display = ["created", "resource_url", "action", "msg_short", "user_url"]
    list_filter = ["action", ResourceTypeFilter]
    search_fields = ["object_repr", "=actor__username"]

    @admin.display(description=_("Changes"))
    def msg_short(self, entry: LogEntry) -> str:
        if entry.action in (LogEntry.Action.DELETE, LogEntry.Action.ACCESS):
            return ""
        names = [str(get_field_verbose_name(entry, field)) for field in entry.changes_dict]
        shown = "、".join(names[:6]) + ("…" if len(names) > 6 else "")
        return _("%(count)d fields: %(names)s") % {"count": len(names), "names": shown}

    @admin.display(description=_("User"))
    def user_url(self, entry: LogEntry):
        return super().user_url(entry) if entry.actor_id else _("system (a job or a command)")
