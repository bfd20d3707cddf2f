"""The read model's tables and indexes, apart from the projection that fills them, so that a
question can open them without importing the event vocabulary (pydantic models)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Connection

from ledger.domain.ids import fold as fold  # the read model folds names as the ids do

metadata = MetaData()

changes = Table(
    "ledger_changes",
    metadata,
    Column("change_id", String(32), primary_key=True),
    Column("position", Integer, nullable=False, unique=True),
    Column("label", String(200), nullable=True, unique=True),
    Column("kind", String(32), nullable=False),
    Column("effective", String(16), nullable=False),
    Column("eff_start", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorder", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("sources", Text, nullable=False),
    Column("details", Text, nullable=False),
    Column("supersedes", String(32), nullable=True),
    Column("superseded_at", Integer, nullable=True),
    Column("digest", String(64), nullable=True),
    # --known-at TIMESTAMP: the last position recorded by a moment, read from the index alone.
    Index("ledger_changes_recorded", "recorded_at", "position"),
    Index(
        "ledger_changes_effective", "eff_start"
    ),  # the days before and after a date with a change
)

# Which stored change touches which organisation or post (the entities whose invariants read
# their history), and what it does to that history: a change is stored once, and this is the index
# the write path checks a change against (it reads a timeline back from these rows, not from the
# changes) and learns from which bodies another writer has touched since it last looked. People
# and functions are left out: nothing checks their history.
parties = Table(
    "ledger_parties",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("change_id", String(32), nullable=False),
    Column("position", Integer, nullable=False),
    Column("party", String(32), nullable=False),
    # What the change does to the party's timeline (model.timeline_rows): the change it takes out
    # (the one it corrects or retracts), and the entry it adds, as `Entry.row` writes it.
    Column("removes", String(32)),
    Column("entry", Text),
    Index("ledger_parties_party", "party", "position"),
    Index("ledger_parties_position", "position"),
)

facts = Table(
    "ledger_facts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("change_id", String(32), nullable=False),
    Column("known_from", Integer, nullable=False),
    Column("known_to", Integer, nullable=True),
    Column("planned", Boolean, nullable=False),
    Column("subject", String(32), nullable=False),
    Column("aspect", String(16), nullable=False),
    Column("other", String(32), nullable=True),
    Column("value", Text, nullable=True),
    Column("extra", Text, nullable=True),
    Column("eff_start", Date, nullable=False),
    Column("effective", String(16), nullable=False),
    # By subject and aspect, in effective order: a body's first mention is read from it directly.
    Index("ledger_facts_subject", "subject", "aspect", "eff_start"),
    Index("ledger_facts_other", "other", "aspect"),
    Index("ledger_facts_aspect_date", "aspect", "eff_start"),
    Index("ledger_facts_change", "change_id"),
)

entities = Table(
    "ledger_entities",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("entity", String(16), nullable=False),
    Column("name", Text, nullable=False),
    Column("parent", String(32), nullable=True),
    Column("first_position", Integer, nullable=False),
    Index("ledger_entities_entity", "entity"),
    Index("ledger_entities_parent", "parent"),
)

names = Table(
    "ledger_names",
    metadata,
    Column("entity_id", String(32), nullable=False),
    Column("name", Text, nullable=False),
    Column("folded", Text, nullable=False),
    Column("scheme", String(32), nullable=True),
    Index("ledger_names_folded", "folded"),
    Index("ledger_names_entity", "entity_id"),
)

# The state of every body, membership, post and holding cut into validity intervals on both axes:
# a row holds over valid time [valid_from, valid_to) (None: unbounded) as known from log position
# `known_from` until `known_to`. Derived from `ledger_facts` by adapters/periods.py (the timeline's
# rules), so a question about a date reads the rows valid on it instead of folding every fact.
# `views` says which answers a row belongs to: 1 without plans, 2 with plans, 3 both.
periods = Table(
    "ledger_periods",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject", String(32), nullable=False),
    Column("aspect", String(16), nullable=False),
    Column("other", String(32), nullable=True),
    Column("value", Text, nullable=True),
    Column("extra", Text, nullable=True),
    Column("change_id", String(32), nullable=False),
    Column("effective", String(16), nullable=False),
    Column("eff_start", Date, nullable=False),
    Column("position", Integer, nullable=False),
    Column("planned", Boolean, nullable=False),
    Column("first_eff", Date, nullable=False),
    Column("first_position", Integer, nullable=False),
    Column("valid_from", Date, nullable=True),
    Column("valid_to", Date, nullable=True),
    # An open period's last evidence (NULL: closed, it rests on its two ends): on a later day it
    # is presumed (timeline.standing).
    Column("last_seen", Date, nullable=True),
    Column("views", Integer, nullable=False),
    Column("known_from", Integer, nullable=False),
    Column("known_to", Integer, nullable=True),
    Index("ledger_periods_valid", "known_to", "valid_to"),
    Index("ledger_periods_subject", "subject", "known_to"),
    # one page of the structure: the bodies in force (their lives, names and kinds), and the
    # memberships, relationships and posts naming the page's bodies
    Index("ledger_periods_aspect", "aspect", "known_to", "valid_to"),
    Index("ledger_periods_other", "other", "known_to"),
    # a body's life on its own (show, lineage): a busy body has thousands of other periods
    Index("ledger_periods_life", "subject", "aspect", "known_to"),
)

# The periods' tracking row: present once they are current with the facts. Named anew whenever
# what a period row holds changes (after "periods": an open period's last evidence), so
# a store cut by an earlier version is cut again, once, when a recorder opens it.
PERIODS_TRACKING = "periods, last seen"

tracking = Table(
    "ledger_tracking",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("position", Integer, nullable=False),
)

READ_MODEL_TABLES = (changes, facts, parties, entities, names, periods, tracking)


def read_model_complete(conn: Connection) -> bool:
    """Whether every read-model table and index this version uses exists (one catalogue query)."""
    wanted = {t.name for t in READ_MODEL_TABLES}
    wanted |= {str(i.name) for t in READ_MODEL_TABLES for i in t.indexes}
    if conn.dialect.name == "sqlite":
        found = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'index')"
        )
    elif conn.dialect.name == "postgresql":
        found = conn.execute(
            sql_text(
                "SELECT relname FROM pg_class "
                "WHERE relnamespace = to_regnamespace(current_schema())"
            )
        )
    else:
        return False
    return wanted <= {r[0] for r in found}


def as_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@lru_cache(maxsize=65_536)
def day_of(value: Any) -> date:
    """A stored date (text on SQLite): a long history has a few thousand distinct days."""
    return as_date(value)


T = TypeVar("T")
CHUNK = 500  # ids per IN (...) list: well inside every driver's limit on bound parameters


def chunks(ids: list[T], size: int = CHUNK) -> Iterator[list[T]]:
    """Ids in lists short enough for one IN (...) each."""
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


# Built once: every write sets a tracking row or two, and building the statement each time cost
# more than running it.
_SET_TRACKING = (
    update(tracking).where(tracking.c.name == bindparam("tracked")).values(position=bindparam("at"))
)
_ADD_TRACKING = insert(tracking).values(name=bindparam("tracked"), position=bindparam("at"))
_TRACKED = select(tracking.c.position).where(tracking.c.name == bindparam("tracked"))


def set_tracking(conn: Connection, name: str, position: int) -> None:
    """Record that what `name` keeps is current up to a log position."""
    if through_functions(conn):
        conn.execute(_TRACK_THROUGH, {"name": name, "at": position})
        return
    done = conn.execute(_SET_TRACKING, {"tracked": name, "at": position})
    if not done.rowcount:
        conn.execute(_ADD_TRACKING, {"tracked": name, "at": position})


def tracked(conn: Connection, name: str) -> int | None:
    """The log position up to which what `name` keeps is current (None: not kept)."""
    found = conn.execute(_TRACKED, {"tracked": name}).scalar()
    return None if found is None else int(found)


# A connection's option once its transaction appended events on PostgreSQL: from then on its writes
# go through the ledger's functions (adapters/guarded.py), which write only rows about them.
APPENDED = "ledger_appended"
_TRACK_THROUGH = sql_text("SELECT ledger_track(:name, :at)")


def through_functions(conn: Connection) -> bool:
    """Whether a write goes through the ledger's functions rather than straight into the table."""
    return bool(conn.get_execution_options().get(APPENDED))


def bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows with one executemany at the driver: what `conn.execute(insert(table), rows)`
    does, without its per-row bookkeeping, which costs more than the insert itself on a long
    rebuild. The rows hold values as the driver takes them (see `DriverForm`)."""
    if not rows:
        return
    if through_functions(conn):
        put = f"SELECT {table.name.replace('ledger_', 'ledger_put_', 1)}(CAST(:rows AS jsonb))"
        conn.execute(sql_text(put), {"rows": json.dumps(rows, default=str, separators=(",", ":"))})
        return
    columns = [c for c in table.columns if c.name in rows[0]]
    dialect = conn.dialect
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    preparer = dialect.identifier_preparer
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        preparer.format_table(table),
        ", ".join(preparer.format_column(c) for c in columns),
        ", ".join([marker] * len(columns)),
    )
    pick = itemgetter(*[c.name for c in columns])
    converted = [pick(row) for row in rows] if len(columns) > 1 else [(pick(row),) for row in rows]
    conn.exec_driver_sql(sql, converted)
