"""Following the log: inside a write transaction, once its events are stored, the audit chain seals
them and the read model projects them; and the read model rebuilt from the whole log (on a long
log with worker processes, application/rebuild.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from ledger.adapters.audit import seal_appended, stored_records
from ledger.adapters.readmodel import ChangeReader, ReadModel, stored_change_id
from ledger.adapters.tables import changes
from ledger.domain.events import ChangeEvent
from ledger.domain.stored import StoredChange

if TYPE_CHECKING:
    from ledger.adapters.mapper import PydanticMapper


class Projection:
    """The read model following the log it is projected from."""

    def __init__(self, readmodel: ReadModel, mapper: PydanticMapper) -> None:
        self.readmodel = readmodel
        self.mapper = mapper

    def follow(
        self, conn: Connection, known: Mapping[int, ChangeEvent | StoredChange] | None = None
    ) -> None:
        """Everything that follows the log inside a write transaction, once its events are saved:
        the audit chain seals them (those alone: see `audit.seal_appended`), then the read model projects
        them. `known` are events this transaction just saved, by position: they are projected as
        they are, not read back."""
        seal_appended(conn, list(known or ()))
        self.catch_up(conn, known=known)

    def catch_up(
        self,
        conn: Connection,
        batch: int = 2000,
        known: Mapping[int, ChangeEvent | StoredChange] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Project every stored event after the read model's position (called inside writes).

        `known` are events this transaction just saved, by position: they are projected as they
        are, not read back and decoded. `progress` is told the position reached after each batch."""
        position = ReadModel.position(conn)
        if known:
            position = self._project_stored(conn, position, min(known) - 1, batch, progress)
            ordered = [(p, e) for p, e in sorted(known.items()) if p > position]
            if ordered:
                position = self._project_batch(conn, ordered, progress)
        return self._project_stored(conn, position, None, batch, progress)

    def rebuild(
        self,
        conn: Connection,
        env: Mapping[str, str],
        workers: int,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Drop the read model's rows and project the whole log again, inside the write
        transaction `conn`; returns how many changes the read model then holds.

        The read model's secondary indexes are dropped for the load and built once at the end,
        which is several times faster than keeping them up to date row by row. On a long log the
        events are decoded and projected by `workers` processes (0: none), each opening the store
        of the application at `env`, while this one writes the rows."""
        from ledger.application.rebuild import project_in_workers

        ReadModel.clear(conn)
        with ReadModel.without_indexes(conn):
            project_in_workers(conn, self.readmodel, env, workers, progress)
            self.catch_up(conn, batch=5000, progress=progress)
        self.readmodel.cut_all_periods(conn)
        return int(conn.execute(select(func.count()).select_from(changes)).scalar() or 0)

    def _project_stored(
        self,
        conn: Connection,
        position: int,
        until: int | None,
        batch: int,
        progress: Callable[[int], None] | None,
    ) -> int:
        """Decode and project the stored events after `position` (up to `until`), batch by batch."""
        reader = ChangeReader(self.mapper.decode)
        pending: list[tuple[int, Any]] = []
        seen: set[str] = set()  # a change is stored on each aggregate it touches; read it once
        last = position
        for record in stored_records(conn, after=position, until=until):
            last = record.position
            key = stored_change_id(record.state)
            if key is not None:
                if key in seen:
                    continue
                seen.add(key)
            change = reader.read(
                record.topic, record.originator_id, record.originator_version, record.state
            )
            pending.append((record.position, change))
            if len(pending) >= batch:
                seen.clear()  # apply() skips changes the read model already holds
                position = self._project_batch(conn, pending, progress)
        if pending:
            position = self._project_batch(conn, pending, progress)
        if last > position:  # the log ends with events of changes already projected
            ReadModel.set_position(conn, last)
            position = last
        return position

    def _project_batch(
        self,
        conn: Connection,
        pending: list[tuple[int, Any]],
        progress: Callable[[int], None] | None,
    ) -> int:
        self.readmodel.apply(conn, pending)
        position = pending[-1][0]
        pending.clear()
        ReadModel.set_position(conn, position)
        if progress is not None:
            progress(position)
        return position
