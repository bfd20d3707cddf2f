"""The event recorder: eventsourcing's ApplicationRecorder on the ledger's SQLAlchemy Core engine.

The ledger writes its events, their audit chain and the read model in one transaction, so the
recorder works on the connection of the transaction in progress (`Database.transaction`). The table
keeps the layout eventsourcing-sqlalchemy gave it (`ledger_events`: an integer position, a UUID as
16 bytes on SQLite and as `uuid` on PostgreSQL, the version, the topic and the state), so every
existing store opens unchanged; that package's ORM models and sqlalchemy-utils are not imported.

Appends are serialised by an advisory lock on PostgreSQL (the stock recorder's LOCK TABLE ... IN
EXCLUSIVE MODE needs rights on the events table that the ledger grants nobody), and made through
`ledger_append`, the owner's function that also seals them (adapters/guarded.py): positions are
taken and committed in order, and a reader following the log never sees a lower position commit
after a higher one. On SQLite the write transaction's BEGIN IMMEDIATE already serialises writers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from threading import Lock
from typing import Any
from uuid import UUID

import sqlalchemy.exc
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    DatabaseError,
    DataError,
    InfrastructureFactory,
    IntegrityError,
    InterfaceError,
    InternalError,
    Notification,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProcessRecorder,
    ProgrammingError,
    StoredEvent,
    Subscription,
    TrackingRecorder,
)
from eventsourcing.utils import strtobool
from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    TypeDecorator,
    Uuid,
    create_engine,
    func,
    select,
)
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.types import BINARY, TypeEngine

from ledger.adapters import guarded
from ledger.adapters.store import EVENTS_TABLE, configure_schema, configure_sqlite

# A NUL character in a stored event's JSON: `\u0000` not itself escaped (`\\u0000` is a
# backslash written before the text "u0000"). PostgreSQL's text columns cannot hold one and
# SQLite's can: refused on both, so a change reads the same on either.
_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


class NulCharacter(ValueError):
    """A change whose text holds a NUL character; `index` is its place in the batch inserted."""

    def __init__(self, index: int) -> None:
        super().__init__("text may not contain a NUL character (\\0)")
        self.index = index


class StoredUUID(TypeDecorator[UUID]):
    """A UUID: PostgreSQL's own type, elsewhere its 16 bytes (the layout of existing stores)."""

    impl = BINARY(16)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Uuid(as_uuid=True))
        return dialect.type_descriptor(BINARY(16))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        uuid = value if isinstance(value, UUID) else UUID(str(value))
        return uuid if dialect.name == "postgresql" else uuid.bytes

    def process_result_value(self, value: Any, dialect: Dialect) -> UUID | None:
        if value is None or isinstance(value, UUID):
            return value
        if isinstance(value, bytes | memoryview):
            return UUID(bytes=bytes(value))
        return UUID(str(value))


def events_table(name: str = EVENTS_TABLE) -> Table:
    position = BigInteger().with_variant(Integer(), "sqlite")
    return Table(
        name,
        MetaData(),
        Column("id", position, primary_key=True, autoincrement=True),
        Column("originator_id", StoredUUID(), nullable=False),
        Column("originator_version", position, nullable=False),
        Column("topic", Text(), nullable=False),
        Column("state", LargeBinary(), nullable=False),
        Index(f"{name}_aggregate_idx", "originator_id", "originator_version", unique=True),
    )


# The ledger transaction this context is inside, if any, and whether it writes: the recorder and
# the application's read-model writes share its connection.
_current: ContextVar[tuple[Connection, bool] | None] = ContextVar(
    "ledger_transaction", default=None
)


def in_transaction() -> bool:
    """Whether this context is already inside a ledger transaction (which then does the writing)."""
    return _current.get() is not None


_ERRORS: tuple[tuple[type[sqlalchemy.exc.SQLAlchemyError], type[PersistenceError]], ...] = (
    (sqlalchemy.exc.InterfaceError, InterfaceError),
    (sqlalchemy.exc.DataError, DataError),
    (sqlalchemy.exc.OperationalError, OperationalError),
    (sqlalchemy.exc.IntegrityError, IntegrityError),
    (sqlalchemy.exc.InternalError, InternalError),
    (sqlalchemy.exc.ProgrammingError, ProgrammingError),
    (sqlalchemy.exc.NotSupportedError, NotSupportedError),
    (sqlalchemy.exc.DatabaseError, DatabaseError),
)


def _persistence_error(exc: sqlalchemy.exc.SQLAlchemyError) -> PersistenceError:
    """eventsourcing's exception for a database error, as its recorders raise them."""
    for theirs, ours in _ERRORS:
        if isinstance(exc, theirs):
            return ours(exc)
    return PersistenceError(exc)


class Database:
    """The engine, and the one transaction a context is in (joined by anything nested in it)."""

    def __init__(self, url: str, schema: str | None = None) -> None:
        self.engine: Engine = create_engine(url)
        if schema and self.engine.dialect.name == "postgresql":
            configure_schema(self.engine, schema)
        # Threads of one process queue here for SQLite's one writer, not on its busy timeout.
        self.write_lock: Lock | None = None
        if self.engine.dialect.name == "sqlite":
            configure_sqlite(self.engine)
            self.write_lock = Lock()

    @contextmanager
    def transaction(self, commit: bool) -> Iterator[Connection]:
        """A transaction, or the one this context is already in. A write (`commit`) begins with
        the `ledger_write` option (on SQLite: BEGIN IMMEDIATE, the write lock taken before any
        read) and commits at the end; a read is rolled back. Database errors leave it as
        eventsourcing's persistence errors."""
        current = _current.get()
        if current is not None:
            conn, writes = current
            if commit and not writes:
                raise ProgrammingError("a write cannot join a transaction begun to read")
            yield conn
            return
        lock = self.write_lock if commit else None
        if lock is not None:
            lock.acquire()
        token = None
        try:
            with self.engine.connect() as conn:
                if commit:
                    conn.execution_options(ledger_write=True)
                token = _current.set((conn, commit))
                with conn.begin() as outer:
                    yield conn
                    if not commit:
                        outer.rollback()
        except sqlalchemy.exc.SQLAlchemyError as exc:
            raise _persistence_error(exc) from exc
        finally:
            if token is not None:
                _current.reset(token)
            if lock is not None:
                lock.release()


class LedgerRecorder(ApplicationRecorder):
    """Stored events in `ledger_events`, their positions the notification ids."""

    def __init__(self, database: Database, table: Table) -> None:
        self.database = database
        self.events_table = table
        self.channel_name = table.name

    def create_table(self) -> None:
        self.events_table.create(self.database.engine, checkfirst=True)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        """Insert a batch of events in one statement (executemany) and return their positions in
        the order given."""
        if not stored_events:
            return []
        for index, event in enumerate(stored_events):
            if b"\\u0000" in event.state and _NUL.search(event.state):
                raise NulCharacter(index)
        with self.database.transaction(commit=True) as conn:
            if conn.dialect.name == "sqlite":
                return _insert_sqlite(
                    conn.connection.driver_connection, self.events_table.name, stored_events
                )
            return guarded.append(conn, stored_events)  # sealed there too: see guarded.py

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> list[StoredEvent]:
        t = self.events_table
        version = t.c.originator_version
        query = select(t.c.originator_id, version, t.c.topic, t.c.state).where(
            t.c.originator_id == originator_id
        )
        if gt is not None:
            query = query.where(version > gt)
        if lte is not None:
            query = query.where(version <= lte)
        query = query.order_by(version.desc() if desc else version)
        if limit is not None:
            query = query.limit(limit)
        with self.database.transaction(commit=False) as conn:
            return [
                StoredEvent(
                    originator_id=row[0],
                    originator_version=int(row[1]),
                    topic=row[2],
                    state=bytes(row[3]),
                )
                for row in conn.execute(query)
            ]

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> list[Notification]:
        t = self.events_table
        query = select(t.c.id, t.c.originator_id, t.c.originator_version, t.c.topic, t.c.state)
        if start is not None:
            query = query.where(t.c.id >= start if inclusive_of_start else t.c.id > start)
        if stop is not None:
            query = query.where(t.c.id <= stop)
        if topics:
            query = query.where(t.c.topic.in_(topics))
        query = query.order_by(t.c.id).limit(limit)
        with self.database.transaction(commit=False) as conn:
            return [
                Notification(
                    id=int(row[0]),
                    originator_id=row[1],
                    originator_version=int(row[2]),
                    topic=row[3],
                    state=bytes(row[4]),
                )
                for row in conn.execute(query)
            ]

    def max_notification_id(self) -> int | None:
        with self.database.transaction(commit=False) as conn:
            value = conn.execute(select(func.max(self.events_table.c.id))).scalar()
        return None if value is None else int(value)

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        raise NotImplementedError("the ledger's followers read the log by position")


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


class LedgerFactory(InfrastructureFactory[TrackingRecorder]):
    """What eventsourcing's Application builds its persistence from (PERSISTENCE_MODULE).

    Reads SQLALCHEMY_URL (the store) and LEDGER_SCHEMA (a PostgreSQL schema of its own)."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        self.database = Database(
            self.env.get("SQLALCHEMY_URL") or "", self.env.get("LEDGER_SCHEMA")
        )

    def application_recorder(self) -> ApplicationRecorder:
        recorder = LedgerRecorder(self.database, events_table(EVENTS_TABLE))
        if strtobool(self.env.get("CREATE_TABLE") or "yes"):
            recorder.create_table()
        return recorder

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        raise NotImplementedError("the ledger keeps no snapshots")

    def tracking_recorder(
        self, tracking_recorder_class: type[TrackingRecorder] | None = None
    ) -> TrackingRecorder:
        raise NotImplementedError("the ledger follows its log by position, not by tracking")

    def process_recorder(self) -> ProcessRecorder:
        raise NotImplementedError("the ledger is not an event-processing application")
