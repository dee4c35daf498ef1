"""The enrollment app's admin, one module per part of the year; importing them registers
their model admins."""

from . import (
    collective,
    declarations,
    enrollments,
    imports,
    money,
    opt_outs,
    prior_coverage,
    students,
)

__all__ = [
    "collective",
    "declarations",
    "enrollments",
    "imports",
    "money",
    "opt_outs",
    "prior_coverage",
    "students",
]
