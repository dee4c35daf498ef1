"""Upload → dry run report → confirm, for a claims file (office.incoming_views)."""

import functools

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.forms import IncomingFileForm
from office.incoming_views import incoming_file_page

from .models import Claim
from .services.imports import claims_import_apply, claims_import_check


class ClaimsFileForm(forms.Form):
    """A claims file: its rows name their own students, types and dates."""

    file = IncomingFileForm.base_fields["file"]
    clean_file = IncomingFileForm.clean_file


def claims_import(request, admin_site):
    # who may not see full ID numbers gets no answer on them (claims_import_check)
    by_id_number = request.user.has_perm("enrollment.view_full_id")
    intro = _(
        "One row per receipt: 学号 (or 证件号码), 报销类型, 医疗机构, 医院等级, 就诊日期, 票据号, "
        "票据日期, 申请日期, 发票金额 and 医保范围内金额; rows sharing a 申请单号 are one claim. "
        "On confirmation the new claims are submitted and checked."
    )
    if not by_id_number:
        intro = f"{intro} {_('Rows are matched by student number only.')}"
    return incoming_file_page(
        request,
        admin_site,
        kind="claims.claims",
        form_class=ClaimsFileForm,
        check=functools.partial(
            claims_import_check, by_id_number=by_id_number, today=timezone.localdate()
        ),
        apply=functools.partial(
            claims_import_apply, by_id_number=by_id_number, today=timezone.localdate()
        ),
        title=_("Import claims"),
        intro=intro,
        opts=Claim._meta,
        flagged_title=_("Rows imported with a note"),
    )
