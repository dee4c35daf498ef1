from pathlib import Path

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.utils.translation import gettext_lazy as _

from office import spreadsheets

from . import roster
from .models import OptOut, Payment, Student
from .services import opt_outs, payments


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
        return _not_too_large(self.cleaned_data["file"])


def _not_too_large(upload):
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


def _policy_years():
    from policies.models import PolicyYear

    return PolicyYear.objects.select_related("region").order_by("-year", "region__code")


class PolicyYearForm(forms.Form):
    policy_year = forms.ModelChoiceField(label=_("policy year"), queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy_year"].queryset = _policy_years()


DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]


class DeclarationBatchForm(PolicyYearForm):
    registered_from = forms.DateField(
        label=_("registered from"), input_formats=DATE_FORMATS, widget=AdminDateWidget
    )
    registered_to = forms.DateField(
        label=_("registered to"), input_formats=DATE_FORMATS, widget=AdminDateWidget
    )


class IncomingFileForm(PolicyYearForm):
    """A results or payment file for a dry run, about the enrollments of a policy year."""

    file = forms.FileField(
        label=_("file"), help_text=_("xlsx, xls or csv (UTF-8 or GBK); title rows are skipped.")
    )

    def clean_file(self):
        upload = _not_too_large(self.cleaned_data["file"])
        if Path(upload.name).suffix.lower() not in (".xlsx", ".xls", ".csv"):
            raise forms.ValidationError(_("Only xlsx, xls and csv files can be imported."))
        return upload


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("policy year"), min_value=2000, max_value=2100)


class OptOutForm(forms.ModelForm):
    class Meta:
        model = OptOut
        fields = ["student", "policy_year", "reason", "detail", "signed_on", "commitment"]
        # no link to the stored file: scans are shown only through the logged admin view
        widgets = {"commitment": forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"})}

    def clean_commitment(self):
        upload = self.cleaned_data.get("commitment")
        if upload and hasattr(upload, "size"):
            head = upload.read(16)
            upload.seek(0)
            problem = opt_outs.commitment_problem(head, upload.size)
            if problem:
                raise forms.ValidationError(problem)
        return upload

    def clean(self):
        data = super().clean()
        if self.instance.pk is None and data.get("student") and data.get("policy_year"):
            problem = opt_outs.opt_out_problem(
                student=data["student"],
                policy_year=data["policy_year"],
                reason=data.get("reason", ""),
                detail=data.get("detail", ""),
            )
            if problem:
                raise forms.ValidationError(problem)
        return data


class PaymentForm(forms.ModelForm):
    class Meta:
        model = Payment
        fields = ["enrollment", "amount", "paid_on", "channel", "receipt_number"]

    def clean_enrollment(self):
        enrollment = self.cleaned_data["enrollment"]
        problem = payments.payment_problem(enrollment)
        if problem:
            raise forms.ValidationError(problem)
        return enrollment
