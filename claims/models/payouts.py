"""报销支付清单: approved claims the school pays, handed to finance and frozen."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from office.models import FrozenExport, staff_member

from .claims import Claim


class ClaimPayoutList(FrozenExport):
    """A frozen payout list: its claims were marked paid with it, and its file is kept, so
    exporting it again gives the same bytes (checked by `sha256`)."""

    number = models.PositiveIntegerField(_("list number"), unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    rows = models.PositiveIntegerField(_("rows"))
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    frozen_at = models.DateTimeField(_("frozen at"), auto_now_add=True)
    frozen_by = staff_member(_("frozen by"))

    class Meta:
        verbose_name = _("claim payout list")
        verbose_name_plural = _("claim payout lists")
        ordering = ["-number"]
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
