"""PostgreSQL roles that keep each user in their lane: readers query, recorders append.

Neither can UPDATE or DELETE a stored event (nobody can: see store.guard_events). A recorder may
update the read model, which is a cache of the log that `ledger rebuild` can always recompute.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ledger.adapters.audit import AUDIT_TABLES
from ledger.adapters.store import EVENTS_TABLE
from ledger.adapters.tables import READ_MODEL_TABLES

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleError(ValueError):
    """A role that cannot be granted here."""


def grant(conn: Connection, role: str, name: str) -> list[str]:
    """Create the login role NAME if needed and grant it the rights of a reader or recorder."""
    if conn.dialect.name != "postgresql":
        raise RoleError(
            "roles need a PostgreSQL ledger; a SQLite file is protected by file permissions"
        )
    if role not in ("reader", "recorder"):
        raise RoleError(f"unknown role {role!r}: use reader or recorder")
    if not ROLE_NAME.match(name):
        raise RoleError(f"{name!r} is not a plain role name (lower-case letters, digits and _)")
    schema = conn.execute(text("SELECT current_schema()")).scalar()
    database = conn.execute(text("SELECT current_database()")).scalar()
    statements = []
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first()
    if not exists:
        statements.append(f'CREATE ROLE "{name}" LOGIN')
    read_model = ", ".join(t.name for t in READ_MODEL_TABLES)
    audit = ", ".join(t.name for t in AUDIT_TABLES)
    statements += [
        f'GRANT CONNECT ON DATABASE "{database}" TO "{name}"',
        f'GRANT USAGE ON SCHEMA "{schema}" TO "{name}"',
        f'GRANT SELECT ON {EVENTS_TABLE}, {read_model}, {audit} TO "{name}"',
    ]
    if role == "recorder":
        statements += [
            f'GRANT INSERT ON {EVENTS_TABLE}, {audit} TO "{name}"',
            f'GRANT INSERT, UPDATE ON {read_model} TO "{name}"',
            f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{name}"',
        ]
    for statement in statements:
        conn.execute(text(statement))
    return statements
