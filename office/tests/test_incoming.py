"""The incoming-file protocol with a small importer of its own (a csv of student numbers
and amounts): a check that writes nothing and names each problem's row and column, the
upload kept under a name of ours between the dry run and the confirmation, applied once,
and nothing kept beyond the retention."""

import os
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.utils import timezone

from office import incoming
from office.cells import clean_text, parse_amount
from office.errors import Refused
from office.models import IncomingFile
from office.spreadsheets import FileRefused

LABELS = {"student_number": ("学号",), "amount": ("金额",)}


@dataclass
class AmountsPlan(incoming.Plan):
    amounts: list[tuple[str, str]] = field(default_factory=list)

    summary_labels = {"rows": "数据行", "amounts": "金额笔数", "flagged": "金额偏大"}

    def preview(self):
        return ["学号", "金额"], [list(amount) for amount in self.amounts]

    def as_json(self):
        return {
            "rows": self.rows,
            "amounts": len(self.amounts),
            "flagged": [problem.as_json() for problem in self.flagged],
            "problems": [problem.as_json() for problem in self.problems],
            "applied": self.applied,
        }


def parse(header, row, cells):
    amount = parse_amount(clean_text(header.cell(cells, "amount")))
    if amount is None:
        return incoming.Problem(row, "金额", "金额无法识别。")
    return (clean_text(header.cell(cells, "student_number")), str(amount))


def check(*, path, name):
    read = incoming.read_rows(
        path, name=name, labels=LABELS, required=("student_number", "amount"), parse=parse
    )
    return AmountsPlan(
        header_row=read.header.row, rows=read.rows, problems=read.problems, amounts=read.parsed
    )


APPLIED = []


def apply(*, path, name):
    plan = check(path=path, name=name)
    APPLIED.append(plan.amounts)
    plan.applied = True
    return plan


def upload(text="学号,金额\n26010001,355\n26010002,abc\n", name="缴费.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    APPLIED.clear()
    return tmp_path


def test_read_rows_names_each_problem_by_sheet_row_and_column(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("2026年缴费记录\n学号,金额\n26010001,355\n\n26010002,abc\n", encoding="utf-8")

    read = incoming.read_rows(
        path, name="a.csv", labels=LABELS, required=("student_number", "amount"), parse=parse
    )

    assert (read.header.row, read.rows) == (2, 2)  # the blank line is no data row
    assert read.parsed == [("26010001", "355.00")]
    assert read.problems == [incoming.Problem(5, "金额", "金额无法识别。")]


def test_a_problem_as_json_carries_its_code_only_when_it_has_one():
    assert incoming.Problem(3, "学号", "为空。").as_json() == {
        "row": 3,
        "column": "学号",
        "message": "为空。",
    }
    assert list(incoming.Problem(3, "学号", "为空。", "missing_value").as_json()) == [
        "row",
        "column",
        "code",
        "message",
    ]


def test_the_summary_gives_counts_lists_when_not_empty_and_always_the_problems():
    plan = AmountsPlan(rows=3, amounts=[("1", "2.00")])
    flagged = AmountsPlan(rows=1, flagged=[incoming.Problem(2, "金额", "偏大")])

    assert plan.summary() == "数据行 3，金额笔数 1，有问题 0 行"
    assert flagged.summary() == "数据行 1，金额笔数 0，金额偏大 1 行，有问题 0 行"


@pytest.mark.django_db
def test_the_dry_run_keeps_the_upload_under_a_name_of_ours(media, admin_user):
    now = timezone.now()

    stored, plan = incoming.incoming_file_check(
        upload=upload(),
        kind="test.amounts",
        check=check,
        parameters={"year": 2026},
        by=admin_user,
        now=now,
    )

    assert plan.amounts == [("26010001", "355.00")]
    assert [(p.row, p.column) for p in plan.problems] == [(3, "金额")]
    assert APPLIED == []  # a dry run applies nothing
    kept = Path(stored.file.path)
    assert kept.parent == media / incoming.FOLDER
    assert kept.name == f"{stored.token}.csv"  # not the staff's file name
    assert (stored.original_name, stored.parameters, stored.uploaded_by) == (
        "缴费.csv",
        {"year": 2026},
        admin_user,
    )
    assert incoming.incoming_file_find(token=stored.token, kind="test.amounts", now=now) == stored


@pytest.mark.django_db
def test_a_file_refused_as_a_whole_is_not_kept(media):
    with pytest.raises(FileRefused, match="表头"):
        incoming.incoming_file_check(
            upload=upload("姓名\n张三\n"), kind="test.amounts", check=check, now=timezone.now()
        )

    assert not IncomingFile.objects.exists()
    assert list((media / incoming.FOLDER).iterdir()) == []


@pytest.mark.django_db
def test_a_confirmed_file_is_applied_once_then_removed(django_capture_on_commit_callbacks):
    now = timezone.now()
    stored, _ = incoming.incoming_file_check(
        upload=upload(), kind="test.amounts", check=check, now=now
    )
    kept = Path(stored.file.path)

    with django_capture_on_commit_callbacks(execute=True):
        plan = incoming.incoming_file_apply(incoming_file=stored, apply=apply, now=now)
    with pytest.raises(incoming.IncomingFileGone):
        incoming.incoming_file_apply(incoming_file=stored, apply=apply, now=now)
    with pytest.raises(incoming.IncomingFileGone):
        incoming.incoming_file_find(token=stored.token, kind="test.amounts", now=now)

    assert plan.applied
    assert APPLIED == [[("26010001", "355.00")]]
    assert not kept.exists()
    assert IncomingFile.objects.get().applied_at == now


@pytest.mark.django_db
def test_an_apply_that_is_refused_leaves_the_file_waiting():
    now = timezone.now()
    stored, _ = incoming.incoming_file_check(
        upload=upload(), kind="test.amounts", check=check, now=now
    )

    def refuse(*, path, name):
        raise Refused("不行。")

    with pytest.raises(Refused, match="不行"):
        incoming.incoming_file_apply(incoming_file=stored, apply=refuse, now=now)
    plan = incoming.incoming_file_apply(incoming_file=stored, apply=apply, now=now)

    assert plan.applied


@pytest.mark.django_db
def test_a_confirmation_finds_only_its_own_kind_within_the_retention():
    now = timezone.now()
    stored, _ = incoming.incoming_file_check(
        upload=upload(), kind="test.amounts", check=check, now=now
    )
    later = now + incoming.upload_retention() + timedelta(seconds=1)

    for token, kind, when in [
        (stored.token, "test.other", now),
        ("0" * 32, "test.amounts", now),
        (stored.token, "test.amounts", later),
    ]:
        with pytest.raises(incoming.IncomingFileGone):
            incoming.incoming_file_find(token=token, kind=kind, now=when)
    with pytest.raises(incoming.IncomingFileGone):
        incoming.incoming_file_apply(incoming_file=stored, apply=apply, now=later)
    assert APPLIED == []


@pytest.mark.django_db
def test_nothing_is_kept_beyond_the_retention(media):
    now = timezone.now()
    old, _ = incoming.incoming_file_check(
        upload=upload(), kind="test.amounts", check=check, now=now - timedelta(days=2)
    )
    new, _ = incoming.incoming_file_check(
        upload=upload(), kind="test.amounts", check=check, now=now
    )
    # the kept file of the old upload went with it; one left by an earlier version has
    # no record, only its age
    orphan = media / incoming.FOLDER / ("a" * 32 + ".xlsx")
    orphan.write_bytes(b"x")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(orphan, (two_days_ago, two_days_ago))
    os.utime(new.file.path, (two_days_ago, two_days_ago))  # the record's time is what counts

    removed = incoming.incoming_files_remove_stale(now=now)

    assert removed == 1
    assert list(IncomingFile.objects.values_list("pk", flat=True)) == [new.pk]
    assert not orphan.exists()
    assert Path(new.file.path).exists()
    assert not IncomingFile.objects.filter(pk=old.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_once_apply_once():
    now = timezone.now()
    stored, _ = incoming.incoming_file_check(
        upload=upload(), kind="test.amounts", check=check, now=now
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def slow_apply(*, path, name):
        time.sleep(0.2)  # the second confirmation arrives while the first is applying
        return apply(path=path, name=name)

    def confirm():
        try:
            barrier.wait()
            incoming.incoming_file_apply(incoming_file=stored, apply=slow_apply, now=now)
            outcomes.append("applied")
        except incoming.IncomingFileGone:
            outcomes.append("gone")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["applied", "gone"]
    assert len(APPLIED) == 1
