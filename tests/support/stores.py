"""Fresh stores for tests: a SQLite file, or a PostgreSQL database created and dropped around the use."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

ENGINE = os.environ.get("LEDGER_TEST_DB", "sqlite").lower()
PG_ADMIN_URL = os.environ.get(
    "LEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def fresh_store() -> Iterator[str]:
    """The URL of an empty store of the engine under test, gone afterwards."""
    if ENGINE == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/ledger.db"
        return
    if ENGINE not in ("postgresql", "postgres"):
        raise ValueError(f"LEDGER_TEST_DB={ENGINE!r}: use sqlite or postgresql")
    name = f"ledger_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
