"""Wires the real adapters together: reads the environment once, opens the store, returns the ledger."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ledger.adapters.queries import Queries
from ledger.adapters.store import normalise_url, split_schema
from ledger.application.service import LedgerApp

DATABASE_ENV = "LEDGER_DATABASE_URL"


@dataclass
class Ledger:
    """The application (the one way in) and the read-only queries, on one store."""

    app: LedgerApp
    queries: Queries
    url: str

    def close(self) -> None:
        self.app.close()
        self.app.engine.dispose()


def database_url(explicit: str | None = None) -> str:
    return normalise_url(explicit or os.environ.get(DATABASE_ENV))


def open_ledger(url: str | None = None) -> Ledger:
    """Open (and on first use create) the ledger at URL, a path, or $LEDGER_DATABASE_URL, or ./ledger.db."""
    resolved, schema = split_schema(database_url(url))
    env = {
        "PERSISTENCE_MODULE": "ledger.adapters.recorder:LedgerFactory",
        "SQLALCHEMY_URL": resolved,
    }
    if schema:
        env["LEDGER_SCHEMA"] = (
            schema  # a PostgreSQL schema of its own: postgresql://.../db?schema=NAME
        )
    app = LedgerApp(env)
    return Ledger(app=app, queries=Queries(app.engine), url=resolved)
