"""Fixtures for every app's tests (the project's conftest.py registers this module): staff
in a role, and reading back a workbook the portal wrote. Models are imported inside the
fixtures, once Django is set up."""

from io import BytesIO

import pytest
from openpyxl import load_workbook


@pytest.fixture
def staff(db):
    """`staff("医保办")`: a staff account in that role (password "x")."""
    from office.tests.factories import StaffFactory

    def make(role: str, **fields):
        return StaffFactory(role=role, **fields)

    return make


@pytest.fixture
def two_offices(db):
    """校医院医保办 (法学院, 外国语学院) and 医学院门诊部医保办 (医学院), as in the demo."""
    from office.tests.factories import OfficeFactory

    return (
        OfficeFactory(name="校医院医保办", code="campus", colleges=["法学院", "外国语学院"]),
        OfficeFactory(name="医学院门诊部医保办", code="medical", colleges=["医学院"]),
    )


@pytest.fixture
def sheet_rows():
    """The rows of a workbook's first sheet, as values."""

    def read(content: bytes) -> list[list]:
        sheet = load_workbook(BytesIO(content)).active
        return [list(row) for row in sheet.iter_rows(values_only=True)]

    return read
