"""The enrollment app's use cases, one module per part of the office's year. Callers
import them from here: `services.enrollment_create(...)`."""

from .common import personal_data_access_record
from .enrollments import (
    EnrollmentRefused,
    enrollment_create,
    enrollment_transition,
    enrollments_confirm,
)
from .payment_lists import (
    PAYMENT_LIST_HEADER,
    payment_list_export_frozen,
    payment_list_export_open,
    payment_list_freeze,
    payment_list_open,
)
from .roster_import import (
    RosterImportError,
    roster_apply,
    roster_check,
    roster_error_workbook,
    roster_import_confirm,
    roster_import_file,
    roster_import_run_check,
    roster_import_run_commit,
    roster_import_start,
    student_derive_from_id,
)

__all__ = [
    "PAYMENT_LIST_HEADER",
    "EnrollmentRefused",
    "RosterImportError",
    "enrollment_create",
    "enrollment_transition",
    "enrollments_confirm",
    "payment_list_export_frozen",
    "payment_list_export_open",
    "payment_list_freeze",
    "payment_list_open",
    "personal_data_access_record",
    "roster_apply",
    "roster_check",
    "roster_error_workbook",
    "roster_import_confirm",
    "roster_import_file",
    "roster_import_run_check",
    "roster_import_run_commit",
    "roster_import_start",
    "student_derive_from_id",
]
