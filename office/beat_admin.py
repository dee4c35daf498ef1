"""django-celery-beat's schedules as 医保办 edits them: in Chinese (the package's own
translations, plus each schedule's time in words: 每天 07:30, 每 1 分钟), with only what
a clerk should change — the name, on or off, the description and the time. Which task a
schedule runs, its arguments and its queue stay as office/schedules.py created them
(a superuser still sees the package's full form). Celery's result tables and the solar
and clocked schedules are given to no role (config/roles.py), so staff never see them."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import (
    CrontabScheduleAdmin,
    IntervalScheduleAdmin,
    PeriodicTaskAdmin,
)
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from .schedules import crontab_shown, interval_shown


def crontab_words(crontab: CrontabSchedule) -> str:
    return crontab_shown(
        crontab.minute,
        crontab.hour,
        crontab.day_of_month,
        crontab.month_of_year,
        crontab.day_of_week,
    )


def interval_words(interval: IntervalSchedule) -> str:
    return interval_shown(interval.every, interval.period)


class ScheduleForm(forms.ModelForm):
    """A schedule as staff change it: exactly one of an interval and a time of day."""

    class Meta:
        model = PeriodicTask
        fields = ["name", "enabled", "description", "interval", "crontab"]
        help_texts = {"enabled": _("Untick to stop this schedule until it is ticked again.")}

    def clean(self):
        data = super().clean()
        if bool(data.get("interval")) == bool(data.get("crontab")):
            raise forms.ValidationError(_("Choose either an interval or a time of day, not both."))
        return data


admin.site.unregister(PeriodicTask)
admin.site.unregister(CrontabSchedule)
admin.site.unregister(IntervalSchedule)


@admin.register(PeriodicTask)
class ScheduleAdmin(PeriodicTaskAdmin):
    list_display = ["name", "when", "enabled", "last_run_at", "total_run_count", "description"]
    list_filter = ["enabled"]
    date_hierarchy = None
    # the package's form template adds an English description of the crontab by script
    change_form_template = None

    def get_form(self, request, obj=None, **kwargs):
        if not request.user.is_superuser:
            kwargs["form"] = ScheduleForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return [
            (None, {"fields": ["name", "task_name", "enabled", "description"]}),
            (_("Schedule"), {"fields": ["interval", "crontab", "last_run", "run_count"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ["task_name", "last_run", "run_count"]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        # the page's title names the schedule, not its crontab in cron notation
        if obj is not None:
            context["original"] = _Named(obj)
            context["subtitle"] = obj.name
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    @admin.display(description=_("task"))
    def task_name(self, task: PeriodicTask) -> str:
        return task.task

    @admin.display(description=_("last run at"))
    def last_run(self, task: PeriodicTask):
        return task.last_run_at or "—"

    @admin.display(description=_("times run"))
    def run_count(self, task: PeriodicTask) -> int:
        return task.total_run_count

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "crontab":
            field.label_from_instance = crontab_words
        elif db_field.name == "interval":
            field.label_from_instance = interval_words
        return field

    def get_actions(self, request):
        if not self.has_change_permission(request):
            return {}
        return super().get_actions(request)

    @admin.display(description=_("when"))
    def when(self, task: PeriodicTask) -> str:
        if task.crontab_id:
            return crontab_words(task.crontab)
        if task.interval_id:
            return interval_words(task.interval)
        return str(task.clocked or task.solar or "—")


class _Named:
    """A schedule that reads as its name (the change form's title and breadcrumbs)."""

    def __init__(self, task: PeriodicTask):
        self._task = task

    def __getattr__(self, name):
        return getattr(self._task, name)

    def __str__(self) -> str:
        return self._task.name


@admin.register(CrontabSchedule)
class TimeOfDayAdmin(CrontabScheduleAdmin):
    list_display = ["when", "timezone"]
    fields = ["minute", "hour", "day_of_month", "month_of_year", "day_of_week", "timezone"]
    readonly_fields = []

    @admin.display(description=_("when"))
    def when(self, crontab: CrontabSchedule) -> str:
        return crontab_words(crontab)


@admin.register(IntervalSchedule)
class EveryAdmin(IntervalScheduleAdmin):
    list_display = ["when"]

    @admin.display(description=_("when"))
    def when(self, interval: IntervalSchedule) -> str:
        return interval_words(interval)
