"""The enrollment app's use cases, one module per part of the office's year. Callers
import them from here: `services.enrollment_create(...)`."""

from ..selectors import reconciliation
from .collective import (
    RunStart,
    collective_run_execute,
    collective_run_start,
    collective_run_totals,
)
from .common import personal_data_access_record
from .declarations import (
    bureau_results_apply,
    bureau_results_check,
    declaration_batch_create,
    declaration_batch_delete,
    declaration_batch_export,
    pending_confirmations,
    pending_counts,
    pending_list_name,
    pending_list_xlsx,
)
from .digest import collective_window_mark, freshman_digest_send, freshman_digest_xlsx
from .enrollments import (
    EnrollmentRefused,
    enrollment_create,
    enrollment_declare_late,
    enrollment_quote_late,
    enrollment_transition,
    enrollments_move,
)
from .opt_outs import (
    opt_out_attach_commitment,
    opt_out_problem,
    opt_out_record,
    students_to_chase,
    students_to_chase_xlsx,
)
from .payment_lists import (
    PAYMENT_LIST_HEADER,
    payment_list_export_frozen,
    payment_list_export_open,
    payment_list_freeze,
    payment_list_open,
    payment_list_open_totals,
)
from .payments import (
    enrollment_choose_family_aid,
    payment_problem,
    payment_record,
    payments_import_apply,
    payments_import_check,
)
from .prior_coverage import prior_coverage_apply, prior_coverage_check, waiting_recount
from .refunds import (
    Payout,
    refund_list_xlsx,
    refunds_due,
    refunds_issue,
    refunds_outstanding,
    refunds_pay_out,
    school_refunds_family_aid,
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
