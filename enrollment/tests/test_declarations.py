"""Freshman declarations (DESIGN.md §1.1, §4.2, §4.4, §5): daily batches for the bureau's
portal, the pending-confirmation lists per college, and the bureau's account results.

shanghai-student-insurance-guide-2024-11.txt Q4: the school uploads the registered
freshmen, each confirms (or staff confirm in bulk), the account is established the next
day; once the next collective window opens no more freshman accounts for the year. The
policy year "shanghai-2026" (seeded by migration) closes freshman declarations on
2026-11-10, the day before the 2027 collective window of 2026-11-11."""

import hashlib
import re
from datetime import date, datetime

import pytest
from django.urls import reverse

from enrollment import services, workflow
from enrollment.models import DeclarationBatch, Enrollment, EnrollmentEvent, OptOut, Student
from enrollment.tests.factories import EnrollmentFactory, FreshmanEnrollmentFactory, FreshmanFactory
from enrollment.tests.files import csv_file, resident_id, xlsx

pytestmark = pytest.mark.django_db

DURING_WINDOW = date(2026, 9, 3)
RESULT_HEADER = ["姓名", "证件号码", "建账结果", "失败原因"]
NAME_CLASH = "相同证件号存在其他医保账户但姓名不同"


def state_of(student) -> str:
    return Enrollment.objects.get(student=student).state


# --- declaration batches -----------------------------------------------------------------------


def test_batch_declares_the_eligible_freshmen_registered_in_the_range(shanghai_2026):
    first = FreshmanFactory(seq=1, registered_on=date(2026, 9, 1))
    second = FreshmanFactory(seq=2, registered_on=date(2026, 9, 2), college="法学院")
    part_time = FreshmanFactory(seq=3, study_mode="part_time")  # not eligible (DESIGN.md §4.1)
    later = FreshmanFactory(seq=4, registered_on=date(2026, 9, 5))  # outside the range

    batch = services.declaration_batch_create(
        policy_year=shanghai_2026,
        registered_from=date(2026, 9, 1),
        registered_to=date(2026, 9, 2),
        today=DURING_WINDOW,
    )

    assert (batch.number, batch.rows) == (1, 2)
    members = Enrollment.objects.filter(declaration_batch=batch)
    assert set(members.values_list("student_id", flat=True)) == {first.pk, second.pk}
    # shanghai guide Q4: a freshman enrollment, not confirmed yet, entry-year premium waived
    assert set(members.values_list("kind", "state", "premium_due")) == {
        ("freshman", "not_established", 0)
    }
    assert not Enrollment.objects.filter(student__in=[part_time, later]).exists()
    # each created enrollment has its first event, like one made by enrollment_create
    assert set(
        EnrollmentEvent.objects.filter(enrollment__in=members).values_list("from_state", "to_state")
    ) == {("", "not_established")}


def test_an_existing_undeclared_freshman_enrollment_joins_the_batch(shanghai_2026):
    student = FreshmanFactory(seq=1)
    # confirmed in the app already
    enrollment = FreshmanEnrollmentFactory(
        student=student, policy_year=shanghai_2026, confirmed=True
    )

    batch = services.declaration_batch_create(
        policy_year=shanghai_2026,
        registered_from=date(2026, 9, 1),
        registered_to=date(2026, 9, 1),
        today=DURING_WINDOW,
    )

    enrollment.refresh_from_db()
    assert (enrollment.declaration_batch, enrollment.state) == (batch, "pending_review")
    assert Enrollment.objects.filter(student=student).count() == 1


def test_severe_disability_is_never_declared(shanghai_2026):
    FreshmanFactory(seq=1)
    disabled = FreshmanFactory(seq=2, subsidy_category="severe_disability")

    batch = services.declaration_batch_create(
        policy_year=shanghai_2026,
        registered_from=date(2026, 9, 1),
        registered_to=date(2026, 9, 1),
        today=DURING_WINDOW,
    )

    # DESIGN.md §4.4: the bureau creates the account from the disability federation's list;
    # the student shows as covered (exempt) but is never in a batch
    assert batch.rows == 1
    exempt = Enrollment.objects.get(student=disabled)
    assert (exempt.state, exempt.declaration_batch) == ("exempt", None)
    assert not batch.enrollments.filter(student=disabled).exists()


def test_an_exempt_enrollment_made_earlier_is_not_declared_either(shanghai_2026):
    disabled = FreshmanFactory(seq=1, subsidy_category="severe_disability")
    FreshmanEnrollmentFactory(student=disabled, policy_year=shanghai_2026)

    with pytest.raises(services.EnrollmentRefused, match="没有待申报"):
        services.declaration_batch_create(
            policy_year=shanghai_2026,
            registered_from=date(2026, 9, 1),
            registered_to=date(2026, 9, 1),
            today=DURING_WINDOW,
        )
    assert Enrollment.objects.get(student=disabled).declaration_batch is None


def test_nothing_to_declare_is_refused_and_leaves_no_batch(shanghai_2026):
    FreshmanFactory(seq=1, study_mode="part_time")

    with pytest.raises(services.EnrollmentRefused, match="没有待申报"):
        services.declaration_batch_create(
            policy_year=shanghai_2026,
            registered_from=date(2026, 9, 1),
            registered_to=date(2026, 9, 1),
            today=DURING_WINDOW,
        )
    assert not DeclarationBatch.objects.exists()


def test_no_batch_once_the_freshman_window_closed(shanghai_2026):
    student = FreshmanFactory(seq=1)
    assert shanghai_2026.freshman_window_closes_on == date(2026, 11, 10)

    # shanghai guide Q4: 集中参保期开始后，不再补建立秋季入学新生当年的居保账户
    with pytest.raises(services.EnrollmentRefused, match="截止"):
        services.declaration_batch_create(
            policy_year=shanghai_2026,
            registered_from=date(2026, 9, 1),
            registered_to=date(2026, 9, 1),
            today=date(2026, 11, 11),
        )
    assert not Enrollment.objects.filter(student=student).exists()
    assert not DeclarationBatch.objects.exists()

    # the last day of the window still works
    batch = services.declaration_batch_create(
        policy_year=shanghai_2026,
        registered_from=date(2026, 9, 1),
        registered_to=date(2026, 9, 1),
        today=date(2026, 11, 10),
    )
    assert batch.rows == 1


def test_a_second_batch_for_the_same_range_is_refused(shanghai_2026):
    FreshmanFactory(seq=1)
    FreshmanFactory(seq=2)
    dates = {"registered_from": date(2026, 9, 1), "registered_to": date(2026, 9, 1)}
    first = services.declaration_batch_create(
        policy_year=shanghai_2026, today=DURING_WINDOW, **dates
    )

    with pytest.raises(services.EnrollmentRefused, match="没有待申报"):
        services.declaration_batch_create(policy_year=shanghai_2026, today=DURING_WINDOW, **dates)

    assert list(DeclarationBatch.objects.values_list("number", "rows")) == [(1, 2)]
    assert Enrollment.objects.filter(declaration_batch=first).count() == 2


def test_a_freshman_registered_later_goes_into_the_next_batch(shanghai_2026):
    FreshmanFactory(seq=1, registered_on=date(2026, 9, 1))
    services.declaration_batch_create(
        policy_year=shanghai_2026,
        registered_from=date(2026, 9, 1),
        registered_to=date(2026, 9, 1),
        today=DURING_WINDOW,
    )
    late = FreshmanFactory(seq=2, registered_on=date(2026, 9, 1))  # imported a day late

    second = services.declaration_batch_create(
        policy_year=shanghai_2026,
        registered_from=date(2026, 9, 1),
        registered_to=date(2026, 9, 1),
        today=date(2026, 9, 4),
    )

    assert (second.number, second.rows) == (2, 1)
    assert Enrollment.objects.get(student=late).declaration_batch == second


def test_an_opted_out_freshman_is_never_declared(shanghai_2026):
    staying, leaving = FreshmanFactory.create_batch(2)
    OptOut.objects.create(
        student=leaving,
        policy_year=shanghai_2026,
        reason=OptOut.Reason.INSURED_ELSEWHERE,
        signed_on=date(2026, 9, 1),
    )

    batch = services.declaration_batch_create(
        policy_year=shanghai_2026,
        registered_from=date(2026, 9, 1),
        registered_to=date(2026, 9, 1),
        today=date(2026, 9, 2),
    )

    assert [e.student for e in batch.enrollments.all()] == [staying]
    with pytest.raises(services.EnrollmentRefused, match="放弃参保"):
        services.enrollment_create(
            student=leaving, policy_year=shanghai_2026, kind="freshman", today=date(2026, 9, 2)
        )


# --- the batch's upload file -------------------------------------------------------------------


@pytest.fixture
def batch(shanghai_2026):
    FreshmanFactory(seq=2, college="法学院", major="法学", registered_on=date(2026, 9, 2))
    FreshmanFactory(seq=1, college="医学院", registered_on=date(2026, 8, 28))
    return services.declaration_batch_create(
        policy_year=shanghai_2026,
        registered_from=date(2026, 8, 28),
        registered_to=date(2026, 9, 2),
        today=DURING_WINDOW,
    )


def test_export_has_the_bureau_header_and_one_row_per_member(batch, sheet_rows):
    content = services.declaration_batch_export(batch=batch)

    rows = sheet_rows(content)
    assert rows[0] == [
        "姓名",
        "证件类型",
        "证件号码",
        "院校名称",
        "学院名称",
        "专业名称",
        "学号",
        "报到注册时间",
    ]
    # ordered by college then student number; the bureau needs the full ID number
    assert rows[1:] == [
        [
            "新生1",
            "居民身份证",
            resident_id(born=date(2008, 3, 1), seq=1),
            "示范大学",
            "医学院",
            "临床医学",
            "26010001",
            datetime(2026, 8, 28),  # a date cell
        ],
        [
            "新生2",
            "居民身份证",
            resident_id(born=date(2008, 3, 1), seq=2),
            "示范大学",
            "法学院",
            "法学",
            "26010002",
            datetime(2026, 9, 2),
        ],
    ]


def test_first_export_freezes_the_batch_and_later_ones_give_the_same_bytes(
    batch, admin_user, sheet_rows
):
    assert batch.exported_at is None and not batch.is_frozen

    first = services.declaration_batch_export(batch=batch, by=admin_user)
    frozen = DeclarationBatch.objects.get(pk=batch.pk)

    assert frozen.is_frozen and frozen.exported_by == admin_user
    assert frozen.sha256 == hashlib.sha256(first).hexdigest()
    assert frozen.rows == 2

    Student.objects.filter(student_number="26010001").update(name="改名后")
    again = services.declaration_batch_export(batch=batch)

    assert again == first
    assert "新生1" in [row[0] for row in sheet_rows(again)]
    assert DeclarationBatch.objects.get(pk=batch.pk).exported_at == frozen.exported_at


def test_a_member_who_opted_out_before_the_first_export_is_not_declared(batch, sheet_rows):
    leaving = Enrollment.objects.get(student__student_number="26010002")
    services.enrollment_transition(enrollment=leaving, to="opted_out", reason="已在外地参保")

    rows = sheet_rows(services.declaration_batch_export(batch=batch))

    assert [row[6] for row in rows[1:]] == ["26010001"]


# --- pending confirmations per college ---------------------------------------------------------


@pytest.fixture
def pending(shanghai_2026):
    """医学院: three freshmen, one confirmed; 法学院: one; plus an exempt student (never
    pending: nothing to confirm) and a collective enrollment (not a freshman)."""
    medicine = [FreshmanFactory(seq=seq) for seq in (1, 2, 3)]
    law = FreshmanFactory(seq=4, college="法学院", major="法学")
    disabled = FreshmanFactory(seq=5, college="法学院", subsidy_category="severe_disability")
    FreshmanEnrollmentFactory(student=medicine[0], policy_year=shanghai_2026, confirmed=True)
    for student in [*medicine[1:], law, disabled]:
        FreshmanEnrollmentFactory(student=student, policy_year=shanghai_2026)
    older = FreshmanFactory(seq=6, registered_on=date(2025, 9, 1), student_number="25010006")
    EnrollmentFactory(student=older, policy_year=shanghai_2026)  # collective, 2025-11-20
    return medicine, law


def test_pending_confirmations_are_the_unconfirmed_freshmen(shanghai_2026, pending):
    medicine, law = pending

    everyone = services.pending_confirmations(policy_year=shanghai_2026)
    in_medicine = services.pending_confirmations(policy_year=shanghai_2026, college="医学院")

    assert [e.student for e in everyone] == [medicine[1], medicine[2], law]
    assert {e.state for e in everyone} == {"not_established"}
    assert [e.student for e in in_medicine] == [medicine[1], medicine[2]]


def test_pending_counts_per_college(shanghai_2026, pending):
    assert services.pending_counts(policy_year=shanghai_2026) == [("医学院", 2), ("法学院", 1)]

    medicine, _ = pending
    services.enrollment_transition(
        enrollment=Enrollment.objects.get(student=medicine[1]), to="pending_review"
    )

    assert services.pending_counts(policy_year=shanghai_2026) == [("医学院", 1), ("法学院", 1)]


def test_pending_counts_are_per_policy_year(pending, shanghai_2025):
    other_year = shanghai_2025

    assert services.pending_counts(policy_year=other_year) == []


def test_pending_list_for_one_college(shanghai_2026, pending, sheet_rows):
    content, count = services.pending_list_xlsx(policy_year=shanghai_2026, college="医学院")

    rows = sheet_rows(content)
    assert count == 2
    assert rows[0] == ["学院", "专业", "学号", "姓名", "手机号", "报到注册时间", "状态"]
    assert rows[1:] == [
        ["医学院", "临床医学", "26010002", "新生2", "13800000002", datetime(2026, 9, 1), "未建账"],
        ["医学院", "临床医学", "26010003", "新生3", "13800000003", datetime(2026, 9, 1), "未建账"],
    ]
    _, everyone = services.pending_list_xlsx(policy_year=shanghai_2026)
    assert everyone == 3


# --- the bureau's account results --------------------------------------------------------------


@pytest.fixture
def confirmed(shanghai_2026):
    """Three confirmed freshmen (已申请待审核) waiting for the bureau, one not confirmed."""
    students = [FreshmanFactory(seq=seq) for seq in (1, 2, 3, 4)]
    for student in students[:3]:
        FreshmanEnrollmentFactory(student=student, policy_year=shanghai_2026, confirmed=True)
    FreshmanEnrollmentFactory(student=students[3], policy_year=shanghai_2026)
    return students


def result(student, outcome="已建账", reason=""):
    return [student.name, student.id_number, outcome, reason]


def test_results_move_pending_review_to_established_and_failed(tmp_path, shanghai_2026, confirmed):
    path = xlsx(
        tmp_path / "建账结果.xlsx",
        [result(confirmed[0]), result(confirmed[1], "建账失败", NAME_CLASH)],
        header=RESULT_HEADER,
    )

    plan = services.bureau_results_check(path=path, policy_year=shanghai_2026)

    assert plan.as_json() == {
        "rows": 2,
        "established": 1,
        "failed": 1,
        "unchanged": 0,
        "problems": [],
        "applied": False,
        "skipped": 0,
    }
    assert plan.summary() == "数据行 2，已建账 1，建账失败 1，无变化 0，有问题 0 行"
    assert state_of(confirmed[0]) == "pending_review"  # a dry run writes nothing

    applied = services.bureau_results_apply(path=path, policy_year=shanghai_2026)

    assert applied.applied
    established = Enrollment.objects.get(student=confirmed[0])
    failed = Enrollment.objects.get(student=confirmed[1])
    assert established.state == "established"
    assert established.events.last().reason == "医保部门返回：已建账"
    assert (failed.state, failed.reason) == ("failed", NAME_CLASH)
    assert failed.events.last().reason == NAME_CLASH
    assert state_of(confirmed[2]) == "pending_review"  # not in the file


def test_results_from_a_gbk_csv(tmp_path, shanghai_2026, confirmed):
    path = csv_file(
        tmp_path / "results.csv",
        [result(confirmed[0]), result(confirmed[1], "失败", NAME_CLASH)],
        header=RESULT_HEADER,
        encoding="gbk",
    )

    plan = services.bureau_results_apply(path=path, policy_year=shanghai_2026)

    assert plan.problems == []
    assert [state_of(s) for s in confirmed[:2]] == ["established", "failed"]


def test_an_unknown_id_number_is_a_problem_naming_row_and_column(
    tmp_path, shanghai_2026, confirmed
):
    stranger = resident_id(born=date(2008, 3, 1), seq=999)  # valid, but nobody's
    path = xlsx(
        tmp_path / "r.xlsx",
        [result(confirmed[0]), ["陌生人", stranger, "已建账", ""]],
        header=RESULT_HEADER,
    )

    plan = services.bureau_results_apply(path=path, policy_year=shanghai_2026)

    [problem] = plan.problems
    assert (problem.row, problem.column) == (3, "证件号码")
    assert "没有参保记录" in problem.message
    assert stranger not in problem.message  # masked (DESIGN.md: full IDs only where needed)
    assert state_of(confirmed[0]) == "established"  # the good row is applied


def test_an_id_number_given_twice_is_reported_and_not_applied(tmp_path, shanghai_2026, confirmed):
    path = xlsx(
        tmp_path / "r.xlsx",
        [result(confirmed[0]), result(confirmed[0], "建账失败", NAME_CLASH)],
        header=RESULT_HEADER,
    )

    plan = services.bureau_results_apply(path=path, policy_year=shanghai_2026)

    assert [(p.row, p.column) for p in plan.problems] == [(2, "证件号码"), (3, "证件号码")]
    assert all("多次" in p.message for p in plan.problems)
    assert plan.moves == []
    assert state_of(confirmed[0]) == "pending_review"


def test_failed_without_a_reason_is_a_problem(tmp_path, shanghai_2026, confirmed):
    path = xlsx(tmp_path / "r.xlsx", [result(confirmed[0], "建账失败", "")], header=RESULT_HEADER)

    plan = services.bureau_results_apply(path=path, policy_year=shanghai_2026)

    [problem] = plan.problems
    assert (problem.row, problem.column) == (2, "失败原因")
    assert state_of(confirmed[0]) == "pending_review"


def test_an_unconfirmed_freshman_cannot_be_established(tmp_path, shanghai_2026, confirmed):
    unconfirmed = confirmed[3]
    path = xlsx(tmp_path / "r.xlsx", [result(unconfirmed)], header=RESULT_HEADER)

    plan = services.bureau_results_apply(path=path, policy_year=shanghai_2026)

    # workflow: 未建账 → 已申请待审核 → 已建账; the first step (参保确认) cannot be skipped
    [problem] = plan.problems
    assert (problem.row, problem.column) == (2, "建账结果")
    assert "不能变为" in problem.message
    assert state_of(unconfirmed) == "not_established"


def test_applying_the_same_file_again_changes_nothing(tmp_path, shanghai_2026, confirmed):
    path = xlsx(
        tmp_path / "r.xlsx",
        [result(confirmed[0]), result(confirmed[1], "建账失败", NAME_CLASH)],
        header=RESULT_HEADER,
    )
    services.bureau_results_apply(path=path, policy_year=shanghai_2026)
    events = EnrollmentEvent.objects.count()

    again = services.bureau_results_apply(path=path, policy_year=shanghai_2026)

    assert again.as_json()["unchanged"] == 2
    assert (again.moves, again.problems) == ([], [])
    assert EnrollmentEvent.objects.count() == events
    assert [state_of(s) for s in confirmed[:2]] == ["established", "failed"]


def test_title_rows_are_skipped_and_rows_are_sheet_rows(tmp_path, shanghai_2026, confirmed):
    stranger = resident_id(born=date(2008, 3, 1), seq=998)
    path = xlsx(
        tmp_path / "r.xlsx",
        [result(confirmed[0]), ["陌生人", stranger, "已建账", ""]],
        header=RESULT_HEADER,
        titles=["2026年秋季新生建账结果", "导出日期：2026-09-05"],
    )

    plan = services.bureau_results_apply(path=path, policy_year=shanghai_2026)

    assert plan.header_row == 3
    assert plan.rows == 2
    assert [(p.row, p.column) for p in plan.problems] == [(5, "证件号码")]
    assert state_of(confirmed[0]) == "established"


def test_a_lower_case_x_check_digit_matches(tmp_path, shanghai_2026):
    seq = next(s for s in range(1, 1000) if resident_id(born=date(2008, 3, 1), seq=s)[-1] == "X")
    student = FreshmanFactory(seq=seq)
    FreshmanEnrollmentFactory(student=student, policy_year=shanghai_2026, confirmed=True)
    path = xlsx(
        tmp_path / "r.xlsx",
        [[student.name, student.id_number.lower(), "已建账", ""]],
        header=RESULT_HEADER,
    )

    plan = services.bureau_results_apply(path=path, policy_year=shanghai_2026)

    assert plan.problems == []
    assert state_of(student) == workflow.ESTABLISHED


def test_confirming_twice_in_the_admin_applies_once(
    client, admin_user, settings, tmp_path, shanghai_2026, confirmed
):
    """A double click, or the same page confirmed in a second tab (office.incoming)."""
    settings.MEDIA_ROOT = tmp_path
    client.force_login(admin_user)
    url = reverse("admin:enrollment_bureau_results")
    path = xlsx(tmp_path / "结果.xlsx", [result(confirmed[0])], header=RESULT_HEADER)
    with path.open("rb") as upload:
        checked = client.post(url, {"policy_year": shanghai_2026.pk, "file": upload})
    token = re.search(r'name="token" value="([0-9a-f]{32})"', checked.content.decode()).group(1)
    dry_run = state_of(confirmed[0])

    first = client.post(url, {"token": token}).content.decode()
    second = client.post(url, {"token": token}).content.decode()

    assert dry_run == "pending_review"
    assert "已完成：数据行 1，已建账 1" in first
    assert "上传的文件已失效，请重新上传。" in second
    assert state_of(confirmed[0]) == "established"
    assert EnrollmentEvent.objects.filter(to_state="established").count() == 1
