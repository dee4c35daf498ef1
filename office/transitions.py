"""The one writer of a workflow's state field. One record or sixty thousand take the same
path: each move checked by the workflow, the states written with one conditional UPDATE
per source state and chunk (it must touch exactly the rows it names, or someone changed
them meanwhile and nothing is written), and one event per record."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .errors import Refused

CHUNK = 2000


@dataclass(frozen=True)
class StateWriter:
    """How one model's records move. The model has `state`, `reason` and `updated_at`
    fields; `event` has `<owner>` (a foreign key to the record), `from_state`, `to_state`,
    `reason` and `by`. `check(record, target, reason)` raises when the workflow refuses;
    `stale` is raised when a record changed under the caller."""

    check: Callable[[Any, str, str], None]
    event: type[models.Model]
    owner: str
    stale: Callable[[str], Refused] = Refused

    @transaction.atomic
    def write(self, records: Sequence[models.Model], *, to: str, by=None, reason: str = "") -> None:
        """Move `records` (rows the caller has locked, or read in the same transaction
        under a lock) to `to`. The records in memory follow the database."""
        if not records:
            return
        for record in records:
            self.check(record, to, reason)
        by_state: dict[str, list[int]] = {}
        for record in records:
            by_state.setdefault(record.state, []).append(record.pk)
        model, now = type(records[0]), timezone.now()
        for state, pks in by_state.items():
            for start in range(0, len(pks), CHUNK):
                chunk = pks[start : start + CHUNK]
                moved = model._default_manager.filter(pk__in=chunk, state=state).update(
                    state=to, reason=reason, updated_at=now
                )
                if moved != len(chunk):
                    raise self.stale("部分记录已被他人修改，请重试。")
            self.event._default_manager.bulk_create(
                (
                    self.event(
                        **{f"{self.owner}_id": pk},
                        from_state=state,
                        to_state=to,
                        reason=reason,
                        by=by,
                    )
                    for pk in pks
                ),
                batch_size=CHUNK,
            )
        for record in records:
            record.state, record.reason, record.updated_at = to, reason, now
