"""import_claims row by row: every column's error named by its row, column and code; the
Chinese values mapped to codes and the care type that follows from the claim type; the
student found by 学号 or 证件号码; a claim imported whole or not at all; a facility the
registry lacks accepted at the row's level and listed.

Worked from the seeds: shanghai-2025 covers a collective student 1 Jan – 31 Dec 2025
(CoveredStudentFactory); a receipt of 10 Mar 2025 is claimed on 1 Apr 2025."""

import json
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from claims import incoming
from claims.models import Claim, ClaimLine
from claims.tests.claim_files import receipt
from claims.tests.claim_files import run_import as run
from claims.tests.factories import CoveredStudentFactory, ReferralFactory

pytestmark = pytest.mark.django_db


def test_chinese_values_map_to_codes_and_the_care_follows_the_type(claims_xlsx, hospital):
    student = CoveredStudentFactory()
    referral = ReferralFactory(student=student, facility=hospital)
    path = claims_xlsx(
        [
            receipt(
                student,
                报销类型="住院",
                医院等级="三级",
                出院日期="2025-03-15",
                住院号="ZY1",
                渠道="线上",
                票据号="F1",
            ),
            receipt(student, 报销类型="大病", 大病病种="恶性肿瘤治疗", 住院号="ZY2", 票据号="F2"),
            receipt(student, 报销类型="大病", 大病病种="血友病", 票据号="F3"),
            receipt(student, 报销类型="校外门诊（转诊）", 转诊单号=referral.number, 票据号="F4"),
            receipt(student, 报销类型="异地就医", 异地备案="长期", 票据号="F5"),
            receipt(student, 报销类型="新生建账前垫付", 不予支付类别="体检", 票据号="F6"),
        ]
    )

    code, done = run(path, "--commit")

    claims = [Claim.objects.get(number=number) for number in done["created"]]
    assert code == 0
    assert [(c.type, c.lines.get().care) for c in claims] == [
        ("inpatient", "inpatient"),
        ("catastrophic", "inpatient"),  # 大病 with a 住院号: a stay
        ("catastrophic", "outpatient"),
        ("referred_outpatient", "outpatient"),
        ("remote", "outpatient"),
        ("freshman_before_account", "outpatient"),
    ]
    assert claims[0].channel == "online"
    assert claims[0].lines.get().discharge_date == date(2025, 3, 15)
    assert claims[1].lines.get().catastrophic_disease == "malignant_tumour"
    assert claims[1].lines.get().stay_key == "ZY2"
    assert claims[3].referral == referral
    assert (claims[4].remote_registration, claims[4].out_of_city) == ("long_term", True)
    assert claims[5].lines.get().excluded == "checkup"


def test_english_headers_are_accepted(tmp_path, hospital):
    student = CoveredStudentFactory()
    workbook = Workbook()
    workbook.active.append(
        [
            "Student No.",
            "Claim type",
            "Facility",
            "Level",
            "Visit date",
            "Invoice number",
            "Invoice date",
            "Application date",
            "Invoice amount",
            "In scope",
        ]
    )
    # dates as Excel date cells, amounts as numbers
    cells = [student.student_number, "inpatient", "瑞金医院", "3", date(2025, 3, 10), "E1"]
    workbook.active.append([*cells, date(2025, 3, 12), date(2025, 4, 1), 1200, 1000.5])
    workbook.save(tmp_path / "claims.xlsx")

    code, done = run(tmp_path / "claims.xlsx", "--commit")

    line = ClaimLine.objects.get()
    assert (code, done["invalid"]) == (0, [])
    assert (line.care, line.total, line.in_scope) == (
        "inpatient",
        Decimal("1200.00"),
        Decimal("1000.50"),
    )


ROW_ERRORS = [
    ({"学号": "", "证件号码": ""}, "学号", "no_student"),
    ({"学号": "99999999"}, "学号", "unknown_student"),
    ({"证件号码": "3.1010519900307E+17"}, "证件号码", "bad_id_number"),
    ({"报销类型": "体检报销"}, "报销类型", "bad_type"),
    ({"报销类型": ""}, "报销类型", "no_type"),
    ({"医疗机构": ""}, "医疗机构", "no_facility"),
    ({"医院等级": "特级"}, "医院等级", "bad_level"),
    ({"医疗机构": "某诊所", "医院等级": ""}, "医院等级", "no_level"),
    ({"就诊日期": "三月十日"}, "就诊日期", "bad_date"),
    ({"票据号": ""}, "票据号", "no_invoice_number"),
    ({"票据号": "F" * 65}, "票据号", "too_long"),
    ({"票据日期": ""}, "票据日期", "bad_date"),
    ({"票据日期": "2025-03-09"}, "票据日期", "dates_out_of_order"),
    ({"申请日期": "2025-02-01"}, "申请日期", "dates_out_of_order"),
    ({"发票金额": "5O0"}, "发票金额", "bad_amount"),
    ({"发票金额": "0"}, "发票金额", "bad_amount"),
    ({"发票金额": "10000000000"}, "发票金额", "bad_amount"),
    ({"医保范围内金额": "400.001"}, "医保范围内金额", "bad_amount"),
    ({"医保范围内金额": "600"}, "医保范围内金额", "in_scope_over_total"),
    ({"出院日期": "2025-03-01"}, "出院日期", "dates_out_of_order"),
    ({"报销类型": "大病"}, "大病病种", "no_disease"),
    ({"报销类型": "大病", "大病病种": "感冒"}, "大病病种", "bad_disease"),
    ({"转诊单号": "ZZ999999"}, "转诊单号", "unknown_referral"),
    ({"异地备案": "永久"}, "异地备案", "bad_registration"),
    ({"备案有效期至": "明年"}, "备案有效期至", "bad_date"),
    ({"不予支付类别": "其他"}, "不予支付类别", "bad_excluded"),
    ({"渠道": "邮寄"}, "渠道", "bad_channel"),
    ({"收款账户": "6222-0212"}, "收款账户", "bad_bank_account"),
]


@pytest.mark.parametrize(("cells", "column", "code"), ROW_ERRORS)
def test_each_column_error_names_its_row_column_and_code(
    claims_xlsx, hospital, cells, column, code
):
    student = CoveredStudentFactory()
    path = claims_xlsx(
        [receipt(student, 票据号="OK1"), receipt(student, **{"票据号": "BAD1", **cells})]
    )

    exit_code, dry = run(path)
    commit_code, done = run(path, "--commit")

    assert exit_code == commit_code == 1
    [problem] = dry["invalid"]
    assert (problem["row"], problem["column"], problem["code"]) == (3, column, code)
    assert problem["message"]
    assert done["invalid"] == dry["invalid"] and len(done["created"]) == 1


def test_another_students_referral_and_a_mismatched_id_number_are_row_errors(claims_xlsx, hospital):
    student, other = CoveredStudentFactory(), CoveredStudentFactory()
    referral = ReferralFactory(student=other)
    path = claims_xlsx(
        [
            receipt(student, 转诊单号=referral.number, 票据号="F1"),
            receipt(student, 证件号码=other.id_number, 票据号="F2"),
        ]
    )

    code, dry = run(path)

    assert code == 1
    assert [(p["row"], p["column"], p["code"]) for p in dry["invalid"]] == [
        (2, "转诊单号", "referral_of_another_student"),
        (3, "证件号码", "student_mismatch"),
    ]
    assert other.id_number not in json.dumps(dry, ensure_ascii=False)  # masked


def test_a_claim_is_imported_whole_or_not_at_all(claims_xlsx, hospital):
    student, other = CoveredStudentFactory(), CoveredStudentFactory()
    path = claims_xlsx(
        [
            receipt(student, 申请单号="A1", 票据号="F1"),
            receipt(student, 申请单号="A1", 票据号="F2", 发票金额="abc"),
            receipt(student, 申请单号="A2", 票据号="F3"),
            receipt(other, 申请单号="A2", 票据号="F4"),
            receipt(student, 票据号="F5"),
        ]
    )

    code, done = run(path, "--commit")

    assert code == 1
    assert [(p["row"], p["column"], p["code"]) for p in done["invalid"]] == [
        (2, "申请单号", "claim_incomplete"),
        (3, "发票金额", "bad_amount"),
        (4, "申请单号", "claim_incomplete"),
        (5, "学号", "inconsistent_claim"),
    ]
    assert done["claims"] == 1
    assert list(ClaimLine.objects.values_list("invoice_number", flat=True)) == ["F5"]


def test_a_facility_not_in_the_registry_is_accepted_at_the_rows_level_and_listed(
    claims_xlsx, hospital
):
    student = CoveredStudentFactory()
    path = claims_xlsx(
        [
            receipt(student, 医疗机构="某区社区卫生服务中心", 医院等级="社区", 票据号="F1"),
            receipt(student, 医疗机构="某区社区卫生服务中心", 医院等级="社区", 票据号="F2"),
            # the registry's level wins over the row's, with a note
            receipt(student, 医疗机构=" 瑞金医院 ", 医院等级="二级", 票据号="F3"),
        ]
    )

    code, done = run(path, "--commit")

    assert code == 0
    assert done["new_facilities"] == [
        {"name": "某区社区卫生服务中心", "level": "community", "rows": 2}
    ]
    assert [(p["row"], p["code"]) for p in done["flagged"]] == [
        (2, "new_facility"),  # once, at its first row
        (4, "level_differs"),
    ]
    assert list(
        ClaimLine.objects.order_by("invoice_number").values_list(
            "facility", "facility_name", "level"
        )
    ) == [
        (None, "某区社区卫生服务中心", "community"),
        (None, "某区社区卫生服务中心", "community"),
        (hospital.pk, "瑞金医院", "3"),
    ]


@pytest.mark.parametrize(
    ("claim_type", "stay_key", "care"),
    [
        ("emergency_cash", "", "emergency"),
        ("emergency_cash", "ZY1", "emergency"),
        ("inpatient", "", "inpatient"),
        ("remote", "", "outpatient"),
        ("remote", "ZY1", "inpatient"),
        ("freshman_before_account", "ZY1", "inpatient"),
        ("referred_outpatient", "ZY1", "outpatient"),
        ("catastrophic", "", "outpatient"),
        ("catastrophic", "ZY1", "inpatient"),
    ],
)
def test_the_care_of_a_receipt_follows_from_the_claim_type(claim_type, stay_key, care):
    assert incoming.care_for(claim_type, stay_key) == care
