"""Sign-in security and the audit trail in the roles (config/roles.py): 审计 and 医保办
read the audit trail and the sign-ins, 医保办 unlock a locked-out sign-in. The groups
are synced to config/roles.py once the apps whose permissions they name are migrated."""

from django.db import migrations

from config.roles import sync_roles_migration


class Migration(migrations.Migration):
    dependencies = [
        ("office", "0002_schedules"),
        ("auditlog", "0017_add_actor_email"),
        ("axes", "0010_accessattemptexpiration"),
        ("policies", "0009_seed_city_differences"),
        ("enrollment", "0012_roles_full_id"),
        ("claims", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(sync_roles_migration, migrations.RunPython.noop),
    ]
