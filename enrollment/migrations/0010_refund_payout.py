"""A refund is paid out: the date, the channel, the reference of the transfer or receipt
and who paid it, all set together or none (a refund still outstanding)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0009_jobs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="refund",
            name="paid_out_on",
            field=models.DateField(blank=True, null=True, verbose_name="paid out on"),
        ),
        migrations.AddField(
            model_name="refund",
            name="payout_channel",
            field=models.CharField(
                blank=True,
                choices=[
                    ("bank_transfer", "Bank transfer"),
                    ("cash", "Cash"),
                    ("campus_card", "Campus card"),
                    ("original_route", "Original route"),
                ],
                max_length=16,
                verbose_name="payout channel",
            ),
        ),
        migrations.AddField(
            model_name="refund",
            name="payout_reference",
            field=models.CharField(blank=True, max_length=64, verbose_name="payout reference"),
        ),
        migrations.AddField(
            model_name="refund",
            name="paid_out_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="paid out by",
            ),
        ),
        migrations.AddConstraint(
            model_name="refund",
            constraint=models.CheckConstraint(
                condition=(
                    models.Q(paid_out_on__isnull=True, payout_channel="", payout_reference="")
                    | (models.Q(paid_out_on__isnull=False) & ~models.Q(payout_channel=""))
                ),
                name="refund_payout_complete",
            ),
        ),
    ]
