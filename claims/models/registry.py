"""What claims refer to: the designated facilities, the campus clinic's referrals and
each student's catastrophic insurer for a year."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from office.models import staff_member
from policies.models import FacilityLevel


class Facility(models.Model):
    """定点医疗机构, with the level the engine prices it at."""

    name = models.CharField(_("facility name"), max_length=128, unique=True)
    level = models.CharField(_("facility level"), max_length=16, choices=FacilityLevel.choices)
    city = models.CharField(_("city"), max_length=32, blank=True)
    designated = models.BooleanField(_("designated"), default=True)

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Referral(models.Model):
    """转诊单: the campus clinic's permission to be treated at another facility until a
    date (wuhan notice 五.3; sjtu rules art. 36)."""

    number = models.CharField(_("referral number"), max_length=32, unique=True)
    student = models.ForeignKey(
        "enrollment.Student",
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("student"),
    )
    issued_on = models.DateField(_("issued on"))
    facility = models.ForeignKey(
        Facility,
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("referred to"),
    )
    valid_until = models.DateField(_("valid until"))
    issued_by = staff_member(_("issued by"))

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-issued_on", "number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("issued_on")),
                name="referral_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"转诊单 {self.number}"

    def valid_on(self, day) -> bool:
        return self.issued_on <= day <= self.valid_until


class InsurerChoice(models.Model):
    """The catastrophic insurer (大病保险承办机构) a student chose for a year, one of the
    year's `catastrophic_insurers` (shanghai guide Q8; sjtu rules art. 31). One per
    student and year, and never changed (claims.services.insurer_choose refuses)."""

    student = models.ForeignKey(
        "enrollment.Student",
        on_delete=models.PROTECT,
        related_name="insurer_choices",
        verbose_name=_("student"),
    )
    policy_year = models.ForeignKey(
        "policies.PolicyYear",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("policy year"),
    )
    insurer = models.CharField(_("catastrophic insurer"), max_length=64)
    chosen_on = models.DateField(_("chosen on"))
    recorded_by = staff_member(_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("catastrophic insurer choice")
        verbose_name_plural = _("catastrophic insurer choices")
        ordering = ["-policy_year__year", "student__student_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "policy_year"], name="insurer_choice_once_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.insurer}"
