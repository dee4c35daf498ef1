"""报销支付清单: approved claims the school pays, handed to finance and frozen."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from office.models import FrozenExport, staff_member

from .claims import Claim


class ClaimPayoutList(FrozenExport):
    """A frozen payout list: its claims were marked paid with it, and its file is kept, so
    exporting it again gives the same bytes (checked by `sha256`). Finance then records
    when and how it paid the list out, once (date, channel, reference and who are all set
    together or none is), as it does a refund (enrollment.Refund)."""

    class Channel(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        CASH = "cash", _("Cash")
        CAMPUS_CARD = "campus_card", _("Campus card")

    number = models.PositiveIntegerField(_("list number"), unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    rows = models.PositiveIntegerField(_("rows"))
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    frozen_at = models.DateTimeField(_("frozen at"), auto_now_add=True)
    frozen_by = staff_member(_("frozen by"))
    paid_out_on = models.DateField(_("paid out on"), null=True, blank=True)
    payout_channel = models.CharField(
        _("payout channel"), max_length=16, choices=Channel.choices, blank=True
    )
    payout_reference = models.CharField(_("payout reference"), max_length=64, blank=True)
    paid_out_by = staff_member(_("paid out by"))

    class Meta:
        verbose_name = _("claim payout list")
        verbose_name_plural = _("claim payout lists")
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(paid_out_on__isnull=True, payout_channel="", payout_reference="")
                    | (models.Q(paid_out_on__isnull=False) & ~models.Q(payout_channel=""))
                ),
                name="claim_payout_list_paid_out_complete",
            ),
        ]
        permissions = [
            (
                "export_claimpayoutlist",
                _("Can export claim payout lists with full bank accounts"),
            )
        ]

    def __str__(self) -> str:
        return f"报销支付清单 #{self.number}（{self.year}）"

    def file_changed_message(self) -> str:
        return f"报销支付清单 #{self.number} 保存的文件与冻结时不一致。"


class ClaimPayoutEntry(models.Model):
    """One paid claim, with the row as it was written."""

    payout_list = models.ForeignKey(
        ClaimPayoutList,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("claim payout list"),
    )
    claim = models.OneToOneField(
        Claim, on_delete=models.PROTECT, related_name="payout_entry", verbose_name=_("claim")
    )
    position = models.PositiveIntegerField(_("position"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    row = models.JSONField(_("row as written"))

    class Meta:
        verbose_name = _("claim payout list entry")
        verbose_name_plural = _("claim payout list entries")
        ordering = ["payout_list", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["payout_list", "position"], name="claim_payout_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.payout_list_id}-{self.position}"
