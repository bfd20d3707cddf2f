"""Fresh stores for tests: a SQLite file, or a PostgreSQL database created and dropped around the use.

A fresh store is a copy of an empty ledger (its tables, indexes and append-only guards made, nothing
recorded) that this process prepared once: a copied file on SQLite, a database created from a
template database on PostgreSQL. Making the tables is most of what a new store costs, and each test
would otherwise pay it again. The prepared ledger lives as long as the process, under a name of its
own, so concurrent runs never share one. `empty_database` is a database with nothing in it at all,
for the tests of a ledger's first use.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

ENGINE = os.environ.get("LEDGER_TEST_DB", "sqlite").lower()
PG_ADMIN_URL = os.environ.get(
    "LEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def fresh_store() -> Iterator[str]:
    """The URL of an empty ledger of the engine under test, for this use alone, gone afterwards."""
    prepared = _prepared_ledger()
    if ENGINE == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copyfile(prepared, Path(tmp) / "ledger.db")
            yield f"sqlite:///{tmp}/ledger.db"
        return
    with _postgresql_database(template=prepared) as url:
        yield url


@contextmanager
def empty_database() -> Iterator[str]:
    """The URL of a database of the engine under test with nothing in it, gone afterwards."""
    if ENGINE == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/ledger.db"
        return
    with _postgresql_database() as url:
        yield url


@functools.cache
def _prepared_ledger() -> str:
    """The empty ledger every fresh store copies (a file path, or a PostgreSQL database's name),
    made on first use and removed when the process exits."""
    from ledger.bootstrap import open_ledger

    if ENGINE == "sqlite":
        folder = tempfile.mkdtemp(prefix="ledger_prepared_")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = Path(folder) / "ledger.db"
        open_ledger(f"sqlite:///{path}").close()
        # Closing the last connection folded the write-ahead log into the file: the file is all.
        assert not path.with_name("ledger.db-wal").exists()
        return str(path)
    name = _create_postgresql_database()
    atexit.register(_drop_postgresql_database, name)
    open_ledger(_postgresql_url(name)).close()
    return name


@contextmanager
def _postgresql_database(template: str | None = None) -> Iterator[str]:
    name = _create_postgresql_database(template)
    try:
        yield _postgresql_url(name)
    finally:
        _drop_postgresql_database(name)


def _create_postgresql_database(template: str | None = None) -> str:
    if ENGINE not in ("postgresql", "postgres"):
        raise ValueError(f"LEDGER_TEST_DB={ENGINE!r}: use sqlite or postgresql")
    name = f"ledger_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with _admin().connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"{copy}'))
    return name


def _drop_postgresql_database(name: str) -> None:
    with _admin().connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _postgresql_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


@functools.cache
def _admin() -> sa.Engine:
    """One connection to the server's maintenance database for the whole process, kept open."""
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    atexit.register(engine.dispose)
    return engine
