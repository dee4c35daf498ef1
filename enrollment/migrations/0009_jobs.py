"""Roster imports and collective runs become office.Job: one name for who started a job,
when it started and ended and what it reported (renamed, so the data is kept), and a
produced file, which for a roster import is the workbook of its rows in error (kept
until now under summary["error_file"])."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def error_file_to_produced_file(apps, schema_editor):
    RosterImport = apps.get_model("enrollment", "RosterImport")
    for roster_import in RosterImport.objects.filter(summary__has_key="error_file"):
        roster_import.produced_file = roster_import.summary.pop("error_file")
        roster_import.save(update_fields=["summary", "produced_file"])


def produced_file_to_error_file(apps, schema_editor):
    RosterImport = apps.get_model("enrollment", "RosterImport")
    for roster_import in RosterImport.objects.exclude(produced_file=""):
        roster_import.summary["error_file"] = roster_import.produced_file.name
        roster_import.save(update_fields=["summary"])


def job_fields(model_name):
    """The fields every job has and both models held under other verbose names."""
    return [
        migrations.AlterField(
            model_name=model_name,
            name="started_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="started by",
            ),
        ),
        migrations.AlterField(
            model_name=model_name,
            name="started_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="started at"),
        ),
        migrations.AlterField(
            model_name=model_name,
            name="finished_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="finished at"),
        ),
        migrations.AlterField(
            model_name=model_name,
            name="progress_done",
            field=models.PositiveIntegerField(default=0, verbose_name="done"),
        ),
        migrations.AlterField(
            model_name=model_name,
            name="progress_total",
            field=models.PositiveIntegerField(default=0, verbose_name="in all"),
        ),
        migrations.AlterField(
            model_name=model_name,
            name="summary",
            field=models.JSONField(blank=True, default=dict, verbose_name="summary"),
        ),
        migrations.AddField(
            model_name=model_name,
            name="produced_file",
            field=models.FileField(
                blank=True, upload_to="jobs/%Y/%m/", verbose_name="produced file"
            ),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0008_frozen_exports"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField("rosterimport", "uploaded_by", "started_by"),
        migrations.RenameField("rosterimport", "uploaded_at", "started_at"),
        migrations.RenameField("rosterimport", "imported_at", "finished_at"),
        migrations.RenameField("collectiverun", "report", "summary"),
        *job_fields("rosterimport"),
        *job_fields("collectiverun"),
        migrations.AlterModelOptions(
            name="rosterimport",
            options={
                "ordering": ["-started_at"],
                "verbose_name": "roster import",
                "verbose_name_plural": "roster imports",
            },
        ),
        migrations.RunPython(error_file_to_produced_file, produced_file_to_error_file),
    ]
