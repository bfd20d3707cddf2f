"""The audit tables: the hash chain over the stored events, and the checkpoints taken of it.

A write transaction seals exactly the events it appended (`seal_appended`), right after inserting them, so a
change and its chain entries commit together. Writers are serialised (SQLite's BEGIN IMMEDIATE,
PostgreSQL's append lock), so entries are numbered without gaps in log order even where the log's
own positions have gaps (a PostgreSQL sequence skips the numbers of rolled-back inserts). A stored
event between the chain's head and the transaction's own was written outside the ledger: it stops
the append (`UnsealedEvent`) and is never sealed. Only a log recorded before the chain existed is
sealed whole (`seal_log`), once, when the chain is made.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple
from uuid import UUID, uuid4

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Connection

from ledger.adapters import guarded
from ledger.adapters.store import EVENTS_TABLE
from ledger.adapters.tables import bulk_insert
from ledger.domain.chain import GENESIS, StoredRecord, seal

metadata = MetaData()

chain = Table(
    "ledger_chain",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),  # 1, 2, 3 ... (Merkle leaf + 1)
    Column("position", Integer, nullable=False, unique=True),
    Column("payload_hash", String(64), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("size", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("root", String(64), nullable=False),
    Column("taken_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("text", Text, nullable=False),
)

AUDIT_TABLES = (chain, checkpoints)
PAGE = 20_000


def create(conn: Connection) -> None:
    metadata.create_all(conn, checkfirst=True)


def exists(conn: Connection) -> bool:
    """Whether the store has its chain (false only for one made before the chain existed)."""
    from sqlalchemy import inspect

    return inspect(conn).has_table(chain.name)


def uuid_hex(value: Any) -> str:
    """An originator id as 32 hex digits, whichever way the engine returns it."""
    if type(value) is bytes and len(value) == 16:  # SQLite: the UUID's 16 bytes
        return value.hex()
    if isinstance(value, UUID):
        return value.hex
    if isinstance(value, bytes | bytearray | memoryview):
        return UUID(bytes=bytes(value)).hex
    return UUID(str(value)).hex


def driver_rows(conn: Connection, sql: str, *, stream: bool = False) -> Iterator[list[Any]]:
    """A statement's rows in batches, as the driver returns them (tuples), on the connection's own
    driver connection: reading a long log, wrapping each row costs more than reading it. With
    `stream`, PostgreSQL reads through a server-side cursor (SQLite steps lazily anyway)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    if stream and conn.dialect.name == "postgresql":
        cursor = raw.cursor(name=f"ledger_{uuid4().hex[:16]}")
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(PAGE):
            yield rows
    finally:
        cursor.close()


def _raw_rows(conn: Connection, sql: str) -> list[Any]:
    return [row for rows in driver_rows(conn, sql) for row in rows]


def stored_records(
    conn: Connection, after: int = 0, until: int | None = None
) -> Iterator[StoredRecord]:
    """The stored events after a position, in log order, read page by page."""
    limit = until if until is not None else 2**62
    while True:
        rows = _raw_rows(
            conn,
            f"SELECT id, originator_id, originator_version, topic, state FROM {EVENTS_TABLE} "
            f"WHERE id > {int(after)} AND id <= {int(limit)} ORDER BY id LIMIT {PAGE}",
        )
        for position, originator_id, version, topic, state in rows:
            yield StoredRecord(position, uuid_hex(originator_id), version, topic, bytes(state))
        if len(rows) < PAGE:
            return
        after = int(rows[-1][0])


def stored_rows(conn: Connection, after: int, until: int) -> Iterator[tuple[Any, ...]]:
    """The stored events of positions (after, until] as the driver returns them, through one
    streamed cursor: (position, originator id as stored, version, topic, state bytes). For the
    long read-only passes (a rebuild's or `verify`'s workers), which need no StoredRecord."""
    sql = (
        f"SELECT id, originator_id, originator_version, topic, state FROM {EVENTS_TABLE} "
        f"WHERE id > {int(after)} AND id <= {int(until)} ORDER BY id"
    )
    for rows in driver_rows(conn, sql, stream=True):
        for position, originator_id, version, topic, state in rows:
            yield position, originator_id, version, topic, bytes(state)


class ChainEntry(NamedTuple):
    seq: int
    position: int
    payload_hash: str
    content_hash: str
    hash: str


def chain_rows(conn: Connection, after_seq: int = 0) -> Iterator[ChainEntry]:
    """The chain's entries in order."""
    while True:
        rows = _raw_rows(
            conn,
            f"SELECT seq, position, payload_hash, content_hash, hash FROM {chain.name} "
            f"WHERE seq > {int(after_seq)} ORDER BY seq LIMIT {PAGE}",
        )
        yield from map(ChainEntry._make, rows)
        if len(rows) < PAGE:
            return
        after_seq = rows[-1][0]


def head(conn: Connection) -> Any:
    """The last chain entry, or None for an empty (or never sealed) log."""
    return conn.execute(select(chain).order_by(chain.c.seq.desc()).limit(1)).first()


class UnsealedEvent(Exception):
    """A stored event the ledger did not seal lies after the chain's head: written outside it."""

    def __init__(self, position: int) -> None:
        super().__init__(f"position {position} holds an event the ledger did not seal")
        self.position = position


def first_foreign(conn: Connection, after: int, positions: Sequence[int]) -> int | None:
    """The first stored position after `after` that is not one of `positions` (the events this
    transaction appended), or None: one index read of at most len(positions) + 1 ids."""
    rows = _raw_rows(
        conn,
        f"SELECT id FROM {EVENTS_TABLE} WHERE id > {int(after)} ORDER BY id "
        f"LIMIT {len(positions) + 1}",
    )
    for (found,), ours in zip(rows, [*sorted(positions), None], strict=False):
        if found != ours:
            return int(found)
    return None


def seal_appended(conn: Connection, positions: Sequence[int]) -> int:
    """Chain exactly the events this transaction appended (`positions`) after the chain's head.
    Any other stored event after the head stops it (`UnsealedEvent`): the ledger seals only what
    it wrote. Returns how many were sealed."""
    if not positions:
        return 0
    if guarded.appended(conn):
        return len(positions)  # `ledger_append` sealed them as it stored them
    last = head(conn)
    after = last.position if last else 0
    foreign = first_foreign(conn, after, positions)
    if foreign is not None:
        raise UnsealedEvent(foreign)
    return _seal_after(conn, last, until=max(positions))


def seal_log(conn: Connection) -> int:
    """Chain every stored event after the last sealed one; returns how many were sealed. Only for
    a log recorded before the chain existed (sealed once, when the chain is made), and for a
    benchmark's synthetic log: a write transaction seals its own events with `seal`."""
    return _seal_after(conn, head(conn), until=None)


def _seal_after(conn: Connection, last: Any, until: int | None) -> int:
    seq, previous, position = (last.seq, last.hash, last.position) if last else (0, GENESIS, 0)
    rows: list[dict[str, Any]] = []
    for record in stored_records(conn, after=position, until=until):
        entry = seal(record, previous)
        seq += 1
        rows.append(
            {
                "seq": seq,
                "position": entry.position,
                "payload_hash": entry.payload_hash,
                "content_hash": entry.content_hash,
                "hash": entry.hash,
            }
        )
        previous = entry.hash
        if len(rows) >= PAGE:
            bulk_insert(conn, chain, rows)
            rows = []
    bulk_insert(conn, chain, rows)
    return seq - (last.seq if last else 0)


def store_checkpoint(conn: Connection, size: int, position: int, root: str, text_: str) -> None:
    if conn.dialect.name == "postgresql":
        guarded.store_checkpoint(conn, size, position, root, text_)
        return
    conn.execute(insert(checkpoints).values(size=size, position=position, root=root, text=text_))


def max_position(conn: Connection) -> int:
    return int(conn.execute(text(f"SELECT max(id) FROM {EVENTS_TABLE}")).scalar() or 0)
