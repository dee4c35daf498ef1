"""Steps that cannot be undone (publishing a policy year, freezing a payment list or a
declaration batch, …) say what will happen and ask first, as Django's delete page does:
`confirm_page` renders the question, the form posts back with `post=yes`, and only then
does the view act (`confirmed`). For an admin action the selection is posted back with
it; for a page of its own, `fields` (e.g. what the preview counted, so that a list that
changed since is not frozen unseen)."""

from collections.abc import Sequence

from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from .tables import Table

CONFIRMED = "yes"


def confirmed(request) -> bool:
    return request.method == "POST" and request.POST.get("post") == CONFIRMED


def confirm_page(
    request,
    admin_site,
    *,
    opts,
    title: str,
    what: Sequence[str],
    confirm_label: str,
    cancel_url: str,
    tables: Sequence[Table] = (),
    action: str = "",
    chosen: Sequence[int] = (),
    fields: dict | None = None,
    can_confirm: bool = True,
) -> TemplateResponse:
    """The question: `what` will happen (sentences), the `tables` it applies to, and a
    button `confirm_label` (none when `can_confirm` is false: nothing to do)."""
    return TemplateResponse(
        request,
        "admin/office/confirm.html",
        {
            **admin_site.each_context(request),
            "title": title,
            "opts": opts,
            "what": what,
            "tables": tables,
            "action": action,
            "chosen": chosen,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "fields": fields or {},
            "confirmed": CONFIRMED,
            "confirm_label": confirm_label,
            "cancel_url": cancel_url,
            "can_confirm": can_confirm,
        },
    )
