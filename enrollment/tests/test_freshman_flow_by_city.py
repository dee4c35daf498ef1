"""The freshman flow as policy-year data (issue #14 point 4). Shanghai's freshmen confirm
in 随申办 (shanghai guide Q4; xianda walkthrough: 未建账 → 已申请待审核 → 已建账) and their
entry year is free; a Wuhan school registers its freshmen itself (wuhan notice 三: 批量参保登记,
代收代缴), the bureau's answer establishes the account straight from 未建账, and a freshman
is covered only once the entry year's 400 is paid in full (Q&A 三(三): 足额缴纳…即可享受入学
当年9月1日至12月31日的居民医保待遇)."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from enrollment import services, workflow
from enrollment.models import Enrollment
from enrollment.selectors import cover_on, engine_member
from enrollment.tests.factories import (
    FreshmanEnrollmentFactory,
    FreshmanFactory,
    PaymentFactory,
)
from office.errors import Refused

pytestmark = pytest.mark.django_db

# wuhan notice Q&A 三(三): registered on 10 Sep, covered from 1 Sep to 31 Dec
REGISTERED = date(2025, 9, 10)
WUHAN_COVER = (date(2025, 9, 1), date(2025, 12, 31))
NAME_CLASH = "相同证件号存在其他医保账户但姓名不同"


def wuhan_freshman(policy_year, **student) -> Enrollment:
    return FreshmanEnrollmentFactory(
        policy_year=policy_year,
        student=FreshmanFactory(registered_on=REGISTERED, **student),
        today=date(2025, 9, 12),
    )


def pay(enrollment, amount: str, day=date(2025, 9, 15)) -> Enrollment:
    PaymentFactory(enrollment=enrollment, amount=Decimal(amount), paid_on=day)
    return Enrollment.objects.get(pk=enrollment.pk)


def establish(enrollment) -> Enrollment:
    return services.enrollment_transition(
        enrollment=enrollment, to=workflow.ESTABLISHED, reason="医保部门返回：已建账"
    )


# --- no app confirmation in Wuhan --------------------------------------------------------


def test_a_wuhan_freshman_is_not_confirmed_on_their_behalf(wuhan_2025):
    enrollment = wuhan_freshman(wuhan_2025)

    with pytest.raises(workflow.TransitionRefused, match="批量参保登记"):
        services.enrollment_transition(enrollment=enrollment, to=workflow.PENDING_REVIEW)
    moved, refused = services.enrollments_move(
        enrollments=Enrollment.objects.filter(pk=enrollment.pk), to=workflow.PENDING_REVIEW, by=None
    )

    assert moved == 0 and "没有「已申请待审核」这一步" in refused[0]
    assert Enrollment.objects.get(pk=enrollment.pk).state == workflow.NOT_ESTABLISHED


def test_the_bureau_answers_a_wuhan_batch_straight_from_not_established(wuhan_2025, results_file):
    first, second, third = (FreshmanFactory(registered_on=REGISTERED) for _ in range(3))
    batch = services.declaration_batch_create(
        policy_year=wuhan_2025,
        registered_from=REGISTERED,
        registered_to=REGISTERED,
        today=date(2025, 9, 12),
    )
    answer = results_file(
        [[first.id_number, "已建账", ""], [second.id_number, "建账失败", NAME_CLASH]]
    )

    dry_run = services.bureau_results_check(path=answer, policy_year=wuhan_2025)
    services.bureau_results_apply(path=answer, policy_year=wuhan_2025)
    # the name fixed, the school registers the freshman again: the next answer establishes
    again = results_file([[second.id_number, "已建账", ""]], name="第二批结果.xlsx")
    services.bureau_results_apply(path=again, policy_year=wuhan_2025)

    assert batch.rows == 3
    assert (len(dry_run.moves), dry_run.problems) == (2, [])
    states = {e.student_id: e for e in Enrollment.objects.all()}
    assert states[first.pk].state == workflow.ESTABLISHED
    assert [e.to_state for e in states[first.pk].events.all()] == [
        workflow.NOT_ESTABLISHED,
        workflow.ESTABLISHED,
    ]
    assert [e.to_state for e in states[second.pk].events.all()] == [
        workflow.NOT_ESTABLISHED,
        workflow.FAILED,
        workflow.ESTABLISHED,
    ]
    assert states[third.pk].state == workflow.NOT_ESTABLISHED  # not in the answer yet


def test_a_shanghai_freshman_still_confirms_first(shanghai_2026, results_file):
    enrollment = FreshmanEnrollmentFactory(policy_year=shanghai_2026)
    answer = results_file([[enrollment.student.id_number, "已建账", ""]])

    plan = services.bureau_results_check(path=answer, policy_year=shanghai_2026)
    services.enrollment_transition(enrollment=enrollment, to=workflow.PENDING_REVIEW)
    confirmed = services.bureau_results_check(path=answer, policy_year=shanghai_2026)

    [problem] = plan.problems
    assert "确认参保（已申请待审核）" in problem.message
    assert (len(confirmed.moves), confirmed.problems) == (1, [])


# --- cover once the premium is paid in full ----------------------------------------------


def test_a_wuhan_freshman_is_covered_only_once_paid_in_full(wuhan_2025):
    enrollment = establish(wuhan_freshman(wuhan_2025))
    day = date(2025, 10, 1)

    created = Enrollment.objects.get(pk=enrollment.pk)
    short = pay(enrollment, "40.00")  # 40 of the 400 (wuhan notice 三)
    cover_when_short = cover_on(student=enrollment.student, day=day)
    with pytest.raises(Refused, match="未足额缴费"):
        engine_member(short)
    full = pay(enrollment, "360.00", day=date(2025, 9, 20))

    assert (created.premium_due, created.cover_start) == (Decimal("400.00"), None)
    assert (short.amount_paid, short.cover_start, cover_when_short) == (
        Decimal("40.00"),
        None,
        None,
    )
    assert (full.cover_start, full.cover_end) == WUHAN_COVER
    covered = cover_on(student=enrollment.student, day=day)
    assert covered.enrollment == full and not covered.in_waiting


def test_paid_before_the_account_exists_covers_once_established(wuhan_2025):
    enrollment = pay(wuhan_freshman(wuhan_2025), "400.00")
    day = date(2025, 9, 1)

    assert (enrollment.cover_start, enrollment.cover_end) == WUHAN_COVER
    assert cover_on(student=enrollment.student, day=day) is None  # 未建账: no account yet
    establish(enrollment)
    assert cover_on(student=enrollment.student, day=day).enrollment == enrollment


def test_a_shanghai_freshman_is_covered_from_registration_as_before(shanghai_2026):
    # shanghai guide Q4: entry year free, covered from registration (1 Sep 2026)
    enrollment = FreshmanEnrollmentFactory(policy_year=shanghai_2026, confirmed=True)
    establish(enrollment)

    covered = cover_on(student=enrollment.student, day=date(2026, 10, 1))
    assert (enrollment.premium_due, enrollment.cover_start) == (0, date(2026, 9, 1))
    assert covered.enrollment == enrollment


@pytest.mark.parametrize(
    ("kind", "needs_full", "payer", "due", "paid", "waits"),
    [
        # wuhan Q&A 三(三): 400 due, 40 paid: not covered; 400 paid: covered
        (workflow.FRESHMAN, True, workflow.STUDENT, "400.00", "40.00", True),
        (workflow.FRESHMAN, True, workflow.STUDENT, "400.00", "400.00", False),
        # the government's premium is not the school's to collect
        (workflow.FRESHMAN, True, workflow.GOVERNMENT, "400.00", "0.00", False),
        # shanghai guide Q4: the entry year is free, nothing to wait for
        (workflow.FRESHMAN, False, workflow.STUDENT, "0.00", "0.00", False),
        # a collective enrollment's cover is the year's, whatever was paid
        (workflow.COLLECTIVE, True, workflow.STUDENT, "400.00", "0.00", False),
    ],
)
def test_cover_waits_for_premium(kind, needs_full, payer, due, paid, waits):
    assert (
        workflow.cover_waits_for_premium(
            kind=kind,
            needs_full_premium=needs_full,
            payer=payer,
            premium_due=Decimal(due),
            amount_paid=Decimal(paid),
        )
        is waits
    )


# --- what staff see ----------------------------------------------------------------------


def test_wuhan_pending_list_is_who_has_not_paid_in_full(wuhan_2025):
    unpaid = wuhan_freshman(wuhan_2025)
    short = pay(establish(wuhan_freshman(wuhan_2025)), "40.00")
    pay(wuhan_freshman(wuhan_2025), "400.00")

    pending = services.pending_confirmations(policy_year=wuhan_2025)
    content, count = services.pending_list_xlsx(policy_year=wuhan_2025)
    sheet = load_workbook(BytesIO(content)).active

    assert {e.pk for e in pending} == {unpaid.pk, short.pk}
    assert (count, sheet.title) == (2, "未足额缴费名单")
    states = sorted(row[-1] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert states == [
        "已建账，未足额缴费（已缴 40.00 元，应缴 400.00 元）",
        "未建账，未足额缴费（已缴 0.00 元，应缴 400.00 元）",
    ]


def test_a_wuhan_office_is_not_offered_app_confirmation(client, staff, settings, wuhan_2025):
    settings.SCHOOL_REGION = "wuhan"
    client.force_login(staff("医保办"))
    wuhan_freshman(wuhan_2025)

    changelist = client.get(reverse("admin:enrollment_enrollment_changelist")).content.decode()
    blank = client.get(reverse("admin:enrollment_pending_lists")).content.decode()
    chosen = client.get(
        reverse("admin:enrollment_pending_lists"), {"policy_year": wuhan_2025.pk}
    ).content.decode()

    assert 'value="choose_family_aid"' in changelist  # the actions are offered…
    assert 'value="confirm_for_students"' not in changelist  # …but not bulk confirmation
    assert "未足额缴费（已缴 0.00 元，应缴 400.00 元）" in changelist
    for page in (blank, chosen):
        assert "随申办" not in page and " App " not in page and "in the app" not in page
    assert "未足额缴费名单" in chosen


def test_a_shanghai_office_confirms_but_not_for_a_wuhan_year(client, staff, settings, wuhan_2025):
    settings.SCHOOL_REGION = "shanghai"
    client.force_login(staff("医保办"))
    wuhan_freshman(wuhan_2025)  # a list without rows offers no action at all
    url = reverse("admin:enrollment_enrollment_changelist")

    everything = client.get(url).content.decode()
    wuhan_only = client.get(url, {"policy_year__id__exact": wuhan_2025.pk}).content.decode()

    assert 'value="confirm_for_students"' in everything
    assert 'value="confirm_for_students"' not in wuhan_only
