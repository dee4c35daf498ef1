"""Upload → dry run report → confirm, for the bureau's account results and payment files."""

import functools

from django.contrib import messages
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from office import admin_pages, incoming
from office.errors import Refused
from office.tables import Table, problems_table
from policies.models import PolicyYear

from .. import services
from ..forms import IncomingFileForm
from ..models import DeclarationBatch, Payment


def incoming_file(request, admin_site, *, kind: str, check, apply, title: str, intro: str, opts):
    """The upload waits under a name of ours between the two steps (office.incoming), is
    read again to apply, and is applied once; `check` and `apply` are the importer's
    services, given the policy year chosen with the upload."""
    confirming = request.method == "POST" and "token" in request.POST
    form = IncomingFileForm(None if confirming else request.POST or None, request.FILES or None)
    context = {}
    now = timezone.now()
    if confirming:
        try:
            stored = incoming.incoming_file_find(token=request.POST["token"], kind=kind, now=now)
            policy_year = get_object_or_404(PolicyYear, pk=stored.parameters["policy_year"])
            form = IncomingFileForm(initial={"policy_year": policy_year.pk})
            plan = incoming.incoming_file_apply(
                incoming_file=stored,
                apply=functools.partial(apply, policy_year=policy_year, by=request.user),
                by=request.user,
                now=now,
            )
        except Refused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Done: %(summary)s") % {"summary": plan.summary()})
            context["tables"] = _plan_tables(plan, applied=True)
    elif request.method == "POST" and form.is_valid():
        policy_year = form.cleaned_data["policy_year"]
        try:
            stored, plan = incoming.incoming_file_check(
                upload=form.cleaned_data["file"],
                kind=kind,
                check=functools.partial(check, policy_year=policy_year),
                parameters={"policy_year": policy_year.pk},
                by=request.user,
                now=now,
            )
        except Refused as exc:  # the file as a whole: unreadable, unsafe, no header
            messages.error(request, str(exc))
        else:
            context.update(
                confirm={
                    "fields": {"token": stored.token},
                    "label": _("Confirm and apply the usable rows"),
                },
                summary=plan.summary(),
                tables=_plan_tables(plan, applied=False),
            )
    return admin_pages.page(
        request, admin_site, title=title, opts=opts, intro=intro, form=form, **context
    )


def _plan_tables(plan: incoming.Plan, *, applied: bool) -> list[Table]:
    header, rows = plan.preview()
    title = _("Applied") if applied else _("Would be applied on confirmation")
    tables = [Table(title=title, headers=header, rows=rows)]
    for title, problems in (
        (_("Rows that cannot be used (left out)"), plan.problems),
        (_("Amounts that do not match the premium due (recorded and flagged)"), plan.flagged),
    ):
        if problems:
            tables.append(problems_table(title, problems))
    return tables


def bureau_results(request, admin_site):
    return incoming_file(
        request,
        admin_site,
        kind="enrollment.bureau_results",
        check=services.bureau_results_check,
        apply=services.bureau_results_apply,
        title=_("Import the bureau's account results"),
        intro=_(
            "A file with the columns 证件号码, 建账结果 (已建账 / 建账失败) and 失败原因. "
            "Unknown or repeated ID numbers are reported, never guessed."
        ),
        opts=DeclarationBatch._meta,
    )


def payments_import(request, admin_site):
    return incoming_file(
        request,
        admin_site,
        kind="enrollment.payments",
        check=services.payments_import_check,
        apply=services.payments_import_apply,
        title=_("Import a payment file"),
        intro=_(
            "A file with the columns 学号 (or 证件号码), 金额, 缴费日期, 缴费方式 and 收据号. "
            "Amounts that do not match the premium due are recorded and flagged."
        ),
        opts=Payment._meta,
    )
