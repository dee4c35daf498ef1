"""The enrollment app's jobs in office's 任务 list (registered by EnrollmentConfig.ready):
how each reads in one line, where its file is downloaded, who may cancel it; and the
access log that office's downloads of the schedules' files (names, phones) are written to."""

from django.db.models.fields.json import KT
from django.urls import reverse

from office import job_list

from .models import CollectiveRun, PersonalDataAccess, RosterImport
from .services.common import personal_data_access_record
from .views.roster import may_download_errors


def _roster_queryset(jobs):
    """A roster import's summary may be large (rows in error, previews): the list reads
    four numbers out of it, never the summary."""
    return jobs.defer("summary").annotate(
        summary_rows=KT("summary__rows"),
        summary_invalid=KT("summary__invalid_rows"),
        summary_created=KT("summary__result__created"),
        summary_updated=KT("summary__result__updated"),
    )


def _roster_summary(roster_import: RosterImport) -> str:
    if roster_import.summary_rows is None:
        return ""
    text = f"共 {roster_import.summary_rows} 行，错误 {roster_import.summary_invalid or 0} 行"
    if roster_import.summary_created is not None:
        text += (
            f"；新增 {roster_import.summary_created} 人，"
            f"更新 {roster_import.summary_updated or 0} 人"
        )
    return text


def _roster_errors_url(request, roster_import: RosterImport) -> str:
    # the rows in error hold full ID numbers: the import page's own guard
    if not request.user.has_perms(["enrollment.add_rosterimport", "enrollment.view_full_id"]):
        return ""
    if not may_download_errors(request.user, roster_import):  # its uploader's, or 医保办's
        return ""
    return reverse("admin:enrollment_rosterimport_errors", args=[roster_import.pk])


def _run_summary(run: CollectiveRun) -> str:
    report = run.summary or {}
    created = sum(report.get("created", {}).values())
    skipped = sum(report.get("skipped", {}).values())
    return f"新建 {created}，已有 {report.get('existing', 0)}，跳过 {skipped}"


def _run_queryset(jobs):
    return jobs.select_related("policy_year__region")


def _download_logged(request, job) -> None:
    personal_data_access_record(
        user=request.user, action=PersonalDataAccess.Action.EXPORT, detail=f"任务文件：{job}"
    )


def register() -> None:
    job_list.register(
        RosterImport,
        summarize=_roster_summary,
        file_url=_roster_errors_url,
        queryset=_roster_queryset,
        cancel_permission="enrollment.add_rosterimport",
        cancel_note="未写入任何数据；需要时请重新上传。",
    )
    job_list.register(
        CollectiveRun,
        summarize=_run_summary,
        queryset=_run_queryset,
        cancel_permission="enrollment.add_collectiverun",
        cancel_note="已完成的学生已保存；重新启动会补齐其余学生，不会重复建立记录。",
    )
    job_list.on_download(_download_logged)
