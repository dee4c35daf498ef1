# Jobs and schedules (#12): the schedules' records (ScheduledRun, a Job listed in 任务), the
# admin's 任务 entry (JobList, no table), the beat schedules of office/schedules.py (created
# once, by name: a schedule the staff edited or removed is left as it is), and the roles
# (config/roles.py) given the schedules and their records.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from config.roles import sync_roles


def install(apps, schema_editor):
    from office.schedules import schedules_install

    schedules_install(apps)
    sync_roles(apps)


def uninstall(apps, schema_editor):
    from office.schedules import schedules_uninstall

    schedules_uninstall(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("office", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ScheduledRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("started_at", models.DateTimeField(auto_now_add=True, verbose_name="started at")),
                (
                    "heartbeat_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="last progress at"),
                ),
                ("attempt", models.PositiveIntegerField(default=0, verbose_name="attempt")),
                (
                    "finished_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="finished at"),
                ),
                ("progress_done", models.PositiveIntegerField(default=0, verbose_name="done")),
                ("progress_total", models.PositiveIntegerField(default=0, verbose_name="in all")),
                ("summary", models.JSONField(blank=True, default=dict, verbose_name="summary")),
                ("error", models.TextField(blank=True, verbose_name="error")),
                (
                    "produced_file",
                    models.FileField(
                        blank=True, upload_to="jobs/%Y/%m/", verbose_name="produced file"
                    ),
                ),
                ("task", models.CharField(max_length=64, verbose_name="task")),
                ("key", models.CharField(max_length=128, unique=True, verbose_name="key")),
                ("title", models.CharField(max_length=200, verbose_name="title")),
                (
                    "status",
                    models.CharField(
                        choices=[("running", "Running"), ("done", "Done"), ("failed", "Failed")],
                        default="running",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                (
                    "started_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="started by",
                    ),
                ),
            ],
            options={
                "verbose_name": "scheduled job",
                "verbose_name_plural": "scheduled jobs",
                "ordering": ["-started_at"],
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="JobList",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
            ],
            options={
                "verbose_name": "job",
                "verbose_name_plural": "jobs",
                "managed": False,
                "default_permissions": (),
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
