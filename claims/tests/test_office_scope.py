"""Offices (issue #12) in the claims app: each role of 校医院医保办 (法学院, 外国语学院; the
`two_offices` fixture) sees only its colleges' claims, referrals and insurer choices and
opens only their pages, statements and scans; a school-wide account sees 医学院's too;
the liaison (院系联络人) sees no claim at all. The enrollment app's lists are
enrollment/tests/test_office_scope.py's."""

import pytest
from django.urls import reverse

from claims.models import Claim, InsurerChoice, Referral
from claims.tests.factories import (
    ClaimFactory,
    CoveredStudentFactory,
    InsurerChoiceFactory,
    ReferralFactory,
)
from config.roles import LIAISON
from office.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

CAMPUS = {"法学院", "外国语学院"}
LISTS = {"claims_claim": Claim, "claims_referral": Referral, "claims_insurerchoice": InsurerChoice}


@pytest.fixture
def school(two_offices):
    """Per college a covered student with a claim (its documents scanned), a referral and
    an insurer choice for 2025."""
    records = {}
    for n, college in enumerate(["法学院", "外国语学院", "医学院"]):
        student = CoveredStudentFactory(seq=10 * n + 1, college=college)
        claim = ClaimFactory(student=student, received=True)  # every document scanned
        document = claim.documents.exclude(scan="").first()
        records[college] = {
            "student": student,
            "claims_claim": claim,
            "document": document,
            "claims_referral": ReferralFactory(student=student),
            "claims_insurerchoice": InsurerChoiceFactory(student=student),
        }
    return records


def campus_user(two_offices, role):
    return StaffFactory(role=role, office=two_offices[0])


@pytest.mark.parametrize("role", ["医保办", "财务", "审计"])  # 学生处 read no claims
@pytest.mark.parametrize("name", list(LISTS))
def test_an_office_user_sees_only_the_office_claims(client, school, two_offices, role, name):
    client.force_login(campus_user(two_offices, role))

    listed = client.get(reverse(f"admin:{name}_changelist"))
    own = client.get(reverse(f"admin:{name}_change", args=[school["法学院"][name].pk]))
    other = client.get(reverse(f"admin:{name}_change", args=[school["医学院"][name].pk]))

    assert listed.status_code == 200
    assert set(listed.context["cl"].queryset.values_list("student__college", flat=True)) == CAMPUS
    assert own.status_code == 200
    assert other.status_code == 302 and other.url == reverse("admin:index")


@pytest.mark.parametrize("name", list(LISTS))
def test_school_wide_access_sees_every_offices_claims(client, school, two_offices, name):
    client.force_login(StaffFactory(role="医保办", permissions=["school_wide"]))

    listed = client.get(reverse(f"admin:{name}_changelist"))

    colleges = set(listed.context["cl"].queryset.values_list("student__college", flat=True))
    assert colleges == CAMPUS | {"医学院"}


def test_the_liaison_sees_no_claim(client, school, two_offices):
    client.force_login(StaffFactory(role=LIAISON, office=two_offices[0], own_colleges=["法学院"]))

    for name in LISTS:
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 403


def test_the_statement_scan_and_claim_pages_of_another_office_are_not_found(
    client, school, two_offices
):
    client.force_login(campus_user(two_offices, "医保办"))

    def opened(college: str) -> list[int]:
        own = school[college]
        claim = own["claims_claim"]
        urls = [
            reverse("admin:claims_claim_statement", args=[own["student"].pk, 2025]),
            reverse("admin:claims_claimdocument_scan", args=[own["document"].pk]),
            reverse("admin:claims_claim_bank_account", args=[claim.pk]),
            reverse("admin:claims_claim_move", args=[claim.pk, "submitted"]),
        ]
        return [client.get(url).status_code for url in urls]

    assert 404 not in opened("法学院")
    assert opened("医学院") == [404, 404, 404, 404]


def test_a_claim_is_made_only_for_the_office_students(client, school, two_offices):
    client.force_login(campus_user(two_offices, "医保办"))
    other = school["医学院"]["student"]

    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "claims", "model_name": "claim", "field_name": "student", "term": "学生"},
    )

    shown = {int(result["id"]) for result in response.json()["results"]}
    assert shown == {school[college]["student"].pk for college in CAMPUS}
    assert other.pk not in shown


def test_claims_imports_and_payout_lists_are_school_wide_staffs(client, school, two_offices):
    pages = ["admin:claims_claims_import", "admin:claims_claimpayoutlist_freeze"]
    client.force_login(campus_user(two_offices, "医保办"))
    refused = [client.get(reverse(page)).status_code for page in pages]
    client.force_login(StaffFactory(role="医保办", permissions=["school_wide"]))
    opened = [client.get(reverse(page)).status_code for page in pages]

    assert refused == [403, 403]
    assert opened == [200, 200]
