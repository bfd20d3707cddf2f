"""Where the ledger lives: database URLs, engine settings, and write transactions."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

DEFAULT_DATABASE = "ledger.db"
SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class StoreError(Exception):
    """The store cannot be opened or used (bad URL, unreachable server, missing rights)."""


def normalise_url(value: str | None) -> str:
    """Accept a file path, a sqlite:// URL or a postgresql:// URL; default to ./ledger.db."""
    value = (value or DEFAULT_DATABASE).strip()
    if value in ("sqlite://", "sqlite:///:memory:", ":memory:"):
        return "sqlite://"
    if value.startswith("sqlite:"):
        return value
    if value.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    if value.startswith("postgresql+"):
        return value
    if "://" in value:
        scheme = value.split("://", 1)[0]
        raise StoreError(
            f"unsupported database URL scheme {scheme!r}: use a file path, sqlite:// or postgresql://"
        )
    return "sqlite:///" + str(Path(value).expanduser())


def split_schema(url: str) -> tuple[str, str | None]:
    """Take a `schema=NAME` query parameter off a PostgreSQL URL: the ledger lives in that schema."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    if not url.startswith("postgresql"):
        return url, None
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), None)
    if schema is None:
        return url, None
    if not SCHEMA_NAME.match(schema):
        raise StoreError(
            f"schema {schema!r} is not a plain name (lower-case letters, digits and _)"
        )
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema


def configure_schema(engine: Engine, schema: str) -> None:
    """Every connection works in the named schema, created on first use."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        cursor.execute(f'SET search_path TO "{schema}"')
        cursor.close()
        dbapi_connection.commit()


# SQLite's page cache for a connection that writes (SQLite's default is 2 MiB). Each change adds
# rows to several indexed tables at places all over their indexes; on a store of a million
# changes, inserting 60,000 fact rows took 4.5 s with the default cache, 2.9 s with 128 MiB and
# 1.9 s with 256 MiB. A connection only grows its cache as it reads pages, so a small store's
# writer stays small; questions and rebuild workers, which only read, keep the default.
WRITER_CACHE_KIB = 196_608


def configure_sqlite(engine: Engine) -> None:
    """Let the ledger say BEGIN IMMEDIATE for writes: a writer takes the lock before it reads the
    history it validates against, so two processes never both validate against a stale log."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 60000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("ledger_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        if immediate:
            connection.exec_driver_sql(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")


EVENTS_TABLE = "ledger_events"
APPEND_LOCK = 0x1ED6E4  # the advisory lock key every ledger writer queues on (PostgreSQL)
# The stored events and the audit chain over them; nobody may rewrite either.
APPEND_ONLY_TABLES = (EVENTS_TABLE, "ledger_chain", "ledger_checkpoints")


def _sqlite_guards(table: str) -> dict[str, str]:
    """The triggers that refuse UPDATE and DELETE on a table, by name."""
    return {
        f"{table}_no_update": f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
    BEGIN SELECT RAISE(ABORT, '{table} is append-only: record a correction instead'); END""",
        f"{table}_no_delete": f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
    BEGIN SELECT RAISE(ABORT, '{table} is append-only: record a retraction instead'); END""",
    }


_PG_GUARD = "ledger_append_only"
PG_GUARD_BODY = """
BEGIN
  RAISE EXCEPTION '% is append-only: record a correction or retraction instead', TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END """
_PG_FUNCTION = (
    f"CREATE OR REPLACE FUNCTION {_PG_GUARD}() RETURNS trigger LANGUAGE plpgsql AS ${_PG_GUARD}$"
    f"{PG_GUARD_BODY}${_PG_GUARD}$"
)
_PG_TRIGGERS = {
    f"{_PG_GUARD}_rows": "BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW",
    f"{_PG_GUARD}_truncate": "BEFORE TRUNCATE ON {table} FOR EACH STATEMENT",
}
# The guards of the current schema's tables: (table, trigger, enabled), and the guard's body.
_PG_FOUND = """SELECT c.relname, t.tgname, t.tgenabled <> 'D'
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relnamespace = to_regnamespace(current_schema())
  AND t.tgfoid = to_regprocedure(current_schema() || '.ledger_append_only()')"""
_PG_SOURCE = "SELECT prosrc FROM pg_proc WHERE oid = to_regprocedure(current_schema() || '.ledger_append_only()')"


def guard_events(conn: Any) -> None:
    """Make the stored events and their chain append-only by construction: UPDATE, DELETE (and
    TRUNCATE) fail for everyone, the owner included. Made with the tables, and again only by
    `ledger init --restore-guards`: a guard that goes missing later is reported
    (`guard_faults`), never quietly put back."""
    from sqlalchemy import text

    if conn.dialect.name == "sqlite":
        present = {row[0] for row in conn.exec_driver_sql(_SQLITE_FOUND)}
        for table in APPEND_ONLY_TABLES:
            for name, statement in _sqlite_guards(table).items():
                if name in present:
                    conn.exec_driver_sql(f"DROP TRIGGER {name}")  # its body may be another's
                conn.execute(text(statement))
    elif conn.dialect.name == "postgresql":
        conn.execute(text(_PG_FUNCTION))
        for table in APPEND_ONLY_TABLES:
            for name, when in _PG_TRIGGERS.items():
                conn.execute(text(f"DROP TRIGGER IF EXISTS {name} ON {table}"))
                conn.execute(
                    text(
                        f"CREATE TRIGGER {name} {when.format(table=table)} "
                        f"EXECUTE FUNCTION {_PG_GUARD}()"
                    )
                )


_SQLITE_FOUND = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"


def guard_faults(conn: Any) -> list[str]:
    """What is wrong with the append-only guards, one line each (none: every guard is there, as
    the ledger made it, and enabled). One catalogue query or two: every write transaction asks."""
    from sqlalchemy import text

    faults: list[str] = []
    if conn.dialect.name == "sqlite":
        found = {name: sql for name, sql in conn.exec_driver_sql(_SQLITE_FOUND)}
        for table in APPEND_ONLY_TABLES:
            for name, statement in _sqlite_guards(table).items():
                if name not in found:
                    faults.append(f"the append-only guard {name} on {table} is missing")
                elif _words(found[name]) != _words(statement):
                    faults.append(f"the append-only guard {name} on {table} has been altered")
    elif conn.dialect.name == "postgresql":
        enabled = {(t, g): e for t, g, e in conn.execute(text(_PG_FOUND))}
        source = conn.execute(text(_PG_SOURCE)).scalar()
        if source is None or _words(source) != _words(PG_GUARD_BODY):
            faults.append(f"the append-only guard function {_PG_GUARD}() is missing or altered")
        for table in APPEND_ONLY_TABLES:
            for name in _PG_TRIGGERS:
                state = enabled.get((table, name))
                if state is None:
                    faults.append(f"the append-only guard {name} on {table} is missing")
                elif not state:
                    faults.append(f"the append-only guard {name} on {table} is disabled")
    return faults


def _words(sql: str) -> list[str]:
    return sql.split()
