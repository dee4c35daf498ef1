"""Factories for the enrollment app's tests: students who are eligible unless told
otherwise, and enrollments and payments made through the same services the office uses
(never by writing a state directly); only `EnrollmentRowFactory` writes a row as it
stands, for histories the services would take many steps to reach."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from enrollment import services, workflow
from enrollment.models import Enrollment, Student
from enrollment.tests.files import resident_id


def _date_created(enrollment: Enrollment, day: date) -> None:
    # created_at is set on insert: move it afterwards
    at = timezone.make_aware(datetime.combine(day, time.min))
    Enrollment.objects.filter(pk=enrollment.pk).update(created_at=at)
    enrollment.refresh_from_db()


def _id_number(o) -> str:
    # a thousand numbers per birthday, then the next day: unique for any `seq`
    return resident_id(born=o.born + timedelta(days=o.seq // 1000), seq=o.seq % 1000)


class StudentFactory(factory.django.DjangoModelFactory):
    """An eligible second-year student: full-time, resident ID, registered, studying
    (DESIGN.md §4.1). `seq` gives the name, ID and student number (学生1, 25020001); left
    out, it counts from 1000, clear of the numbers tests choose by hand."""

    class Meta:
        model = Student

    class Params:
        seq = factory.Sequence(lambda n: 1000 + n)
        born = date(2006, 6, 1)

    name = factory.LazyAttribute(lambda o: f"学生{o.seq}")
    id_type = "resident_id"
    id_number = factory.LazyAttribute(_id_number)
    student_number = factory.LazyAttribute(lambda o: f"2502{o.seq:04d}")
    school = "示范大学"
    college = "医学院"
    major = "临床医学"
    education_level = "undergraduate"
    study_mode = "full_time"
    registered_on = date(2025, 9, 1)

    @classmethod
    def create_in_bulk(cls, count: int, **fields) -> list[Student]:
        """`count` students saved in one query, for runs over thousands; `fields` may be
        declarations (factory.Iterator) to vary them student by student."""
        return Student.objects.bulk_create(cls.build_batch(count, **fields))


class FreshmanFactory(StudentFactory):
    """An eligible freshman of the 2026 intake (新生1, 26010001), with a phone for the
    pending lists."""

    class Params:
        seq = factory.Sequence(lambda n: 1000 + n)
        born = date(2008, 3, 1)

    name = factory.LazyAttribute(lambda o: f"新生{o.seq}")
    student_number = factory.LazyAttribute(lambda o: f"2601{o.seq:04d}")
    registered_on = date(2026, 9, 1)
    phone = factory.LazyAttribute(lambda o: f"1380000{o.seq:04d}")


class EnrollmentFactory(factory.Factory):
    """An enrollment created by `services.enrollment_create`, so it is priced and in its
    first state exactly as the office's own would be. A late enrollment is declared the day
    it is created, and its waiting counts from then: it is dated `today`."""

    class Meta:
        model = dict  # built by the service below, not by the factory

    student = factory.SubFactory(StudentFactory)
    policy_year = None
    kind = workflow.COLLECTIVE
    today = date(2025, 11, 20)  # inside the 2026 collective window (2025-11-11 .. 12-20)
    by = None

    @classmethod
    def _create(cls, model_class, **kwargs):
        enrollment = services.enrollment_create(**kwargs)
        if enrollment.kind == workflow.LATE:
            _date_created(enrollment, kwargs["today"])
        return enrollment

    _build = _create


class FreshmanEnrollmentFactory(EnrollmentFactory):
    """A freshman's enrollment in the 2026 fall window (未建账); `confirmed=True` as once
    the freshman confirmed in the app (已申请待审核)."""

    student = factory.SubFactory(FreshmanFactory)
    kind = workflow.FRESHMAN
    today = date(2026, 9, 3)

    @factory.post_generation
    def confirmed(enrollment, create, extracted, **kwargs):
        if extracted:
            services.enrollment_transition(enrollment=enrollment, to=workflow.PENDING_REVIEW)
            enrollment.refresh_from_db()


class LateEnrollmentFactory(EnrollmentFactory):
    """A late enrollment (中途参保) of a student at school since September 2024, declared
    on 5 Mar 2025 unless told otherwise (shanghai guide Q3's worked example)."""

    student = factory.SubFactory(StudentFactory, registered_on=date(2024, 9, 1))
    kind = workflow.LATE
    today = date(2025, 3, 5)


class EnrollmentRowFactory(factory.django.DjangoModelFactory):
    """An enrollment row written as it stands, in any state: a past year's history, or a
    state the services reach in many steps. Covers its policy year's calendar year;
    `declared_on=day` dates it (a late enrollment's waiting counts from that day)."""

    class Meta:
        model = Enrollment
        skip_postgeneration_save = True

    student = factory.SubFactory(StudentFactory)
    policy_year = None
    kind = workflow.COLLECTIVE
    state = workflow.ESTABLISHED
    payer = workflow.STUDENT
    premium_due = Decimal("355.00")  # shanghai guide Q2
    cover_start = factory.LazyAttribute(lambda o: date(o.policy_year.year, 1, 1))
    cover_end = factory.LazyAttribute(lambda o: date(o.policy_year.year, 12, 31))

    @factory.post_generation
    def declared_on(enrollment, create, extracted, **kwargs):
        if extracted:
            _date_created(enrollment, extracted)


class PaymentFactory(factory.Factory):
    """A premium collected through `services.payment_record`: a declared enrollment whose
    premium it covers becomes paid, as when staff record it."""

    class Meta:
        model = dict  # recorded by the service below

    enrollment = factory.SubFactory(EnrollmentFactory)
    amount = Decimal("355.00")  # shanghai guide Q2
    paid_on = date(2025, 11, 25)
    channel = "online"
    receipt_number = factory.Sequence(lambda n: f"R{n:05d}")
    by = None

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.payment_record(**kwargs)

    _build = _create
