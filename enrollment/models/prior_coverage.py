"""历年参保记录: the years of a student's cover the portal did not record itself."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from office.models import staff_member

from .students import Student


class PriorCoverage(models.Model):
    """Whether a student was insured in a year, as the bureau's or the school's records
    say (imported, services.prior_coverage). A school that starts using the portal in a
    later year, or imports its roster mid-year, has no enrollments of its own for those
    years: these rows tell the gap-year count (rules.gap_years) what the portal cannot."""

    class Status(models.TextChoices):
        COVERED = "covered", _("Insured")
        NOT_COVERED = "not_covered", _("Not insured")

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, related_name="prior_coverage", verbose_name=_("student")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(_("insurance status"), max_length=16, choices=Status.choices)
    source = models.CharField(_("source file"), max_length=255, blank=True)
    recorded_by = staff_member(_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    class Meta:
        verbose_name = _("prior coverage record")
        verbose_name_plural = _("prior coverage records")
        ordering = ["student__student_number", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "year"], name="prior_coverage_student_year_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.year} · {self.get_status_display()}"
