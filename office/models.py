"""Abstract models every app's records share (jobs, frozen exports), and the one table the
office keeps for itself: incoming files waiting for the staff's confirmation."""

import hashlib
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import Refused


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


class Job(models.Model):
    """任务: one bulk operation staff follow on a progress page (DESIGN.md §6). Its kind is
    its model; what it works on (a file, a policy year) are that model's own fields, so
    they keep their types and constraints. A subclass gives `status` its choices and
    names its running states and what to say when the queue never took the job."""

    running_statuses: ClassVar[tuple[str, ...]] = ("running",)
    failed_status: ClassVar[str] = "failed"
    unqueued_error: ClassVar[str] = "任务队列暂时不可用，任务未开始。请稍后重新启动。"

    status = models.CharField(_("status"), max_length=16)
    started_by = staff_member(_("started by"))
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("in all"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    produced_file = models.FileField(_("produced file"), upload_to="jobs/%Y/%m/", blank=True)

    class Meta:
        abstract = True

    @property
    def is_running(self) -> bool:
        return self.status in self.running_statuses

    @property
    def progress_fraction(self) -> float:
        if not self.progress_total:
            return 0.0
        return min(self.progress_done / self.progress_total, 1.0)

    def progress_state(self) -> dict:
        """What the progress page polls for."""
        return {"status": self.status, "done": self.progress_done, "total": self.progress_total}

    @classmethod
    def report_progress(cls, pk: int, done: int, total: int) -> None:
        cls.objects.filter(pk=pk).update(progress_done=done, progress_total=total)

    @classmethod
    def mark_failed(cls, pk: int, error: str, *, status: str = "") -> bool:
        """End a job that stopped, saying why. Only a running job is ended, so one that
        finished meanwhile (a duplicate delivery) keeps its result."""
        return bool(
            cls.objects.filter(pk=pk, status__in=cls.running_statuses).update(
                status=status or cls.failed_status, error=error, finished_at=timezone.now()
            )
        )


class FrozenExport(models.Model):
    """A file given out once and kept as it was (a declaration batch's upload, a payment
    list): giving it again returns the stored bytes, checked against the SHA-256 taken
    when they were stored, whatever changed since in the data or in the writer."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    content = models.BinaryField(_("file"), null=True, editable=False)

    class Meta:
        abstract = True

    @property
    def has_file(self) -> bool:
        return bool(self.content)

    def keep_file(self, content: bytes) -> None:
        """Store `content` with its digest (saving is the caller's)."""
        self.content = content
        self.sha256 = sha256_of(content)

    def kept_file(self) -> bytes:
        """The stored bytes, refused if they no longer match their digest."""
        content = bytes(self.content or b"")
        if not content:
            raise Refused(f"{self} 没有保存的文件。", code="no_file")
        if sha256_of(content) != self.sha256:
            raise Refused(self.file_changed_message(), code="file_changed")
        return content

    def file_changed_message(self) -> str:
        return f"{self} 保存的文件与导出时不一致。"


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class IncomingFile(models.Model):
    """An uploaded file between its dry run and the staff's confirmation (office.incoming):
    kept under a name of ours, read again to apply, applied once, and removed after
    `office.incoming.RETENTION` whatever became of it (such files hold full ID numbers)."""

    token = models.CharField(_("token"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=64)
    original_name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), upload_to="incoming/", blank=True)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("applied by"),
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("incoming file")
        verbose_name_plural = _("incoming files")
        indexes = [models.Index(fields=["uploaded_at"])]

    def __str__(self) -> str:
        return self.original_name
