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
def sheet_rows():
    """The rows of a workbook's first sheet, as values."""

    def read(content: bytes) -> list[list]:
        sheet = load_workbook(BytesIO(content)).active
        return [list(row) for row in sheet.iter_rows(values_only=True)]

    return read
