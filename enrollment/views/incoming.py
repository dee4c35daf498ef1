"""Upload → dry run report → confirm, for the bureau's account results and payment files."""

import functools

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from office.incoming_views import incoming_file_page
from policies.models import PolicyYear

from .. import services
from ..forms import IncomingFileForm
from ..models import DeclarationBatch, Payment


def _policy_year_file(request, admin_site, **page):
    """A results or payment file is about the enrollments of the policy year chosen with
    it, stored with the upload by its pk."""
    return incoming_file_page(
        request,
        admin_site,
        form_class=IncomingFileForm,
        parameters=lambda cleaned_data: {"policy_year": cleaned_data["policy_year"].pk},
        bind=lambda parameters: {
            "policy_year": get_object_or_404(PolicyYear, pk=parameters["policy_year"])
        },
        **page,
    )


def bureau_results(request, admin_site):
    return _policy_year_file(
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
    # who may not see full ID numbers gets no answer on them (payments_import_check)
    by_id_number = request.user.has_perm("enrollment.view_full_id")
    intro = _(
        "A file with the columns 学号 (or 证件号码), 金额, 缴费日期, 缴费方式 and 收据号. "
        "Amounts that do not match the premium due are recorded and flagged."
    )
    if not by_id_number:
        intro = f"{intro} {_('Rows are matched by student number only.')}"
    return _policy_year_file(
        request,
        admin_site,
        kind="enrollment.payments",
        check=functools.partial(services.payments_import_check, by_id_number=by_id_number),
        apply=functools.partial(services.payments_import_apply, by_id_number=by_id_number),
        title=_("Import a payment file"),
        intro=intro,
        opts=Payment._meta,
        flagged_title=_("Amounts that do not match the premium due (recorded and flagged)"),
    )
