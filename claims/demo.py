"""The claims part of the demo school (seed_demo): designated facilities at every level of
the seeds (校内, 社区, 一级, 二级, 三级, and a few out of the city), the campus clinic's
referrals, catastrophic insurer choices and claims of every type in every state of the
demo year, made through the office's own services so that 报销管理, the statements,
claims_report and the payout lists show what a real office would see.

The mix follows the region's rules, as policy-year data: where the school pays ordinary
outpatient care from its own fund (Wuhan notice 五.1–五.3) most claims are referred
outpatient claims the school pays, some already paid through a frozen 报销支付清单 and
some waiting for the next one; where the bureau and the insurers pay (Shanghai guide
Q8/Q12) the claims are the 零星报销 the office helps assemble, which the school never pays
out: a few are 已支付, the payer's payment recorded by hand once the office learned of
it. Deterministic: the same claims on every machine."""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from enrollment import workflow as enrollment_workflow
from enrollment.models import Enrollment, Student
from enrollment.selectors import cover_on
from policies import engine
from policies.selectors import policy_year_get, policy_year_rules

from . import rules, workflow
from .demo_facilities import demo_facilities
from .models import Claim, Facility, InsurerChoice, Referral
from .services import (
    LineInput,
    approved_amount,
    claim_create,
    claim_record_payment,
    claim_reject,
    claim_start_review,
    claim_submit,
    document_receive,
    insurer_choose,
    referral_issue,
    required_documents_of,
)
from .services.approval import claim_approve
from .services.payouts import claim_payout_freeze


@dataclass(frozen=True)
class Story:
    """One demo claim: its type, where it ends (a claim state) and how it gets there.
    `fails` names the check it is made to fail on submission (a rules code), or "other"
    for a reviewer's rejection; `missing` leaves the medical record out (it cannot go to
    review); `payout` 1 puts it on the first payout list, 0 leaves it waiting."""

    type: str
    state: str
    care: str = "outpatient"
    level: str = "3"
    amount: str = "420.00"
    receipts: int = 1
    channel: str = rules.WINDOW
    referral: bool = False
    registration: str = rules.REGISTRATION_NONE
    disease: str = ""
    fails: str = ""
    missing: bool = False
    payout: int = 0
    account: bool = True


D, S, R, A, X, P = (
    workflow.DRAFT,
    workflow.SUBMITTED,
    workflow.IN_REVIEW,
    workflow.APPROVED,
    workflow.REJECTED,
    workflow.PAID,
)
EMERGENCY, INPATIENT, REMOTE = rules.EMERGENCY_CASH, rules.INPATIENT, rules.REMOTE
TEMPORARY, LONG_TERM = rules.REGISTRATION_TEMPORARY, rules.REGISTRATION_LONG_TERM
FRESHMAN, REFERRED, CATASTROPHIC = (
    rules.FRESHMAN_BEFORE_ACCOUNT,
    rules.REFERRED_OUTPATIENT,
    rules.CATASTROPHIC,
)

# Every type and state short of 已支付 (the payers differ by city: see below).
COMMON_STORIES = [
    Story(EMERGENCY, A, care="emergency", level="2", amount="650.00"),
    Story(EMERGENCY, A, care="emergency", amount="1280.00", receipts=2, channel=rules.PROXY),
    Story(EMERGENCY, R, care="emergency", level="2", amount="360.00"),
    Story(EMERGENCY, S, care="emergency", amount="540.00", missing=True),
    Story(EMERGENCY, D, care="emergency", level="1", amount="210.00"),
    Story(EMERGENCY, X, care="emergency", amount="730.00", fails=rules.LATE_SUBMISSION),
    Story(EMERGENCY, X, care="emergency", amount="650.00", fails=rules.DUPLICATE_RECEIPT),
    Story(EMERGENCY, X, care="emergency", amount="450.00", fails=rules.NOT_COVERED),
    Story(EMERGENCY, X, care="emergency", level="2", amount="380.00", fails=rules.OTHER),
    Story(INPATIENT, A, care="inpatient", amount="18600.00"),
    Story(INPATIENT, A, care="inpatient", level="2", amount="7400.00"),
    Story(INPATIENT, R, care="inpatient", amount="9800.00"),
    Story(INPATIENT, S, care="inpatient", level="1", amount="3200.00"),
    Story(INPATIENT, D, care="inpatient", amount="12500.00"),
    Story(REMOTE, A, care="emergency", amount="2300.00", registration=TEMPORARY),
    Story(REMOTE, R, care="inpatient", amount="15800.00", registration=LONG_TERM),
    Story(REMOTE, X, amount="880.00", fails=rules.NO_REMOTE_REGISTRATION),
    Story(FRESHMAN, A, level="2", amount="260.00"),
    Story(FRESHMAN, S, level="1", amount="180.00"),
    Story(CATASTROPHIC, A, care="inpatient", amount="48000.00", disease="malignant_tumour"),
    Story(CATASTROPHIC, R, care="inpatient", amount="26500.00", disease="uremia_dialysis"),
    Story(CATASTROPHIC, S, care="inpatient", amount="31000.00", disease="aplastic_anaemia"),
]
# Referred outpatient care off campus: the bureau's in a city like Shanghai…
BUREAU_REFERRED = [
    Story(REFERRED, A, referral=True, amount="560.00"),
    Story(REFERRED, R, referral=True, level="2", amount="320.00"),
    Story(REFERRED, X, amount="410.00", fails=rules.NO_REFERRAL),
]
# …the school's own in a city like Wuhan (at most 400 a year each: notice 五.1), paid
# through a frozen payout list or waiting for the next.
SCHOOL_REFERRED = [
    Story(REFERRED, P, referral=True, amount="320.00", payout=1),
    Story(REFERRED, P, referral=True, level="2", amount="260.00", payout=1),
    Story(REFERRED, P, referral=True, amount="410.00", receipts=2, payout=1),
    Story(REFERRED, P, referral=True, level="1", amount="150.00", payout=1, channel=rules.PROXY),
    Story(REFERRED, A, referral=True, amount="380.00"),
    Story(REFERRED, A, referral=True, level="2", amount="290.00"),
    Story(REFERRED, A, referral=True, amount="220.00", receipts=2),
    Story(REFERRED, A, referral=True, level="2", amount="340.00", account=False),
    Story(REFERRED, R, referral=True, amount="300.00"),
    Story(REFERRED, R, referral=True, level="1", amount="120.00"),
    Story(REFERRED, S, referral=True, amount="270.00", missing=True),
    Story(REFERRED, S, referral=True, level="2", amount="190.00"),
    Story(REFERRED, D, referral=True, amount="240.00"),
    Story(REFERRED, X, amount="310.00", fails=rules.NO_REFERRAL),
    Story(REFERRED, X, referral=True, amount="280.00", fails=rules.LATE_SUBMISSION),
]
# …and in such a city the bureau and the insurer pay some claims, which the office then
# records as paid (claims.services.payments): a month after they were handed in.
BUREAU_PAID = [
    Story(EMERGENCY, P, care="emergency", level="1", amount="900.00"),
    Story(INPATIENT, P, care="inpatient", level="2", amount="5600.00"),
    Story(CATASTROPHIC, P, care="inpatient", amount="36000.00", disease="malignant_tumour"),
]
PAID_AFTER = timedelta(days=30)
SPARE_REFERRALS = 3  # issued, not yet claimed
SCAN_FREE = "线下收取原件"


def seed_claims(*, policy_year, today: date, by=None) -> str:
    """Facilities always (by name: nothing twice); referrals, insurer choices and claims
    only when the demo year has no claim yet. Returns what was done, in a sentence."""
    region = policy_year.region.code
    facilities = demo_facilities(region, city=policy_year.region.name.removesuffix("市"))
    if Claim.objects.filter(policy_year=policy_year).exists():
        return "示范报销申请已存在，跳过。"
    school_pays = _school_pays_outpatient(policy_year)
    demo = _Demo(
        policy_year=policy_year,
        today=today,
        by=by,
        facilities=facilities,
        referred=school_pays,
    )
    choices = demo.insurer_choices()
    stories = COMMON_STORIES + (SCHOOL_REFERRED if school_pays else BUREAU_REFERRED + BUREAU_PAID)
    claims, lists = demo.tell(stories)
    referrals = demo.spare_referrals()
    states = {state: 0 for state in workflow.LABELS}
    for claim in Claim.objects.filter(policy_year=policy_year):
        states[claim.state] += 1
    shown = "、".join(f"{workflow.LABELS[s]} {n}" for s, n in states.items() if n)
    return (
        f"示范报销：定点医疗机构 {sum(map(len, facilities.values()))} 家，转诊单 {referrals} 张，"
        f"大病保险承办机构选择 {choices} 条，报销申请 {len(claims)} 笔（{shown}），"
        f"报销支付清单 {lists} 张。"
    )


def _school_pays_outpatient(policy_year) -> bool:
    """Whether the year's ordinary outpatient care is paid from the school's fund."""
    snapshot = policy_year_rules(policy_year_get(code=policy_year.code))
    try:
        rule = engine.rule_for(snapshot, "outpatient", "2")
    except ValueError:
        return False
    return rule.payer == engine.SCHOOL_OUTPATIENT_FUND


class _Demo:
    def __init__(self, *, policy_year, today: date, by, facilities, referred: bool):
        self.policy_year, self.year, self.today, self.by = policy_year, policy_year.year, today, by
        self.facilities = facilities
        # where the school pays outpatient care, off campus only with a referral (wuhan
        # notice 五.2): every outpatient or emergency visit then carries one
        self.referred = referred
        self.rng = random.Random(f"claims-{policy_year.code}")
        self.referrals = 0
        self.invoices = 0
        self.first_invoice = ""
        self._covered = self._students(covered=True)
        self._uncovered = self._students(covered=False)
        self._freshmen = self._freshmen_covered()

    # --- who claims -------------------------------------------------------------------

    def _students(self, *, covered: bool) -> list[Student]:
        """Collective enrollments of the year: established ones cover the whole year, an
        opted-out student has no cover (the bureau's states, enrollment.workflow)."""
        states = (
            [enrollment_workflow.ESTABLISHED, enrollment_workflow.REMITTED]
            if covered
            else [enrollment_workflow.OPTED_OUT]
        )
        students = Student.objects.filter(
            enrollments__policy_year=self.policy_year,
            enrollments__kind=enrollment_workflow.COLLECTIVE,
            enrollments__state__in=states,
        ).order_by("student_number")
        day = date(self.year, 3, 1)
        return [s for s in students if (cover_on(student=s, day=day) is not None) == covered]

    def _freshmen_covered(self) -> list[tuple[Student, date]]:
        enrollments = (
            Enrollment.objects.filter(
                policy_year=self.policy_year,
                kind=enrollment_workflow.FRESHMAN,
                state__in=[enrollment_workflow.ESTABLISHED, enrollment_workflow.REMITTED],
                cover_start__lte=self.today - timedelta(days=10),
            )
            .select_related("student")
            .order_by("student__student_number")
        )
        found = []
        for enrollment in enrollments:
            visit = enrollment.cover_start + timedelta(days=2)
            if cover_on(student=enrollment.student, day=visit) is not None:
                found.append((enrollment.student, visit))
        return found

    def insurer_choices(self) -> int:
        """Every third covered student chose the year's insurers in turn (shanghai guide
        Q8); a year whose insurers are not known (Wuhan) has none."""
        insurers = list(self.policy_year.catastrophic_insurers or [])
        if not insurers:
            return 0
        chosen = 0
        for index, student in enumerate(self._covered[::3]):
            if InsurerChoice.objects.filter(student=student, policy_year=self.policy_year):
                continue
            insurer_choose(
                student=student,
                policy_year=self.policy_year,
                insurer=insurers[index % len(insurers)],
                chosen_on=date(self.year - 1, 12, 1),
                by=self.by,
            )
            chosen += 1
        return chosen

    # --- the claims -------------------------------------------------------------------

    def tell(self, stories: list[Story]) -> tuple[list[Claim], int]:
        """Every story's claim taken as far as review, then approved in two rounds: those
        of the first payout list, frozen at once, then the others, which wait. Returns
        the claims and how many payout lists were frozen."""
        covered = iter(self._covered[1::3] + self._covered[2::3])
        uncovered = iter(self._uncovered)
        freshmen = iter(self._freshmen)
        catastrophic = iter(self._covered[::3])
        told: list[tuple[Story, Claim]] = []
        for index, story in enumerate(stories):
            visit = date(self.year, 1 + index % 8, 3 + (index * 5) % 22)
            if story.type == FRESHMAN:
                student, visit = next(freshmen, (None, visit))
            elif story.fails == rules.NOT_COVERED:
                student = next(uncovered, None)
            elif story.type == CATASTROPHIC:
                student = next(catastrophic, None)
            else:
                student = next(covered, None)
            if student is None:
                continue  # a school too small for this story
            if story.fails == rules.LATE_SUBMISSION:
                visit = date(self.year, 1, 8)
            told.append((story, self._claim(story, student, visit)))
        lists = 0
        for payout in (1, 0):
            for story, claim in told:
                if story.state in (A, P) and story.payout == payout and claim.state == R:
                    claim_approve(claim=claim, by=self.by)
            if payout and any(story.payout for story, _ in told):
                claim_payout_freeze(year=self.year, by=self.by)
                lists += 1
        for story, claim in told:
            if story.state == P and not story.payout:
                self._paid_by_its_payer(Claim.objects.get(pk=claim.pk))
        return [Claim.objects.get(pk=claim.pk) for _, claim in told], lists

    def _paid_by_its_payer(self, claim: Claim) -> None:
        """The bureau or the insurer paid the approved amount a month after the claim
        was handed in (or today, if that is sooner)."""
        claim_record_payment(
            claim=claim,
            paid_on=min(claim.submitted_on + PAID_AFTER, self.today),
            amount=approved_amount(claim),
            reference=f"ZF{claim.number.removeprefix('BX')}",
            by=self.by,
            today=self.today,
        )

    def _claim(self, story: Story, student: Student, visit: date) -> Claim:
        """The claim made, its documents received and submitted, and taken into review
        (approval comes after, in `tell`), as far as `story` goes."""
        facility = self._facility(story)
        referral = None
        if story.referral or (
            self.referred
            and story.care in ("outpatient", "emergency")
            and story.fails != rules.NO_REFERRAL
        ):
            referral = self._referral(student, facility, visit - timedelta(days=3))
        claim = claim_create(
            student=student,
            type=story.type,
            lines=self._lines(story, facility, visit),
            channel=story.channel,
            out_of_city=story.type == REMOTE,
            remote_registration=story.registration,
            remote_registration_valid_until=(
                date(self.year, 12, 31) if story.registration != rules.REGISTRATION_NONE else None
            ),
            referral=referral,
            bank_account=self._account() if story.account else "",
            by=self.by,
        )
        if story.state == D:
            return claim
        for kind in required_documents_of(claim):
            if not (story.missing and kind == rules.MEDICAL_RECORD):
                document_receive(claim=claim, kind=kind, by=self.by)
        late = story.fails == rules.LATE_SUBMISSION
        submitted_on = self.today if late else min(visit + timedelta(days=15), self.today)
        claim = claim_submit(claim=claim, today=submitted_on, by=self.by)
        if story.state == S or claim.state == X:
            return claim
        claim = claim_start_review(claim=claim, by=self.by)
        if story.fails == rules.OTHER:
            return claim_reject(
                claim=claim, message="发票为复印件，请提交原件后重新申请。", by=self.by
            )
        return claim

    def _facility(self, story: Story) -> Facility:
        if story.type == REMOTE:
            pool = self.facilities["elsewhere"]
        else:
            pool = self.facilities[story.level]
        return pool[self.rng.randrange(len(pool))]

    def _referral(self, student: Student, facility: Facility, issued_on: date) -> Referral:
        self.referrals += 1
        return referral_issue(
            number=f"ZZ{self.year}-{self.referrals:04d}",
            student=student,
            facility=facility,
            issued_on=issued_on,
            valid_until=issued_on + timedelta(days=30),
            by=self.by,
        )

    def _lines(self, story: Story, facility: Facility, visit: date) -> list[LineInput]:
        """`receipts` receipts a week apart sharing the amount; 85 % of each within scope.
        A stay is one receipt at discharge, keyed by its admission number."""
        total = Decimal(story.amount)
        lines = []
        for receipt in range(story.receipts):
            day = visit + timedelta(days=7 * receipt)
            part = _fen(total / story.receipts)
            stay = story.care == "inpatient"
            discharge = day + timedelta(days=6) if stay else None
            invoice = self._invoice_number(story)
            lines.append(
                LineInput(
                    invoice_number=invoice,
                    invoice_date=discharge or day,
                    visit_date=day,
                    discharge_date=discharge,
                    care=story.care,
                    level=facility.level,
                    total=part,
                    in_scope=_fen(part * Decimal("0.85")),
                    facility_id=facility.pk,
                    facility_name=facility.name,
                    catastrophic_disease=story.disease,
                    stay_key=f"ZY{invoice}" if stay else "",
                )
            )
        return lines

    def _invoice_number(self, story: Story) -> str:
        if story.fails == rules.DUPLICATE_RECEIPT and self.first_invoice:
            return self.first_invoice
        self.invoices += 1
        number = f"{self.policy_year.code[:2].upper()}{self.year}{self.invoices:06d}"
        self.first_invoice = self.first_invoice or number
        return number

    def _account(self) -> str:
        return "6222" + "".join(str(self.rng.randrange(10)) for _ in range(15))

    # --- referrals not yet claimed ----------------------------------------------------

    def spare_referrals(self) -> int:
        campus_level = self.facilities["2"] + self.facilities["3"]
        for index, student in enumerate(self._covered[-SPARE_REFERRALS:]):
            self._referral(
                student,
                campus_level[index % len(campus_level)],
                self.today - timedelta(days=2 + index),
            )
        return self.referrals


def _fen(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
