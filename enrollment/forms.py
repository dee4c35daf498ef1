from pathlib import Path

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.utils.translation import gettext_lazy as _

from office import spreadsheets
from office.scans import scan_head, scan_problem
from policies.selectors import policy_years_school_first

from . import roster
from .models import OptOut, Payment, Refund, Student
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
        upload = _not_too_large(self.cleaned_data["file"])
        if Path(upload.name).suffix.lower() not in (".xlsx", ".xls", ".csv"):
            raise forms.ValidationError(_("Only xlsx, xls and csv files can be imported."))
        return upload


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


class PaymentListConfirmForm(PaymentListFreezeForm):
    """What the confirmation showed: a list that changed since is not frozen unseen."""

    rows = forms.IntegerField(min_value=1)
    total = forms.DecimalField(max_digits=14, decimal_places=2)


class PolicyYearForm(forms.Form):
    policy_year = forms.ModelChoiceField(label=_("policy year"), queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy_year"].queryset = policy_years_school_first()


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


class PriorCoverageFileForm(forms.Form):
    """A prior-coverage file: its rows give their own years, so no policy year is chosen."""

    file = IncomingFileForm.base_fields["file"]
    clean_file = IncomingFileForm.clean_file


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("policy year"), min_value=2000, max_value=2100)


class RefundPayoutForm(forms.Form):
    """How the selected refunds were paid out: one date, channel and reference for all
    (a bank's batch transfer, a day's cash desk)."""

    paid_out_on = forms.DateField(
        label=_("paid out on"), input_formats=DATE_FORMATS, widget=AdminDateWidget
    )
    payout_channel = forms.ChoiceField(label=_("payout channel"), choices=Refund.Channel.choices)
    payout_reference = forms.CharField(
        label=_("payout reference"),
        max_length=Refund._meta.get_field("payout_reference").max_length,
        required=False,
        help_text=_("The transfer's serial number or the receipt number, if any."),
    )


class OptOutForm(forms.ModelForm):
    class Meta:
        model = OptOut
        fields = ["student", "policy_year", "reason", "detail", "signed_on", "commitment"]
        # no link to the stored file: scans are shown only through the logged admin view
        widgets = {"commitment": forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "policy_year" in self.fields:
            self.fields["policy_year"].queryset = policy_years_school_first()

    def clean_commitment(self):
        upload = self.cleaned_data.get("commitment")
        if upload and hasattr(upload, "size"):
            problem = scan_problem(scan_head(upload), upload.size)
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
    """A payment recorded by hand. One that repeats a recorded payment (the same enrollment,
    amount and date) is shown with it and saved only once staff tick that it is another
    payment; a receipt number already recorded is never saved."""

    confirm_repeat = forms.BooleanField(
        label=_("This is another payment"),
        required=False,
        widget=forms.HiddenInput,
        help_text=_("Tick only if the student really paid this amount again on this day."),
    )

    class Meta:
        model = Payment
        fields = ["enrollment", "amount", "paid_on", "channel", "receipt_number"]

    def clean_enrollment(self):
        enrollment = self.cleaned_data["enrollment"]
        problem = payments.payment_problem(enrollment)
        if problem:
            raise forms.ValidationError(problem)
        return enrollment

    def clean(self):
        data = super().clean()
        enrollment, amount, paid_on = (data.get(n) for n in ("enrollment", "amount", "paid_on"))
        receipt = data.get("receipt_number")
        if receipt:
            recorded = payments.receipt_recorded(receipt)
            if recorded:
                # reported here in the office's words; the model's unique check then skips it
                self.add_error("receipt_number", recorded)
        if enrollment is None or amount is None or paid_on is None:
            return data
        late = payments.late_payment_problem(enrollment, paid_on=paid_on)
        if late:
            self.add_error("paid_on", late)
        repeats = payments.payment_repeats(enrollment=enrollment, amount=amount, paid_on=paid_on)
        if repeats and not data.get("confirm_repeat"):
            self.fields["confirm_repeat"].widget = forms.CheckboxInput()
            raise forms.ValidationError(
                [
                    _("This looks like a payment already recorded:"),
                    *repeats,
                    _("If it is another payment, tick “This is another payment” and save again."),
                ]
            )
        return data
