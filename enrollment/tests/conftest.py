"""Fixtures of the enrollment app's tests: the files the office receives, built for real.
Staff, workbooks read back and the seeded policy years come from office/tests/fixtures.py
and policies/tests/fixtures.py."""

import pytest

from enrollment.tests import files


@pytest.fixture
def payment_file(tmp_path):
    """`payment_file(rows, titles=())`: a payment workbook as finance sends it."""

    def make(rows: list[list], *, name: str = "缴费.xlsx", titles=()):
        return files.xlsx(tmp_path / name, rows, header=files.PAYMENT_HEADER, titles=titles)

    return make


@pytest.fixture
def results_file(tmp_path):
    """`results_file(rows)`: the bureau's account results (证件号码, 建账结果, 失败原因)."""

    def make(rows: list[list], *, name: str = "结果.xlsx"):
        return files.xlsx(tmp_path / name, rows, header=files.RESULTS_HEADER)

    return make
