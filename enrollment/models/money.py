"""Money: collected premiums, refunds and the tax bureau's payment lists."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from office.models import FrozenExport, staff_member

from .enrollments import Enrollment


class PaymentList(FrozenExport):
    """A frozen tax-bureau payment list (缴费清单): its members were remitted with it, and
    its file is kept, so exporting it again gives the same bytes (checked by `sha256`)."""

    number = models.PositiveIntegerField(_("list number"), unique=True)
    year = models.PositiveSmallIntegerField(_("payment year"))
    rows = models.PositiveIntegerField(_("rows"))
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    frozen_at = models.DateTimeField(_("frozen at"), auto_now_add=True)
    frozen_by = staff_member(_("frozen by"))

    class Meta:
        verbose_name = _("payment list")
        verbose_name_plural = _("payment lists")
        ordering = ["-number"]
        # the tax bureau's file carries full ID numbers
        permissions = [("export_paymentlist", _("Can export payment lists with full ID numbers"))]

    def __str__(self) -> str:
        return f"缴费清单 #{self.number}（{self.year}）"

    def file_changed_message(self) -> str:
        return f"缴费清单 #{self.number} 保存的文件与冻结时不一致。"


class PaymentListEntry(models.Model):
    """One remitted enrollment, with the row as it was written (the roster may change
    afterwards; the list may not)."""

    payment_list = models.ForeignKey(PaymentList, on_delete=models.PROTECT, related_name="entries")
    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.PROTECT, related_name="payment_list_entry"
    )
    position = models.PositiveIntegerField(_("position"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    row = models.JSONField(_("row as written"))

    class Meta:
        verbose_name = _("payment list entry")
        verbose_name_plural = _("payment list entries")
        ordering = ["payment_list", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment_list", "position"], name="payment_list_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.payment_list_id}-{self.position}"


class Payment(models.Model):
    """A premium the school collected (代收), recorded by hand or from a payment file. The
    receipt number is the business key: importing the same file again adds nothing."""

    class Channel(models.TextChoices):
        CASH = "cash", _("Cash")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        ONLINE = "online", _("Online payment")
        CAMPUS_CARD = "campus_card", _("Campus card")

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="payments", verbose_name=_("enrollment")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    paid_on = models.DateField(_("paid on"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    receipt_number = models.CharField(_("receipt number"), max_length=64, unique=True)
    mismatch = models.CharField(_("mismatch"), max_length=255, blank=True)
    recorded_by = staff_member(_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_number}（{self.amount}）"


class Refund(models.Model):
    """退费: money the school gives back to a student (shanghai guide Q18, DESIGN.md §4.4).
    Recorded as due first; finance then pays it out, once (date, channel, reference, who
    are all set together or none is)."""

    class Reason(models.TextChoices):
        FAMILY_AID = "family_aid", _("Paid by family mutual aid")
        ACCOUNT_FAILED = "account_failed", _("Account could not be established")
        DUPLICATE = "duplicate", _("Paid twice")
        OPTED_OUT = "opted_out", _("Opted out after paying")

    class Channel(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        CASH = "cash", _("Cash")
        CAMPUS_CARD = "campus_card", _("Campus card")
        ORIGINAL_ROUTE = "original_route", _("Original route")

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("enrollment")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    created_by = staff_member(_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    paid_out_on = models.DateField(_("paid out on"), null=True, blank=True)
    payout_channel = models.CharField(
        _("payout channel"), max_length=16, choices=Channel.choices, blank=True
    )
    payout_reference = models.CharField(_("payout reference"), max_length=64, blank=True)
    paid_out_by = staff_member(_("paid out by"))

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_positive"),
            models.CheckConstraint(
                condition=(
                    models.Q(paid_out_on__isnull=True, payout_channel="", payout_reference="")
                    | (models.Q(paid_out_on__isnull=False) & ~models.Q(payout_channel=""))
                ),
                name="refund_payout_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment} · {self.amount}"
