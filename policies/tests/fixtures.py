"""The policy years migrations 0002 and 0007 seed, as fixtures for every app's tests (the
project's conftest.py registers this module)."""

import pytest


def _policy_year(code: str):
    from policies.models import PolicyYear  # models load once Django is set up

    return PolicyYear.objects.get(code=code)


@pytest.fixture
def shanghai_2025(db):
    return _policy_year("shanghai-2025")


@pytest.fixture
def shanghai_2026(db):
    return _policy_year("shanghai-2026")


@pytest.fixture
def wuhan_2025(db):
    return _policy_year("wuhan-2025")


@pytest.fixture
def wuhan_2026(db):
    return _policy_year("wuhan-2026")
