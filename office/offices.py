"""The school's insurance offices (医保办) and who works for which (issue #12, SJTU rules
art. 4–5: the campus hospital's office for most colleges, the medical school clinic's for
the medical school). Each college belongs to one office; a staff account belongs to one
office, or is given colleges of its own (a college's liaison, 院系联络人), or holds
school-wide access (the permission `office.school_wide`). What each then sees is
office.scoping's. Imported by office.models, so these are the office app's models."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Office(models.Model):
    name = models.CharField(_("office name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("insurance office")
        verbose_name_plural = _("insurance offices")
        ordering = ["name"]
        permissions = [("school_wide", _("Can see and act on every office's students"))]

    def __str__(self) -> str:
        return self.name


class OfficeCollege(models.Model):
    """A college (as the roster names it, 学院名称) and the one office it belongs to."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="colleges", verbose_name=_("office")
    )
    college = models.CharField(_("college"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("college of an office")
        verbose_name_plural = _("colleges of the offices")
        ordering = ["office", "college"]

    def __str__(self) -> str:
        return self.college


class StaffScope(models.Model):
    """Whose students a staff account sees: its office's colleges, or only the colleges
    given here (a liaison's; with an office, among that office's). An account with
    neither sees no student once the school has offices."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="office_scope",
        verbose_name=_("staff account"),
    )
    office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("office"),
    )
    colleges = models.ManyToManyField(
        OfficeCollege,
        blank=True,
        related_name="liaisons",
        verbose_name=_("own colleges"),
        help_text=_("A liaison's colleges: the account then sees only their students."),
    )

    class Meta:
        verbose_name = _("staff scope")
        verbose_name_plural = _("staff scopes")

    def __str__(self) -> str:
        return str(self.user)
