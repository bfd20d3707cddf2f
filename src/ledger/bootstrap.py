"""Wires the real adapters together: reads the environment once, opens the store, returns the ledger.

`open_ledger` builds the application (the one way in, for anything that appends); `open_reader`
opens only the read model, for questions, without importing eventsourcing or building the app.
Each imports what it uses when it is called: a command pays only for its own path at start-up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from ledger.adapters.store import normalise_url, split_schema

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ledger.application.service import LedgerApp
    from ledger.views.questions import Queries

DATABASE_ENV = "LEDGER_DATABASE_URL"


@dataclass
class Ledger:
    """The application (the one way in) and the read-only queries, on one store."""

    app: LedgerApp
    url: str

    @cached_property
    def queries(self) -> Queries:
        """Built when first asked: recording a change needs none."""
        from ledger.views.questions import Queries

        return Queries(self.app.engine)

    def close(self) -> None:
        self.app.close()
        self.app.engine.dispose()


@dataclass
class Reader:
    """The read-only queries alone, on the read model of a store."""

    queries: Queries
    url: str
    engine: Engine
    app: LedgerApp | None = None  # only for an in-memory store, which lives in the app's engine

    def close(self) -> None:
        if self.app is not None:
            self.app.close()
        self.engine.dispose()


def database_url(explicit: str | None = None) -> str:
    return normalise_url(explicit or os.environ.get(DATABASE_ENV))


NO_LEDGER = "no ledger at {where}: create one with `ledger init`, or `ledger import FILE...`"


def _sqlite_file(resolved: str) -> str | None:
    """The file a SQLite URL names (None for an in-memory store or a URI filename)."""
    path = resolved.removeprefix("sqlite:///")
    if path == resolved or not path or path.startswith("file:"):
        return None
    return path


def _safe(resolved: str, schema: str | None) -> str:
    """A URL fit to print, as a user writes it: without its password or driver."""
    from sqlalchemy.engine import make_url

    url = make_url(resolved).set(drivername="postgresql")
    return url.render_as_string(hide_password=True) + (f"?schema={schema}" if schema else "")


def open_ledger(url: str | None = None, *, create: bool = True) -> Ledger:
    """Open the ledger at URL, a path, or $LEDGER_DATABASE_URL, or ./ledger.db; on first use create
    it, unless `create` is false (a question, or a command acting on what is recorded): then a
    missing ledger is refused in one line naming where it looked."""
    from ledger.application.service import LedgerApp

    resolved, schema = split_schema(database_url(url))
    if not create:
        _require(resolved, schema)
    env = {
        "PERSISTENCE_MODULE": "ledger.adapters.recorder:LedgerFactory",
        "SQLALCHEMY_URL": resolved,
    }
    if schema:
        env["LEDGER_SCHEMA"] = (
            schema  # a PostgreSQL schema of its own: postgresql://.../db?schema=NAME
        )
    app = LedgerApp(env)
    return Ledger(app=app, url=resolved)


def _require(resolved: str, schema: str | None) -> None:
    """Refuse (StoreUnavailable) when there is no ledger at the URL: no file, or no events table."""
    from sqlalchemy import create_engine, inspect

    from ledger.adapters.store import EVENTS_TABLE
    from ledger.application.errors import StoreUnavailable

    if resolved == "sqlite://":
        return
    path = _sqlite_file(resolved)
    if path is not None:
        if not os.path.exists(path):
            raise StoreUnavailable(NO_LEDGER.format(where=path))
        return
    try:
        engine = create_engine(resolved)
    except Exception:  # the application says why, in one line
        return
    try:
        with engine.connect() as conn:
            found = inspect(conn).has_table(EVENTS_TABLE, schema=schema)
    except Exception:  # unreachable or unreadable: the application says why, in one line
        return
    finally:
        engine.dispose()
    if not found:
        raise StoreUnavailable(NO_LEDGER.format(where=_safe(resolved, schema)))


def open_reader(url: str | None = None) -> Reader:
    """Open the read model at URL for questions only; where there is no ledger, refuse
    (StoreUnavailable) rather than make one. A store whose read model lacks a table or an index
    this version uses is first opened (and so brought up to date) by the application, once."""
    from sqlalchemy import create_engine

    from ledger.adapters.store import StoreError, configure_schema, configure_sqlite
    from ledger.adapters.tables import read_model_complete
    from ledger.views.questions import Queries

    resolved, schema = split_schema(database_url(url))
    path = _sqlite_file(resolved)
    if path is not None and not os.path.exists(path):
        from ledger.application.errors import StoreUnavailable

        raise StoreUnavailable(NO_LEDGER.format(where=path))
    if resolved == "sqlite://":
        led = open_ledger(url)
        return Reader(queries=led.queries, url=resolved, engine=led.app.engine, app=led.app)
    try:
        engine = create_engine(resolved)
    except Exception as exc:  # a malformed URL or a missing driver
        raise StoreError(f"cannot open the ledger store: {exc}") from None
    if schema:
        configure_schema(engine, schema)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    try:
        with engine.connect() as conn:
            complete = read_model_complete(conn)
    except Exception:  # unreachable or unreadable: the application says why, in one line
        complete = False
    if not complete:
        engine.dispose()
        open_ledger(url, create=False).close()
        engine = create_engine(resolved)
        if schema:
            configure_schema(engine, schema)
        if engine.dialect.name == "sqlite":
            configure_sqlite(engine)
    return Reader(queries=Queries(engine), url=resolved, engine=engine)
