from django import forms
from django.utils.translation import gettext_lazy as _

from . import engine
from .models import CareType, FacilityLevel, PolicyYear
from .selectors import policy_years_school_first

DATE = forms.DateInput(attrs={"type": "date"})
MONEY = forms.NumberInput(attrs={"step": "0.01", "style": "width: 7em"})
CATEGORY_CHOICES = list(engine.CATEGORY_LABELS.items())
KIND_CHOICES = [
    ("", _("Cover start given directly")),
    ("collective", _("Collective enrollment")),
    ("freshman", _("Freshman")),
    ("late", _("Late enrollment")),
]
EXCLUSION_CHOICES = [("", "—"), *engine.EXCLUSION_LABELS.items()]


class EstimateForm(forms.Form):
    policy_year = forms.ModelChoiceField(label=_("policy year"), queryset=PolicyYear.objects.none())
    category = forms.ChoiceField(label=_("special category"), choices=CATEGORY_CHOICES)
    cover_start = forms.DateField(label=_("cover start"), required=False, widget=DATE)
    kind = forms.ChoiceField(label=_("enrollment kind"), choices=KIND_CHOICES, required=False)
    registered_on = forms.DateField(label=_("registration date"), required=False, widget=DATE)
    declared_on = forms.DateField(label=_("declared on"), required=False, widget=DATE)
    paid_on = forms.DateField(label=_("paid on"), required=False, widget=DATE)
    gap_years = forms.IntegerField(label=_("gap years"), min_value=0, initial=0)
    back_paid_years = forms.IntegerField(label=_("back-paid years"), min_value=0, initial=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy_year"].queryset = policy_years_school_first()

    def member_data(self) -> dict:
        data = self.cleaned_data
        member = {"category": data["category"]}
        if data["kind"]:
            member["enrollment"] = {
                "kind": data["kind"],
                "gap_years": data["gap_years"],
                "back_paid_years": data["back_paid_years"],
                **{
                    name: data[name].isoformat()
                    for name in ("registered_on", "declared_on", "paid_on")
                    if data[name]
                },
            }
        elif data["cover_start"]:
            member["cover_start"] = data["cover_start"].isoformat()
        return member


class ExpenseForm(forms.Form):
    date = forms.DateField(label=_("date"), widget=DATE)
    # A blank first choice keeps an untouched row unchanged, so blank rows are skipped.
    care = forms.ChoiceField(label=_("care type"), choices=[("", "—"), *CareType.choices])
    level = forms.ChoiceField(
        label=_("facility level"), choices=[("", "—"), *FacilityLevel.choices]
    )
    in_scope = forms.DecimalField(label=_("in scope"), min_value=0, decimal_places=2, widget=MONEY)
    out_of_scope = forms.DecimalField(
        label=_("out of scope"), min_value=0, decimal_places=2, required=False, widget=MONEY
    )
    catastrophic_disease = forms.BooleanField(label=_("catastrophic disease"), required=False)
    excluded = forms.ChoiceField(label=_("excluded"), choices=EXCLUSION_CHOICES, required=False)
    referral = forms.BooleanField(label=_("referral"), required=False)
    stay = forms.CharField(
        label=_("stay"), max_length=32, required=False, widget=forms.TextInput(attrs={"size": 6})
    )

    def expense_data(self) -> dict:
        data = self.cleaned_data
        return {
            "date": data["date"].isoformat(),
            "care": data["care"],
            "level": data["level"],
            "in_scope": str(data["in_scope"]),
            "out_of_scope": str(data["out_of_scope"] or 0),
            "catastrophic_disease": data["catastrophic_disease"],
            "excluded": data["excluded"] or None,
            "referral": data["referral"],
            "stay": data["stay"] or None,
        }


ExpenseFormSet = forms.formset_factory(ExpenseForm, extra=4, max_num=50)
