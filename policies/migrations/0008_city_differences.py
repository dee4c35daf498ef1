"""Issue #14 points 3-5: what differs between cities becomes policy-year data (family mutual
aid, the freshman flow, the claim window, the catastrophic insurers, the special groups).
Existing rows get Shanghai's values here; 0009 seeds every year's own values from
policies/catalog.py."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0007_seed_wuhan_2026_and_assumed_values"),
    ]

    operations = [
        migrations.AlterField(
            model_name="policyyear",
            name="family_aid_deadline_at",
            field=models.DateTimeField(
                blank=True,
                help_text="Empty: the region sets no deadline for family mutual-aid payments.",
                null=True,
                verbose_name="family mutual-aid deadline",
            ),
        ),
        migrations.AddField(
            model_name="policyyear",
            name="family_aid_refunded_by_school",
            field=models.BooleanField(
                default=True,
                help_text=(
                    "Checked: once the account is established the school refunds what it "
                    "collected and the student leaves the payment list. Unchecked: the bureau "
                    "returns the premium to the payer and the school remits it as usual."
                ),
                verbose_name="school refunds family mutual-aid premiums",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="policyyear",
            name="family_aid_for_freshmen",
            field=models.BooleanField(
                default=False, verbose_name="freshmen may use family mutual aid"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="policyyear",
            name="freshman_confirms_in_app",
            field=models.BooleanField(default=True, verbose_name="freshmen confirm in an app"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="policyyear",
            name="freshman_confirmation_channel",
            field=models.CharField(
                blank=True, max_length=32, verbose_name="freshman confirmation channel"
            ),
        ),
        migrations.AddField(
            model_name="policyyear",
            name="freshman_cover_needs_full_premium",
            field=models.BooleanField(
                default=False, verbose_name="freshman cover needs the full premium"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="policyyear",
            name="claim_window_months",
            field=models.PositiveSmallIntegerField(default=6, verbose_name="claim window (months)"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="policyyear",
            name="catastrophic_insurers",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="The insurers that handle catastrophic cover, one name per entry.",
                verbose_name="catastrophic insurers",
            ),
        ),
        migrations.CreateModel(
            name="SpecialGroupRule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "category",
                    models.CharField(
                        choices=[
                            ("low_income_family", "Low-income family (dibao)"),
                            ("low_income", "Low income"),
                            ("severe_disability", "Severe disability"),
                            ("hardship", "Family financial hardship"),
                        ],
                        max_length=32,
                        verbose_name="category",
                    ),
                ),
                (
                    "treatment",
                    models.CharField(
                        choices=[
                            ("exempt", "Exempt from the premium"),
                            ("government", "Paid by the government"),
                            ("school_fund", "Paid by the school"),
                        ],
                        max_length=16,
                        verbose_name="treatment",
                    ),
                ),
                (
                    "policy_year",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="special_groups",
                        to="policies.policyyear",
                        verbose_name="policy year",
                    ),
                ),
            ],
            options={
                "verbose_name": "special group rule",
                "verbose_name_plural": "special group rules",
                "ordering": ["policy_year", "category"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("policy_year", "category"), name="special_group_rule_unique"
                    )
                ],
            },
        ),
    ]
