"""When the database refuses a write that a dry run passed: said as what it is, in the
staff's words, instead of a traceback or a 500. The dry runs check what the database
can store (lengths, digits, uniqueness), so this is the rare case: a constraint they do
not know, or a row another user wrote in between. Values are never quoted (they may be
ID numbers); the field and the rule are."""

import contextlib
import re
from decimal import Decimal

from django.apps import apps
from django.db import DataError, IntegrityError, connection

from .errors import Refused

# SQLSTATE classes 23 (constraint) and 22 (data), PostgreSQL's and the standard's
UNIQUE, NOT_NULL, CHECK, FOREIGN_KEY = "23505", "23502", "23514", "23503"
TOO_LONG, OUT_OF_RANGE = "22001", "22003"
SQLITE_KINDS = {
    "UNIQUE constraint failed": UNIQUE,
    "NOT NULL constraint failed": NOT_NULL,
    "CHECK constraint failed": CHECK,
    "FOREIGN KEY constraint failed": FOREIGN_KEY,
}


class WriteRefused(Refused):
    """The database refused a write; the transaction was rolled back, nothing is written."""


@contextlib.contextmanager
def refused_writes():
    """IntegrityError and DataError inside become WriteRefused: Django's, and the
    driver's own from a raw cursor (PostgreSQL's COPY). Put it outside the transaction,
    so the rollback has happened when the staff are told."""
    try:
        yield
    except (IntegrityError, DataError) as exc:
        raise write_refused(exc) from exc
    except Exception as exc:
        driver = connection.Database
        if isinstance(exc, driver.IntegrityError | driver.DataError):
            raise write_refused(exc) from exc
        raise


def write_refused(exc: Exception) -> WriteRefused:
    """`exc` is an IntegrityError or a DataError, Django's or the driver's."""
    kind, table, columns, constraint, limit = _details(exc)
    labels = "、".join(f"「{_label(table, column)}」" for column in columns)
    model = _model_label(table)
    if kind == UNIQUE:
        rule = f"{model}的{labels or '某个字段'}不能与已有记录重复"
    elif kind == NOT_NULL:
        rule = f"{model}的{labels or '某个字段'}不能为空"
    elif kind == CHECK:
        owner = _constraint_owner(constraint) or (model if table else "")
        rule = f"{owner}不满足检查约束 {constraint or '（未知）'}"
    elif kind == FOREIGN_KEY:
        rule = f"{model}关联的记录已不存在"
    elif kind == TOO_LONG:
        rule = f"某个值超过了数据库允许的 {limit} 个字符" if limit else "某个值超过了允许的长度"
    elif kind == OUT_OF_RANGE:
        rule = "某个数值超出了数据库允许的范围"
    else:
        rule = f"数据库错误 {kind or type(exc).__name__}"
    return WriteRefused(
        f"数据库拒绝写入（{rule}），没有写入任何数据。请重新检查该文件后再导入。",
        code="write_refused",
    )


def _details(exc) -> tuple[str, str, list[str], str, str]:
    """(SQLSTATE, table, columns, constraint, length limit) as far as the driver tells."""
    diag = getattr(exc, "diag", None) or getattr(exc.__cause__, "diag", None)
    if diag is not None:  # psycopg (PostgreSQL)
        detail = re.match(r"Key \((.*?)\)=", diag.message_detail or "")
        columns = [diag.column_name] if diag.column_name else []
        if detail:
            columns = [name.strip().strip('"') for name in detail.group(1).split(",")]
        limit = re.search(r"\((\d+)\)", diag.message_primary or "")
        return (
            diag.sqlstate or "",
            diag.table_name or "",
            columns,
            diag.constraint_name or "",
            limit.group(1) if limit else "",
        )
    message = str(exc)
    for prefix, kind in SQLITE_KINDS.items():
        if message.startswith(prefix):
            names = [name.strip() for name in message[len(prefix) + 1 :].split(",")]
            if kind == CHECK:
                return kind, "", [], names[0], ""
            dotted = [name.partition(".") for name in names if "." in name]
            table = dotted[0][0] if dotted else ""
            return kind, table, [column for _, _, column in dotted], "", ""
    return "", "", [], "", ""


def _model(table: str):
    for model in apps.get_models():
        if model._meta.db_table == table:
            return model
    return None


def _constraint_owner(name: str) -> str:
    """The model whose Meta declares the constraint `name`, as staff call it; "" if none."""
    for model in apps.get_models():
        if any(constraint.name == name for constraint in model._meta.constraints):
            return str(model._meta.verbose_name)
    return ""


def _model_label(table: str) -> str:
    model = _model(table)
    return str(model._meta.verbose_name) if model else (table or "记录")


def _label(table: str, column: str) -> str:
    model = _model(table)
    for field in model._meta.concrete_fields if model else ():
        if field.column == column:
            return str(field.verbose_name)
    return column


def max_lengths(model, names) -> dict[str, int]:
    """field -> the most characters the database keeps, for the dry runs to check."""
    return {name: model._meta.get_field(name).max_length for name in names}


def amount_ceiling(model, name: str):
    """The first amount a DecimalField cannot keep: 10^10 for max_digits=12 with two
    decimal places."""
    field = model._meta.get_field(name)
    return Decimal(10) ** (field.max_digits - field.decimal_places)
