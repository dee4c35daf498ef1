"""The claims admin's forms: a claim's facts, a referral, the insurer choice (the year's
insurers only, once), the sentence of a rejection made by hand. Each says in the clerk's
words what the services and the database would refuse."""

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.utils.translation import gettext_lazy as _

from enrollment.forms import DATE_FORMATS
from policies.selectors import policy_years_school_first

from .. import rules
from ..models import Claim, InsurerChoice, Referral


class ClaimForm(forms.ModelForm):
    """A claim's facts as the clerk types them; its receipts are checked with them
    (claims.admin.inlines)."""

    class Meta:
        model = Claim
        fields = [
            "student",
            "type",
            "channel",
            "submitted_on",
            "bank_account",
            "out_of_city",
            "remote_registration",
            "remote_registration_valid_until",
            "referral",
        ]

    def clean(self):
        data = super().clean()
        student, referral = data.get("student"), data.get("referral")
        if student is not None and referral is not None and referral.student_id != student.pk:
            self.add_error("referral", f"{referral} 不是 {student} 的转诊单。")
        return data


class ReferralForm(forms.ModelForm):
    class Meta:
        model = Referral
        fields = ["number", "student", "facility", "issued_on", "valid_until"]

    def clean(self):
        data = super().clean()
        issued, until = data.get("issued_on"), data.get("valid_until")
        if issued and until and until < issued:
            self.add_error("valid_until", "转诊单的有效期不能早于开具日期。")
        return data


class InsurerChoiceForm(forms.ModelForm):
    """The insurer is one of the policy year's `catastrophic_insurers` (shanghai guide
    Q8), grouped by year in the drop-down; a student chooses once a year."""

    insurer = forms.ChoiceField(label=_("catastrophic insurer"))

    class Meta:
        model = InsurerChoice
        fields = ["student", "policy_year", "insurer", "chosen_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "policy_year" not in self.fields:  # read-only once saved
            return
        years = policy_years_school_first()
        self.fields["policy_year"].queryset = years
        self.fields["insurer"].choices = [("", "---------")] + [
            (str(year), [(name, name) for name in year.catastrophic_insurers])
            for year in years
            if year.catastrophic_insurers
        ]

    def clean(self):
        data = super().clean()
        student, year, insurer = (
            data.get("student"),
            data.get("policy_year"),
            data.get("insurer"),
        )
        if year is not None and insurer and insurer not in year.catastrophic_insurers:
            known = "、".join(year.catastrophic_insurers) or "（该年度未登记承办机构）"
            self.add_error("insurer", f"「{insurer}」不是 {year} 的大病保险承办机构：{known}。")
        if (
            student is not None
            and year is not None
            and InsurerChoice.objects.filter(student=student, policy_year=year).exists()
        ):
            # on the student, so that Django does not say it again in its own words
            self.add_error(
                "student", f"{student} 已选定 {year} 的大病保险承办机构，年度内不能更改。"
            )
        return data


class RejectForm(forms.Form):
    """Why the selected claims are rejected: the sentence the student reads, and the
    hard rule it breaks when review found one (otherwise 审核不予通过)."""

    code = forms.ChoiceField(
        label=_("rejection code"),
        choices=[(rules.OTHER, rules.REJECTION_LABELS[rules.OTHER]), *rules.CHECK_LABELS.items()],
        initial=rules.OTHER,
    )
    message = forms.CharField(
        label=_("rejection reason"), widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


class PaymentForm(forms.Form):
    """The payer's payment of the selected claims (the bureau's or the insurer's): the
    day it was paid and its reference; each claim is recorded at its approved amount."""

    paid_on = forms.DateField(
        label=_("date the payer paid"), input_formats=DATE_FORMATS, widget=AdminDateWidget
    )
    reference = forms.CharField(
        label=_("payer's payment reference"),
        max_length=Claim._meta.get_field("payment_reference").max_length,
        required=False,
    )


class ClaimPaymentForm(PaymentForm):
    """One claim's payment, with the amount the payer actually paid (it may differ from
    the approved amount: the history says by how much)."""

    amount = forms.DecimalField(
        label=_("amount the payer paid"), max_digits=12, decimal_places=2, min_value=0
    )

    field_order = ["paid_on", "amount", "reference"]
