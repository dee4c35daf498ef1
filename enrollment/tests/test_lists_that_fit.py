"""Lists that fit the work (issue #12): long pages paged with their download on top, 合计
rows under money and counts, amounts read 4,488,560.00 in lists and pages, steps that
cannot be undone asked first, and a roster's rows in error kept to its uploader."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from enrollment import services, workflow
from enrollment.models import DeclarationBatch, PaymentList, PersonalDataAccess
from enrollment.tests.factories import (
    EnrollmentRowFactory,
    FreshmanEnrollmentFactory,
    FreshmanFactory,
    PaymentFactory,
    StudentFactory,
)
from enrollment.tests.files import row, xlsx
from office.tests.factories import StaffFactory


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def before(page: str, first: str, then: str) -> bool:
    return page.index(first) < page.index(then)


# --- the chase list: paged, its download above it -----------------------------------------


def test_the_chase_list_is_paged_with_its_download_on_top(client, staff, shanghai_2026):
    StudentFactory.create_in_bulk(130, college="法学院")  # eligible, none enrolled
    client.force_login(staff("学生处"))
    url = reverse("admin:enrollment_students_to_chase")

    first = text(client.get(url, {"policy_year": shanghai_2026.pk}))
    second = text(client.get(url, {"policy_year": shanghai_2026.pk, "page": 2}))

    assert "共 130 人" in first
    assert first.count("<tr><td>法学院</td>") == 100  # a page of 100 rows
    assert second.count("<tr><td>法学院</td>") == 30
    download = f"?policy_year={shanghai_2026.pk}&amp;download=1"
    assert before(first, download, '<table class="office-rows">')  # the file first
    assert "page=2" in first  # the link to the next page keeps the year
    assert f"policy_year={shanghai_2026.pk}" in re.search(r'href="([^"]*page=2[^"]*)"', first)[1]


# --- reconciliation: a 合计 row, two paged lists with their downloads -----------------------


@pytest.fixture
def collected(db, shanghai_2026):
    """Two students paid and established (355.00 each), one paid and not established."""
    for seq in (1, 2):
        enrollment = EnrollmentRowFactory(
            student=StudentFactory(seq=seq), policy_year=shanghai_2026, state=workflow.DECLARED
        )
        PaymentFactory(enrollment=enrollment, receipt_number=f"R{seq}")
        enrollment.refresh_from_db()
        type(enrollment).objects.filter(pk=enrollment.pk).update(state=workflow.ESTABLISHED)
    waiting = EnrollmentRowFactory(
        student=StudentFactory(seq=3), policy_year=shanghai_2026, state=workflow.DECLARED
    )
    PaymentFactory(enrollment=waiting, receipt_number="R3")
    return waiting


def test_reconciliation_totals_and_lists(client, staff, collected):
    client.force_login(staff("财务"))
    url = reverse("admin:enrollment_reconciliation")

    page = text(client.get(url, {"year": 2026}))
    download = client.get(url, {"year": 2026, "download": "paid_not_established"})

    # 合计 of the payers' rows: 3 enrollments, 3 × 355.00 due and paid
    total = re.search(r'<tr class="office-total">(.*?)</tr>', page, re.S)[1]
    assert re.findall(r"<th>([^<]*)</th>", total)[:4] == ["合计", "3", "1,065.00", "1,065.00"]
    assert "?year=2026&amp;download=paid_not_established" in page
    assert "第 1–1 条，共 1 条" in page or "Rows 1–1 of 1" in page
    assert download["Content-Disposition"].startswith("attachment")
    assert PersonalDataAccess.objects.filter(detail__contains="已缴费未建账（1 人）").exists()


def test_the_pending_lists_have_a_total_and_their_download_on_top(client, staff, shanghai_2026):
    FreshmanEnrollmentFactory.create_batch(2, policy_year=shanghai_2026)
    client.force_login(staff("医保办"))

    page = text(
        client.get(reverse("admin:enrollment_pending_lists"), {"policy_year": shanghai_2026.pk})
    )

    total = re.search(r'<tr class="office-total">(.*?)</tr>', page, re.S)[1]
    assert re.findall(r"<th>([^<]*)</th>", total)[:2] == ["合计", "2"]
    assert before(page, 'class="office-download"', '<table class="office-rows">')


# --- money as staff write it ----------------------------------------------------------------


def test_amounts_in_a_change_list_have_separators(client, staff, shanghai_2026):
    EnrollmentRowFactory(policy_year=shanghai_2026, premium_due=Decimal("4488560.00"))
    client.force_login(staff("财务"))

    page = text(client.get(reverse("admin:enrollment_enrollment_changelist")))

    assert '<td class="field-premium_due">4,488,560.00</td>' in page
    assert "4488560.00" not in page


def test_the_list_still_sorts_by_an_amount(client, staff, shanghai_2026):
    for amount in ("5.00", "1000.00"):
        EnrollmentRowFactory(policy_year=shanghai_2026, premium_due=Decimal(amount))
    client.force_login(staff("财务"))
    url = reverse("admin:enrollment_enrollment_changelist")

    page = text(client.get(url))
    header = re.search(r'column-premium_due">.*?<a href="(\?o=[^"]+)"', page, re.S)[1]
    ascending = text(client.get(url + header.replace("&amp;", "&")))

    cells = re.findall(r'<td class="field-premium_due">([^<]*)</td>', ascending)
    assert cells == ["5.00", "1,000.00"]


# --- steps that cannot be undone ask first --------------------------------------------------


def test_publishing_a_year_says_what_it_does_before_it_is_done(client, staff, wuhan_2026):
    client.force_login(staff("医保办"))
    changelist = reverse("admin:policies_policyyear_changelist")
    selection = {"action": "publish", "_selected_action": [wuhan_2026.pk]}

    question = text(client.post(changelist, selection))
    wuhan_2026.refresh_from_db()
    assert not wuhan_2026.is_published  # asked, not done
    assert "不可撤销" in question or "cannot be undone" in question
    assert 'name="post" value="yes"' in question

    client.post(changelist, {**selection, "post": "yes"})
    wuhan_2026.refresh_from_db()
    assert wuhan_2026.is_published


def test_a_drafts_page_has_a_publish_button_that_asks_first(client, staff, wuhan_2026):
    client.force_login(staff("医保办"))
    publish = reverse("admin:policies_policyyear_publish", args=[wuhan_2026.pk])

    page = text(client.get(reverse("admin:policies_policyyear_change", args=[wuhan_2026.pk])))
    question = text(client.get(publish))
    wuhan_2026.refresh_from_db()
    assert f'href="{publish}"' in page and not wuhan_2026.is_published
    assert wuhan_2026.code in question

    client.post(publish, {"post": "yes"})
    wuhan_2026.refresh_from_db()
    assert wuhan_2026.is_published


def test_a_published_year_and_a_reader_have_no_publish_button(client, staff, shanghai_2026):
    url = reverse("admin:policies_policyyear_change", args=[shanghai_2026.pk])
    client.force_login(staff("医保办"))
    assert "/publish/" not in text(client.get(url))  # published already
    client.force_login(staff("审计"))
    assert client.get(reverse("admin:policies_policyyear_publish", args=[1])).status_code == 403


def test_freezing_a_payment_list_previews_then_freezes_what_it_showed(client, staff, collected):
    client.force_login(staff("学生处"))
    url = reverse("admin:enrollment_paymentlist_freeze")

    preview = text(client.get(url, {"year": 2026}))
    assert not PaymentList.objects.exists()
    # 2 established and paid (355.00 each): the preview's numbers, posted back
    assert '<input type="hidden" name="rows" value="2">' in preview
    assert '<input type="hidden" name="total" value="710.00">' in preview
    stale = {"year": "2026", "rows": "1", "total": "355.00", "post": "yes"}
    client.post(url, stale)
    assert not PaymentList.objects.exists()  # the list changed since: refused

    client.post(url, {**stale, "rows": "2", "total": "710.00"})
    assert PaymentList.objects.get().rows == 2


def test_exporting_a_batch_asks_first_and_its_row_has_the_button(client, staff, shanghai_2026):
    FreshmanFactory.create_batch(2)
    batch = services.declaration_batch_create(
        policy_year=shanghai_2026,
        registered_from=shanghai_2026.freshman_window_opens_on,
        registered_to=shanghai_2026.freshman_window_closes_on,
        today=shanghai_2026.freshman_window_opens_on,
    )
    client.force_login(staff("医保办"))
    export = reverse("admin:enrollment_declarationbatch_export", args=[batch.pk])

    listing = text(client.get(reverse("admin:enrollment_declarationbatch_changelist")))
    question = text(client.get(export))
    batch.refresh_from_db()
    assert f'href="{export}"' in listing
    assert not batch.is_frozen and "2 名新生" in question

    download = client.post(export, {"post": "yes"})
    batch.refresh_from_db()
    assert batch.is_frozen
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_batch_reader_sees_no_export_button(client, staff, shanghai_2026):
    FreshmanFactory.create_batch(2)
    services.declaration_batch_create(
        policy_year=shanghai_2026,
        registered_from=shanghai_2026.freshman_window_opens_on,
        registered_to=shanghai_2026.freshman_window_closes_on,
        today=shanghai_2026.freshman_window_opens_on,
    )
    assert DeclarationBatch.objects.get().rows == 2
    client.force_login(staff("审计"))

    listing = text(client.get(reverse("admin:enrollment_declarationbatch_changelist")))

    assert "/export/" not in listing.split('id="changelist"')[1]


# --- a roster's rows in error are its uploader's ---------------------------------------------


def test_rows_in_error_are_for_their_uploader_or_who_handles_every_import(
    client, staff, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    may_import = ["add_rosterimport", "view_rosterimport", "view_full_id"]
    uploader, colleague = StaffFactory(permissions=may_import), StaffFactory(permissions=may_import)
    path = xlsx(tmp_path / "r.xlsx", [row(id_number="123")])
    roster_import = services.roster_import_file(
        content=path.read_bytes(), name="r.xlsx", user=uploader
    )
    url = reverse("admin:enrollment_rosterimport_errors", args=[roster_import.pk])
    page = reverse("admin:enrollment_rosterimport_change", args=[roster_import.pk])

    client.force_login(colleague)
    assert client.get(url).status_code == 403
    assert f'href="{url}"' not in text(client.get(page))
    client.force_login(uploader)
    assert client.get(url).status_code == 200
    assert f'href="{url}"' in text(client.get(page))
    client.force_login(staff("医保办"))  # handles every import's rows
    assert client.get(url).status_code == 200


def test_a_published_years_ratios_read_as_percents(client, staff, shanghai_2025):
    client.force_login(staff("审计"))

    page = text(client.get(reverse("admin:policies_policyyear_change", args=[shanghai_2025.pk])))

    ratios = re.findall(r'<td class="field-ratio">\s*<p>([^<]*)</p>', page)
    assert ratios and all(re.fullmatch(r"\d+(\.\d)?%", ratio) for ratio in ratios)
    assert not re.search(r"\b0\.\d{4}\b", page)  # no 0.7500 left
