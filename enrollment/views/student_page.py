"""A student's own page (issue #12): the admin's page of a student shows, above the roster
record, whether the student is covered on a day (today unless another is asked) and every
policy year — the enrollment, its cover and waiting period, payer, payments, refunds, the
opt-out with its scan, the claims and the history of moves. Links show only to who may
follow them; the full ID number and its logging stay with the admin's form
(office.admin_pages.MaskedIdNumber)."""

from datetime import date
from decimal import Decimal

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from office.tables import Table, link

from .. import selectors_students, workflow
from ..forms import DATE_FORMATS
from ..models import Enrollment, EnrollmentEvent, OptOut, Payment, Refund, Student
from ..selectors import cover_shown
from ..selectors_students import StudentYear


class CoverDayForm(forms.Form):
    cover_on = forms.DateField(
        label=gettext_lazy("Covered on"),
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def office_today() -> date:
    """The clock, read here only (the page's default day; tests set it)."""
    return timezone.localdate()


def student_page_context(request, student: Student, *, today: date | None = None) -> dict:
    """What the student's page adds to the admin's form: the cover answer and the years."""
    today = today or office_today()
    form = CoverDayForm(request.GET if "cover_on" in request.GET else None)
    day = form.cleaned_data["cover_on"] if form.is_valid() else today
    if not form.is_bound:
        form = CoverDayForm(initial={"cover_on": day})
    user = request.user
    years = selectors_students.student_years(
        student=student, with_claims=user.has_perm("claims.view_claim")
    )
    answer = selectors_students.cover_answer(student=student, day=day, years=years)
    return {
        "cover_form": form,
        "cover_answer": answer,
        "student_years": [_year_section(year, user) for year in years],
        "prior_coverage_url": _prior_coverage_url(student, user),
    }


def _prior_coverage_url(student: Student, user) -> str:
    """The years before the portal (imported records), on their own list."""
    if not user.has_perm("enrollment.view_priorcoverage"):
        return ""
    url = reverse("admin:enrollment_priorcoverage_changelist")
    return f"{url}?student__id__exact={student.pk}"


def money(amount: Decimal | None) -> str:
    return "-" if amount is None else f"{amount:,.2f}"


def label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def _year_section(year: StudentYear, user) -> dict:
    enrollment = year.enrollment
    tables = [_enrollment_table(year, user)]
    if year.payments:
        tables.append(_payments_table(year.payments))
    if year.refunds:
        tables.append(_refunds_table(year.refunds))
    if year.opt_out is not None:
        tables.append(_opt_out_table(year.opt_out, user))
    if year.claims:
        tables.append(_claims_table(year.claims, user))
    if year.events:
        tables.append(_events_table(year.events))
    if enrollment is not None:
        headline = f"{workflow.LABELS[enrollment.state]} · {cover_shown(enrollment)}"
    elif year.opt_out is not None:
        headline = workflow.LABELS[workflow.OPTED_OUT]
    else:
        headline = _("Not enrolled")
    return {"title": str(year.policy_year), "headline": headline, "tables": tables}


def _enrollment_table(year: StudentYear, user) -> Table:
    enrollment = year.enrollment
    headers = [
        label(Enrollment, "kind"),
        label(Enrollment, "state"),
        label(Enrollment, "payer"),
        label(Enrollment, "premium_due"),
        label(Enrollment, "amount_paid"),
        _("cover"),
        _("waiting period"),
        label(Enrollment, "declaration_batch"),
    ]
    if enrollment is None:
        return Table(title=_("Enrollment this year"), headers=headers)
    kind = enrollment.get_kind_display()
    if user.has_perm("enrollment.view_enrollment"):
        kind = link(reverse("admin:enrollment_enrollment_change", args=[enrollment.pk]), kind)
    if enrollment.waiting_months and year.waiting_from is not None:
        waiting = _("%(months)d months from %(day)s") % {
            "months": enrollment.waiting_months,
            "day": f"{year.waiting_from:%Y-%m-%d}",
        }
    elif enrollment.waiting_months:
        waiting = _("%(months)d months") % {"months": enrollment.waiting_months}
    else:
        waiting = _("none")
    return Table(
        title=_("Enrollment this year"),
        headers=headers,
        rows=[
            [
                kind,
                workflow.LABELS[enrollment.state],
                workflow.PAYER_LABELS[enrollment.payer],
                money(enrollment.premium_due),
                money(enrollment.amount_paid),
                cover_shown(enrollment),
                waiting,
                str(enrollment.declaration_batch or "-"),
            ]
        ],
    )


def _payments_table(payments: list[Payment]) -> Table:
    return Table(
        title=_("Payments"),
        headers=[
            label(Payment, "paid_on"),
            label(Payment, "amount"),
            label(Payment, "channel"),
            label(Payment, "receipt_number"),
            label(Payment, "mismatch"),
        ],
        rows=[
            [
                f"{p.paid_on:%Y-%m-%d}",
                money(p.amount),
                p.get_channel_display(),
                p.receipt_number,
                p.mismatch or "-",
            ]
            for p in payments
        ],
    )


def _refunds_table(refunds: list[Refund]) -> Table:
    return Table(
        title=_("Refunds"),
        headers=[
            label(Refund, "created_at"),
            label(Refund, "amount"),
            label(Refund, "reason"),
            label(Refund, "paid_out_on"),
            label(Refund, "payout_channel"),
        ],
        rows=[
            [
                f"{timezone.localtime(r.created_at):%Y-%m-%d}",
                money(r.amount),
                r.get_reason_display(),
                f"{r.paid_out_on:%Y-%m-%d}" if r.paid_out_on else _("due, not paid out"),
                r.get_payout_channel_display() or "-",
            ]
            for r in refunds
        ],
    )


def _opt_out_table(opt_out: OptOut, user) -> Table:
    if not opt_out.commitment:
        scan = _("missing")
    elif user.has_perm("enrollment.view_optout"):
        # through the scan's view, which logs the download (views.opt_outs)
        url = reverse("admin:enrollment_optout_commitment", args=[opt_out.pk])
        scan = link(url, _("View"))
    else:
        scan = _("scanned")
    return Table(
        title=_("Opt-out"),
        headers=[
            label(OptOut, "signed_on"),
            label(OptOut, "reason"),
            label(OptOut, "detail"),
            label(OptOut, "commitment"),
        ],
        rows=[
            [
                f"{opt_out.signed_on:%Y-%m-%d}",
                opt_out.get_reason_display(),
                opt_out.detail or "-",
                scan,
            ]
        ],
    )


def _claims_table(claims: list, user) -> Table:
    """Claims read through the student's relation (enrollment does not import claims)."""
    model = type(claims[0])
    may_open = user.has_perm("claims.view_claim")
    rows = []
    for claim in claims:
        number = claim.number
        if may_open:
            number = link(reverse("admin:claims_claim_change", args=[claim.pk]), number)
        rows.append(
            [
                number,
                claim.get_type_display(),
                claim.get_state_display(),
                f"{claim.submitted_on:%Y-%m-%d}" if claim.submitted_on else "-",
                money(claim.invoiced),
                money(claim.fund),
                money(claim.catastrophic),
                money(claim.student_pays),
            ]
        )
    return Table(
        title=_("Claims"),
        headers=[
            label(model, "number"),
            label(model, "type"),
            label(model, "state"),
            label(model, "submitted_on"),
            _("invoiced"),
            label(model, "fund"),
            label(model, "catastrophic"),
            label(model, "student_pays"),
        ],
        rows=rows,
    )


def _events_table(events: list[EnrollmentEvent]) -> Table:
    return Table(
        title=_("History of moves"),
        headers=[
            label(EnrollmentEvent, "at"),
            label(EnrollmentEvent, "from_state"),
            label(EnrollmentEvent, "to_state"),
            label(EnrollmentEvent, "reason"),
            label(EnrollmentEvent, "by"),
        ],
        rows=[
            [
                f"{timezone.localtime(e.at):%Y-%m-%d %H:%M}",
                workflow.LABELS.get(e.from_state, "-"),
                workflow.LABELS[e.to_state],
                e.reason or "-",
                str(e.by) if e.by is not None else _("the system"),
            ]
            for e in events
        ],
    )
