"""The roster file rules, pure: headers matched, cells normalised and validated, rows
compared with what the roster already holds. No ORM and no I/O: the services feed it
rows from office.spreadsheets and the existing students as plain tuples.

DESIGN.md §5 is the spec; row error codes are stable (JSON output, error workbook).
`columns` is the file's vocabulary, `rows` reads one row, `plan` compares the rows with
the roster."""

from .columns import (
    COLUMNS,
    EDUCATION_LEVELS,
    ERROR_CODES,
    GENDERS,
    ID_TYPE_LABELS,
    ID_TYPES,
    REQUIRED_COLUMNS,
    REQUIRED_VALUES,
    STUDY_MODES,
    first_labels,
)
from .plan import (
    EXISTING_FIELDS,
    EXISTING_INDEX,
    STUDENT_FIELDS,
    Ineligible,
    Plan,
    as_record,
    eligibility_of,
    mark_duplicates,
    plan_import,
)
from .rows import ParsedRow, check_id_number, find_header, parse_row, parse_special

__all__ = [
    "COLUMNS",
    "EDUCATION_LEVELS",
    "ERROR_CODES",
    "EXISTING_FIELDS",
    "EXISTING_INDEX",
    "GENDERS",
    "ID_TYPES",
    "ID_TYPE_LABELS",
    "REQUIRED_COLUMNS",
    "REQUIRED_VALUES",
    "STUDENT_FIELDS",
    "STUDY_MODES",
    "Ineligible",
    "ParsedRow",
    "Plan",
    "as_record",
    "check_id_number",
    "eligibility_of",
    "find_header",
    "first_labels",
    "mark_duplicates",
    "parse_row",
    "parse_special",
    "plan_import",
]
