"""The office's roles as Django groups. Each role is a list of (app label, permission
codename pattern); `sync_roles` grants whatever matching permissions exist, so a data
migration that adds models calls it again and the roles grow with the domain."""

from fnmatch import fnmatchcase

DOMAIN_APPS = ("policies", "enrollment", "claims")

# Granted only by a pattern that names them exactly, never by a wildcard.
EXPLICIT_ONLY = frozenset({"view_full_id"})

ROLES: dict[str, list[tuple[str, str]]] = {
    # clinic insurance staff: the whole domain, full ID numbers included
    "医保办": [(app, "*") for app in DOMAIN_APPS] + [("enrollment", "view_full_id")],
    # student affairs: roster, opt-outs, remittance
    "学生处": [
        ("policies", "view_*"),
        ("enrollment", "*_student"),
        ("enrollment", "*_rosterimport"),
        ("enrollment", "view_*"),
        ("enrollment", "*_optout"),
        ("enrollment", "*_paymentlist"),
        ("enrollment", "*_paymentlistentry"),
    ],
    # finance: collections and refunds
    "财务": [
        ("policies", "view_*"),
        ("enrollment", "view_*"),
        ("enrollment", "*_payment"),
        ("enrollment", "*_refund"),
        ("claims", "view_*"),
    ],
    # auditors: read everything, change nothing
    "审计": [(app, "view_*") for app in DOMAIN_APPS],
}


def sync_roles(apps) -> None:
    """Create the groups and grant every existing permission their patterns match.

    `apps` is a migration's historical registry or `django.apps.apps`. Permissions are
    normally created after migrations (post_migrate); they are created here first so a
    data migration sees the models it just added.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(Permission.objects.select_related("content_type"))
    for role, patterns in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *[
                permission
                for permission in permissions
                if any(_grants(app, pattern, permission) for app, pattern in patterns)
            ]
        )


def sync_roles_migration(apps, schema_editor) -> None:
    """For `migrations.RunPython` in every migration that adds models."""
    sync_roles(apps)


def _grants(app: str, pattern: str, permission) -> bool:
    if permission.content_type.app_label != app:
        return False
    if permission.codename in EXPLICIT_ONLY:
        return permission.codename == pattern
    return fnmatchcase(permission.codename, pattern)
