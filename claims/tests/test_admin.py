"""The claims admin: what each role sees and may do, the workflow's moves as actions and
buttons (missing documents named), a claim made at the window, documents received with
their scans, the statement to print, insurer choices fixed once saved, and the facility
list imported with django-import-export (a dry run that names the bad row)."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from claims.models import Claim, ClaimDocument, Facility, InsurerChoice
from claims.tests.factories import (
    ClaimFactory,
    FacilityFactory,
    InsurerChoiceFactory,
    ReferralFactory,
)
from enrollment.models import PersonalDataAccess

pytestmark = pytest.mark.django_db

ACCOUNT = "6222021234567890123"
MASKED = "6222***********0123"
# the default claim: visit 10 Mar 2025, handed in 1 Apr 2025, inside the 6 months of
# shanghai guide Q12
HANDED_IN = date(2025, 4, 1)


def changelist():
    return reverse("admin:claims_claim_changelist")


def change(claim):
    return reverse("admin:claims_claim_change", args=[claim.pk])


def act(client, action: str, claims, **data):
    return client.post(
        changelist(),
        {"action": action, "_selected_action": [claim.pk for claim in claims], **data},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def clinic(client, staff):
    client.force_login(staff("医保办"))
    return client


@pytest.fixture
def draft():
    return ClaimFactory(submitted_on=HANDED_IN)


# --- who sees what ----------------------------------------------------------------------


def test_clinic_staff_get_the_workflow_actions_and_the_full_account(clinic, draft):
    listing = clinic.get(changelist())
    page = clinic.get(change(draft)).content.decode()

    actions = dict(listing.context["action_form"].fields["action"].choices)
    assert {"submit_claims", "start_review", "approve_claims", "reject_claims"} <= set(actions)
    assert draft.number in listing.content.decode()
    assert ACCOUNT in page
    assert "提交" in page  # the move open now, as a button
    access = PersonalDataAccess.objects.get()
    assert access.action == "view_full_id" and draft.number in access.detail


def test_finance_reads_claims_with_the_account_masked_and_moves_nothing(client, staff, draft):
    client.force_login(staff("财务"))

    listing = client.get(changelist())
    page = client.get(change(draft)).content.decode()

    assert listing.context["action_form"] is None  # no action at all
    assert ACCOUNT not in page and MASKED in page
    assert reverse("admin:claims_claim_move", args=[draft.pk, "submitted"]) not in page
    assert (
        client.get(reverse("admin:claims_claim_move", args=[draft.pk, "submitted"])).status_code
        == 403
    )
    assert not PersonalDataAccess.objects.exists()


def test_auditors_read_the_payout_lists_and_student_affairs_see_no_claims(client, staff, draft):
    client.force_login(staff("审计"))
    assert client.get(reverse("admin:claims_claimpayoutlist_changelist")).status_code == 200
    assert client.get(reverse("admin:claims_claimpayoutlist_freeze")).status_code == 403
    assert client.get(change(draft)).status_code == 200

    client.force_login(staff("学生处"))
    assert client.get(changelist()).status_code == 403


def test_the_list_filters_and_searches_claims(clinic, draft):
    other = ClaimFactory(type="inpatient", submitted_on=HANDED_IN)

    by_type = clinic.get(changelist(), {"type": "inpatient"}).content.decode()
    by_number = clinic.get(changelist(), {"q": draft.student.student_number}).content.decode()
    by_year = clinic.get(changelist(), {"year": "2025", "state": "draft"}).content.decode()

    assert other.number in by_type and draft.number not in by_type
    assert draft.number in by_number and other.number not in by_number
    assert draft.number in by_year and other.number in by_year


# --- moves ------------------------------------------------------------------------------


def test_submit_then_review_names_the_missing_documents(clinic, draft):
    submitted = act(clinic, "submit_claims", [draft])
    draft.refresh_from_db()
    assert draft.state == "submitted"
    assert any(draft.number in message for message in messages_of(submitted))

    refused = act(clinic, "start_review", [draft])

    draft.refresh_from_db()
    assert draft.state == "submitted"
    # an emergency claim at the window (sjtu rules art. 40): invoice, medical record,
    # itemised list, bank card, social security card, none received yet
    [message] = messages_of(refused)
    assert "缺少" in message and "发票" in message and "银行卡" in message


def test_a_late_claim_is_rejected_on_submission_with_the_checks_sentence(clinic):
    # visit 10 Mar 2025, handed in 1 Nov 2025: more than 6 months (shanghai guide Q12)
    late = ClaimFactory(submitted_on=date(2025, 11, 1))

    response = act(clinic, "submit_claims", [late])

    late.refresh_from_db()
    assert late.state == "rejected" and late.rejection_code == "late_submission"
    assert any("已驳回" in message for message in messages_of(response))
    page = clinic.get(change(late)).content.decode()
    assert "超过报销申请期限" in page and late.rejection_message in page


def test_review_approve_and_the_stored_breakdown_on_the_page(clinic):
    claim = ClaimFactory(submitted_on=HANDED_IN, received=True, submit=HANDED_IN)

    act(clinic, "start_review", [claim])
    act(clinic, "approve_claims", [claim])

    claim.refresh_from_db()
    assert claim.state == "approved" and claim.fund is not None
    page = clinic.get(change(claim)).content.decode()
    line = claim.lines.get()
    assert line.steps and line.steps[0] in page
    assert claim.rules_version in page


def test_rejecting_asks_for_the_sentence_first(clinic):
    claim = ClaimFactory(submitted_on=HANDED_IN, received=True, submit=HANDED_IN)

    asked = act(clinic, "reject_claims", [claim])
    claim.refresh_from_db()
    assert claim.state == "submitted"
    assert "驳回原因" in asked.content.decode()

    act(clinic, "reject_claims", [claim], reject="1", code="other", message="发票与病历不符。")

    claim.refresh_from_db()
    assert (claim.state, claim.rejection_code) == ("rejected", "other")
    assert claim.rejection_message == "发票与病历不符。"
    assert claim.events.last().reason == "发票与病历不符。"


def test_a_claims_page_moves_it_by_its_button(clinic):
    claim = ClaimFactory(submitted_on=HANDED_IN, received=True, submit=HANDED_IN)
    url = reverse("admin:claims_claim_move", args=[claim.pk, "in_review"])
    assert url in clinic.get(change(claim)).content.decode()

    confirm = clinic.get(url)
    assert confirm.status_code == 200 and claim.number in confirm.content.decode()
    clinic.post(url)

    claim.refresh_from_db()
    assert claim.state == "in_review"
    # a move the map does not allow from here is refused, nothing written
    clinic.post(reverse("admin:claims_claim_move", args=[claim.pk, "paid"]))
    claim.refresh_from_db()
    assert claim.state == "in_review"


# --- a claim at the window, its documents -----------------------------------------------


def inline(prefix: str, rows: list[dict], *, initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    return data


RECEIPT = {
    "invoice_number": "FP20250310",
    "invoice_date": "2025-03-10",
    "visit_date": "2025-03-10",
    "care": "emergency",
    "level": "3",
    "total": "500.00",
    "in_scope": "400.00",
}


def test_a_claim_made_at_the_window_is_numbered_with_its_checklist(clinic, covered_student):
    response = clinic.post(
        reverse("admin:claims_claim_add"),
        {
            "student": covered_student.pk,
            "type": "emergency_cash",
            "channel": "window",
            "remote_registration": "none",
            "bank_account": ACCOUNT,
            **inline("lines", [RECEIPT]),
        },
    )

    claim = Claim.objects.get()
    assert response.status_code == 302, response.context["errors"]
    assert claim.number == "BX2025-000001" and claim.state == "draft"
    line = claim.lines.get()
    # out of scope left empty: 500.00 - 400.00
    assert (line.position, line.out_of_scope) == (1, Decimal("100.00"))
    assert claim.documents.count() == 5


def test_a_receipt_above_its_invoice_is_refused_on_the_form(clinic, covered_student):
    response = clinic.post(
        reverse("admin:claims_claim_add"),
        {
            "student": covered_student.pk,
            "type": "emergency_cash",
            "channel": "window",
            "remote_registration": "none",
            **inline("lines", [{**RECEIPT, "in_scope": "600.00"}]),
        },
    )

    assert response.status_code == 200
    assert "超过发票金额" in response.content.decode()
    assert not Claim.objects.exists()


def documents_form(claim, rows: dict) -> dict:
    documents = list(claim.documents.order_by("pk"))
    data = {
        "type": claim.type,
        "channel": claim.channel,
        "student": claim.student_id,
        "remote_registration": claim.remote_registration,
        "bank_account": claim.bank_account,
        "submitted_on": claim.submitted_on.isoformat() if claim.submitted_on else "",
        **inline(
            "lines",
            [
                {"id": line.pk, "claim": claim.pk, **RECEIPT, "invoice_number": line.invoice_number}
                for line in claim.lines.all()
            ],
            initial=claim.lines.count(),
        ),
        **inline("events", [], initial=0),
        **inline(
            "documents",
            [
                {
                    "id": document.pk,
                    "claim": claim.pk,
                    **({"received": "on"} if document.received else {}),
                }
                for document in documents
            ],
            initial=len(documents),
        ),
    }
    for index, document in enumerate(documents):
        if document.kind in rows:
            data.update({f"documents-{index}-{k}": v for k, v in rows[document.kind].items()})
    return data


def test_documents_are_received_with_their_scans_and_a_bad_scan_is_named(clinic, draft, pdf_scan):
    clinic.post(change(draft), documents_form(draft, {"invoice": {"received": "on"}}))
    bad = clinic.post(
        change(draft),
        documents_form(
            draft,
            {"bank_card": {"received": "on", "scan": SimpleUploadedFile("卡.pdf", b"not a pdf")}},
        ),
    )
    clinic.post(
        change(draft), documents_form(draft, {"medical_record": {"scan": pdf_scan("病历.pdf")}})
    )

    received = dict(draft.documents.values_list("kind", "received"))
    assert received["invoice"] and received["medical_record"] and not received["bank_card"]
    assert "须为 PDF、JPG 或 PNG" in bad.content.decode()
    record = ClaimDocument.objects.get(claim=draft, kind="medical_record")
    scan = clinic.get(reverse("admin:claims_claimdocument_scan", args=[record.pk]))
    assert scan["Content-Type"] == "application/pdf"
    assert PersonalDataAccess.objects.filter(action="export", student=draft.student).exists()


# --- the statement ------------------------------------------------------------------------


def test_the_statement_prints_every_claim_of_the_students_year(clinic):
    approved = ClaimFactory(submitted_on=HANDED_IN, received=True, submit=HANDED_IN, review=True)
    act(clinic, "approve_claims", [approved])
    pending = ClaimFactory(student=approved.student, submitted_on=HANDED_IN)
    url = reverse("admin:claims_claim_statement", args=[approved.student_id, 2025])

    assert url in clinic.get(change(pending)).content.decode()
    page = clinic.get(url).content.decode()

    assert "报销结算单" in page and approved.student.name in page
    assert approved.number in page and pending.number in page
    assert "尚未批准" in page  # the draft shows what it would get now
    assert "window.print()" in page


# --- insurer choices --------------------------------------------------------------------


def test_an_insurer_choice_is_recorded_once_and_then_read_only(
    clinic, covered_student, shanghai_2025
):
    insurer = shanghai_2025.catastrophic_insurers[0]
    add = reverse("admin:claims_insurerchoice_add")
    form = {
        "student": covered_student.pk,
        "policy_year": shanghai_2025.pk,
        "insurer": insurer,
        "chosen_on": "2025-01-10",
    }

    clinic.post(add, form)
    again = clinic.post(add, {**form, "insurer": shanghai_2025.catastrophic_insurers[1]})

    choice = InsurerChoice.objects.get()
    assert (choice.insurer, choice.recorded_by.groups.get().name) == (insurer, "医保办")
    assert "不能更改" in again.content.decode()
    assert "已经存在" not in again.content.decode()  # said once, in the clerk's words
    page = clinic.get(reverse("admin:claims_insurerchoice_change", args=[choice.pk]))
    assert 'name="insurer"' not in page.content.decode()


def test_an_insurer_not_of_the_year_is_refused(clinic, covered_student, shanghai_2025):
    response = clinic.post(
        reverse("admin:claims_insurerchoice_add"),
        {
            "student": covered_student.pk,
            "policy_year": shanghai_2025.pk,
            "insurer": "某某保险公司",
            "chosen_on": "2025-01-10",
        },
    )

    assert response.status_code == 200
    assert not InsurerChoice.objects.exists()


def test_an_existing_choice_shows_in_the_list(clinic):
    choice = InsurerChoiceFactory()
    assert (
        choice.insurer
        in clinic.get(reverse("admin:claims_insurerchoice_changelist")).content.decode()
    )


# --- the facility list with django-import-export ----------------------------------------


def facility_workbook(rows: list[list]) -> SimpleUploadedFile:
    """The office's facility sheet: a title row, then the header, then `rows`."""
    book = Workbook()
    sheet = book.active
    sheet.append(["2025年定点医疗机构名单"])
    sheet.append(["名称", "等级", "城市", "是否定点"])
    for row in rows:
        sheet.append(row)
    content = BytesIO()
    book.save(content)
    return SimpleUploadedFile("定点医疗机构.xlsx", content.getvalue())


FACILITIES = [
    ["复旦大学附属华山医院", "三级", "上海", "是"],
    ["校医院", "校内", "上海", ""],
    ["枫林社区卫生服务中心", "社区", "上海", "是"],
]


def test_a_facility_file_with_a_bad_row_is_shown_and_nothing_written(clinic):
    rows = [*FACILITIES[:2], ["某某诊所", "四级", "上海", "否"]]

    response = clinic.post(
        reverse("admin:claims_facility_import"),
        {"format": "0", "import_file": facility_workbook(rows)},
    )

    text = response.content.decode()
    # sheet rows: title 1, header 2, facilities 3-5: the bad level is on row 5
    assert "第 5 行「等级」：「四级」不是医疗机构等级" in text
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert not Facility.objects.exists()


def test_a_facility_file_is_checked_then_imported_and_again_changes_nothing(clinic):
    checked = clinic.post(
        reverse("admin:claims_facility_import"),
        {"format": "0", "import_file": facility_workbook(FACILITIES)},
    )
    assert not Facility.objects.exists()  # the dry run wrote nothing
    confirm = checked.context["confirm_form"].initial

    clinic.post(reverse("admin:claims_facility_process_import"), confirm)

    assert dict(Facility.objects.values_list("name", "level")) == {
        "复旦大学附属华山医院": "3",
        "校医院": "campus",
        "枫林社区卫生服务中心": "community",
    }
    again = clinic.post(
        reverse("admin:claims_facility_import"),
        {"format": "0", "import_file": facility_workbook(FACILITIES)},
    )
    assert again.context["result"].totals["skip"] == 3


def test_facilities_export_with_chinese_headers(clinic):
    FacilityFactory(name="校医院", level="campus", designated=False)

    fields = {f"facilityresource_{name}": "on" for name in ("name", "level", "city", "designated")}
    response = clinic.post(
        reverse("admin:claims_facility_export"), {"format": "1", "resource": "0", **fields}
    )

    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "名称,等级,城市,是否定点"
    assert "校医院,校内,上海,否" in text


def test_auditors_may_export_but_not_import_facilities(client, staff):
    client.force_login(staff("审计"))

    listing = client.get(reverse("admin:claims_facility_changelist")).content.decode()

    assert reverse("admin:claims_facility_import") not in listing
    assert client.get(reverse("admin:claims_facility_import")).status_code == 403


def test_a_gbk_csv_with_english_headers_is_read_and_a_bad_file_is_named(clinic):
    csv = "name,level,city,designated\r\n上海市第六人民医院,三级医院,上海,是\r\n".encode("gbk")

    checked = clinic.post(
        reverse("admin:claims_facility_import"),
        {"format": "1", "import_file": SimpleUploadedFile("医院.csv", csv)},
    )
    refused = clinic.post(
        reverse("admin:claims_facility_import"),
        {"format": "0", "import_file": SimpleUploadedFile("医院.xlsx", b"not a workbook")},
    )

    assert checked.context["result"].totals["new"] == 1
    assert "不是有效的 Excel 文件" in refused.content.decode()


def test_a_referral_of_another_student_is_refused(clinic, covered_student):
    referral = ReferralFactory()  # of a student of its own

    response = clinic.post(
        reverse("admin:claims_claim_add"),
        {
            "student": covered_student.pk,
            "type": "referred_outpatient",
            "channel": "window",
            "remote_registration": "none",
            "referral": referral.pk,
            **inline("lines", [{**RECEIPT, "care": "outpatient"}]),
        },
    )

    assert "不是" in response.content.decode() and referral.number in response.content.decode()
    assert not Claim.objects.exists()


def test_a_referral_is_issued_by_the_clerk_and_its_dates_checked(clinic, covered_student):
    facility = FacilityFactory()
    form = {
        "number": "ZZ2025-0001",
        "student": covered_student.pk,
        "facility": facility.pk,
        "issued_on": "2025-03-01",
        "valid_until": "2025-02-01",
    }

    reversed_dates = clinic.post(reverse("admin:claims_referral_add"), form)
    clinic.post(reverse("admin:claims_referral_add"), {**form, "valid_until": "2025-05-30"})

    assert reversed_dates.content.decode().count("不能早于开具日期") == 1
    referral = covered_student.referrals.get()
    assert referral.issued_by.groups.get().name == "医保办"
