"""The one writer of an enrollment's state (services.enrollments.moves_write, through
office.transitions): one row or many take the same path, all or nothing; and the moves
staff make by hand, offered in the admin from the workflow's map."""

import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from enrollment import services, workflow
from enrollment.models import Enrollment, EnrollmentEvent
from enrollment.services.enrollments import moves_write
from enrollment.tests.factories import (
    EnrollmentFactory,
    FreshmanEnrollmentFactory,
    PaymentFactory,
)

pytestmark = pytest.mark.django_db


def current(enrollment: Enrollment) -> Enrollment:
    return Enrollment.objects.get(pk=enrollment.pk)


def test_many_rows_from_several_states_move_together_with_an_event_each(shanghai_2026):
    declared, paid = EnrollmentFactory.create_batch(2, policy_year=shanghai_2026)
    PaymentFactory(enrollment=paid)
    rows = [current(declared), current(paid)]

    moves_write(rows, to=workflow.ESTABLISHED, reason="医保部门返回：已建账")

    assert [current(e).state for e in rows] == ["established", "established"]
    assert [e.state for e in rows] == ["established", "established"]  # in memory too
    moves = EnrollmentEvent.objects.filter(to_state="established").order_by("enrollment_id")
    assert [(m.enrollment_id, m.from_state, m.reason) for m in moves] == [
        (declared.pk, "declared", "医保部门返回：已建账"),
        (paid.pk, "paid", "医保部门返回：已建账"),
    ]


def test_one_refused_move_writes_nothing(shanghai_2026):
    declared = EnrollmentFactory(policy_year=shanghai_2026)
    exempt = EnrollmentFactory(
        policy_year=shanghai_2026, student__subsidy_category="severe_disability"
    )
    events = EnrollmentEvent.objects.count()

    with pytest.raises(workflow.TransitionRefused, match="「免缴（重残）」的参保记录不能变为"):
        moves_write([current(declared), current(exempt)], to=workflow.ESTABLISHED)

    assert (current(declared).state, current(exempt).state) == ("declared", "exempt")
    assert EnrollmentEvent.objects.count() == events


def test_a_row_changed_meanwhile_stops_the_whole_move(shanghai_2026):
    first, second = EnrollmentFactory.create_batch(2, policy_year=shanghai_2026)
    read = [current(first), current(second)]
    # another clerk establishes the second one after these rows were read
    services.enrollment_transition(enrollment=second, to=workflow.ESTABLISHED)

    with pytest.raises(workflow.TransitionRefused, match="部分记录已被他人修改"):
        moves_write(read, to=workflow.FAILED, reason="姓名不符")

    assert (current(first).state, current(second).state) == ("declared", "established")
    assert not EnrollmentEvent.objects.filter(to_state="failed").exists()


# a state written anywhere but the writer: `x.state = …`, `update(state=…)`
WRITES_A_STATE = re.compile(r"\.state\s*=[^=]|\.update\([^)]*\bstate\s*=", re.S)


def test_nothing_but_the_writer_writes_a_state():
    root = Path(settings.BASE_DIR)
    writers = {
        str(path.relative_to(root))
        for app in ("office", "policies", "enrollment", "claims")
        for path in (root / app).rglob("*.py")
        if "tests" not in path.parts
        and "migrations" not in path.parts
        and WRITES_A_STATE.search(path.read_text(encoding="utf-8"))
    }

    assert writers == {"office/transitions.py"}


# --- moves made by hand --------------------------------------------------------------------------


def offered(client, user) -> dict[str, str]:
    client.force_login(user)
    page = client.get(reverse("admin:enrollment_enrollment_changelist"))
    form = page.context["action_form"]
    return (
        {} if form is None else {name: str(label) for name, label in form.fields["action"].choices}
    )


def test_the_bulk_confirmation_is_offered_from_the_map_to_who_may_make_it(client, staff):
    assert offered(client, staff("医保办")) == {
        "": "---------",
        "confirm_for_students": "代学生批量确认参保",
        "choose_family_aid": "改为家庭共济缴费（亲属职工医保账户代缴）",
    }
    assert offered(client, staff("审计")) == {}  # may read, may not change an enrollment


def test_the_bulk_confirmation_moves_what_the_map_allows_and_says_why_not_for_the_rest(
    client, staff, shanghai_2026
):
    waiting, already = FreshmanEnrollmentFactory.create_batch(
        2, policy_year=shanghai_2026, today=date(2026, 9, 2)
    )
    services.enrollment_transition(enrollment=already, to=workflow.PENDING_REVIEW)
    client.force_login(staff("医保办"))

    page = client.post(
        reverse("admin:enrollment_enrollment_changelist"),
        {"action": "confirm_for_students", "_selected_action": [waiting.pk, already.pk]},
        follow=True,
    )

    assert current(waiting).state == workflow.PENDING_REVIEW
    shown = [(m.level_tag, m.message) for m in page.context["messages"]]
    assert shown == [
        ("success", "已为 1 名新生确认参保，状态为已申请待审核。"),
        (
            "warning",
            f"{already.student}：「已申请待审核」的参保记录不能变为「已申请待审核」。",
        ),
    ]
