"""Family mutual aid (家庭共济缴费) follows the policy year's data (issue #14 point 3).

Shanghai (guide Q18, sjtu rules): the choice is made by 20 Dec 17:00, only on collective
enrollments; once the account is established the school refunds the 355.00 it collected
and the student leaves the tax-bureau payment list.
Wuhan (notice 十): the school pays first, then the parents apply through 湖北医疗保障 and
the bureau returns the premium "至个人填报的银行账户": no deadline, freshmen too, the
school refunds nothing and remits the 400.00 (notice 三) with the payment list."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from enrollment import services, workflow
from enrollment.models import Enrollment
from enrollment.tests.factories import (
    EnrollmentFactory,
    FreshmanEnrollmentFactory,
    PaymentFactory,
    StudentFactory,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# after Shanghai's 2025 deadline (20 Dec 2024 17:00, guide Q18): Wuhan has none
LONG_AFTER = datetime(2025, 3, 1, 9, 0, tzinfo=SHANGHAI)


def fresh(enrollment) -> Enrollment:
    return Enrollment.objects.get(pk=enrollment.pk)


def established_and_paid(policy_year, *, seq: int, premium: Decimal, today: date) -> Enrollment:
    """A collective enrollment whose premium the school collected and whose account the
    bureau established."""
    enrollment = EnrollmentFactory(
        student=StudentFactory(seq=seq, registered_on=date(2024, 9, 1)),
        policy_year=policy_year,
        today=today,
    )
    PaymentFactory(enrollment=enrollment, amount=premium, paid_on=today)
    return services.enrollment_transition(enrollment=enrollment, to=workflow.ESTABLISHED)


def test_a_wuhan_family_aid_premium_is_remitted_not_refunded(wuhan_2025):
    enrollment = established_and_paid(
        wuhan_2025, seq=1, premium=Decimal("400.00"), today=date(2024, 11, 25)
    )

    # the parents apply after the school has paid (notice 十(二)), long after 20 Dec
    services.enrollment_choose_family_aid(enrollment=enrollment, at=LONG_AFTER)

    assert fresh(enrollment).payer == workflow.FAMILY_AID
    assert services.refunds_due(year=2025, today=date(2025, 3, 2), region="wuhan") == []
    with pytest.raises(workflow.TransitionRefused, match="学校不退费"):
        services.enrollment_transition(enrollment=enrollment, to=workflow.REFUNDED)
    assert list(services.payment_list_open(year=2025, region="wuhan")) == [fresh(enrollment)]

    frozen = services.payment_list_freeze(year=2025, region="wuhan")

    # one student, 400.00 (notice 三): the list's total is the premium
    assert (frozen.rows, frozen.total) == (1, Decimal("400.00"))
    assert fresh(enrollment).state == workflow.REMITTED
    assert services.refunds_due(year=2025, today=date(2025, 3, 2), region="wuhan") == []


def test_a_shanghai_family_aid_premium_is_refunded_and_off_the_list(shanghai_2026, settings):
    settings.SCHOOL_REGION = "shanghai"
    enrollment = EnrollmentFactory(student__seq=1, policy_year=shanghai_2026)
    PaymentFactory(enrollment=enrollment, amount=Decimal("355.00"))
    services.enrollment_choose_family_aid(
        enrollment=enrollment, at=datetime(2025, 12, 1, 9, 0, tzinfo=SHANGHAI)
    )
    services.enrollment_transition(enrollment=enrollment, to=workflow.ESTABLISHED)

    # guide Q18: the 355.00 collected goes back once the account is established
    assert services.refunds_due(year=2026, today=date(2025, 12, 22)) == [
        (enrollment.pk, workflow.RefundDue(Decimal("355.00"), "family_aid", True))
    ]
    assert list(services.payment_list_open(year=2026)) == []


def test_wuhan_has_no_deadline_shanghai_keeps_its_own(wuhan_2025, shanghai_2025):
    wuhan = EnrollmentFactory(
        student=StudentFactory(seq=1, registered_on=date(2024, 9, 1)),
        policy_year=wuhan_2025,
        today=date(2024, 11, 20),
    )
    shanghai = EnrollmentFactory(
        student=StudentFactory(seq=2, registered_on=date(2024, 9, 1)),
        policy_year=shanghai_2025,
        today=date(2024, 11, 20),
    )

    services.enrollment_choose_family_aid(enrollment=wuhan, at=LONG_AFTER)
    with pytest.raises(services.EnrollmentRefused, match="2024-12-20 17:00"):
        services.enrollment_choose_family_aid(enrollment=shanghai, at=LONG_AFTER)

    assert (fresh(wuhan).payer, fresh(shanghai).payer) == (workflow.FAMILY_AID, workflow.STUDENT)


def test_a_wuhan_freshman_may_use_family_aid(wuhan_2025):
    freshman = FreshmanEnrollmentFactory(
        student=StudentFactory(seq=1, registered_on=date(2025, 9, 1)),
        policy_year=wuhan_2025,
        today=date(2025, 9, 5),
    )
    # Q&A 三(三): the freshman pays the entry year's 400.00
    assert (freshman.state, freshman.premium_due) == (workflow.NOT_ESTABLISHED, Decimal("400.00"))

    services.enrollment_choose_family_aid(
        enrollment=freshman, at=datetime(2025, 9, 6, 9, 0, tzinfo=SHANGHAI)
    )

    assert fresh(freshman).payer == workflow.FAMILY_AID


@pytest.mark.parametrize(
    ("refunded_by_school", "state", "allowed"),
    [
        # Shanghai: chosen before the account exists, so the school can refund it
        (True, workflow.DECLARED, True),
        (True, workflow.PAID, True),
        (True, workflow.ESTABLISHED, False),
        # Wuhan: the parents apply after the school has paid, even once remitted
        (False, workflow.ESTABLISHED, True),
        (False, workflow.REMITTED, True),
        (False, workflow.FAILED, False),
        (False, workflow.OPTED_OUT, False),
    ],
)
def test_which_enrollments_may_switch_to_family_aid(refunded_by_school, state, allowed):
    problem = workflow.family_aid_problem(
        kind=workflow.COLLECTIVE,
        state=state,
        payer=workflow.STUDENT,
        refunded_by_school=refunded_by_school,
        for_freshmen=not refunded_by_school,
    )

    assert (problem == "") is allowed


@pytest.mark.parametrize(
    ("refunded_by_school", "expected"),
    [
        (True, workflow.RefundDue(Decimal("400.00"), "family_aid", True)),
        (False, None),  # wuhan notice 十(三): the bureau returns it, not the school
    ],
)
def test_refund_due_takes_the_years_flag(refunded_by_school, expected):
    facts = workflow.Facts(
        kind=workflow.COLLECTIVE,
        state=workflow.ESTABLISHED,
        payer=workflow.FAMILY_AID,
        amount_paid=Decimal("400.00"),
        premium_due=Decimal("400.00"),
        family_aid_refunded_by_school=refunded_by_school,
    )

    assert workflow.refund_due(facts, refunded=Decimal("0.00")) == expected


def test_what_was_paid_twice_still_goes_back_in_wuhan():
    # 400.00 + 400.00 collected, one premium due: 400.00 back as a duplicate
    facts = workflow.Facts(
        kind=workflow.COLLECTIVE,
        state=workflow.ESTABLISHED,
        payer=workflow.FAMILY_AID,
        amount_paid=Decimal("800.00"),
        premium_due=Decimal("400.00"),
        family_aid_refunded_by_school=False,
    )

    assert workflow.refund_due(facts, refunded=Decimal("0.00")) == workflow.RefundDue(
        Decimal("400.00"), "duplicate", False
    )


@pytest.mark.parametrize(
    ("region", "year", "says_school_refunds"),
    [("shanghai", 2026, True), ("wuhan", 2025, False)],
)
def test_the_refunds_page_says_who_returns_family_aid(
    client, staff, settings, shanghai_2026, wuhan_2025, region, year, says_school_refunds
):
    settings.SCHOOL_REGION = region
    client.force_login(staff("医保办"))

    page = client.get(reverse("admin:enrollment_refunds_issue"), {"year": year})

    assert page.status_code == 200
    html = page.content.decode()
    assert ("学校不退费" not in html) is says_school_refunds
    assert "重复缴费" in html or "paid twice" in html
