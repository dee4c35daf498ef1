"""The enrollment app's models, one module per part of the year; import them from here."""

from .enrollments import DeclarationBatch, Enrollment, EnrollmentEvent, OptOut
from .jobs import CollectiveRun, RosterImport
from .money import Payment, PaymentList, PaymentListEntry, Refund
from .prior_coverage import PriorCoverage
from .students import (
    EducationLevel,
    IdType,
    PersonalDataAccess,
    SchoolStatus,
    Student,
    StudyMode,
    SubsidyCategory,
    TrainingMode,
)

__all__ = [
    "CollectiveRun",
    "DeclarationBatch",
    "EducationLevel",
    "Enrollment",
    "EnrollmentEvent",
    "IdType",
    "OptOut",
    "Payment",
    "PaymentList",
    "PaymentListEntry",
    "PersonalDataAccess",
    "PriorCoverage",
    "Refund",
    "RosterImport",
    "SchoolStatus",
    "Student",
    "StudyMode",
    "SubsidyCategory",
    "TrainingMode",
]
