"""Factories for the claims app's tests. Claims are made through the office's own
services (claim_create, claim_submit, …), so they are numbered, checked and in their
state exactly as a clerk's would be; only `ClaimRowFactory` and `ClaimLineFactory` write
rows as they stand, for states or results the services take many steps to reach.

Defaults follow the shanghai-2025 policy year (seeded by policies' migrations): a student
covered 1 Jan – 31 Dec 2025, an emergency visit at a level-3 hospital on 10 Mar 2025
(500.00 invoiced, 400.00 within scope), claimed within the 6 months of shanghai guide Q12."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from claims import services
from claims.models import Claim, ClaimDocument, ClaimLine, Facility, InsurerChoice, Referral
from claims.services import LineInput
from enrollment.tests.factories import EnrollmentRowFactory, StudentFactory
from policies.models import PolicyYear

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def pdf_scan(name: str = "扫描件.pdf") -> SimpleUploadedFile:
    """A small real PDF, as a scan is uploaded."""
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def policy_year(code: str = "shanghai-2025") -> PolicyYear:
    return PolicyYear.objects.get(code=code)


class CoveredStudentFactory(StudentFactory):
    """An eligible student with an established enrollment covering all of the policy year
    `covered_in` names (shanghai-2025 unless told; "" for a student without cover)."""

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def covered_in(student, create, extracted, **kwargs):
        code = "shanghai-2025" if extracted is None else extracted
        if code:
            EnrollmentRowFactory(student=student, policy_year=policy_year(code))


class FacilityFactory(factory.django.DjangoModelFactory):
    """A designated level-3 hospital in Shanghai."""

    class Meta:
        model = Facility
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"示范医院{n}")
    level = "3"
    city = "上海"
    designated = True


class ReferralFactory(factory.django.DjangoModelFactory):
    """The campus clinic's referral, issued 1 Mar 2025 and valid 90 days."""

    class Meta:
        model = Referral

    number = factory.Sequence(lambda n: f"ZZ{n:06d}")
    student = factory.SubFactory(CoveredStudentFactory)
    facility = factory.SubFactory(FacilityFactory)
    issued_on = date(2025, 3, 1)
    valid_until = factory.LazyAttribute(lambda o: o.issued_on + timedelta(days=90))


class InsurerChoiceFactory(factory.django.DjangoModelFactory):
    """A student's catastrophic insurer for shanghai-2025: the first of the year's four
    (shanghai guide Q8)."""

    class Meta:
        model = InsurerChoice

    student = factory.SubFactory(CoveredStudentFactory)
    policy_year = factory.LazyFunction(policy_year)
    insurer = factory.LazyAttribute(lambda o: (o.policy_year.catastrophic_insurers or ["—"])[0])
    chosen_on = date(2025, 1, 10)


class LineInputFactory(factory.Factory):
    """One receipt as given to claim_create."""

    class Meta:
        model = LineInput

    invoice_number = factory.Sequence(lambda n: f"FP{n:08d}")
    visit_date = date(2025, 3, 10)
    invoice_date = factory.LazyAttribute(lambda o: o.visit_date)
    care = "emergency"
    level = "3"
    total = Decimal("500.00")
    in_scope = Decimal("400.00")


class ClaimFactory(factory.Factory):
    """A draft claim made by services.claim_create: one receipt (LineInputFactory) unless
    `lines` are given. `received=True` marks every required document received (with a
    PDF scan); `submit=day` submits it that day (checked: it may come back rejected);
    `review=True` then takes it into review."""

    class Meta:
        model = dict  # made by the service below

    student = factory.SubFactory(CoveredStudentFactory)
    type = "emergency_cash"
    lines = factory.LazyFunction(lambda: [LineInputFactory()])
    channel = "window"
    submitted_on = None
    out_of_city = False
    remote_registration = "none"
    remote_registration_valid_until = None
    referral = None
    bank_account = "6222021234567890123"
    by = None

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.claim_create(**kwargs)

    _build = _create

    @factory.post_generation
    def received(claim, create, extracted, **kwargs):
        if extracted:
            for kind in services.required_documents_of(claim):
                services.document_receive(claim=claim, kind=kind, scan=pdf_scan())

    @factory.post_generation
    def submit(claim, create, extracted, **kwargs):
        if extracted:
            submitted = services.claim_submit(claim=claim, today=extracted)
            claim.refresh_from_db()
            assert claim.state == submitted.state

    @factory.post_generation
    def review(claim, create, extracted, **kwargs):
        if extracted:
            services.claim_start_review(claim=claim)
            claim.refresh_from_db()


class ClaimRowFactory(factory.django.DjangoModelFactory):
    """A claim row written as it stands, in any state (add lines with ClaimLineFactory).
    Its numbers run from BX2025-900000, clear of those claim_create gives in tests."""

    class Meta:
        model = Claim

    number = factory.Sequence(lambda n: f"BX2025-{900000 + n:06d}")
    student = factory.SubFactory(CoveredStudentFactory)
    policy_year = factory.LazyFunction(policy_year)
    type = "emergency_cash"
    channel = "window"
    state = "draft"
    bank_account = "6222021234567890123"


class ClaimLineFactory(factory.django.DjangoModelFactory):
    """A receipt row of a claim, written as it stands."""

    class Meta:
        model = ClaimLine

    claim = factory.SubFactory(ClaimRowFactory)
    position = factory.Sequence(lambda n: n + 1)
    invoice_number = factory.Sequence(lambda n: f"FL{n:08d}")
    visit_date = date(2025, 3, 10)
    invoice_date = factory.LazyAttribute(lambda o: o.visit_date)
    care = "emergency"
    level = "3"
    total = Decimal("500.00")
    in_scope = Decimal("400.00")
    out_of_scope = factory.LazyAttribute(lambda o: o.total - o.in_scope)


class ClaimDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClaimDocument
        django_get_or_create = ("claim", "kind")

    claim = factory.SubFactory(ClaimRowFactory)
    kind = "invoice"
    received = True
