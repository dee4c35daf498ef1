"""import_claims from the command line and the admin page: dry run, commit, the JSON, the
exit codes (0 every row usable, 1 some rows with problems, 2 the file refused), a
committed claim submitted and checked (a failed check is "rejected", not "invalid"),
committing the same file twice creates nothing the second time; real xlsx and csv files
(UTF-8 and GBK). Each column's errors are in test_import_claims_rows.py.

Worked from the seeds: shanghai-2025 covers a collective student 1 Jan – 31 Dec 2025
(CoveredStudentFactory); a receipt is claimed within 6 months of its date (shanghai guide
Q12: a receipt of 10 Mar 2025 may be claimed until 10 Sep 2025)."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from claims.models import Claim, ClaimEvent, ClaimLine
from claims.tests.claim_files import receipt
from claims.tests.claim_files import run_import as run
from claims.tests.factories import ClaimFactory, CoveredStudentFactory, LineInputFactory

pytestmark = pytest.mark.django_db


def test_a_dry_run_writes_nothing_and_a_commit_creates_submits_and_checks(claims_xlsx, hospital):
    first, second = CoveredStudentFactory(), CoveredStudentFactory()
    path = claims_xlsx(
        [
            receipt(first, 申请单号="A1", 票据号="FP0001"),
            receipt(
                first, 申请单号="A1", 票据号="FP0002", 就诊日期="2025-03-12", 票据日期="2025-03-12"
            ),
            receipt(second, 票据号="FP0003"),
        ]
    )

    code, dry = run(path)
    nothing = Claim.objects.count()
    code_commit, done = run(path, "--commit")

    assert code == 0
    assert dry == {
        "rows": 3,
        "claims": 2,
        "invalid": [],
        "rejected": [],
        "created": [],
        "unchanged": 0,
        "new_facilities": [],
        "flagged": [],
        "applied": False,
        "skipped": 0,
    }
    assert nothing == 0
    assert (code_commit, done["claims"], done["rejected"], done["applied"]) == (0, 2, [], True)
    assert done["created"] == ["BX2025-000001", "BX2025-000002"]
    one = Claim.objects.get(number="BX2025-000001")
    assert (one.student, one.type, one.channel, one.state) == (
        first,
        "emergency_cash",
        "window",
        "submitted",
    )
    assert one.submitted_on == date(2025, 4, 1)
    assert one.policy_year.code == "shanghai-2025"
    assert list(one.lines.values_list("position", "invoice_number", "care", "level")) == [
        (1, "FP0001", "emergency", "3"),
        (2, "FP0002", "emergency", "3"),
    ]
    line = one.lines.get(position=1)
    # 500.00 invoiced, 400.00 within scope: 100.00 outside it
    assert (line.total, line.in_scope, line.out_of_scope) == (
        Decimal("500.00"),
        Decimal("400.00"),
        Decimal("100.00"),
    )
    assert (line.facility, line.facility_name) == (hospital, "瑞金医院")
    assert list(one.events.values_list("from_state", "to_state")) == [("draft", "submitted")]
    # the checklist is laid out: an outpatient claim at the window needs five documents
    assert one.documents.count() == 5


def test_committing_the_same_file_twice_creates_nothing_the_second_time(claims_xlsx, hospital):
    student = CoveredStudentFactory()
    path = claims_xlsx(
        [
            receipt(student, 申请单号="A1", 票据号="FP0001"),
            receipt(student, 申请单号="A1", 票据号="FP0002"),
            receipt(student, 票据号="FP0003"),
            # a receipt twice in the file: its second claim is rejected duplicate_receipt
            receipt(student, 票据号="FP0003", 申请单号="A9"),
        ]
    )

    first_code, first = run(path, "--commit")
    counts = (Claim.objects.count(), ClaimLine.objects.count(), ClaimEvent.objects.count())
    code, again = run(path, "--commit")

    assert (first_code, len(first["created"]), first["unchanged"]) == (0, 3, 0)
    assert [(entry["row"], entry["code"]) for entry in first["rejected"]] == [
        (5, "duplicate_receipt")
    ]
    assert (code, again["claims"], again["created"], again["unchanged"]) == (0, 3, [], 3)
    assert again["rejected"] == []
    assert (Claim.objects.count(), ClaimLine.objects.count(), ClaimEvent.objects.count()) == counts


def test_a_claim_failing_a_check_is_rejected_not_invalid(claims_xlsx, hospital):
    student = CoveredStudentFactory()
    # 票据 of 10 Mar 2025 claimed on 11 Sep 2025: past the 6 months of shanghai guide Q12
    path = claims_xlsx([receipt(student, 申请日期="2025-09-11")])

    code, done = run(path, "--commit")

    claim = Claim.objects.get()
    assert code == 0 and done["invalid"] == []
    assert done["rejected"] == [
        {
            "row": 2,
            "claim": claim.number,
            "code": "late_submission",
            "message": claim.rejection_message,
        }
    ]
    assert (claim.state, claim.rejection_code) == ("rejected", "late_submission")


@pytest.mark.parametrize("chunk", [2000, 1])
def test_the_dry_run_names_the_rejections_the_commit_gives(
    claims_xlsx, hospital, monkeypatch, chunk
):
    """Each check the commit runs, predicted by the dry run with the same code and
    sentence (no claim number yet), also across the commit's chunks of claims."""
    from claims.services import imports

    monkeypatch.setattr(imports, "APPLY_CHUNK", chunk)
    covered, uncovered = CoveredStudentFactory(), CoveredStudentFactory(covered_in="")
    earlier = ClaimFactory(student=covered, lines=[LineInputFactory(invoice_number="FP0009")])
    path = claims_xlsx(
        [
            receipt(covered, 票据号="FP0001"),  # within every rule
            # 票据 of 10 Mar 2025 claimed on 11 Sep 2025: past the 6 months (guide Q12)
            receipt(covered, 票据号="FP0002", 申请日期="2025-09-11"),
            receipt(uncovered, 票据号="FP0003"),  # no cover on the visit date
            # claimed before, with another total: a second claim of it
            receipt(covered, 票据号="FP0009", 发票金额="600.00"),
            # twice in the file: the second claim of it is rejected
            receipt(covered, 票据号="FP0004"),
            receipt(covered, 票据号="FP0004", 申请单号="A9"),
        ]
    )

    code, dry = run(path)
    nothing = (Claim.objects.count(), ClaimLine.objects.count())
    _, done = run(path, "--commit")

    expected = [
        (3, "late_submission"),
        (4, "not_covered"),
        (5, "duplicate_receipt"),
        (7, "duplicate_receipt"),
    ]
    assert code == 0 and not dry["applied"] and dry["created"] == []
    assert [(entry["row"], entry["code"]) for entry in dry["rejected"]] == expected
    assert {entry["claim"] for entry in dry["rejected"]} == {""}
    assert nothing == (1, 1) and earlier.lines.count() == 1  # the dry run wrote nothing
    assert [(entry["row"], entry["code"]) for entry in done["rejected"]] == expected
    assert [entry["message"] for entry in dry["rejected"]] == [
        entry["message"] for entry in done["rejected"]
    ]


def test_the_dry_runs_summary_counts_the_rejections(claims_xlsx, hospital):
    student = CoveredStudentFactory()
    path = claims_xlsx([receipt(student, 票据号="F1"), receipt(student, 票据号="F1")])
    out = StringIO()

    call_command("import_claims", str(path), stdout=out)

    assert "将新建并提交 2 张，其中自动检查将驳回 1 张" in out.getvalue()


def test_an_invoice_claimed_before_rejects_the_claim_duplicate_receipt(claims_xlsx, hospital):
    student = CoveredStudentFactory()
    earlier = ClaimFactory(student=student, lines=[LineInputFactory(invoice_number="FP0001")])
    # the same invoice with another total: not the claim recorded before, a second claim of it
    path = claims_xlsx([receipt(student, 票据号="FP0001", 发票金额="600.00")])

    code, done = run(path, "--commit")

    claim = Claim.objects.exclude(pk=earlier.pk).get()
    assert code == 0
    assert [entry["code"] for entry in done["rejected"]] == ["duplicate_receipt"]
    assert claim.lines.get().duplicate_of == earlier.lines.get()


def test_rows_sharing_an_application_number_are_one_claim_else_one_claim_a_row(
    claims_csv, hospital
):
    student = CoveredStudentFactory()
    path = claims_csv(
        [
            receipt(student, 申请单号="A1", 票据号="FP1"),
            receipt(student, 票据号="FP2"),
            receipt(student, 申请单号="A1", 票据号="FP3"),
            receipt(student, 票据号="FP4"),
        ]
    )

    code, done = run(path, "--commit")

    assert (code, done["claims"]) == (0, 3)
    assert [
        list(Claim.objects.get(number=number).lines.values_list("invoice_number", flat=True))
        for number in done["created"]
    ] == [["FP1", "FP3"], ["FP2"], ["FP4"]]


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_csv_in_utf8_or_gbk_reads_as_the_workbook(claims_csv, claims_xlsx, encoding, hospital):
    student = CoveredStudentFactory()
    receipts = [receipt(student, 渠道="代办", 备注="补交材料")]

    from_csv = run(claims_csv(receipts, encoding=encoding))
    from_xlsx = run(claims_xlsx(receipts, titles=["2025年报销申请汇总表"]))

    assert from_csv == from_xlsx
    assert from_csv[0] == 0 and from_csv[1]["claims"] == 1


def test_a_row_with_an_id_number_only_finds_its_student(claims_xlsx, hospital):
    student = CoveredStudentFactory()
    path = claims_xlsx([receipt(None, 证件号码=student.id_number.lower())])

    code, _ = run(path, "--commit")

    assert (code, Claim.objects.get().student) == (0, student)


def test_a_file_without_the_required_columns_is_refused_with_exit_2(tmp_path):
    workbook = Workbook()
    workbook.active.append(["学号", "报销类型", "发票金额"])
    workbook.save(tmp_path / "报销.xlsx")

    with pytest.raises(CommandError) as refused:
        call_command("import_claims", str(tmp_path / "报销.xlsx"), "--commit", stdout=StringIO())

    assert refused.value.returncode == 2
    assert "缺少必需的列" in str(refused.value) and "医疗机构" in str(refused.value)
    assert Claim.objects.count() == 0


def test_a_missing_file_is_exit_2(tmp_path):
    with pytest.raises(CommandError) as refused:
        call_command("import_claims", str(tmp_path / "无.xlsx"), stdout=StringIO())
    assert refused.value.returncode == 2


def test_without_json_a_summary_and_each_problem(claims_xlsx, hospital):
    student = CoveredStudentFactory()
    path = claims_xlsx(
        [receipt(student, 票据号="F1"), receipt(student, 票据号="F2", 医院等级="特级")]
    )
    out = StringIO()

    with pytest.raises(SystemExit) as exit_:
        call_command("import_claims", str(path), stdout=out)

    assert exit_.value.code == 1
    assert "数据行 2，报销申请 1 张，将新建并提交 1 张，有问题 1 行" in out.getvalue()
    assert "第 3 行「医院等级」：无法识别「特级」" in out.getvalue()


# --- the admin page ---------------------------------------------------------------------------


def test_the_admin_page_checks_then_applies_once(client, staff, claims_xlsx, hospital):
    student = CoveredStudentFactory()
    path = claims_xlsx(
        [receipt(student, 票据号="F1"), receipt(student, 票据号="F2", 申请日期="2025-12-01")]
    )
    client.force_login(staff("医保办"))
    url = reverse("admin:claims_claims_import")

    with path.open("rb") as upload:
        checked = client.post(url, {"file": upload})
    token = checked.context["confirm"]["fields"]["token"]
    nothing = Claim.objects.count()
    applied = client.post(url, {"token": token})
    again = client.post(url, {"token": token}, follow=True)

    assert checked.status_code == 200 and nothing == 0
    assert "将新建并提交" in checked.content.decode()
    assert applied.status_code == 200
    assert "已驳回：超过报销申请期限" in applied.content.decode()
    assert Claim.objects.count() == 2
    assert "上传的文件已失效" in again.content.decode()


def test_the_import_button_is_on_the_claim_list_for_who_may_add_claims(client, staff):
    client.force_login(staff("医保办"))
    listing = client.get(reverse("admin:claims_claim_changelist"))
    assert reverse("admin:claims_claims_import") in listing.content.decode()
