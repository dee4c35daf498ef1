"""报销申请: a claim, its receipts (lines), its documents checklist and its history."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from office.models import staff_member
from policies.models import CareType, FacilityLevel

from .. import rules, workflow
from .registry import Facility, Referral


def _money(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


class Claim(models.Model):
    """One application, numbered BX{visit year}-{sequence} (claims.services.claim_create).
    Its state changes only through office.transitions.StateWriter (claims.workflow); its
    amounts are stored once, on approval, and never recomputed silently."""

    class Type(models.TextChoices):
        EMERGENCY_CASH = rules.EMERGENCY_CASH, _("Emergency care paid in cash")
        INPATIENT = rules.INPATIENT, _("Inpatient")
        REMOTE = rules.REMOTE, _("Care out of the city")
        FRESHMAN_BEFORE_ACCOUNT = (
            rules.FRESHMAN_BEFORE_ACCOUNT,
            _("Freshman care before the account"),
        )
        REFERRED_OUTPATIENT = rules.REFERRED_OUTPATIENT, _("Outpatient off campus (referred)")
        CATASTROPHIC = rules.CATASTROPHIC, _("Catastrophic illness")

    class Channel(models.TextChoices):
        WINDOW = rules.WINDOW, _("At the window")
        ONLINE = rules.ONLINE, _("Online")
        PROXY = rules.PROXY, _("By proxy")

    class RemoteRegistration(models.TextChoices):
        NONE = rules.REGISTRATION_NONE, _("None")
        LONG_TERM = rules.REGISTRATION_LONG_TERM, _("Long-term")
        REFERRAL = rules.REGISTRATION_REFERRAL, _("By referral")
        TEMPORARY = rules.REGISTRATION_TEMPORARY, _("Temporary")

    class Payer(models.TextChoices):
        BUREAU = rules.BUREAU, _("Medical insurance fund")
        SCHOOL_OUTPATIENT_FUND = rules.SCHOOL_OUTPATIENT_FUND, _("School outpatient fund")
        INSURER = rules.INSURER, _("Catastrophic insurer")

    class State(models.TextChoices):
        DRAFT = workflow.DRAFT, _("Draft")
        SUBMITTED = workflow.SUBMITTED, _("Submitted")
        IN_REVIEW = workflow.IN_REVIEW, _("In review")
        APPROVED = workflow.APPROVED, _("Approved")
        REJECTED = workflow.REJECTED, _("Rejected")
        PAID = workflow.PAID, _("Paid out")

    number = models.CharField(_("claim number"), max_length=16, unique=True)
    student = models.ForeignKey(
        "enrollment.Student",
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("student"),
    )
    policy_year = models.ForeignKey(
        "policies.PolicyYear",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("policy year"),
    )
    # the enrollment whose cover the visit falls in (empty when none does)
    enrollment = models.ForeignKey(
        "enrollment.Enrollment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("enrollment"),
    )
    type = models.CharField(_("claim type"), max_length=32, choices=Type.choices)
    channel = models.CharField(
        _("claim channel"), max_length=16, choices=Channel.choices, default=Channel.WINDOW
    )
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    remote_registration = models.CharField(
        _("remote-care registration"),
        max_length=16,
        choices=RemoteRegistration.choices,
        default=RemoteRegistration.NONE,
    )
    remote_registration_valid_until = models.DateField(
        _("registration valid until"), null=True, blank=True
    )
    out_of_city = models.BooleanField(_("out of the city"), default=False)
    referral = models.ForeignKey(
        Referral,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("referral"),
    )
    payer = models.CharField(_("paid by"), max_length=32, choices=Payer.choices, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    reason = models.TextField(_("reason"), blank=True)
    rejection_code = models.CharField(_("rejection code"), max_length=32, blank=True)
    rejection_message = models.TextField(_("rejection reason"), blank=True)
    bank_account = models.CharField(_("bank account"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = staff_member(_("created by"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # the breakdown stored on approval (claims.services.approval)
    fund = _money(_("fund pays"), null=True, blank=True)
    catastrophic = _money(_("catastrophic cover pays"), null=True, blank=True)
    student_pays = _money(_("student pays"), null=True, blank=True)
    breakdown = models.JSONField(_("breakdown"), default=dict, blank=True)
    rules_version = models.CharField(_("rules version"), max_length=96, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = staff_member(_("approved by"))
    approval_sequence = models.PositiveIntegerField(_("approval order"), null=True, blank=True)

    # the payment of a claim the bureau or the insurer pays, recorded by hand when the
    # office learns of it (claims.services.payments); the school's claims are paid by
    # their payout list (payout_entry)
    paid_on = models.DateField(_("date the payer paid"), null=True, blank=True)
    paid_amount = _money(_("amount the payer paid"), null=True, blank=True)
    payment_reference = models.CharField(_("payer's payment reference"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["student", "policy_year"], name="claim_student_year"),
            models.Index(fields=["policy_year", "state"], name="claim_year_state"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["approval_sequence"],
                condition=models.Q(approval_sequence__isnull=False),
                name="claim_approval_sequence_once",
            ),
            models.CheckConstraint(
                condition=models.Q(fund__gte=0, catastrophic__gte=0, student_pays__gte=0)
                | models.Q(fund__isnull=True),
                name="claim_breakdown_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(paid_on__isnull=True, paid_amount__isnull=True)
                | models.Q(paid_on__isnull=False, paid_amount__isnull=False, paid_amount__gte=0),
                name="claim_payment_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def masked_bank_account(self) -> str:
        return rules.mask_bank_account(self.bank_account)

    @property
    def is_rejected(self) -> bool:
        return self.state == self.State.REJECTED


class ClaimLine(models.Model):
    """One receipt of a claim, as the engine sees an expense. A receipt already claimed is
    kept, pointing at the earlier line (`duplicate_of`), and its claim is rejected
    duplicate_receipt: an invoice number is claimed once."""

    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="lines", verbose_name=_("claim")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    invoice_number = models.CharField(_("invoice number"), max_length=64)
    invoice_date = models.DateField(_("invoice date"))
    visit_date = models.DateField(_("visit date"))
    discharge_date = models.DateField(_("discharge date"), null=True, blank=True)
    care = models.CharField(_("care type"), max_length=32, choices=CareType.choices)
    level = models.CharField(_("facility level"), max_length=16, choices=FacilityLevel.choices)
    facility = models.ForeignKey(
        Facility,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("facility"),
    )
    # as given on the receipt (a facility not in the registry yet keeps only its name)
    facility_name = models.CharField(_("facility name"), max_length=128, blank=True)
    total = _money(_("invoice total"))
    in_scope = _money(_("within insurance scope"))
    out_of_scope = _money(_("outside insurance scope"), default=0)
    catastrophic_disease = models.CharField(_("catastrophic disease"), max_length=48, blank=True)
    excluded = models.CharField(_("exclusion"), max_length=32, blank=True)
    stay_key = models.CharField(_("stay number"), max_length=64, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )

    # the result stored on approval
    fund = _money(_("fund pays"), null=True, blank=True)
    catastrophic = _money(_("catastrophic cover pays"), null=True, blank=True)
    student = _money(_("student pays"), null=True, blank=True)
    status = models.CharField(_("result"), max_length=32, blank=True)
    steps = models.JSONField(_("steps"), default=list, blank=True)

    class Meta:
        verbose_name = _("claim line")
        verbose_name_plural = _("claim lines")
        ordering = ["claim", "position"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "position"], name="claim_line_position"),
            models.UniqueConstraint(
                fields=["invoice_number"],
                condition=models.Q(duplicate_of__isnull=True),
                name="claim_line_invoice_once",
            ),
            models.CheckConstraint(
                condition=models.Q(in_scope__gte=0, out_of_scope__gte=0)
                & models.Q(in_scope__lte=models.F("total")),
                name="claim_line_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}#{self.position} {self.invoice_number}"


class ClaimDocument(models.Model):
    """One item of a claim's documents checklist (claims.rules.required_documents),
    received or not, with an optional scan kept and served like an opt-out's."""

    class Kind(models.TextChoices):
        INVOICE = rules.INVOICE, _("Invoice")
        MEDICAL_RECORD = rules.MEDICAL_RECORD, _("Medical record")
        ITEMISED_LIST = rules.ITEMISED_LIST, _("Itemised list of charges")
        DISCHARGE_SUMMARY = rules.DISCHARGE_SUMMARY, _("Discharge summary")
        BANK_CARD = rules.BANK_CARD, _("Bank card")
        SOCIAL_SECURITY_CARD = rules.SOCIAL_SECURITY_CARD, _("Social security card")
        APPLICANT_ID = rules.APPLICANT_ID, _("Applicant's ID card")
        PROXY_ID = rules.PROXY_ID, _("Proxy's ID card")
        REFERRAL_SLIP = rules.REFERRAL_SLIP, _("Referral slip")
        REMOTE_REGISTRATION = rules.REMOTE_REGISTRATION, _("Remote-care registration proof")

    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="documents", verbose_name=_("claim")
    )
    kind = models.CharField(_("document"), max_length=32, choices=Kind.choices)
    received = models.BooleanField(_("received"), default=False)
    scan = models.FileField(_("scan"), upload_to="claim-documents/%Y/", blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = staff_member(_("received by"))

    class Meta:
        verbose_name = _("claim document")
        verbose_name_plural = _("claim documents")
        ordering = ["claim", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "kind"], name="claim_document_once"),
        ]

    def __str__(self) -> str:
        return rules.DOCUMENT_LABELS.get(self.kind, self.kind)


class ClaimEvent(models.Model):
    """Who moved a claim from which state to which, when and why (StateWriter's event)."""

    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="events", verbose_name=_("claim")
    )
    from_state = models.CharField(_("from"), max_length=16, choices=Claim.State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=16, choices=Claim.State.choices)
    reason = models.TextField(_("reason"), blank=True)
    by = staff_member(_("by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("claim event")
        verbose_name_plural = _("claim events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return (
            f"{workflow.LABELS.get(self.from_state, '—')} → "
            f"{workflow.LABELS.get(self.to_state, self.to_state)}"
        )
