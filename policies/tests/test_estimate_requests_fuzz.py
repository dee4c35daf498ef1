"""Any request, however wrong, gets an estimate or an EstimateInputError naming a field in
Chinese: never another exception (issue 10, point 3)."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies import services
from policies.estimates import EstimateInputError

pytestmark = pytest.mark.django_db

odd_values = st.sampled_from(
    [
        None,
        True,
        0,
        -1,
        10**30,
        1e26,
        float("inf"),
        "",
        "1e26",
        "-0",
        "NaN",
        "Infinity",
        "0.001",
        "12.34",
        "abc",
        "2025-02-30",
        "2024-06-01",
        "2025-06-01",
        "2026-01-01",
        "9" * 5000,
        "s",
        "campus",
        "3",
        "inpatient",
        "emergency",
        "outpatient",
        "late",
        "freshman",
        "collective",
        [],
        {},
        [1, [2], -2],
    ]
)
json_values = st.recursive(
    odd_values, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner)
)
EXPENSE_FIELDS = (
    "date",
    "care",
    "level",
    "in_scope",
    "out_of_scope",
    "catastrophic_disease",
    "excluded",
    "referral",
    "stay",
)
ENROLLMENT_FIELDS = (
    "kind",
    "declared_on",
    "paid_on",
    "registered_on",
    "gap_years",
    "back_paid_years",
)


def some_of(fields: tuple[str, ...]) -> st.SearchStrategy[dict]:
    return st.dictionaries(st.sampled_from(fields), odd_values | json_values, max_size=6)


def nearly(valid: dict, fields: tuple[str, ...]) -> st.SearchStrategy[dict]:
    """A valid object with one or two fields made odd, so the engine runs often."""
    changes = st.dictionaries(st.sampled_from(fields), odd_values, max_size=2)
    return changes.map(lambda changed: {**valid, **changed})


VALID_EXPENSE = {"date": "2025-05-01", "care": "inpatient", "level": "2", "in_scope": "100"}
VALID_LATE = {"kind": "late", "declared_on": "2025-03-05", "paid_on": "2025-03-06"}


requests = st.fixed_dictionaries(
    {
        "policy_year": st.sampled_from(["shanghai-2025", "wuhan-2025"]) | odd_values,
        "member": st.fixed_dictionaries(
            {},
            optional={
                "category": odd_values,
                "cover_start": odd_values,
                "cover_end": odd_values,
                "enrollment": nearly(VALID_LATE, ENROLLMENT_FIELDS)
                | some_of(ENROLLMENT_FIELDS)
                | odd_values,
            },
        )
        | odd_values,
        "expenses": st.lists(
            nearly(VALID_EXPENSE, EXPENSE_FIELDS) | some_of(EXPENSE_FIELDS) | odd_values,
            max_size=4,
        )
        | odd_values,
    }
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests)
def test_any_request_is_estimated_or_refused_in_chinese(db, request):
    try:
        result = services.estimate_run(request=request)
    except EstimateInputError as error:
        assert error.field
        assert re.search(r"[\u4e00-\u9fff]", error.message)
        assert len(error.message) < 300
    else:
        assert len(result["expenses"]) == len(request["expenses"])
