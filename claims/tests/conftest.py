"""Fixtures of the claims app's tests. Staff (`staff("医保办")`), workbooks read back and
the seeded policy years (shanghai_2025, wuhan_2025, …) come from office/tests/fixtures.py
and policies/tests/fixtures.py."""

import pytest


@pytest.fixture
def covered_student(db):
    """A student covered all of 2025 in Shanghai (an established collective enrollment)."""
    from claims.tests.factories import CoveredStudentFactory

    return CoveredStudentFactory()


@pytest.fixture
def wuhan_student(db):
    """A student covered all of 2025 in Wuhan, where the school pays outpatient care."""
    from claims.tests.factories import CoveredStudentFactory

    return CoveredStudentFactory(covered_in="wuhan-2025")


@pytest.fixture
def campus_clinic(db):
    from claims.tests.factories import FacilityFactory

    return FacilityFactory(name="校医院", level="campus")


@pytest.fixture
def pdf_scan():
    """`pdf_scan()`: a small real PDF upload, as a document's scan."""
    from claims.tests.factories import pdf_scan

    return pdf_scan


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Scans the tests keep go to a directory of the test's own, not the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def claims_xlsx(tmp_path):
    """`claims_xlsx(receipts, titles=())`: a claims workbook for import_claims, one row
    per receipt (claims/tests/claim_files.py)."""
    from claims.tests import claim_files

    def make(receipts: list[dict], *, titles=(), name="报销.xlsx"):
        return claim_files.xlsx(tmp_path / name, receipts, titles=titles)

    return make


@pytest.fixture
def claims_csv(tmp_path):
    """`claims_csv(receipts, encoding="gbk")`: the same as a csv file."""
    from claims.tests import claim_files

    def make(receipts: list[dict], *, encoding="utf-8", name="报销.csv"):
        return claim_files.csv_file(tmp_path / name, receipts, encoding=encoding)

    return make


@pytest.fixture
def hospital(db):
    """瑞金医院, a level-3 hospital of the registry: claims_xlsx's receipts name it."""
    from claims.tests.factories import FacilityFactory

    return FacilityFactory(name="瑞金医院", level="3")
