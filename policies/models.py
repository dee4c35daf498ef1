"""A region's scheme for one calendar year, as data (DESIGN.md §4). The rule engine
(policies/engine/) never sees these models: selectors.policy_year_rules() snapshots them."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from office.models import staff_member

RATIO_VALIDATORS = [MinValueValidator(0), MaxValueValidator(1)]


def money_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


def ratio_field(verbose_name, **kwargs):
    return models.DecimalField(
        verbose_name,
        max_digits=5,
        decimal_places=4,
        validators=RATIO_VALIDATORS,
        help_text=_("A share between 0 and 1: 0.80 means 80%."),
        **kwargs,
    )


class CareType(models.TextChoices):
    OUTPATIENT = "outpatient", _("Outpatient")
    EMERGENCY = "emergency", _("Emergency")
    INPATIENT = "inpatient", _("Inpatient")
    MATERNITY = "maternity", _("Maternity")
    CHRONIC_OUTPATIENT = "chronic_outpatient", _("Chronic/special outpatient")


class FacilityLevel(models.TextChoices):
    CAMPUS = "campus", _("Campus clinic")
    COMMUNITY = "community", _("Community health centre")
    LEVEL_1 = "1", _("Level 1")
    LEVEL_2 = "2", _("Level 2")
    LEVEL_3 = "3", _("Level 3")


class DeductibleBasis(models.TextChoices):
    PER_YEAR = "per_year", _("Per year")
    PER_STAY = "per_stay", _("Per stay")
    NONE = "none", _("None")


class Payer(models.TextChoices):
    """Who pays the fund's share of an expense (codes match engine.PAYERS)."""

    BASIC_FUND = "basic_fund", _("Basic medical insurance fund")
    SCHOOL_OUTPATIENT_FUND = "school_outpatient_fund", _("School outpatient fund")


class Region(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    # "name" alone reads 姓名 (a person's): a region has its own word
    name = models.CharField(pgettext_lazy("region", "name"), max_length=64)
    # The office's own fact, not the city's scheme: kept here, where a published (frozen)
    # policy year does not stop the office from setting it when it starts using the portal.
    records_complete_from_year = models.PositiveSmallIntegerField(
        _("portal records complete from year"),
        null=True,
        blank=True,
        help_text=_(
            "The first year whose enrollments of this region the portal holds for every "
            "student. From that year on, a year without cover in the portal is a gap year; "
            "before it only imported prior coverage counts. Empty: the years whose "
            "collective enrollment the portal ran."
        ),
    )

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class PolicyYear(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="policy_years", verbose_name=_("region")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    code = models.SlugField(_("code"), max_length=48, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    premium = money_field(_("premium per person"))
    freshman_premium_waived = models.BooleanField(_("freshman entry-year premium waived"))
    collective_window_opens_on = models.DateField(_("collective window opens on"))
    collective_window_closes_on = models.DateField(_("collective window closes on"))
    family_aid_deadline_at = models.DateTimeField(
        _("family mutual-aid deadline"),
        null=True,
        blank=True,
        help_text=_("Empty: the region sets no deadline for family mutual-aid payments."),
    )
    # No defaults below: each region states its own (policies/catalog.py CITY_RULES).
    family_aid_refunded_by_school = models.BooleanField(
        _("school refunds family mutual-aid premiums"),
        help_text=_(
            "Checked: once the account is established the school refunds what it collected "
            "and the student leaves the payment list. Unchecked: the bureau returns the "
            "premium to the payer and the school remits it as usual."
        ),
    )
    family_aid_for_freshmen = models.BooleanField(_("freshmen may use family mutual aid"))
    freshman_confirms_in_app = models.BooleanField(_("freshmen confirm in an app"))
    freshman_confirmation_channel = models.CharField(
        _("freshman confirmation channel"), max_length=32, blank=True
    )
    freshman_cover_needs_full_premium = models.BooleanField(
        _("freshman cover needs the full premium")
    )
    claim_window_months = models.PositiveSmallIntegerField(_("claim window (months)"))
    catastrophic_insurers = models.JSONField(
        _("catastrophic insurers"),
        default=list,
        blank=True,
        help_text=_("The insurers that handle catastrophic cover, one name per entry."),
    )
    freshman_window_opens_on = models.DateField(_("freshman declaration window opens on"))
    freshman_window_closes_on = models.DateField(_("freshman declaration window closes on"))
    community_as_level_1 = models.BooleanField(_("community centres as level 1"), default=False)
    emergency_as_outpatient = models.BooleanField(_("emergency follows outpatient"), default=True)
    maternity_as_inpatient_without_deductible = models.BooleanField(
        _("maternity at inpatient ratios without deductible"), default=False
    )
    freshman_august_starts_on_september = models.BooleanField(
        _("August registrations covered from 1 September"), default=True
    )
    freshman_always_starts_on_september = models.BooleanField(
        _("freshmen always covered from 1 September"), default=False
    )
    basic_annual_cap = money_field(_("basic annual cap"), null=True, blank=True)
    catastrophic_requires_disease = models.BooleanField(
        _("catastrophic cover only for listed diseases"), default=True
    )
    catastrophic_cap = money_field(_("catastrophic annual cap"), null=True, blank=True)
    # No defaults: each region states its own waiting period (policies/catalog.py).
    waiting_fixed_months = models.PositiveSmallIntegerField(_("fixed waiting months"))
    waiting_months_per_gap_year = models.PositiveSmallIntegerField(
        _("variable waiting months per gap year")
    )
    waiting_months_removed_per_back_paid_year = models.PositiveSmallIntegerField(
        _("waiting months removed per back-paid year")
    )
    waiting_floor_months = models.PositiveSmallIntegerField(
        _("minimum waiting months after repair")
    )
    waiting_floor_from_gap_years = models.PositiveSmallIntegerField(
        _("minimum applies from gap years")
    )
    gaps_counted_from_year = models.PositiveSmallIntegerField(
        _("gap years counted from scheme year")
    )
    source = models.TextField(_("source documents"), blank=True)
    assumed = models.JSONField(
        _("assumed values"),
        default=dict,
        blank=True,
        help_text=_(
            "Field name → why its value is assumed (the region's documents do not give it). "
            "Correcting the value removes its mark."
        ),
    )

    class Meta:
        verbose_name = _("policy year")
        verbose_name_plural = _("policy years")
        ordering = ["region__code", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="policy_year_unique"),
            models.CheckConstraint(
                condition=models.Q(
                    collective_window_opens_on__lte=models.F("collective_window_closes_on")
                ),
                name="policy_year_collective_window_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    freshman_window_opens_on__lte=models.F("freshman_window_closes_on")
                ),
                name="policy_year_freshman_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region.name} {self.year}（{self.code}）"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class SpecialGroupRule(models.Model):
    """How a year treats one special group's premium (DESIGN.md §4.4). A category without a
    rule pays the premium itself."""

    class Category(models.TextChoices):
        # codes match policies.engine.CATEGORIES and enrollment's Student.SubsidyCategory
        LOW_INCOME_FAMILY = "low_income_family", _("Low-income family (dibao)")
        LOW_INCOME = "low_income", _("Low income")
        SEVERE_DISABILITY = "severe_disability", _("Severe disability")
        HARDSHIP = "hardship", _("Family financial hardship")

    class Treatment(models.TextChoices):
        # codes match enrollment.workflow's EXEMPT state and GOVERNMENT / SCHOOL_FUND payers
        EXEMPT = "exempt", _("Exempt from the premium")
        GOVERNMENT = "government", _("Paid by the government")
        SCHOOL_FUND = "school_fund", _("Paid by the school")

    policy_year = models.ForeignKey(
        PolicyYear,
        on_delete=models.CASCADE,
        related_name="special_groups",
        verbose_name=_("policy year"),
    )
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    treatment = models.CharField(_("treatment"), max_length=16, choices=Treatment.choices)

    class Meta:
        verbose_name = _("special group rule")
        verbose_name_plural = _("special group rules")
        ordering = ["policy_year", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy_year", "category"], name="special_group_rule_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}：{self.get_treatment_display()}"


class CalendarCorrection(models.Model):
    """One date of a published policy year corrected by the office (its history): the
    numbers that price or pay stay frozen, the dates the bureau announces late do not."""

    policy_year = models.ForeignKey(
        PolicyYear,
        on_delete=models.CASCADE,
        related_name="calendar_corrections",
        verbose_name=_("policy year"),
    )
    field = models.CharField(_("field"), max_length=48)
    old_value = models.CharField(_("old value"), max_length=64)
    new_value = models.CharField(_("new value"), max_length=64)
    corrected_by = staff_member(_("corrected by"))
    corrected_at = models.DateTimeField(_("corrected at"))

    class Meta:
        verbose_name = _("calendar correction")
        verbose_name_plural = _("calendar corrections")
        ordering = ["policy_year", "corrected_at", "pk"]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} → {self.new_value}"


class BenefitRule(models.Model):
    policy_year = models.ForeignKey(
        PolicyYear, on_delete=models.CASCADE, related_name="benefit_rules"
    )
    care = models.CharField(_("care type"), max_length=32, choices=CareType.choices)
    level = models.CharField(_("facility level"), max_length=16, choices=FacilityLevel.choices)
    ratio = ratio_field(_("fund ratio"))
    deductible = money_field(_("deductible"), default=0)
    deductible_basis = models.CharField(
        _("deductible basis"),
        max_length=16,
        choices=DeductibleBasis.choices,
        default=DeductibleBasis.NONE,
    )
    counts_toward_yearly_deductible = models.BooleanField(
        _("counts toward the yearly deductible"), default=True
    )
    annual_limit = money_field(_("annual fund limit"), null=True, blank=True)
    referral_required = models.BooleanField(_("referral required"), default=False)
    repeat_stay_factor = ratio_field(_("repeat-stay deductible factor"), null=True, blank=True)
    repeat_stay_levels = models.CharField(
        _("repeat-stay levels"),
        max_length=32,
        blank=True,
        help_text=_("Comma-separated facility levels whose stays count, e.g. 2,3"),
    )
    payer = models.CharField(
        _("fund payer"),
        max_length=32,
        choices=Payer.choices,
        default=Payer.BASIC_FUND,
        help_text=_(
            "Who pays the fund's share. Only the basic fund's payments count toward the basic "
            "annual cap and catastrophic cover."
        ),
    )

    class Meta:
        verbose_name = _("benefit rule")
        verbose_name_plural = _("benefit rules")
        ordering = ["policy_year", "care", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy_year", "care", "level"], name="benefit_rule_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_care_display()} · {self.get_level_display()}"


class CatastrophicTier(models.Model):
    policy_year = models.ForeignKey(
        PolicyYear, on_delete=models.CASCADE, related_name="catastrophic_tiers"
    )
    floor = money_field(_("yearly burden above"))
    ratio = ratio_field(_("ratio"))
    low_income_ratio = ratio_field(_("ratio for low-income members"))

    class Meta:
        verbose_name = _("catastrophic tier")
        verbose_name_plural = _("catastrophic tiers")
        ordering = ["policy_year", "floor"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy_year", "floor"], name="catastrophic_tier_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"> {self.floor}: {self.ratio:.0%}"


class ExclusionCategory(models.Model):
    """Expenses no scheme pays (abroad, check-ups, vaccines, …); codes match engine.EXCLUSIONS."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(pgettext_lazy("exclusion category", "name"), max_length=64)

    class Meta:
        verbose_name = _("exclusion category")
        verbose_name_plural = _("exclusion categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class CatastrophicDisease(models.Model):
    code = models.SlugField(_("code"), max_length=48, unique=True)
    name = models.CharField(pgettext_lazy("catastrophic disease", "name"), max_length=128)

    class Meta:
        verbose_name = _("catastrophic disease")
        verbose_name_plural = _("catastrophic diseases")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name
