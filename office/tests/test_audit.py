"""The audit trail (issue #13, django-auditlog): every change to students, enrollments,
payments, refunds, payment lists, opt-outs, claims and policy years, with who, when and
what changed; ID numbers masked; read by 审计 beside the personal-data access log."""

from decimal import Decimal

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.auth.models import Group
from django.urls import reverse

from claims.tests.factories import ClaimRowFactory
from enrollment.models import Student
from enrollment.tests.factories import PaymentFactory, StudentFactory
from enrollment.tests.files import resident_id

AUDITED = [
    "enrollment.Student",
    "enrollment.Enrollment",
    "enrollment.Payment",
    "enrollment.Refund",
    "enrollment.PaymentList",
    "enrollment.OptOut",
    "claims.Claim",
    "claims.ClaimLine",
    "claims.ClaimDocument",
    "policies.PolicyYear",
    "policies.SpecialGroupRule",
    "policies.BenefitRule",
    "policies.CatastrophicTier",
]


def entries_of(record) -> list[LogEntry]:
    return list(LogEntry.objects.get_for_object(record).order_by("pk"))


def form_data(response) -> dict:
    """The admin change form's current values, as the browser would post them back."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
    return data


@pytest.mark.parametrize("label", AUDITED)
def test_every_record_of_money_and_people_is_audited(label):
    assert auditlog.contains(apps.get_model(label))


def test_a_change_in_the_admin_records_who_when_and_what(client, staff, db):
    clerk = staff("医保办")
    student = StudentFactory(major="临床医学")
    client.force_login(clerk)
    url = reverse("admin:enrollment_student_change", args=[student.pk])
    data = {**form_data(client.get(url)), "major": "法学"}

    saved = client.post(url, data, REMOTE_ADDR="10.2.3.4")

    assert saved.status_code == 302
    (entry,) = [e for e in entries_of(student) if e.action == LogEntry.Action.UPDATE]
    assert entry.actor == clerk
    assert entry.remote_addr == "10.2.3.4"
    assert entry.timestamp is not None
    assert entry.changes_dict == {"major": ["临床医学", "法学"]}


def test_id_numbers_are_stored_masked_and_what_they_reveal_left_out(staff, db):
    # 310104 20061231 123 X: the factory's numbers, masked as everywhere (310*****xx)
    old, new = resident_id(seq=123), resident_id(seq=456)
    with set_actor(staff("医保办")):
        student = StudentFactory(id_number=old)
        student.id_number = new
        student.save()

    created, updated = entries_of(student)
    stored = f"{created.changes}{updated.changes}{created.object_repr}"
    assert old not in stored and new not in stored
    assert created.changes_dict["id_number"][1] == f"310*****{old[-2:]}"
    assert updated.changes_dict == {"id_number": [f"310*****{old[-2:]}", f"310*****{new[-2:]}"]}
    assert "birth_date" not in created.changes_dict and "gender" not in created.changes_dict


def test_bank_accounts_are_masked(db):
    claim = ClaimRowFactory(bank_account="6222021234567890123")
    claim.bank_account = "6222029876543210987"
    claim.save()

    (_, updated) = entries_of(claim)
    assert updated.changes_dict["bank_account"] == ["6222***********0123", "6222***********0987"]


def test_a_payment_is_recorded_with_its_amount(staff, shanghai_2026):
    with set_actor(staff("财务")):
        payment = PaymentFactory(enrollment__policy_year=shanghai_2026, amount=Decimal("355.00"))

    (created,) = entries_of(payment)
    assert created.action == LogEntry.Action.CREATE
    assert created.changes_dict["amount"] == ["None", "355.00"]


def test_a_policy_year_change_is_recorded(staff, shanghai_2026):
    with set_actor(staff("医保办")):
        shanghai_2026.premium = Decimal("380.00")
        shanghai_2026.save()

    (updated,) = entries_of(shanghai_2026)
    assert updated.changes_dict == {"premium": ["355.00", "380.00"]}


def test_stored_files_and_long_explanations_are_not_copied_into_the_trail():
    fields = {
        label: auditlog.get_model_fields(apps.get_model(label))["exclude_fields"]
        for label in ("enrollment.PaymentList", "claims.Claim", "claims.ClaimLine")
    }

    assert "content" in fields["enrollment.PaymentList"]
    assert "breakdown" in fields["claims.Claim"]
    assert "steps" in fields["claims.ClaimLine"]


def test_auditors_read_the_trail_beside_the_access_log(client, staff, db):
    with set_actor(staff("医保办")):
        student = StudentFactory(id_number=resident_id(seq=789))
        student.major = "法学"
        student.save()
    client.force_login(staff("审计"))

    listed = client.get(reverse("admin:auditlog_logentry_changelist"))
    entry = LogEntry.objects.get_for_object(student).latest("pk")
    shown = client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk]))
    access_log = client.get(reverse("admin:enrollment_personaldataaccess_changelist"))

    assert listed.status_code == shown.status_code == access_log.status_code == 200
    page = listed.content.decode() + shown.content.decode()
    assert student.name in page and "法学" in shown.content.decode()
    assert student.id_number not in page


@pytest.mark.parametrize("role", ["学生处", "财务"])
def test_other_roles_do_not_read_the_trail(client, staff, role):
    client.force_login(staff(role))

    assert client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 403


def test_who_reads_the_trail(db):
    def codenames(role):
        group = Group.objects.get(name=role)
        return set(group.permissions.values_list("codename", flat=True))

    assert "view_logentry" in codenames("审计") and "view_logentry" in codenames("医保办")
    assert not any("logentry" in name for name in codenames("学生处") | codenames("财务"))
    assert all(name.startswith("view_") for name in codenames("审计"))


def test_a_bulk_write_is_not_in_the_trail_but_a_save_is(db):
    """README: queryset.update and bulk_create bypass the trail (state moves have their
    own events); a save through the model is recorded."""
    student = StudentFactory()
    Student.objects.filter(pk=student.pk).update(major="法学")
    student.refresh_from_db()
    student.major = "医学"
    student.save()

    actions = [entry.changes_dict.get("major") for entry in entries_of(student)[1:]]
    assert actions == [["法学", "医学"]]
