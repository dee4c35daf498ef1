"""A roster file's rows compared with what the roster already holds, pure: new, updated
(with the changes), unchanged or rejected; ineligible rows are imported and listed. The
services give the existing students as tuples (EXISTING_FIELDS)."""

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from office.headers import Header
from office.incoming import Problem, excerpt

from .. import rules
from .columns import COLUMNS
from .rows import ParsedRow

STUDENT_FIELDS = (
    "name",
    "id_type",
    "id_number",
    "student_number",
    "school",
    "college",
    "major",
    "education_level",
    "study_mode",
    "registered_on",
    "gender",
    "phone",
    "nationality",
    "origin",
    "subsidy_category",
    "training_mode",
    "in_service",
    "insured_elsewhere",
    "birth_date",
)


# What the roster holds of a student, as a tuple in this order (60,000 of them are
# compared on a re-import: tuples, not dicts). school_status is read, never imported.
EXISTING_FIELDS = ("school_status", *STUDENT_FIELDS)
EXISTING_INDEX = {name: index for index, name in enumerate(EXISTING_FIELDS)}


def as_record(student: Mapping) -> tuple:
    return tuple(student.get(name) for name in EXISTING_FIELDS)


@dataclass(frozen=True)
class Ineligible:
    row: int
    code: str
    message: str
    name: str = ""
    student_number: str = ""


@dataclass
class Plan:
    """What importing the file would do. `new` and `updated` hold only valid rows."""

    header: Header
    rows: int = 0
    new: list[dict] = field(default_factory=list)
    updated: list[tuple[int, dict, dict]] = field(default_factory=list)  # pk, values, changes
    unchanged: int = 0
    invalid: list[Problem] = field(default_factory=list)
    ineligible: list[Ineligible] = field(default_factory=list)
    rejected_rows: list[ParsedRow] = field(default_factory=list)
    skipped: int = 0  # footers and repeated page tops, not data (office.rows)

    @property
    def invalid_rows(self) -> int:
        return len(self.rejected_rows)

    def as_json(self) -> dict:
        """Each invalid and ineligible row with the name and student number it gives, for
        staff to find the student (short excerpts: a rejected cell may be very long)."""
        who = {
            row.row: {
                "name": excerpt(row.values.get("name", "")),
                "student_number": excerpt(row.values.get("student_number", "")),
            }
            for row in self.rejected_rows
        }
        return {
            "rows": self.rows,
            "new": len(self.new),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "invalid": [{**p.as_json(), **who.get(p.row, {})} for p in self.invalid],
            "ineligible": [
                {
                    "row": i.row,
                    "code": i.code,
                    "message": i.message,
                    "name": i.name,
                    "student_number": i.student_number,
                }
                for i in self.ineligible
            ],
            "skipped": self.skipped,
            "sheet": self.header.sheet,
        }


ELIGIBILITY_FIELDS = {
    field.name: "" if field.default is dataclasses.MISSING else field.default
    for field in dataclasses.fields(rules.EligibilityFacts)
}


def eligibility_of(values: Mapping, existing: Mapping | None = None) -> rules.Eligibility:
    """Eligibility from the file's values, completed by the roster's record if any."""
    source = {**existing, **values} if existing else values
    return rules.eligibility(
        rules.EligibilityFacts(
            **{name: source.get(name, default) for name, default in ELIGIBILITY_FIELDS.items()}
        )
    )


SHOWN_DUPLICATES = 5


def mark_duplicates(rows: list[ParsedRow]) -> None:
    """Every occurrence of an ID number or student number seen twice is rejected, each
    naming the others (the first SHOWN_DUPLICATES of them: a column filled with one value
    must not make each row's message name every other row): which one is right is for
    the staff to say, not for us to guess."""
    by_id, by_number = defaultdict(list), defaultdict(list)
    for row in rows:
        values = row.values
        if values.get("id_type") and values.get("id_number"):
            by_id[(values["id_type"], values["id_number"])].append(row)
        if values.get("student_number"):
            by_number[values["student_number"]].append(row)
    for groups, column in ((by_id, "id_number"), (by_number, "student_number")):
        label = COLUMNS[column][0]
        for group in groups.values():
            if len(group) < 2:
                continue
            first = [other.row for other in group[: SHOWN_DUPLICATES + 1]]
            for row in group:
                others = [number for number in first if number != row.row][:SHOWN_DUPLICATES]
                shown = "、".join(map(str, others))
                if len(group) - 1 > SHOWN_DUPLICATES:
                    shown += f" 等 {len(group) - 1}"
                row.errors.append(
                    Problem(row.row, label, f"{label}与第 {shown} 行重复。", "duplicate_in_file")
                )


def plan_import(
    header: Header,
    rows: Iterable[ParsedRow],
    *,
    existing_by_key: Mapping[tuple[str, str], tuple[int, tuple]],
    key_by_student_number: Mapping[str, tuple[str, str]],
) -> Plan:
    """Classify every parsed row against the roster: new, updated (with the changes),
    unchanged, or invalid; ineligible rows are still imported and listed.
    `existing_by_key` maps a business key to (pk, record as in EXISTING_FIELDS)."""
    name_at = EXISTING_INDEX["name"]
    rows = list(rows)
    mark_duplicates(rows)
    plan = Plan(header=header, rows=len(rows))
    for row in rows:
        values = row.values
        key = (values.get("id_type"), values.get("id_number"))
        found = existing_by_key.get(key) if not row.errors else None
        if not row.errors:
            owner = key_by_student_number.get(values["student_number"])
            # "JohnSmith" (as names were once stored) and "John Smith" are one person
            if found and _spaceless(found[1][name_at]) != _spaceless(values["name"]):
                row.errors.append(
                    Problem(row.row, "姓名", "相同证件号存在其他医保账户但姓名不同。", "conflict")
                )
            elif owner is not None and owner != key:
                row.errors.append(
                    Problem(
                        row.row,
                        "学号",
                        f"学号 {values['student_number']} 已属于名册中另一证件号码的学生。",
                        "conflict",
                    )
                )
        if row.errors:
            plan.invalid.extend(row.errors)
            plan.rejected_rows.append(row)
            continue
        current = dict(zip(EXISTING_FIELDS, found[1], strict=True)) if found else None
        status = eligibility_of(values, current)
        if not status.eligible:
            plan.ineligible.append(
                Ineligible(
                    row.row, status.code, status.message, values["name"], values["student_number"]
                )
            )
        if found is None:
            plan.new.append(values)
            continue
        pk = found[0]
        changes = {
            name: (current.get(name), value)
            for name, value in values.items()
            if current.get(name) != value
        }
        if changes:
            plan.updated.append((pk, values, changes))
        else:
            plan.unchanged += 1
    plan.invalid.sort(key=lambda error: error.row)
    return plan


def _spaceless(name: str) -> str:
    return "".join(name.split())
