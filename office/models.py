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
    # file fields holding full ID numbers: emptied, their files deleted, once the upload is
    # older than UPLOAD_RETENTION_DAYS, and a job still waiting for the staff's
    # confirmation (`waiting_statuses`) is then given up (`discarded_status`): office.retention
    kept_files: ClassVar[tuple[str, ...]] = ()
    waiting_statuses: ClassVar[tuple[str, ...]] = ()
    discarded_status: ClassVar[str] = ""
    # running status → the task that carries the job on from there: a job whose heartbeat
    # stopped is queued again with it (office.jobs), given `task_kwargs()`
    resume_tasks: ClassVar[dict[str, str]] = {}
    task_id_argument: ClassVar[str] = "job_id"

    status = models.CharField(_("status"), max_length=16)
    started_by = staff_member(_("started by"))
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    # the claim token, raised each time the job is queued again after its worker was lost:
    # a worker holding an older attempt writes nothing more (office.jobs)
    attempt = models.PositiveIntegerField(_("attempt"), default=0)
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

    def task_kwargs(self) -> dict:
        """What its task is given: the job and the attempt allowed to work on it."""
        return {self.task_id_argument: self.pk, "attempt": self.attempt}

    @classmethod
    def report_progress(cls, pk: int, done: int, total: int, *, attempt: int | None = None) -> bool:
        """Progress is the heartbeat. False when the job is no longer this attempt's (it was
        queued again, or it ended): its worker should stop."""
        jobs = cls.objects.filter(pk=pk)
        if attempt is not None:
            jobs = jobs.filter(attempt=attempt, status__in=cls.running_statuses)
        return bool(
            jobs.update(progress_done=done, progress_total=total, heartbeat_at=timezone.now())
        )

    @classmethod
    def beat(cls, pk: int, *, attempt: int) -> bool:
        """The heartbeat alone (a task taking the job up); False as for report_progress."""
        jobs = cls.objects.filter(pk=pk, attempt=attempt, status__in=cls.running_statuses)
        return bool(jobs.update(heartbeat_at=timezone.now()))

    @classmethod
    def mark_failed(
        cls, pk: int, error: str, *, status: str = "", attempt: int | None = None
    ) -> bool:
        """End a job that stopped, saying why. Only a running job is ended, so one that
        finished meanwhile (a duplicate delivery) keeps its result; with `attempt`, only
        while that attempt holds it, so a superseded worker's failure ends nothing."""
        jobs = cls.objects.filter(pk=pk, status__in=cls.running_statuses)
        if attempt is not None:
            jobs = jobs.filter(attempt=attempt)
        return bool(
            jobs.update(status=status or cls.failed_status, error=error, finished_at=timezone.now())
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
    kept under a name of ours, read again to apply, applied once, and removed after the
    retention period (office.retention) whatever became of it (such files hold full ID
    numbers)."""

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


class ScheduledRun(Job):
    """定时任务: what one beat schedule did on its day or for its policy year (a digest, a
    window opened or closed, a clean-up), listed among the jobs with its file. `key`
    names the task and its day (or year), unique: a schedule that fires twice does its work
    once (office.schedules.run_once)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    task = models.CharField(_("task"), max_length=64)
    key = models.CharField(_("key"), max_length=128, unique=True)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RUNNING
    )

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return self.title


class JobList(models.Model):
    """The admin's 任务 entry: no table of its own, the list is read from every job model
    the apps register (office.job_list)."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = _("job")
        verbose_name_plural = _("jobs")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


# the school's offices and who works for which (#12): their own module, models of this app
from .offices import Office, OfficeCollege, StaffScope  # noqa: E402, F401
