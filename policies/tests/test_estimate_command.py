"""`estimate_reimbursement` on real JSON files. Expected figures are worked out by hand
from the seeds (shanghai-student-insurance-guide-2024-11.txt Q3/Q7,
wuhan-2025-student-insurance-notice.txt 五/六)."""

import json
import re
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


# --- issue 10: who pays (point 1), rescue before admission (point 2), bad requests (point 3)


def test_the_output_says_who_pays_each_expense(tmp_path):
    result = run(
        tmp_path,
        {
            "policy_year": "wuhan-2025",
            "member": {"cover_start": "2025-01-01"},
            "expenses": [
                # wuhan notice 五.1: the school's outpatient fund, 500 × 70% = 350.00
                {"date": "2025-03-01", "care": "outpatient", "level": "campus", "in_scope": "500"},
                # 六.2/六.5/六.8: L1 (200200 - 200) × 90% = 180000 -> the whole 150000.00 cap
                {"date": "2025-06-01", "care": "inpatient", "level": "1", "in_scope": "200200"},
            ],
        },
    )

    visit, stay = result["expenses"]
    assert (visit["fund"], visit["payer"], visit["payer_label"]) == (
        "350.00",
        "school_outpatient_fund",
        "学校门诊经费",
    )
    assert (stay["fund"], stay["payer"], stay["payer_label"]) == (
        "150000.00",
        "basic_fund",
        "基本医保基金",
    )
    assert result["totals"]["fund"] == "150350.00"
    assert result["fund_by_payer"] == {
        "basic_fund": "150000.00",
        "school_outpatient_fund": "350.00",
    }


def test_a_rescue_carrying_a_stay_key_is_part_of_that_stay(tmp_path):
    rescue_then_stay = [
        # wuhan notice 六.7 + 六.2/六.5 L3: the stay's 800 deductible from the rescue first:
        # (2000 - 800) × 60% = 720.00 (as outpatient care, without a referral: nothing)
        {"date": "2025-05-01", "care": "emergency", "level": "3", "in_scope": "2000"},
        # the rest of the stay: 10000 × 60% = 6000.00
        {"date": "2025-05-01", "care": "inpatient", "level": "3", "in_scope": "10000"},
    ]
    result = run(
        tmp_path,
        {
            "policy_year": "wuhan-2025",
            "member": {"cover_start": "2025-01-01"},
            "expenses": [{**bill, "stay": "s1"} for bill in rescue_then_stay],
        },
    )

    rescue, stay = result["expenses"]
    assert (rescue["status"], rescue["deductible"], rescue["fund"]) == (
        "covered",
        "800.00",
        "720.00",
    )
    assert (stay["deductible"], stay["fund"]) == ("0.00", "6000.00")


def enrollment(kind: str, **facts) -> dict:
    return {"enrollment": {"kind": kind, **facts}}


def outpatient(**changes) -> dict:
    return {"date": "2025-03-01", "care": "outpatient", "level": "1", "in_scope": "100", **changes}


BAD_REQUESTS = [
    # amounts too large to be money: a money column holds at most 9999999999.99
    pytest.param(
        "shanghai-2025", {}, [outpatient(in_scope="1e26")], "expenses[0].in_scope", id="1e26"
    ),
    pytest.param(
        "shanghai-2025", {}, [outpatient(in_scope=1e26)], "expenses[0].in_scope", id="1e26-number"
    ),
    pytest.param(
        "shanghai-2025",
        {},
        [outpatient(out_of_scope="10000000000")],
        "expenses[0].out_of_scope",
        id="ten-billion",
    ),
    # shanghai guide Q5: a back-paid year repairs a gap year; there must be one to repair
    pytest.param(
        "shanghai-2026",
        enrollment(
            "late", declared_on="2026-03-05", paid_on="2026-03-06", gap_years=1, back_paid_years=2
        ),
        [],
        "member.enrollment.back_paid_years",
        id="back-pay-more-than-gaps",
    ),
    # shanghai guide Q6: continuity counts from the 2025 scheme year, so a 2025 enrollment
    # has no gap year at all and a 2026 one at most one (2025)
    pytest.param(
        "shanghai-2025",
        enrollment("late", declared_on="2025-03-05", paid_on="2025-03-06", gap_years=1),
        [],
        "member.enrollment.gap_years",
        id="gap-year-before-2025",
    ),
    pytest.param(
        "shanghai-2026",
        enrollment("collective", gap_years=2),
        [],
        "member.enrollment.gap_years",
        id="two-gap-years-in-2026",
    ),
    pytest.param(
        "shanghai-2025",
        {"cover_start": "2024-06-01"},
        [],
        "member.cover_start",
        id="cover-start-before-the-year",
    ),
    pytest.param(
        "shanghai-2025",
        {"cover_start": "2025-06-01", "cover_end": "2025-05-01"},
        [],
        "member.cover_end",
        id="cover-ends-before-it-starts",
    ),
    pytest.param(
        "shanghai-2025",
        enrollment("freshman", registered_on="2024-09-01"),
        [],
        "member.enrollment.registered_on",
        id="registered-outside-the-year",
    ),
    pytest.param(
        "shanghai-2025", {}, [outpatient(date="2026-01-05")], "expenses[0].date", id="next-year"
    ),
    pytest.param(
        "shanghai-2025",
        {},
        [outpatient(care="chronic_outpatient")],
        "expenses[0].care",
        id="no-such-rule",
    ),
    # wuhan notice 六.7: only a rescue joins a stay; a key on outpatient care is no stay
    pytest.param(
        "wuhan-2025", {}, [outpatient(level="campus", stay="s")], "expenses[0].stay", id="stay"
    ),
    pytest.param(
        "wuhan-2025",
        {},
        [outpatient(care="emergency", level="3", stay="s2")],
        "expenses[0].stay",
        id="rescue-without-its-stay",
    ),
]


@pytest.mark.parametrize(("policy_year", "member", "expenses", "field"), BAD_REQUESTS)
def test_a_bad_request_names_the_field_in_chinese_and_exits_2(
    tmp_path, policy_year, member, expenses, field
):
    path = tmp_path / "bad.json"
    request = {"policy_year": policy_year, "member": member, "expenses": expenses}
    path.write_text(json.dumps(request), encoding="utf-8")

    with pytest.raises(CommandError) as error:
        call_command("estimate_reimbursement", str(path))

    message = str(error.value)
    assert error.value.returncode == 2
    assert message.startswith(f"字段 {field}：")
    words = message.removeprefix(f"字段 {field}：").replace(policy_year, "")
    assert re.search(r"[\u4e00-\u9fff]", words)
    assert not re.findall(r"[A-Za-z]{3,}", words), words


def test_a_huge_value_is_quoted_short(tmp_path):
    path = tmp_path / "huge.json"
    request = {"policy_year": "shanghai-2025", "expenses": [outpatient(in_scope="9" * 100_000)]}
    path.write_text(json.dumps(request), encoding="utf-8")

    with pytest.raises(CommandError) as error:
        call_command("estimate_reimbursement", str(path))

    assert error.value.returncode == 2
    assert len(str(error.value)) < 200


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[" * 100_000 + "]" * 100_000, "嵌套层数过多"),
        ('{"policy_year": ' + "1" * 5000 + "}", "数字位数过多"),
        ("{not json", "第 1 行第 2 列"),
    ],
)
def test_unparseable_json_exits_2_in_chinese(tmp_path, text, says):
    path = tmp_path / "broken.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(CommandError) as error:
        call_command("estimate_reimbursement", str(path))

    assert error.value.returncode == 2
    assert says in str(error.value)
