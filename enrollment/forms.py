from django import forms
from django.utils.translation import gettext_lazy as _

from . import roster, spreadsheets
from .models import Student


class StudentForm(forms.ModelForm):
    """The admin's student form checks an ID number as the roster import does."""

    class Meta:
        model = Student
        fields = [  # the admin's fieldsets narrow this further
            "name",
            "id_type",
            "id_number",
            "student_number",
            "school",
            "college",
            "major",
            "education_level",
            "study_mode",
            "registered_on",
            "school_status",
            "graduation_date",
            "phone",
            "nationality",
            "origin",
            "subsidy_category",
            "training_mode",
            "in_service",
            "insured_elsewhere",
        ]

    def clean(self):
        data = super().clean()
        if "id_number" in self.fields and data.get("id_type") and data.get("id_number"):
            number, code, message = roster.check_id_number(data["id_type"], data["id_number"])
            if code:
                self.add_error("id_number", message)
            else:
                data["id_number"] = number
        return data


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
