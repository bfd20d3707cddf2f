"""The event recorder: eventsourcing-sqlalchemy's, with appends serialised by an advisory lock.

The stock recorder serialises PostgreSQL appends with LOCK TABLE ... IN EXCLUSIVE MODE, which needs
UPDATE or DELETE rights on the events table. The ledger grants nobody those rights, so writers queue
on a transaction-scoped advisory lock instead: positions are still taken and committed in order, and
a reader following the log never sees a lower position commit after a higher one. On SQLite the
write transaction's BEGIN IMMEDIATE already serialises writers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder
from sqlalchemy import insert, text
from sqlalchemy.engine import Engine

from ledger.adapters.store import configure_schema, configure_sqlite

APPEND_LOCK = 0x1ED6E4  # the advisory lock key every ledger writer queues on


class LedgerRecorder(SQLAlchemyApplicationRecorder):
    def _lock_table(self, session: Any) -> None:
        engine = self.datastore.engine
        if engine is not None and engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK})

    def _insert_stored_events(
        self, session: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int]:
        """Insert a batch of events in one statement (executemany) rather than one ORM object
        each, and return their positions in the order given."""
        if not stored_events:
            return []
        self._lock_table(session)
        table = self.events_record_cls.__table__
        conn = session.connection()
        if conn.dialect.name == "sqlite":
            return _insert_sqlite(conn.connection.driver_connection, table.name, stored_events)
        rows = [
            {
                "originator_id": e.originator_id,
                "originator_version": e.originator_version,
                "topic": e.topic,
                "state": e.state,
            }
            for e in stored_events
        ]
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        positions = [int(row[0]) for row in session.execute(statement, rows)]
        self._notify_channel(session)
        return positions


def _insert_sqlite(raw: Any, table: str, stored_events: Sequence[StoredEvent]) -> list[int]:
    """Insert through the driver, numbering the rows ourselves. The write transaction holds
    SQLite's lock and the log is never deleted from, so the positions after the last one are
    free; this skips SQLAlchemy's per-row parameter processing, a tenth of a bulk import."""
    last = raw.execute(f"SELECT max(id) FROM {table}").fetchone()[0] or 0
    rows = [
        (last + n, _uuid(e.originator_id).bytes, e.originator_version, e.topic, e.state)
        for n, e in enumerate(stored_events, start=1)
    ]
    raw.executemany(
        f"INSERT INTO {table} (id, originator_id, originator_version, topic, state) "
        "VALUES (?, ?, ?, ?, ?)",
        rows,
    )
    return [row[0] for row in rows]


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)


class LedgerFactory(SQLAlchemyFactory):
    application_recorder_class = LedgerRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        engine = self.datastore.engine
        schema = env.get("LEDGER_SCHEMA")
        if isinstance(engine, Engine) and schema and engine.dialect.name == "postgresql":
            configure_schema(engine, schema)
        if isinstance(engine, Engine) and engine.dialect.name == "sqlite":
            configure_sqlite(engine)
            # WAL is switched on by the connect hook, outside any transaction.
            self.datastore._tried_init_sqlite_wal_mode = True
