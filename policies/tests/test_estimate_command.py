"""`estimate_reimbursement` on real JSON files. Expected figures are worked out by hand
from the seeds (shanghai-student-insurance-guide-2024-11.txt Q3/Q7,
wuhan-2025-student-insurance-notice.txt 五/六)."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run(tmp_path, request: dict) -> dict:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
    out = StringIO()
    call_command("estimate_reimbursement", str(path), stdout=out)
    return json.loads(out.getvalue())


def test_shanghai_outpatient_then_catastrophic_stay(tmp_path):
    result = run(
        tmp_path,
        {
            "policy_year": "shanghai-2025",
            "member": {"category": "low_income_family", "cover_start": "2025-01-01"},
            "expenses": [
                # Q7: 300 yearly deductible, level 2 outpatient 60%: (1000 - 300) × 60% = 420
                {
                    "date": "2025-03-01",
                    "care": "outpatient",
                    "level": "2",
                    "in_scope": "1000.00",
                    "out_of_scope": "50.00",
                },
                # Q7: level 3 stay, 300 deductible, 60%: (20000 - 300) × 60% = 11820;
                # burden 20000 - 11820 = 8180; 低保 catastrophic 65%: 8180 × 65% = 5317
                {
                    "date": "2025-04-01",
                    "care": "inpatient",
                    "level": "3",
                    "in_scope": "20000",
                    "catastrophic_disease": True,
                },
            ],
        },
    )

    first, second = result["expenses"]
    assert (first["deductible"], first["fund"], first["student"]) == ("300.00", "420.00", "630.00")
    assert (second["fund"], second["catastrophic"], second["student"]) == (
        "11820.00",
        "5317.00",
        "2863.00",
    )
    assert result["totals"] == {"fund": "12240.00", "catastrophic": "5317.00", "student": "3493.00"}
    assert result["cover"] == {"start": "2025-01-01", "end": "2025-12-31", "waiting_months": 0}
    assert all(line["reasons"] for line in result["expenses"])


def test_late_enrollment_waiting_period_from_the_worked_example(tmp_path):
    # Q3: declared 5 Mar 2025, paid before 5 Jun -> benefits from 5 Jun 2025; a visit on
    # 1 Jun falls in the waiting period and pays nothing.
    result = run(
        tmp_path,
        {
            "policy_year": "shanghai-2025",
            "member": {
                "enrollment": {"kind": "late", "declared_on": "2025-03-05", "paid_on": "2025-05-20"}
            },
            "expenses": [
                {"date": "2025-06-01", "care": "outpatient", "level": "campus", "in_scope": "100"},
                # campus clinic 80%, no deductible: 100 × 80% = 80
                {"date": "2025-06-05", "care": "outpatient", "level": "campus", "in_scope": "100"},
            ],
        },
    )

    assert result["cover"] == {"start": "2025-06-05", "end": "2025-12-31", "waiting_months": 3}
    assert [line["fund"] for line in result["expenses"]] == ["0.00", "80.00"]
    assert result["expenses"][0]["status"] == "out_of_cover"


def test_stdin_and_wuhan_referral(monkeypatch):
    request = {
        "policy_year": "wuhan-2025",
        "member": {"cover_start": "2025-01-01"},
        "expenses": [
            # 五: school fund 70%, off campus only with the campus clinic's referral:
            # no referral -> 0; with referral 100 × 70% = 70
            {"date": "2025-03-01", "care": "outpatient", "level": "2", "in_scope": "100"},
            {
                "date": "2025-03-02",
                "care": "outpatient",
                "level": "2",
                "in_scope": "100",
                "referral": True,
            },
        ],
    }
    monkeypatch.setattr("sys.stdin", StringIO(json.dumps(request)))
    out = StringIO()

    call_command("estimate_reimbursement", "-", stdout=out)

    result = json.loads(out.getvalue())
    assert [line["fund"] for line in result["expenses"]] == ["0.00", "70.00"]
    assert result["expenses"][0]["status"] == "no_referral"


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        ({"policy_year": "beijing-2025", "member": {}, "expenses": []}, "policy_year"),
        (
            {"policy_year": "shanghai-2025", "member": {"category": "vip"}, "expenses": []},
            "member.category",
        ),
        (
            {
                "policy_year": "shanghai-2025",
                "member": {},
                "expenses": [
                    {"date": "2025-02-30", "care": "outpatient", "level": "1", "in_scope": "1"}
                ],
            },
            "expenses[0].date",
        ),
        (
            {
                "policy_year": "shanghai-2025",
                "member": {},
                "expenses": [
                    {"date": "2025-02-03", "care": "outpatient", "level": "1", "in_scope": "12.345"}
                ],
            },
            "expenses[0].in_scope",
        ),
        (
            {
                "policy_year": "shanghai-2025",
                "member": {},
                "expenses": [
                    {
                        "date": "2025-02-03",
                        "care": "chronic_outpatient",
                        "level": "1",
                        "in_scope": "1",
                    }
                ],
            },
            "expenses[0].care",
        ),
        (
            {
                "policy_year": "shanghai-2025",
                "member": {"enrollment": {"kind": "late"}},
                "expenses": [],
            },
            "member.enrollment.declared_on",
        ),
    ],
)
def test_bad_input_names_the_field_and_exits_2(tmp_path, request_, field):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(request_), encoding="utf-8")

    with pytest.raises(CommandError) as error:
        call_command("estimate_reimbursement", str(path))

    assert error.value.returncode == 2
    assert field in str(error.value)


def test_unreadable_json_exits_2(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")

    with pytest.raises(CommandError) as error:
        call_command("estimate_reimbursement", str(path))

    assert error.value.returncode == 2
    assert "JSON" in str(error.value)
