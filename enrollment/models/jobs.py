"""The enrollment app's bulk jobs: roster imports and collective runs."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from office.models import Job


class RosterImport(Job):
    """One uploaded roster file and what became of it: checked (a dry run), then imported.
    The file is kept so the import re-reads exactly what was checked; the rows in error
    are the job's produced file. Its starter is the uploader."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked, waiting for confirmation")
        IMPORTING = "importing", _("Importing")
        IMPORTED = "imported", _("Imported")
        REFUSED = "refused", _("File refused")
        FAILED = "failed", _("Failed")
        DISCARDED = "discarded", _("Discarded, file deleted")

    running_statuses = (Status.CHECKING, Status.IMPORTING)
    # the upload and its rows in error hold full ID numbers (office.retention)
    kept_files = ("file", "produced_file")
    waiting_statuses = (Status.CHECKED,)
    discarded_status = Status.DISCARDED
    resume_tasks = {
        Status.CHECKING: "enrollment.roster_import_check",
        Status.IMPORTING: "enrollment.roster_import_commit",
    }
    task_id_argument = "import_id"
    unqueued_error = "任务队列暂时不可用，文件已保存但未处理。请稍后重新上传。"

    file = models.FileField(_("file"), upload_to="roster-imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.CHECKING
    )
    valid_only = models.BooleanField(_("import valid rows only"), default=False)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.original_name}（{self.get_status_display()}）"


class CollectiveRun(Job):
    """One run of the year-end collective enrollment (集中参保) for a policy year. The job
    goes through the students in pk order, a chunk per transaction, and keeps its place
    (`cursor`) and its counts (`summary`, the run's report) in the same transaction, so a
    run whose worker was killed is resumed where it stopped with exact counts. At most
    one run per year is running."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    running_statuses = (Status.RUNNING,)
    resume_tasks = {Status.RUNNING: "enrollment.collective_run"}
    task_id_argument = "run_id"

    policy_year = models.ForeignKey(
        "policies.PolicyYear",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("policy year"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RUNNING
    )
    chunk_size = models.PositiveIntegerField(_("chunk size"), default=2000)
    cursor = models.PositiveBigIntegerField(_("last student done"), default=0)

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
