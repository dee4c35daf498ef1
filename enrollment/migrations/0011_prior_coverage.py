"""Prior coverage (历年参保记录, issue #10 point 11): a student's insured or uninsured years
from the bureau's or the school's records, and per enrollment the gap years counted only
because the portal holds no record of the student. The roles are synced for the new
model's permissions."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from config.roles import sync_roles_migration


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0010_refund_payout"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="enrollment",
            name="unrecorded_gap_years",
            field=models.PositiveSmallIntegerField(
                default=0, verbose_name="gap years without any record"
            ),
        ),
        migrations.CreateModel(
            name="PriorCoverage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("year", models.PositiveSmallIntegerField(verbose_name="year")),
                (
                    "status",
                    models.CharField(
                        choices=[("covered", "Insured"), ("not_covered", "Not insured")],
                        max_length=16,
                        verbose_name="insurance status",
                    ),
                ),
                (
                    "source",
                    models.CharField(blank=True, max_length=255, verbose_name="source file"),
                ),
                ("recorded_at", models.DateTimeField(auto_now=True, verbose_name="recorded at")),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
                    ),
                ),
                (
                    "student",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="prior_coverage",
                        to="enrollment.student",
                        verbose_name="student",
                    ),
                ),
            ],
            options={
                "verbose_name": "prior coverage record",
                "verbose_name_plural": "prior coverage records",
                "ordering": ["student__student_number", "year"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("student", "year"), name="prior_coverage_student_year_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(sync_roles_migration, migrations.RunPython.noop),
    ]
