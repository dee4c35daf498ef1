"""The office's roles (config/roles.py) as groups; later migrations that add models call
sync_roles again."""

from django.db import migrations

from config.roles import sync_roles_migration


def delete_roles(apps, schema_editor):
    from config.roles import ROLES

    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("enrollment", "0001_initial"),
        ("policies", "0001_initial"),
    ]

    operations = [migrations.RunPython(sync_roles_migration, delete_roles)]
