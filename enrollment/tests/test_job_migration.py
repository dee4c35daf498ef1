"""Migration 0009 makes roster imports and collective runs office jobs: renamed fields keep
their data both ways, and a roster import's workbook of rows in error becomes its
produced file."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from office.tests.factories import StaffFactory

JOBS = ("enrollment", "0009_jobs")
IMPORTED_AT = datetime(2025, 9, 2, 8, 30, tzinfo=UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_jobs_migration_keeps_who_when_and_what_both_ways():
    user = StaffFactory()
    graph = MigrationExecutor(connection).loader.graph
    before = sorted(
        node.key for node in graph.node_map[JOBS].parents if node.key[0] == "enrollment"
    )
    latest = graph.leaf_nodes()
    old = migrate(before)
    roster_import = old.get_model("enrollment", "RosterImport").objects.create(
        file="roster-imports/2025/09/a.xlsx",
        original_name="a.xlsx",
        sha256="-",
        uploaded_by_id=user.pk,
        status="imported",
        summary={"rows": 4, "error_file": "roster-imports/errors/7.xlsx"},
        imported_at=IMPORTED_AT,
    )
    run = old.get_model("enrollment", "CollectiveRun").objects.create(
        policy_year=old.get_model("policies", "PolicyYear").objects.get(code="shanghai-2026"),
        started_by_id=user.pk,
        status="done",
        report={"existing": 3},
    )

    new = migrate(latest)
    migrated = new.get_model("enrollment", "RosterImport").objects.get(pk=roster_import.pk)
    migrated_run = new.get_model("enrollment", "CollectiveRun").objects.get(pk=run.pk)

    assert (migrated.started_by_id, migrated.started_at) == (user.pk, roster_import.uploaded_at)
    assert migrated.finished_at == IMPORTED_AT
    assert migrated.produced_file.name == "roster-imports/errors/7.xlsx"
    assert migrated.summary == {"rows": 4}
    assert (migrated_run.summary, migrated_run.produced_file.name) == ({"existing": 3}, "")

    back = migrate(before)
    restored = back.get_model("enrollment", "RosterImport").objects.get(pk=roster_import.pk)
    assert restored.summary == {"rows": 4, "error_file": "roster-imports/errors/7.xlsx"}
    assert (restored.uploaded_by_id, restored.imported_at) == (user.pk, IMPORTED_AT)
    migrate(latest)
