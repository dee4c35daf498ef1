"""The third-party apps the staff see in the admin, under Chinese names (the packages
give none, or an English one)."""

from auditlog.apps import AuditlogConfig as BaseAuditlogConfig
from axes.apps import AppConfig as BaseAxesConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(BaseAxesConfig):
    verbose_name = _("Sign-in security")


class AuditlogConfig(BaseAuditlogConfig):
    verbose_name = _("Audit trail")
