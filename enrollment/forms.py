from django import forms
from django.utils.translation import gettext_lazy as _

from . import spreadsheets


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("roster file"),
        help_text=_("xlsx, xls or csv (UTF-8 or GBK); the header row may be below title rows."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > spreadsheets.MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)d MB.")
                % {"limit": spreadsheets.MAX_FILE_BYTES // 1024 // 1024}
            )
        return upload


class RosterConfirmForm(forms.Form):
    valid_only = forms.BooleanField(label=_("Import valid rows only"), required=False)


class PaymentListFreezeForm(forms.Form):
    year = forms.IntegerField(label=_("payment year"), min_value=2000, max_value=2100)
