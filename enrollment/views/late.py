"""Late enrollment (中途参保) from the student list: the cover each selected student would
get is shown before anything is recorded, as Django's delete confirmation does, and
only the confirmed page records it."""

from django.contrib import messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from office.errors import Refused
from office.tables import Table

from .. import services
from ..models import Student

CONFIRMED = "yes"


def enroll_late(modeladmin, request, queryset):
    """The admin action: the confirmation page first, the enrollments once confirmed
    (`post=yes`, the selection sent back)."""
    today = timezone.localdate()
    students = list(queryset.order_by("college", "student_number"))
    if request.POST.get("post") == CONFIRMED:
        _declare(modeladmin, request, students, today)
        return None
    quotes, refused = [], []
    for student in students:
        try:
            quotes.append(services.enrollment_quote_late(student=student, today=today))
        except Refused as exc:
            refused.append([student.student_number, student.name, str(exc)])
    tables = [
        Table(
            title=_("To be declared"),
            headers=[
                _("student number"),
                _("name"),
                _("policy year"),
                _("waiting months"),
                _("cover from (if paid today)"),
                _("cover to"),
                _("premium due"),
            ],
            rows=[
                [
                    quote.student.student_number,
                    quote.student.name,
                    str(quote.policy_year),
                    quote.cover.waiting_months,
                    f"{quote.cover.start:%Y-%m-%d}",
                    f"{quote.cover.end:%Y-%m-%d}",
                    quote.premium_due,
                ]
                for quote in quotes
            ],
        )
    ]
    if refused:
        tables.append(
            Table(
                title=_("Refused"),
                headers=[_("student number"), _("name"), _("reason")],
                rows=refused,
            )
        )
    return TemplateResponse(
        request,
        "admin/enrollment/student/enroll_late.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": _("Confirm the late enrollments"),
            "opts": Student._meta,
            "today": today,
            "tables": tables,
            "chosen": [quote.student.pk for quote in quotes],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "confirmed": CONFIRMED,
        },
    )


def _declare(modeladmin, request, students, today) -> None:
    created = 0
    for student in students:
        try:
            services.enrollment_declare_late(student=student, today=today, by=request.user)
        except Refused as exc:
            modeladmin.message_user(request, str(exc), messages.WARNING)
        else:
            created += 1
    if created:
        modeladmin.message_user(
            request,
            _("%(count)d late enrollments declared; cover starts once paid.") % {"count": created},
            messages.SUCCESS,
        )
