# Offices (#12): the school's insurance offices, each college's office, each staff
# account's office or a liaison's colleges (office/offices.py), the permission
# office.school_wide, and the roles (config/roles.py) given the offices and the liaison's
# group (院系联络人).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from config.roles import sync_roles_migration


class Migration(migrations.Migration):
    dependencies = [
        ("office", "0003_upload_retention"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Office",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, unique=True, verbose_name="office name")),
                ("code", models.SlugField(max_length=32, unique=True, verbose_name="code")),
            ],
            options={
                "verbose_name": "insurance office",
                "verbose_name_plural": "insurance offices",
                "ordering": ["name"],
                "permissions": [("school_wide", "Can see and act on every office's students")],
            },
        ),
        migrations.CreateModel(
            name="OfficeCollege",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("college", models.CharField(max_length=100, unique=True, verbose_name="college")),
                (
                    "office",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="colleges",
                        to="office.office",
                        verbose_name="office",
                    ),
                ),
            ],
            options={
                "verbose_name": "college of an office",
                "verbose_name_plural": "colleges of the offices",
                "ordering": ["office", "college"],
            },
        ),
        migrations.CreateModel(
            name="StaffScope",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "colleges",
                    models.ManyToManyField(
                        blank=True,
                        help_text="A liaison's colleges: the account then sees only their students.",
                        related_name="liaisons",
                        to="office.officecollege",
                        verbose_name="own colleges",
                    ),
                ),
                (
                    "office",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="staff",
                        to="office.office",
                        verbose_name="office",
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="office_scope",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="staff account",
                    ),
                ),
            ],
            options={
                "verbose_name": "staff scope",
                "verbose_name_plural": "staff scopes",
            },
        ),
        migrations.RunPython(sync_roles_migration, migrations.RunPython.noop),
    ]
