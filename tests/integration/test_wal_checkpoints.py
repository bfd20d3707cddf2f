"""SQLite's write-ahead log checkpointed on a thread of its own during a bulk import
(`ledger.adapters.store.background_checkpoints`): on a real SQLite file, since the behaviour is
about that file and its log."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from ledger.adapters.store import (
    WAL_AUTOCHECKPOINT_PAGES,
    background_checkpoints,
    configure_sqlite,
)

ROWS = 3_000  # of 2 KiB: about 1,500 pages, past SQLite's 1,000-page autocheckpoint


@pytest.fixture
def engine(tmp_path: Path) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{tmp_path}/store.db")
    configure_sqlite(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
    return engine


def write(engine: sa.Engine, start: int) -> int:
    """One write transaction, as the ledger opens them; the writer's autocheckpoint setting."""
    with engine.connect().execution_options(ledger_write=True) as conn, conn.begin():
        conn.exec_driver_sql(
            "INSERT INTO t (id, body) VALUES (?, randomblob(2048))",
            [(i,) for i in range(start, start + ROWS)],
        )
        pages: int = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
    return pages


def database_pages(path: Path) -> int:
    """Pages in the database file itself: what checkpoints have copied there from the log."""
    return path.stat().st_size // 4096


def test_a_commit_checkpoints_itself_outside_and_leaves_it_to_the_thread_inside(
    engine: sa.Engine, tmp_path: Path
) -> None:
    db = tmp_path / "store.db"
    assert write(engine, 0) == WAL_AUTOCHECKPOINT_PAGES
    after_own_checkpoint = database_pages(db)
    assert after_own_checkpoint > ROWS // 2  # the commit copied its pages into the file

    with background_checkpoints(engine) as checkpoint:
        assert write(engine, ROWS) == 0
        assert database_pages(db) == after_own_checkpoint  # committed, still only in the log
        checkpoint()
    # Leaving waits for the thread's last checkpoint: the second transaction is in the file.
    assert database_pages(db) > after_own_checkpoint + ROWS // 2

    assert write(engine, 2 * ROWS) == WAL_AUTOCHECKPOINT_PAGES  # the writer's own again
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 3 * ROWS


def test_nothing_is_done_for_a_store_in_memory() -> None:
    engine = sa.create_engine("sqlite://")
    with background_checkpoints(engine) as checkpoint:
        checkpoint()


def test_if_the_thread_cannot_checkpoint_the_writer_checkpoints_again(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.adapters import store

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(store.sqlite3, "connect", refuse)
    with background_checkpoints(engine):
        deadline = time.monotonic() + 10
        while engine in store._checkpointed_elsewhere and time.monotonic() < deadline:
            time.sleep(0.01)
        assert write(engine, 0) == WAL_AUTOCHECKPOINT_PAGES
