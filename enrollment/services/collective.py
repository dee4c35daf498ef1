"""The year-end collective enrollment (集中参保, DESIGN.md §1.3, §6) as one resumable job.

The job takes the students in pk order, one chunk per transaction. Each chunk locks the
run's row, reads its cursor, writes the chunk's enrollments and moves the cursor and the
report in the same transaction. So a killed worker loses at most an uncommitted chunk,
two workers on one run take turns instead of doubling up, and the counts stay exact.
Every chunk is also the run's heartbeat: a run whose worker was lost is queued again by
office.jobs (the beat, or a new start), under a new attempt that the old worker's next
chunk sees, and a task hands on to a new one after settings.JOB_TASK_BUDGET so that none
outlives its time limit."""

import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from office.jobs import enqueue, job_requeue
from policies.selectors import policy_year_rules, special_group_treatments

from .. import rules, workflow
from ..models import CollectiveRun, Enrollment, EnrollmentEvent, OptOut, Student
from ..selectors import ELIGIBILITY_FIELDS, complete_years, histories
from .common import CHUNK
from .enrollments import EnrollmentRefused, enrollment_build

logger = logging.getLogger(__name__)
STUDENT_FIELDS = ("pk", "student_number", "name", "college", "subsidy_category", "graduation_date")


@dataclass(frozen=True)
class RunStart:
    run: CollectiveRun
    # "started", "resumed" (its worker was lost) or "running" (already under way)
    action: str


def collective_run_start(
    *, policy_year, by=None, chunk_size: int = CHUNK, stale_after: timedelta | None = None
) -> RunStart:
    """Start the collective run for `policy_year`, or show the one under way. Only one
    runs per year (a partial unique constraint); a run whose worker stopped reporting
    (settings.JOB_STALE_AFTER) is resumed from its cursor, as the beat would. A draft
    policy year is refused: its numbers may still change, and the enrollments would be
    priced from them."""
    if not policy_year.is_published:
        raise EnrollmentRefused(
            f"{policy_year} 尚未发布（草稿），不能运行集中参保："
            "请先在「医保年度」中核对并发布该年度。",
            code="policy_year_draft",
        )
    now = timezone.now()
    running = CollectiveRun.objects.filter(
        policy_year=policy_year, status=CollectiveRun.Status.RUNNING
    ).first()
    if running:
        # of two starts (or a start and the beat), one resumes it
        if job_requeue(running, now=now, stale_after=stale_after):
            return RunStart(running, "resumed")
        return RunStart(running, "running")
    try:
        with transaction.atomic():
            run = CollectiveRun.objects.create(
                policy_year=policy_year,
                started_by=by,
                chunk_size=chunk_size,
                heartbeat_at=now,
                progress_total=Student.objects.count(),
                summary=_empty_report(),
            )
    except IntegrityError:
        running = CollectiveRun.objects.get(
            policy_year=policy_year, status=CollectiveRun.Status.RUNNING
        )
        return RunStart(running, "running")
    _queue(run)
    return RunStart(run, "started")


def _queue(run: CollectiveRun) -> None:
    enqueue("enrollment.collective_run", job=run, **run.task_kwargs())


def collective_run_execute(*, run_id: int, attempt: int | None = None) -> None:
    """The job's body: chunk after chunk until the cursor has passed every student, as
    `attempt` (by default the run's current one). After settings.JOB_TASK_BUDGET it queues
    the rest as a new task. A failure is recorded on the run (its page and the command
    show it), not raised: the chunks done are kept and starting again completes the rest."""
    run = CollectiveRun.objects.select_related("policy_year__region").get(pk=run_id)
    if not run.is_running:
        return
    attempt = run.attempt if attempt is None else attempt
    if not CollectiveRun.beat(run_id, attempt=attempt):
        return  # queued again meanwhile: the newer attempt carries it on
    context = _Context.of(run)
    deadline = time.monotonic() + settings.JOB_TASK_BUDGET.total_seconds()
    try:
        while _run_chunk(run_id, context, attempt=attempt):
            if time.monotonic() >= deadline:
                enqueue("enrollment.collective_run", job=run, run_id=run_id, attempt=attempt)
                return
    except Exception as exc:
        logger.exception("collective run %s failed", run_id)
        CollectiveRun.mark_failed(
            run_id,
            f"运行中断（{type(exc).__name__}: {exc}）。已完成的部分已保存，"
            "重新启动会从头核对并补齐未完成的学生，不会重复建立记录。",
            attempt=attempt,
        )


@dataclass(frozen=True)
class _Context:
    """What every chunk of a run shares: the policy year, its rules snapshot, its special
    groups (category → treatment), and the years of the same region whose records the
    portal holds for every student (selectors.complete_years: there a year without cover
    is a gap year)."""

    policy_year: object
    rules: object
    special_groups: dict
    complete_years: frozenset

    @classmethod
    def of(cls, run: CollectiveRun) -> "_Context":
        policy_year = run.policy_year
        return cls(
            policy_year,
            policy_year_rules(policy_year),
            special_group_treatments(policy_year),
            complete_years(policy_year),
        )


def _run_chunk(run_id: int, context: _Context, *, attempt: int | None = None) -> bool:
    """One chunk in one transaction; False once the run is over, no longer running or no
    longer `attempt`'s."""
    policy_year = context.policy_year
    with transaction.atomic():
        run = CollectiveRun.objects.select_for_update().get(pk=run_id)
        if not run.is_running or attempt not in (None, run.attempt):
            return False
        students = list(
            Student.objects.filter(pk__gt=run.cursor)
            .order_by("pk")
            .values(*STUDENT_FIELDS, *ELIGIBILITY_FIELDS)[: run.chunk_size]
        )
        if not students:
            run.status = CollectiveRun.Status.DONE
            run.finished_at = run.heartbeat_at = timezone.now()
            run.save(update_fields=["status", "finished_at", "heartbeat_at"])
            return False
        pks = [student["pk"] for student in students]
        enrolled = set(
            Enrollment.objects.filter(policy_year=policy_year, student_id__in=pks).values_list(
                "student_id", flat=True
            )
        )
        # per student who opted out, the stored scan of the commitment ("" when missing)
        opted_out = dict(
            OptOut.objects.filter(policy_year=policy_year, student_id__in=pks).values_list(
                "student_id", "commitment"
            )
        )
        history = histories(pks, policy_year)
        report = run.summary or _empty_report()
        created = []
        for student in students:
            college = report["by_college"].setdefault(student["college"], {})
            if student["pk"] in enrolled:
                _bump(college, "existing")
                report["existing"] += 1
                continue
            facts = rules.EligibilityFacts(**{name: student[name] for name in ELIGIBILITY_FIELDS})
            skip = rules.collective_skip(
                rules.Candidate(
                    facts=facts,
                    graduation_date=student["graduation_date"],
                    opted_out=student["pk"] in opted_out,
                    commitment_missing=opted_out.get(student["pk"]) == "",
                ),
                year=policy_year.year,
            )
            if skip:
                _bump(college, "skipped")
                _bump(report["skipped"], skip)
                report["exceptions"].append(
                    {
                        "student_number": student["student_number"],
                        "name": student["name"],
                        "college": student["college"],
                        "code": skip,
                        "reason": rules.SKIP_LABELS[skip],
                    }
                )
                continue
            gaps = rules.gap_years(
                history[student["pk"]],
                year=policy_year.year,
                entry_year=student["registered_on"].year,
                complete_years=context.complete_years,
                counted_from=context.rules.gaps_counted_from_year,
            )
            enrollment = enrollment_build(
                student_id=student["pk"],
                category=student["subsidy_category"],
                registered_on=student["registered_on"],
                policy_year=policy_year,
                rules=context.rules,
                kind=workflow.COLLECTIVE,
                gap_years=gaps.years,
                special_groups=context.special_groups,
            )
            enrollment.unrecorded_gap_years = gaps.unrecorded
            created.append(enrollment)
            _bump(college, enrollment.state)
            _bump(report["created"], enrollment.state)
            if enrollment.waiting_months:
                report["with_waiting"] += 1
                if gaps.unrecorded:
                    # counted before anyone pays: staff check them (prior coverage import)
                    report["missing_history"] = report.get("missing_history", 0) + 1
        Enrollment.objects.bulk_create(created)
        EnrollmentEvent.objects.bulk_create(
            EnrollmentEvent(
                enrollment_id=enrollment.pk,
                to_state=enrollment.state,
                reason=f"集中参保 #{run_id}",
                by_id=run.started_by_id,
            )
            for enrollment in created
        )
        run.cursor = pks[-1]
        run.progress_done += len(students)
        run.progress_total = max(run.progress_total, run.progress_done)
        run.heartbeat_at = timezone.now()
        run.summary = report
        run.save(
            update_fields=["cursor", "progress_done", "progress_total", "heartbeat_at", "summary"]
        )
    return True


def _empty_report() -> dict:
    return {
        "created": {},
        "existing": 0,
        "skipped": {},
        "with_waiting": 0,
        "missing_history": 0,
        "by_college": {},
        "exceptions": [],
    }


def _bump(counts: dict, key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


def collective_run_totals(run: CollectiveRun) -> Counter:
    """Created, existing and skipped students of a run, for messages and the command."""
    report = run.summary or _empty_report()
    return Counter(
        created=sum(report["created"].values()),
        existing=report["existing"],
        skipped=sum(report["skipped"].values()),
    )
