"""The claims part of seed_demo (claims/demo.py): facilities at every level, referrals,
insurer choices and claims of every type and state of the demo year 2026, for a Shanghai
school (the bureau and the insurers pay: shanghai guide Q8/Q12) and a Wuhan one (the
school pays referred outpatient care from its own fund: wuhan notice 五.1–五.3)."""

from io import StringIO

import pytest
from django.core.management import call_command

from claims import rules
from claims.models import Claim, ClaimPayoutList, Facility, InsurerChoice, Referral
from claims.selectors import claims_report
from claims.services import payouts

pytestmark = pytest.mark.django_db

YEAR = 2026
EVERY_TYPE = set(rules.TYPE_LABELS)
BEFORE_PAYMENT = {"draft", "submitted", "in_review", "approved", "rejected"}


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def demo_claims():
    return Claim.objects.filter(policy_year__year=YEAR)


def test_a_shanghai_school_has_claims_of_every_type_the_bureau_and_insurers_pay():
    output = seed()

    assert "示范报销：定点医疗机构 34 家" in output
    levels = set(Facility.objects.values_list("level", flat=True))
    assert levels == {"campus", "community", "1", "2", "3"}
    assert Facility.objects.exclude(city="上海").exists()  # care out of the city
    assert Facility.objects.filter(designated=False).exists()
    claims = demo_claims()
    assert set(claims.values_list("type", flat=True)) == EVERY_TYPE
    assert set(claims.values_list("state", flat=True)) == BEFORE_PAYMENT | {"paid"}
    assert set(claims.exclude(payer="").values_list("payer", flat=True)) == {"bureau", "insurer"}
    # the bureau and the insurer paid three, recorded by hand at the approved amounts, a
    # month after they were handed in
    paid = claims.filter(state="paid")
    assert set(paid.values_list("payer", flat=True)) == {"bureau", "insurer"}
    assert paid.count() == 3
    for claim in paid:
        assert claim.paid_amount == claim.fund + claim.catastrophic
        assert (claim.paid_on - claim.submitted_on).days == 30
        assert (
            claim.events.filter(to_state="paid")
            .get()
            .reason.startswith(rules.PAYER_LABELS[claim.payer])
        )
    # each automatic check and a reviewer's rejection, with its sentence
    rejected = claims.filter(state="rejected")
    assert set(rejected.values_list("rejection_code", flat=True)) == {
        "late_submission",
        "duplicate_receipt",
        "not_covered",
        "no_remote_registration",
        "no_referral",
        "other",
    }
    assert not rejected.filter(rejection_message="").exists()
    approved = claims.filter(state="approved")
    assert not approved.filter(rules_version="").exists()
    assert not approved.filter(fund__isnull=True).exists()
    # a claim still missing a document waits, submitted
    assert claims.filter(
        state="submitted", documents__kind="medical_record", documents__received=False
    ).exists()
    # the catastrophic claimants chose one of the year's four insurers (guide Q8)
    for claim in claims.filter(type="catastrophic"):
        assert InsurerChoice.objects.filter(student=claim.student, policy_year__year=YEAR)
    assert Referral.objects.count() >= 3
    # nothing for the school's finance to pay in Shanghai
    assert payouts.claim_payout_open_totals() == []
    assert not ClaimPayoutList.objects.exists()
    report = claims_report(year=YEAR)
    assert report["total"]["count"] == claims.count()
    assert sum(row["count"] for row in report["by_type"].values()) == claims.count()


def test_seeding_twice_adds_no_claims():
    seed()
    claims = list(demo_claims().order_by("pk").values_list("number", "state"))
    facilities = Facility.objects.count()

    output = seed()

    assert "示范报销申请已存在，跳过。" in output
    assert list(demo_claims().order_by("pk").values_list("number", "state")) == claims
    assert Facility.objects.count() == facilities


def test_a_wuhan_school_pays_referred_outpatient_claims_through_a_payout_list(settings):
    settings.SCHOOL_REGION = "wuhan"

    output = seed()

    assert "报销支付清单 1 张" in output
    claims = demo_claims()
    assert set(claims.values_list("policy_year__code", flat=True)) == {"wuhan-2026"}
    assert set(claims.values_list("type", flat=True)) == EVERY_TYPE
    assert set(claims.values_list("state", flat=True)) == BEFORE_PAYMENT | {"paid"}
    school = claims.filter(payer="school_outpatient_fund")
    # off campus only with the campus clinic's referral (notice 五.2)
    assert not school.exclude(state="rejected").filter(referral__isnull=True).exists()
    assert Facility.objects.filter(city="武汉", level="3").exists()
    # Wuhan's insurers are not known yet (policy-year data): no choices recorded
    assert not InsurerChoice.objects.exists()
    # the first list paid four claims; the next one waits, one claim held for its account
    payout_list = ClaimPayoutList.objects.get()
    assert payout_list.rows == 4 == claims.filter(state="paid").count()
    assert sum(entry.amount for entry in payout_list.entries.all()) == payout_list.total
    again = payouts.claim_payout_export_frozen(number=payout_list.number)
    assert again.sha256 == payout_list.sha256
    [waiting] = payouts.claim_payout_open_totals()
    assert waiting["year"] == YEAR and waiting["rows"] > 0 and waiting["held"] == 1
    assert claims_report(year=YEAR)["by_state"]["paid"]["count"] == 4
