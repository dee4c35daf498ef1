from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import rules, workflow


def staff_member(verbose_name):
    """Who did something: kept even if the account goes (PROTECT), empty when a job or
    the demo did it."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
    )


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident ID card")
    HMT_RESIDENCE_PERMIT = "hmt_residence_permit", _("HK/Macao/Taiwan residence permit")
    PASSPORT = "passport", _("Passport")
    HK_MACAO_PASS = "hk_macao_pass", _("HK/Macao travel permit")
    TAIWAN_PASS = "taiwan_pass", _("Taiwan travel permit")
    FOREIGN_PERMANENT_RESIDENT = "foreign_permanent_resident", _("Foreign permanent resident ID")


class EducationLevel(models.TextChoices):
    VOCATIONAL = "vocational", _("Vocational college")
    UNDERGRADUATE = "undergraduate", _("Undergraduate")
    MASTER = "master", _("Master's")
    DOCTORATE = "doctorate", _("Doctorate")


class StudyMode(models.TextChoices):
    FULL_TIME = "full_time", _("Full-time")
    PART_TIME = "part_time", _("Part-time")


class SubsidyCategory(models.TextChoices):
    """DESIGN.md §4.4; codes match policies.rules.CATEGORIES."""

    STANDARD = "standard", _("Standard")
    LOW_INCOME_FAMILY = "low_income_family", _("Low-income family (dibao)")
    LOW_INCOME = "low_income", _("Low income")
    SEVERE_DISABILITY = "severe_disability", _("Severe disability")
    HARDSHIP = "hardship", _("Family financial hardship")


class TrainingMode(models.TextChoices):
    REGULAR = "regular", _("Regular")
    DIRECTED = "directed", _("Directed")
    COMMISSIONED = "commissioned", _("Commissioned")
    EXCHANGE = "exchange", _("Exchange")
    CO_TRAINED = "co_trained", _("Co-trained")


class SchoolStatus(models.TextChoices):
    STUDYING = "studying", _("Studying")
    LEAVE = "leave", _("On leave")
    ADMISSION_RESERVED = "admission_reserved", _("Admission reserved")
    GRADUATED = "graduated", _("Graduated")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    MILITARY_SERVICE = "military_service", _("Military service")


class Student(models.Model):
    name = models.CharField(_("name"), max_length=100)
    id_type = models.CharField(
        _("ID type"), max_length=32, choices=IdType.choices, default=IdType.RESIDENT_ID
    )
    id_number = models.CharField(_("ID number"), max_length=32)
    student_number = models.CharField(_("student number"), max_length=32, unique=True)
    school = models.CharField(_("school"), max_length=100)
    college = models.CharField(_("college"), max_length=100, db_index=True)
    major = models.CharField(_("major"), max_length=100, blank=True)
    education_level = models.CharField(
        _("education level"), max_length=16, choices=EducationLevel.choices
    )
    study_mode = models.CharField(
        _("study mode"), max_length=16, choices=StudyMode.choices, default=StudyMode.FULL_TIME
    )
    registered_on = models.DateField(_("registration date"), null=True, blank=True)
    gender = models.CharField(
        _("gender"),
        max_length=8,
        blank=True,
        choices=[("male", _("Male")), ("female", _("Female"))],
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    nationality = models.CharField(_("nationality/region"), max_length=64, blank=True)
    origin = models.CharField(_("place of origin"), max_length=64, blank=True)
    subsidy_category = models.CharField(
        _("special category"),
        max_length=32,
        choices=SubsidyCategory.choices,
        default=SubsidyCategory.STANDARD,
    )
    training_mode = models.CharField(
        _("training mode"),
        max_length=16,
        choices=TrainingMode.choices,
        default=TrainingMode.REGULAR,
    )
    in_service = models.BooleanField(_("in service"), default=False)
    insured_elsewhere = models.BooleanField(_("insured elsewhere"), default=False)
    school_status = models.CharField(
        _("school status"),
        max_length=32,
        choices=SchoolStatus.choices,
        default=SchoolStatus.STUDYING,
    )
    graduation_date = models.DateField(_("graduation date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["college", "student_number"]
        constraints = [
            models.UniqueConstraint(fields=["id_type", "id_number"], name="student_id_unique"),
        ]
        permissions = [("view_full_id", _("Can view full ID numbers"))]

    def __str__(self) -> str:
        return f"{self.name}（{self.student_number}）"

    @property
    def masked_id_number(self) -> str:
        return rules.mask_id(self.id_number)


class PersonalDataAccess(models.Model):
    """Who saw or exported which personal data, and when (the office's audit trail)."""

    class Action(models.TextChoices):
        VIEW_FULL_ID = "view_full_id", _("Viewed a full ID number")
        EXPORT = "export", _("Exported personal data")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    student = models.ForeignKey(
        Student,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("student"),
    )
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user} {self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class RosterImport(models.Model):
    """One uploaded roster file and what became of it: checked (a dry run), then imported.
    The file is kept so the import re-reads exactly what was checked."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked, waiting for confirmation")
        IMPORTING = "importing", _("Importing")
        IMPORTED = "imported", _("Imported")
        REFUSED = "refused", _("File refused")
        FAILED = "failed", _("Failed")

    file = models.FileField(_("file"), upload_to="roster-imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.CHECKING
    )
    valid_only = models.BooleanField(_("import valid rows only"), default=False)
    progress_done = models.PositiveIntegerField(_("rows done"), default=0)
    progress_total = models.PositiveIntegerField(_("rows in all"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.original_name}（{self.get_status_display()}）"

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.IMPORTING)


class Enrollment(models.Model):
    """One student × one policy year. Its state changes only through
    services.enrollment_transition (the rules are in workflow.py)."""

    class Kind(models.TextChoices):
        FRESHMAN = workflow.FRESHMAN, _("Freshman (entry year)")
        COLLECTIVE = workflow.COLLECTIVE, _("Collective enrollment")
        LATE = workflow.LATE, _("Late enrollment")

    class State(models.TextChoices):
        NOT_ESTABLISHED = workflow.NOT_ESTABLISHED, _("Not established")
        PENDING_REVIEW = workflow.PENDING_REVIEW, _("Applied, pending review")
        DECLARED = workflow.DECLARED, _("Declared")
        PAID = workflow.PAID, _("Paid")
        ESTABLISHED = workflow.ESTABLISHED, _("Account established")
        REMITTED = workflow.REMITTED, _("Remitted")
        FAILED = workflow.FAILED, _("Account failed")
        OPTED_OUT = workflow.OPTED_OUT, _("Opted out")
        EXEMPT = workflow.EXEMPT, _("Exempt (severe disability)")
        REFUNDED = workflow.REFUNDED, _("Refunded")

    class Payer(models.TextChoices):
        STUDENT = workflow.STUDENT, _("Student")
        SCHOOL_FUND = workflow.SCHOOL_FUND, _("School hardship fund")
        GOVERNMENT = workflow.GOVERNMENT, _("Government")
        FAMILY_AID = workflow.FAMILY_AID, _("Family mutual aid")

    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("student")
    )
    policy_year = models.ForeignKey(
        "policies.PolicyYear",
        on_delete=models.PROTECT,
        related_name="enrollments",
        verbose_name=_("policy year"),
    )
    kind = models.CharField(_("enrollment kind"), max_length=16, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=20, choices=State.choices)
    payer = models.CharField(_("payer"), max_length=16, choices=Payer.choices)
    premium_due = models.DecimalField(_("premium due"), max_digits=12, decimal_places=2)
    amount_paid = models.DecimalField(_("amount paid"), max_digits=12, decimal_places=2, default=0)
    cover_start = models.DateField(_("cover start"), null=True, blank=True)
    cover_end = models.DateField(_("cover end"), null=True, blank=True)
    waiting_months = models.PositiveSmallIntegerField(_("waiting months"), default=0)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    declaration_batch = models.ForeignKey(
        "DeclarationBatch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrollments",
        verbose_name=_("declaration batch"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["-policy_year__year", "student__college", "student__student_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "policy_year"], name="enrollment_student_year_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(premium_due__gte=0, amount_paid__gte=0),
                name="enrollment_money_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.policy_year}"


class EnrollmentEvent(models.Model):
    """Who moved an enrollment from which state to which, when and why."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="events", verbose_name=_("enrollment")
    )
    from_state = models.CharField(
        _("from"), max_length=20, choices=Enrollment.State.choices, blank=True
    )
    to_state = models.CharField(_("to"), max_length=20, choices=Enrollment.State.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    by = staff_member(_("by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enrollment event")
        verbose_name_plural = _("enrollment events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{workflow.LABELS.get(self.from_state, '—')} → {workflow.LABELS[self.to_state]}"


class PaymentList(models.Model):
    """A frozen tax-bureau payment list (缴费清单): its members were remitted with it, and
    its file is kept, so exporting it again gives the same bytes (checked by `sha256`)."""

    number = models.PositiveIntegerField(_("list number"), unique=True)
    year = models.PositiveSmallIntegerField(_("payment year"))
    rows = models.PositiveIntegerField(_("rows"))
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content = models.BinaryField(_("file"), default=b"", editable=False)
    frozen_at = models.DateTimeField(_("frozen at"), auto_now_add=True)
    frozen_by = staff_member(_("frozen by"))

    class Meta:
        verbose_name = _("payment list")
        verbose_name_plural = _("payment lists")
        ordering = ["-number"]
        # the tax bureau's file carries full ID numbers
        permissions = [("export_paymentlist", _("Can export payment lists with full ID numbers"))]

    def __str__(self) -> str:
        return f"缴费清单 #{self.number}（{self.year}）"


class PaymentListEntry(models.Model):
    """One remitted enrollment, with the row as it was written (the roster may change
    afterwards; the list may not)."""

    payment_list = models.ForeignKey(PaymentList, on_delete=models.PROTECT, related_name="entries")
    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.PROTECT, related_name="payment_list_entry"
    )
    position = models.PositiveIntegerField(_("position"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    row = models.JSONField(_("row as written"))

    class Meta:
        verbose_name = _("payment list entry")
        verbose_name_plural = _("payment list entries")
        ordering = ["payment_list", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment_list", "position"], name="payment_list_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.payment_list_id}-{self.position}"


class DeclarationBatch(models.Model):
    """申报批次: eligible freshmen registered on a day (or range), declared to the bureau's
    portal together. Once exported the batch is frozen: its members and its file stay as
    they were uploaded (`content`, checked by `sha256`)."""

    number = models.PositiveIntegerField(_("batch number"), unique=True)
    policy_year = models.ForeignKey(
        "policies.PolicyYear",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("policy year"),
    )
    registered_from = models.DateField(_("registered from"))
    registered_to = models.DateField(_("registered to"))
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created_by = staff_member(_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True)
    exported_by = staff_member(_("exported by"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    content = models.BinaryField(_("file"), null=True, editable=False)

    class Meta:
        verbose_name = _("declaration batch")
        verbose_name_plural = _("declaration batches")
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(registered_from__lte=models.F("registered_to")),
                name="declaration_batch_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"申报批次 #{self.number}"

    @property
    def is_frozen(self) -> bool:
        return self.exported_at is not None


class OptOut(models.Model):
    """主动放弃: a student's signed refusal to enroll for one policy year, with the scanned
    《主动放弃参保承诺书》 (shanghai guide Q1, sjtu rules art. 23)."""

    class Reason(models.TextChoices):
        INSURED_ELSEWHERE = "insured_elsewhere", _("Insured elsewhere and keeping it")
        OTHER = "other", _("Other")

    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, related_name="opt_outs", verbose_name=_("student")
    )
    policy_year = models.ForeignKey(
        "policies.PolicyYear",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("policy year"),
    )
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices)
    detail = models.CharField(_("details"), max_length=255, blank=True)
    signed_on = models.DateField(_("signed on"))
    commitment = models.FileField(
        _("signed commitment (scan)"), upload_to="opt-out-commitments/%Y/", blank=True
    )
    recorded_by = staff_member(_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("opt-out register entry")
        verbose_name_plural = _("opt-out register")
        ordering = ["-recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "policy_year"], name="opt_out_student_year_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.policy_year}"


class CollectiveRun(models.Model):
    """One run of the year-end collective enrollment (集中参保) for a policy year. The job
    goes through the students in pk order, a chunk per transaction, and keeps its place
    (`cursor`) and its counts in the same transaction, so a run whose worker was killed
    is resumed where it stopped with exact counts. At most one run per year is running."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    policy_year = models.ForeignKey(
        "policies.PolicyYear",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("policy year"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RUNNING
    )
    started_by = staff_member(_("started by"))
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    chunk_size = models.PositiveIntegerField(_("chunk size"), default=2000)
    cursor = models.PositiveBigIntegerField(_("last student done"), default=0)
    progress_done = models.PositiveIntegerField(_("students done"), default=0)
    progress_total = models.PositiveIntegerField(_("students in all"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("collective enrollment run")
        verbose_name_plural = _("collective enrollment runs")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy_year"],
                condition=models.Q(status="running"),
                name="collective_run_one_running_per_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy_year} 集中参保（{self.get_status_display()}）"

    @property
    def is_running(self) -> bool:
        return self.status == self.Status.RUNNING


class Payment(models.Model):
    """A premium the school collected (代收), recorded by hand or from a payment file. The
    receipt number is the business key: importing the same file again adds nothing."""

    class Channel(models.TextChoices):
        CASH = "cash", _("Cash")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        ONLINE = "online", _("Online payment")
        CAMPUS_CARD = "campus_card", _("Campus card")

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="payments", verbose_name=_("enrollment")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    paid_on = models.DateField(_("paid on"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    receipt_number = models.CharField(_("receipt number"), max_length=64, unique=True)
    mismatch = models.CharField(_("mismatch"), max_length=255, blank=True)
    recorded_by = staff_member(_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_number}（{self.amount}）"


class Refund(models.Model):
    """退费: money the school gives back to a student (shanghai guide Q18, DESIGN.md §4.4)."""

    class Reason(models.TextChoices):
        FAMILY_AID = "family_aid", _("Paid by family mutual aid")
        ACCOUNT_FAILED = "account_failed", _("Account could not be established")
        DUPLICATE = "duplicate", _("Paid twice")
        OPTED_OUT = "opted_out", _("Opted out after paying")

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("enrollment")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    created_by = staff_member(_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment} · {self.amount}"
