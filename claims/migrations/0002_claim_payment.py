"""A claim's payment by its payer (the bureau or the insurer), recorded by hand, and a
payout list's payment by finance, recorded once."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="paid_amount",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=12,
                null=True,
                verbose_name="amount the payer paid",
            ),
        ),
        migrations.AddField(
            model_name="claim",
            name="paid_on",
            field=models.DateField(blank=True, null=True, verbose_name="date the payer paid"),
        ),
        migrations.AddField(
            model_name="claim",
            name="payment_reference",
            field=models.CharField(
                blank=True, max_length=64, verbose_name="payer's payment reference"
            ),
        ),
        migrations.AddField(
            model_name="claimpayoutlist",
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
        migrations.AddField(
            model_name="claimpayoutlist",
            name="paid_out_on",
            field=models.DateField(blank=True, null=True, verbose_name="paid out on"),
        ),
        migrations.AddField(
            model_name="claimpayoutlist",
            name="payout_channel",
            field=models.CharField(
                blank=True,
                choices=[
                    ("bank_transfer", "Bank transfer"),
                    ("cash", "Cash"),
                    ("campus_card", "Campus card"),
                ],
                max_length=16,
                verbose_name="payout channel",
            ),
        ),
        migrations.AddField(
            model_name="claimpayoutlist",
            name="payout_reference",
            field=models.CharField(blank=True, max_length=64, verbose_name="payout reference"),
        ),
        migrations.AddConstraint(
            model_name="claim",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("paid_amount__isnull", True), ("paid_on__isnull", True)),
                    models.Q(
                        ("paid_amount__gte", 0),
                        ("paid_amount__isnull", False),
                        ("paid_on__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="claim_payment_complete",
            ),
        ),
        migrations.AddConstraint(
            model_name="claimpayoutlist",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("paid_out_on__isnull", True),
                        ("payout_channel", ""),
                        ("payout_reference", ""),
                    ),
                    models.Q(
                        ("paid_out_on__isnull", False),
                        models.Q(("payout_channel", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="claim_payout_list_paid_out_complete",
            ),
        ),
    ]
