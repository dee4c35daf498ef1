"""The office's admin modules (Django's autodiscovery imports this one)."""

from . import (
    admin_jobs,  # noqa: F401  (S4: the 任务 list, schedules' records, beat in Chinese)
    admin_offices,  # noqa: F401  (S3: the offices and who works for which)
    security_admin,  # noqa: F401  (R3: sign-in locks and the audit trail)
)
