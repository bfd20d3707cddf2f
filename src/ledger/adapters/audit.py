"""The audit tables: the hash chain over the stored events, and the checkpoints taken of it.

The chain is sealed by `seal`, a sealer that follows the log in order from the last sealed position.
The application calls it inside every write transaction right after the events are inserted, so a
change and its chain entries commit together, and writers are already serialised (SQLite's
BEGIN IMMEDIATE, PostgreSQL's append lock), so entries are numbered without gaps in log order even
where the log's own positions have gaps (a PostgreSQL sequence skips the numbers of rolled-back
inserts). Following the log, rather than hashing inside the insert, also seals a ledger recorded
before the chain existed the first time anything is appended to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

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

from ledger.adapters.store import EVENTS_TABLE
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


def uuid_hex(value: Any) -> str:
    """An originator id as 32 hex digits, whichever way the engine returns it."""
    if isinstance(value, UUID):
        return value.hex
    if isinstance(value, bytes | bytearray | memoryview):
        return UUID(bytes=bytes(value)).hex
    return UUID(str(value)).hex


def stored_records(
    conn: Connection, after: int = 0, until: int | None = None
) -> Iterator[StoredRecord]:
    """The stored events after a position, in log order, read page by page."""
    sql = text(
        f"SELECT id, originator_id, originator_version, topic, state FROM {EVENTS_TABLE} "
        "WHERE id > :after AND id <= :until ORDER BY id LIMIT :limit"
    )
    limit = until if until is not None else 2**62
    while True:
        rows = conn.execute(sql, {"after": after, "until": limit, "limit": PAGE}).all()
        for row in rows:
            yield StoredRecord(
                int(row[0]), uuid_hex(row[1]), int(row[2]), str(row[3]), bytes(row[4])
            )
        if len(rows) < PAGE:
            return
        after = int(rows[-1][0])


def chain_rows(conn: Connection, after_seq: int = 0) -> Iterator[Any]:
    """The chain's entries in order (seq, position, payload_hash, content_hash, hash)."""
    while True:
        rows = conn.execute(
            select(chain).where(chain.c.seq > after_seq).order_by(chain.c.seq).limit(PAGE)
        ).all()
        yield from rows
        if len(rows) < PAGE:
            return
        after_seq = rows[-1].seq


def head(conn: Connection) -> Any:
    """The last chain entry, or None for an empty (or never sealed) log."""
    return conn.execute(select(chain).order_by(chain.c.seq.desc()).limit(1)).first()


def seal_log(conn: Connection) -> int:
    """Chain every stored event after the last sealed one; returns how many were sealed."""
    last = head(conn)
    seq, previous, position = (last.seq, last.hash, last.position) if last else (0, GENESIS, 0)
    rows: list[dict[str, Any]] = []
    for record in stored_records(conn, after=position):
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
            conn.execute(insert(chain), rows)
            rows = []
    if rows:
        conn.execute(insert(chain), rows)
    return seq - (last.seq if last else 0)


def store_checkpoint(conn: Connection, size: int, position: int, root: str, text_: str) -> None:
    conn.execute(insert(checkpoints).values(size=size, position=position, root=root, text=text_))


def max_position(conn: Connection) -> int:
    return int(conn.execute(text(f"SELECT max(id) FROM {EVENTS_TABLE}")).scalar() or 0)
