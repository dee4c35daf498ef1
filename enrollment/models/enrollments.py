"""Enrollments and their history, the freshmen's declaration batches and opt-outs."""

from datetime import date

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from office.models import FrozenExport, staff_member

from .. import workflow
from .students import Student


class Enrollment(models.Model):
    """One student × one policy year. Its state changes only through the one writer,
    services.enrollments.moves_write (the rules are in workflow.py)."""

    class Kind(models.TextChoices):
        FRESHMAN = workflow.FRESHMAN, _("Freshman (entry year)")
        COLLECTIVE = workflow.COLLECTIVE, _("Collective enrollment")
        LATE = workflow.LATE, _("Late enrollment")

    class State(models.TextChoices):
        NOT_ESTABLISHED = workflow.NOT_ESTABLISHED, _("Not established")
        PENDING_REVIEW = workflow.PENDING_REVIEW, _("Applied, pending review")
        DECLARED = workflow.DECLARED, _("Declared")
        PAID = workflow.PAID, _("Paid")
        ESTABLISHED = workflow.ESTABLISHED, _("Account established")
        REMITTED = workflow.REMITTED, _("Remitted")
        FAILED = workflow.FAILED, _("Account failed")
        OPTED_OUT = workflow.OPTED_OUT, _("Opted out")
        EXEMPT = workflow.EXEMPT, _("Exempt (severe disability)")
        REFUNDED = workflow.REFUNDED, _("Refunded")

    class Payer(models.TextChoices):
        STUDENT = workflow.STUDENT, _("Student")
        SCHOOL_FUND = workflow.SCHOOL_FUND, _("School hardship fund")
        GOVERNMENT = workflow.GOVERNMENT, _("Government")
        FAMILY_AID = workflow.FAMILY_AID, _("Family mutual aid")

    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("student")
    )
    policy_year = models.ForeignKey(
        "policies.PolicyYear",
        on_delete=models.PROTECT,
        related_name="enrollments",
        verbose_name=_("policy year"),
    )
    kind = models.CharField(_("enrollment kind"), max_length=16, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=20, choices=State.choices)
    payer = models.CharField(_("payer"), max_length=16, choices=Payer.choices)
    premium_due = models.DecimalField(_("premium due"), max_digits=12, decimal_places=2)
    amount_paid = models.DecimalField(_("amount paid"), max_digits=12, decimal_places=2, default=0)
    cover_start = models.DateField(_("cover start"), null=True, blank=True)
    cover_end = models.DateField(_("cover end"), null=True, blank=True)
    waiting_months = models.PositiveSmallIntegerField(_("waiting months"), default=0)
    # gap years counted only because the portal holds no record of the student for them
    # (rules.gap_years): staff check these before anyone pays
    unrecorded_gap_years = models.PositiveSmallIntegerField(
        _("gap years without any record"), default=0
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    declaration_batch = models.ForeignKey(
        "DeclarationBatch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrollments",
        verbose_name=_("declaration batch"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["-policy_year__year", "student__college", "student__student_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "policy_year"], name="enrollment_student_year_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(premium_due__gte=0, amount_paid__gte=0),
                name="enrollment_money_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.policy_year}"

    @property
    def declared_on(self) -> date:
        """The day it was declared: the office's date of its creation (a late
        enrollment's waiting counts from it, shanghai guide Q3)."""
        return timezone.localdate(self.created_at)


class EnrollmentEvent(models.Model):
    """Who moved an enrollment from which state to which, when and why."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="events", verbose_name=_("enrollment")
    )
    from_state = models.CharField(
        _("from"), max_length=20, choices=Enrollment.State.choices, blank=True
    )
    to_state = models.CharField(_("to"), max_length=20, choices=Enrollment.State.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    by = staff_member(_("by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enrollment event")
        verbose_name_plural = _("enrollment events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{workflow.LABELS.get(self.from_state, '—')} → {workflow.LABELS[self.to_state]}"


class DeclarationBatch(FrozenExport):
    """申报批次: eligible freshmen registered on a day (or range), declared to the bureau's
    portal together. Once exported the batch is frozen: its members and its file stay as
    they were uploaded (`content`, checked by `sha256`)."""

    number = models.PositiveIntegerField(_("batch number"), unique=True)
    policy_year = models.ForeignKey(
        "policies.PolicyYear",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("policy year"),
    )
    registered_from = models.DateField(_("registered from"))
    registered_to = models.DateField(_("registered to"))
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created_by = staff_member(_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True)
    exported_by = staff_member(_("exported by"))

    class Meta:
        verbose_name = _("declaration batch")
        verbose_name_plural = _("declaration batches")
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(registered_from__lte=models.F("registered_to")),
                name="declaration_batch_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"申报批次 #{self.number}"

    @property
    def is_frozen(self) -> bool:
        return self.exported_at is not None


class OptOut(models.Model):
    """主动放弃: a student's signed refusal to enroll for one policy year, with the scanned
    《主动放弃参保承诺书》 (shanghai guide Q1, sjtu rules art. 23)."""

    class Reason(models.TextChoices):
        INSURED_ELSEWHERE = "insured_elsewhere", _("Insured elsewhere and keeping it")
        OTHER = "other", _("Other")

    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="opt_outs", verbose_name=_("student")
    )
    policy_year = models.ForeignKey(
        "policies.PolicyYear",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("policy year"),
    )
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices)
    detail = models.CharField(_("details"), max_length=255, blank=True)
    signed_on = models.DateField(_("signed on"))
    commitment = models.FileField(
        _("signed commitment (scan)"), upload_to="opt-out-commitments/%Y/", blank=True
    )
    recorded_by = staff_member(_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("opt-out register entry")
        verbose_name_plural = _("opt-out register")
        ordering = ["-recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "policy_year"], name="opt_out_student_year_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.policy_year}"
