"""PostgreSQL roles that keep each user in their lane: readers query, auditors also see which
database user appended what, recorders append through the ledger's functions (docs/roles.md).

None of them holds INSERT, UPDATE or DELETE on any of the ledger's tables: a recorder appends, seals
and projects only through the functions the owner owns (adapters/guarded.py), and nobody, the owner
included, can UPDATE or DELETE a stored event (store.guard_events).
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ledger.adapters.audit import AUDIT_TABLES
from ledger.adapters.guarded import APPENDS_TABLE, SIGNATURES
from ledger.adapters.store import EVENTS_TABLE
from ledger.adapters.tables import READ_MODEL_TABLES

ROLES = ("reader", "auditor", "recorder")
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleError(ValueError):
    """A role that cannot be granted here."""


def grant(conn: Connection, role: str, name: str) -> list[str]:
    """Create the login role NAME if needed and grant it the rights of a reader, an auditor or a
    recorder (and none it held beyond them on the ledger's tables)."""
    if conn.dialect.name != "postgresql":
        raise RoleError(
            "roles need a PostgreSQL ledger; a SQLite file is protected by file permissions"
        )
    if role not in ROLES:
        raise RoleError(f"unknown role {role!r}: use reader, auditor or recorder")
    if not ROLE_NAME.match(name):
        raise RoleError(f"{name!r} is not a plain role name (lower-case letters, digits and _)")
    schema = conn.execute(text("SELECT current_schema()")).scalar()
    database = conn.execute(text("SELECT current_database()")).scalar()
    statements = []
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first()
    if not exists:
        statements.append(f'CREATE ROLE "{name}" LOGIN')
    tables = ", ".join([EVENTS_TABLE, *(t.name for t in (*READ_MODEL_TABLES, *AUDIT_TABLES))])
    statements += [
        f'GRANT CONNECT ON DATABASE "{database}" TO "{name}"',
        f'GRANT USAGE ON SCHEMA "{schema}" TO "{name}"',
        # What an earlier version granted a recorder directly, taken back: only the functions write.
        f'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {tables}, {APPENDS_TABLE} FROM "{name}"',
        f'REVOKE USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" FROM "{name}"',
        f'GRANT SELECT ON {tables} TO "{name}"',
    ]
    if role == "auditor":
        statements.append(f'GRANT SELECT ON {APPENDS_TABLE} TO "{name}"')
    if role == "recorder":
        functions = ", ".join(SIGNATURES)
        statements.append(f'GRANT EXECUTE ON FUNCTION {functions} TO "{name}"')
    for statement in statements:
        conn.execute(text(statement))
    return statements
