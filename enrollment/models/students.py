"""Students (the roster) and who saw their personal data."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import rules


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
    """DESIGN.md §4.4; codes match policies.engine.CATEGORIES."""

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
    # indexed with the student number and with the key (Meta.indexes)
    college = models.CharField(_("college"), max_length=100)
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
        # the lists' search and order read these, never the whole roster (admin/search.py)
        indexes = [
            models.Index(fields=["id_number"], name="student_id_number"),
            models.Index(fields=["college", "student_number"], name="student_college_number"),
            # a college's students in key order: joined to their enrollments without a sort
            models.Index(fields=["college", "id"], name="student_college_id"),
            # a name's start (LIKE 'x%') on PostgreSQL whatever the database's collation
            models.Index(
                fields=["name"], name="student_name_start", opclasses=["varchar_pattern_ops"]
            ),
        ]
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
        at = timezone.localtime(self.at)
        return f"{self.user} {self.get_action_display()} {at:%Y-%m-%d %H:%M}"
