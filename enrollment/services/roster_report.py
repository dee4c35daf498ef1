"""What a roster import reports: the summary kept with the import (its counts, the rows in
error and the ineligible ones with the name and student number each gives, previews of
the new students and of the changes), bounded whatever the file held, and the changes
as staff read them."""

import json

from django.utils.translation import gettext as _

from office.incoming import excerpt

from .. import roster, rules
from ..models import Student

PREVIEW_ROWS = 100
STORED_ERRORS = 1000
SHOWN_UNKNOWN_COLUMNS = 30
# Every message and quoted cell is short already (office.incoming.excerpt); this bounds
# the whole, so that opening the import list or a report never loads much more.
SUMMARY_MAX_BYTES = 512 * 1024
BOUNDED_LISTS = ("invalid", "ineligible", "preview_updated", "preview_new")


def roster_summary(plan: roster.Plan) -> dict:
    data = plan.as_json()
    data["invalid_rows"] = plan.invalid_rows
    data["invalid_total"] = len(data["invalid"])
    data["invalid"] = data["invalid"][:STORED_ERRORS]
    data["ineligible_total"] = len(data["ineligible"])
    data["ineligible"] = data["ineligible"][:STORED_ERRORS]
    data["header_row"] = plan.header.row
    data["sheet"] = excerpt(data.get("sheet", ""))
    data["unknown_columns"] = unknown_columns(plan.header.unknown)
    data["preview_new"] = [_preview(values) for values in plan.new[:PREVIEW_ROWS]]
    data["preview_updated"] = [
        {
            "student_number": values["student_number"],
            "name": values["name"],
            "changes": {name: [_plain(old), _plain(new)] for name, (old, new) in changes.items()},
        }
        for _, values, changes in plan.updated[:PREVIEW_ROWS]
    ]
    return _bounded(data)


def unknown_columns(names: list[str]) -> list[str]:
    """The headers no column claims, as the report lists them: the first few, each short."""
    shown = [excerpt(name) for name in names[:SHOWN_UNKNOWN_COLUMNS]]
    if len(names) > SHOWN_UNKNOWN_COLUMNS:
        shown.append(f"……共 {len(names)} 列")
    return shown


def _bounded(data: dict) -> dict:
    """Halve the stored lists until the summary fits SUMMARY_MAX_BYTES; the totals
    (`invalid_total`, `ineligible_total`) still say how many there were."""
    while len(json.dumps(data, ensure_ascii=False).encode()) > SUMMARY_MAX_BYTES:
        longest = max(BOUNDED_LISTS, key=lambda key: len(data[key]))
        if not data[longest]:
            break
        data[longest] = data[longest][: len(data[longest]) // 2]
    return data


def _preview(values: dict) -> dict:
    return {
        "student_number": values.get("student_number", ""),
        "name": values.get("name", ""),
        "masked_id_number": rules.mask_id(values.get("id_number", "")),
        "college": values.get("college", ""),
        "registered_on": _plain(values.get("registered_on")),
    }


def _plain(value):
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def roster_changes_shown(changes: dict) -> list[tuple[str, str, str]]:
    """A preview's changes (field -> [old, new], as kept in the summary) as staff read
    them, in the interface language: 专业名称：临床医学 → 法学; 学习形式：全日制 → 非全日制."""
    shown = []
    for name, (old, new) in changes.items():
        try:
            field = Student._meta.get_field(name)
        except Exception:  # a summary kept by an older version
            shown.append((name, _value(None, old), _value(None, new)))
            continue
        shown.append((str(field.verbose_name), _value(field, old), _value(field, new)))
    return shown


def _value(field, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)
