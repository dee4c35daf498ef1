"""Upload → dry run report → confirm, for prior coverage (历年参保记录)."""

import functools

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from office.incoming_views import incoming_file_page

from .. import services
from ..forms import PriorCoverageFileForm
from ..models import PriorCoverage

KIND = "enrollment.prior_coverage"
# Rows are matched by full ID numbers: whether a number is on the roster is itself what
# a user without it must not learn.
FULL_ID_PERMISSION = "enrollment.view_full_id"


def prior_coverage_import(request, admin_site):
    if not request.user.has_perm(FULL_ID_PERMISSION):
        raise PermissionDenied
    today = timezone.localdate()
    return incoming_file_page(
        request,
        admin_site,
        kind=KIND,
        form_class=PriorCoverageFileForm,
        check=functools.partial(services.prior_coverage_check, today=today),
        apply=functools.partial(services.prior_coverage_apply, today=today),
        title=_("Import prior coverage"),
        opts=PriorCoverage._meta,
        intro=_(
            "A file from the bureau's or the school's records with the columns 证件号码 (or "
            "学号), 年度 and 参保状态 (已参保, 参保, 正常参保 … or 未参保, 中断 …). Gap years and "
            "waiting periods are counted from these years where the portal has no records "
            "of its own; the waiting of collective enrollments nobody has paid for yet is "
            "counted again."
        ),
    )
