"""The admin page of the incoming-file protocol (office.incoming): upload → dry run
report → confirm. The upload waits under a name of ours between the two steps, is read
again to apply, and is applied once. An importer gives its form, its check and apply
services, and how what the form chose is stored with the upload (`parameters`, plain
JSON) and turned back into the services' arguments (`bind`)."""

import functools
from collections.abc import Callable

from django.contrib import messages
from django.utils import timezone
from django.utils.translation import gettext as _

from . import admin_pages, incoming
from .errors import Refused
from .tables import Table, problems_table

SHOWN_PROBLEMS = 1000


def incoming_file_page(
    request,
    admin_site,
    *,
    kind: str,
    form_class,
    check: Callable,
    apply: Callable,
    title: str,
    intro: str,
    opts,
    parameters: Callable[[dict], dict] = lambda cleaned_data: {},
    bind: Callable[[dict], dict] = lambda parameters: {},
    flagged_title: str = "",
):
    confirming = request.method == "POST" and "token" in request.POST
    form = form_class(None if confirming else request.POST or None, request.FILES or None)
    context = {}
    now = timezone.now()
    if confirming and "discard" in request.POST:  # the staff give the upload up
        if incoming.incoming_file_discard(token=request.POST["token"], kind=kind):
            messages.success(request, _("The upload was discarded and its file deleted."))
        else:
            messages.error(request, str(incoming.IncomingFileGone()))
    elif confirming:
        try:
            stored = incoming.incoming_file_find(token=request.POST["token"], kind=kind, now=now)
            form = form_class(initial=stored.parameters)
            plan = incoming.incoming_file_apply(
                incoming_file=stored,
                apply=functools.partial(apply, **bind(stored.parameters), by=request.user),
                by=request.user,
                now=now,
            )
        except Refused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Done: %(summary)s") % {"summary": plan.summary()})
            context["tables"] = plan_tables(plan, applied=True, flagged_title=flagged_title)
    elif request.method == "POST" and form.is_valid():
        stored_parameters = parameters(form.cleaned_data)
        try:
            stored, plan = incoming.incoming_file_check(
                upload=form.cleaned_data["file"],
                kind=kind,
                check=functools.partial(check, **bind(stored_parameters)),
                parameters=stored_parameters,
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
                tables=plan_tables(plan, applied=False, flagged_title=flagged_title),
            )
    return admin_pages.page(
        request, admin_site, title=title, opts=opts, intro=intro, form=form, **context
    )


def plan_tables(plan: incoming.Plan, *, applied: bool, flagged_title: str = "") -> list[Table]:
    """What would be (or was) applied, then the problem rows and the flagged ones: the
    first SHOWN_PROBLEMS of each, so a page stays small whatever the file."""
    header, rows = plan.preview()
    title = _("Applied") if applied else _("Would be applied on confirmation")
    tables = [Table(title=title, headers=header, rows=rows)]
    for title, problems in (
        (_("Rows that cannot be used (left out)"), plan.problems),
        (flagged_title, plan.flagged),
    ):
        if problems:
            shown = problems[:SHOWN_PROBLEMS]
            if len(shown) < len(problems):
                counts = {"shown": len(shown), "total": len(problems)}
                title = f"{title}（{_('first %(shown)s of %(total)s') % counts}）"
            tables.append(problems_table(title, shown))
    return tables
