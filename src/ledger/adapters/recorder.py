"""The event recorder: eventsourcing-sqlalchemy's, with appends serialised by an advisory lock.

The stock recorder serialises PostgreSQL appends with LOCK TABLE ... IN EXCLUSIVE MODE, which needs
UPDATE or DELETE rights on the events table. The ledger grants nobody those rights, so writers queue
on a transaction-scoped advisory lock instead: positions are still taken and committed in order, and
a reader following the log never sees a lower position commit after a higher one. On SQLite the
write transaction's BEGIN IMMEDIATE already serialises writers.
"""

from __future__ import annotations

from typing import Any

from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ledger.adapters.store import configure_schema, configure_sqlite

APPEND_LOCK = 0x1ED6E4  # the advisory lock key every ledger writer queues on


class LedgerRecorder(SQLAlchemyApplicationRecorder):
    def _lock_table(self, session: Any) -> None:
        engine = self.datastore.engine
        if engine is not None and engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK})


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
