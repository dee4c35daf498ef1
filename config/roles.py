"""The office's roles as Django groups. Each role is a list of (app label, permission
codename pattern); `sync_roles` gives each group exactly the existing permissions its
patterns match, so a data migration that adds models (or changes a role) calls it again
and the groups follow the rules here.

Who sees full ID numbers follows the SJTU rules art. 25: student affairs (学生处) provide
the roster the office works from and remit the established students' premiums to the
tax bureau, so they hold the numbers and download the payment list (缴费清单); the
clinic's insurance office (医保办) keeps the roster and gives the bureau its declaration
file; finance (财务) collects and refunds money and needs no ID number, nor do
auditors. The README's Roles section says the same."""

from fnmatch import fnmatchcase

DOMAIN_APPS = ("policies", "enrollment", "claims")

# The audit trail (django-auditlog) and the sign-in records (django-axes): read by who
# audits and by the clinic's office, who also unlock a locked-out sign-in.
AUDIT_TRAIL = [("auditlog", "view_logentry"), ("axes", "view_accesslog")]
SIGN_IN_LOCKS = [("axes", "view_accessattempt"), ("axes", "delete_accessattempt")]

# The schedules' records (digests, chase lists) in the 任务 list, for every role; the beat
# schedules themselves are changed by 医保办 only (their time, on or off: office.beat_admin).
# Celery's result tables and the solar and clocked schedules are given to no role.
SCHEDULE_RECORDS = [("office", "view_scheduledrun")]
SCHEDULES = [
    ("django_celery_beat", "view_periodictask"),
    ("django_celery_beat", "change_periodictask"),
    *(
        ("django_celery_beat", f"{action}_{model}")
        for action in ("view", "add", "change")
        for model in ("crontabschedule", "intervalschedule")
    ),
]

# Granted only by a pattern that names them exactly, never by a wildcard. School-wide
# access (office.school_wide: every office's students) is given to accounts, not roles.
EXPLICIT_ONLY = frozenset({"view_full_id", "school_wide"})

# The offices, their colleges and who works for which (office.offices): kept by 医保办,
# changed only by who holds school-wide access (office.admin_offices).
OFFICES = [("office", f"*_{model}") for model in ("office", "officecollege", "staffscope")]

# A college's liaison or counsellor (院系联络人): office.scoping shows them only the
# students of the colleges given to them.
LIAISON = "院系联络人"

ROLES: dict[str, list[tuple[str, str]]] = {
    # clinic insurance staff: the whole domain, full ID numbers included
    "医保办": [
        *((app, "*") for app in DOMAIN_APPS),
        ("enrollment", "view_full_id"),
        *AUDIT_TRAIL,
        *SIGN_IN_LOCKS,
        *SCHEDULE_RECORDS,
        *SCHEDULES,
        *OFFICES,
    ],
    # student affairs: roster, opt-outs, remittance to the tax bureau, full ID numbers
    "学生处": [
        ("enrollment", "view_full_id"),
        ("policies", "view_*"),
        ("enrollment", "*_student"),
        ("enrollment", "*_rosterimport"),
        ("enrollment", "view_*"),
        ("enrollment", "*_optout"),
        ("enrollment", "*_paymentlist"),
        ("enrollment", "*_paymentlistentry"),
        *SCHEDULE_RECORDS,
    ],
    # finance: collections and refunds, no full ID numbers
    "财务": [
        ("policies", "view_*"),
        ("enrollment", "view_*"),
        ("enrollment", "*_payment"),
        ("enrollment", "*_refund"),
        ("claims", "view_*"),
        # finance pays approved claims from the payout lists (报销支付清单)
        ("claims", "add_claimpayoutlist"),
        ("claims", "export_claimpayoutlist"),
        *SCHEDULE_RECORDS,
    ],
    # auditors: read everything, change nothing
    "审计": [
        *((app, "view_*") for app in DOMAIN_APPS),
        *AUDIT_TRAIL,
        ("axes", "view_accessattempt"),
        *SCHEDULE_RECORDS,
    ],
    # a college's liaison: their students, the pending and chase lists, confirming for
    # their freshmen in bulk; no full ID numbers, no money, no claims
    LIAISON: [
        ("policies", "view_policyyear"),
        ("enrollment", "view_student"),
        ("enrollment", "view_enrollment"),
        ("enrollment", "change_enrollment"),
        ("enrollment", "view_optout"),
        ("enrollment", "view_declarationbatch"),
    ],
}


def sync_roles(apps) -> None:
    """Create the groups and give each exactly the existing permissions its patterns
    match (a permission a role no longer names is taken away). Permissions of an app
    `apps` does not hold yet (a migration that runs before that app's own) are left as
    they are, so the order in which apps migrate cannot take them away.

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
    loaded = {app_config.label for app_config in apps.get_app_configs()}
    for role, patterns in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        kept = group.permissions.exclude(content_type__app_label__in=loaded)
        group.permissions.set(
            [
                *kept,
                *(
                    permission
                    for permission in permissions
                    if any(_grants(app, pattern, permission) for app, pattern in patterns)
                ),
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
