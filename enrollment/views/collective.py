"""The year-end collective enrollment: starting a run and its report (its progress is
office.views.job_progress)."""

from dataclasses import replace

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from office import admin_pages
from office.errors import Refused
from office.tables import Table, counts_table, paged, total_row

from .. import rules, services, workflow
from ..forms import PolicyYearForm
from ..models import CollectiveRun, Enrollment


def collective_run_start(request, admin_site):
    form = PolicyYearForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            start = services.collective_run_start(
                policy_year=form.cleaned_data["policy_year"], by=request.user
            )
        except Refused as exc:  # a draft year
            messages.error(request, str(exc))
        else:
            if start.action == "running":
                messages.warning(request, _("A collective run for this year is already running."))
            elif start.action == "resumed":
                messages.warning(request, _("The run's worker had stopped; the run was resumed."))
            return redirect("admin:enrollment_collectiverun_change", start.run.pk)
    return admin_pages.page(
        request,
        admin_site,
        title=_("Start the collective enrollment"),
        opts=CollectiveRun._meta,
        intro=_(
            "Creates the enrollment of every eligible student at school in the chosen year, "
            "priced from the policy year; opt-outs and ineligible students are skipped with "
            "their reason. Running it again creates nothing twice."
        ),
        form=form,
        submit=_("Start"),
    )


def collective_run_detail(request, admin_site, pk):
    run = get_object_or_404(
        CollectiveRun.objects.select_related("policy_year__region", "started_by"), pk=pk
    )
    report = run.summary or {}
    labels = {**workflow.LABELS, "existing": _("already enrolled"), "skipped": _("skipped")}
    per_college = counts_table(_("Per college"), _("college"), report.get("by_college", {}), labels)
    # a run over the whole school may have thousands: a page at a time
    exceptions, paging = paged(request, report.get("exceptions", []))
    tables = [
        replace(
            per_college,
            total=total_row(per_college.rows, sums=range(1, len(per_college.headers))),
        ),
        Table(
            title=_("Exceptions"),
            headers=[_("student number"), _("name"), _("college"), _("reason")],
            rows=[[e["student_number"], e["name"], e["college"], e["reason"]] for e in exceptions],
            paging=paging,
        ),
    ]
    return TemplateResponse(
        request,
        "admin/enrollment/collectiverun/detail.html",
        {
            **admin_site.each_context(request),
            "title": str(run),
            "opts": CollectiveRun._meta,
            "run": run,
            "totals": services.collective_run_totals(run),
            "created": {workflow.LABELS[k]: v for k, v in report.get("created", {}).items()},
            "skipped": {rules.SKIP_LABELS[k]: v for k, v in report.get("skipped", {}).items()},
            "tables": tables,
            **_missing_history(run),
        },
    )


def _missing_history(run: CollectiveRun) -> dict:
    """The students the run gave a waiting period only because the portal holds no record
    of them for a past year, and how many still have one (an import of prior coverage
    counts them again), with the link to them."""
    still = Enrollment.objects.filter(
        policy_year=run.policy_year_id, unrecorded_gap_years__gt=0
    ).count()
    url = reverse("admin:enrollment_enrollment_changelist")
    return {
        "missing_history": (run.summary or {}).get("missing_history", 0),
        "missing_history_now": still,
        "missing_history_url": f"{url}?policy_year__id__exact={run.policy_year_id}&history=missing",
        "prior_coverage_url": reverse("admin:enrollment_priorcoverage_import"),
    }
