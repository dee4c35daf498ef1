"""Student affairs (学生处) see full ID numbers (SJTU rules art. 25: they provide the
roster and remit to the tax bureau); the groups are synced to config/roles.py exactly."""

from django.db import migrations

from config.roles import sync_roles_migration


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0011_prior_coverage"),
    ]

    operations = [
        migrations.RunPython(sync_roles_migration, migrations.RunPython.noop),
    ]
