"""The estimate says who pays each line's fund share (issue #14 point 7b): the basic fund,
or in Wuhan the school from its own outpatient fund, never plain 基金 — in the command's
JSON and on the admin page. Figures worked by hand from
wuhan-2025-student-insurance-notice.txt 五.1 (school outpatient: ≥ 70%, no deductible) and
六.2/六.5 (level-2 stay: 400 deductible, 70%), and shanghai-student-insurance-guide-2024-11.txt
Q7 (level-2 outpatient: 300 yearly deductible, 60%)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db

WUHAN_DAY = [
    # 五.1: the school's outpatient fund, 100 × 70% = 70.00
    {"date": "2025-03-01", "care": "outpatient", "level": "campus", "in_scope": "100.00"},
    # 六.2/六.5: level-2 stay, (10000 - 400) × 70% = 6720.00 from the basic fund
    {"date": "2025-04-01", "care": "inpatient", "level": "2", "in_scope": "10000.00"},
]


def estimate(tmp_path, request: dict) -> dict:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
    out = StringIO()
    call_command("estimate_reimbursement", str(path), stdout=out)
    return json.loads(out.getvalue())


def test_the_command_names_who_pays_each_share(tmp_path):
    result = estimate(
        tmp_path,
        {
            "policy_year": "wuhan-2025",
            "member": {"category": "standard", "cover_start": "2025-01-01"},
            "expenses": WUHAN_DAY,
        },
    )

    visit, stay = result["expenses"]
    assert (visit["fund"], visit["payer_label"]) == ("70.00", "学校门诊经费")
    assert (stay["fund"], stay["payer_label"]) == ("6720.00", "基本医保基金")
    assert result["totals"]["fund"] == "6790.00"
    assert result["fund_payers"] == [
        {"payer": "basic_fund", "label": "基本医保基金", "fund": "6720.00"},
        {"payer": "school_outpatient_fund", "label": "学校门诊经费", "fund": "70.00"},
    ]


def test_a_payer_who_pays_nothing_is_left_out(tmp_path):
    result = estimate(
        tmp_path,
        {
            "policy_year": "shanghai-2025",
            "member": {"category": "standard", "cover_start": "2025-01-01"},
            # Q7: (1000 - 300) × 60% = 420.00, all from the basic fund
            "expenses": [
                {"date": "2025-03-01", "care": "outpatient", "level": "2", "in_scope": "1000"}
            ],
        },
    )

    assert result["fund_payers"] == [
        {"payer": "basic_fund", "label": "基本医保基金", "fund": "420.00"}
    ]
    # the per-payer map still lists every payer, as before
    assert result["fund_by_payer"] == {"basic_fund": "420.00", "school_outpatient_fund": "0.00"}


def page_data(policy_year, expenses: list[dict]) -> dict:
    data = {
        "policy_year": policy_year.pk,
        "category": "standard",
        "cover_start": "2025-01-01",
        "kind": "",
        "gap_years": "0",
        "back_paid_years": "0",
        "expenses-TOTAL_FORMS": str(len(expenses)),
        "expenses-INITIAL_FORMS": "0",
        "expenses-MIN_NUM_FORMS": "0",
        "expenses-MAX_NUM_FORMS": "50",
    }
    for index, expense in enumerate(expenses):
        data.update({f"expenses-{index}-{name}": value for name, value in expense.items()})
    return data


def test_the_page_labels_each_share_with_its_payer(admin_client, wuhan_2025):
    page = admin_client.post(reverse("admin:policies_estimate"), page_data(wuhan_2025, WUHAN_DAY))

    html = page.content.decode()
    visit, stay = (html.split(f"<tr><td>{n}</td>")[1].split("</tr>")[0] for n in (1, 2))
    assert "70.00" in visit and "学校门诊经费" in visit
    assert "6,720.00" in stay and "基本医保基金" in stay
    # the fund column is no longer headed 基金 (the school's money is not the fund's)
    assert "基金支付</th>" not in html
    shares = html.split('class="fund-payer"')[1:]
    assert ["基本医保基金" in shares[0], "学校门诊经费" in shares[1]] == [True, True]
    assert "6,720.00" in shares[0] and "70.00" in shares[1]
