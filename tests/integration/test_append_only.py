"""The past is append-only by construction: the stored events refuse UPDATE and DELETE, even for
the owner of the tables, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ledger.adapters.store import normalise_url
from tests.conftest import SOURCE, Cli

pytestmark = pytest.mark.postgres(
    reason="the append-only guard is a PL/pgSQL trigger on PostgreSQL"
)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_events SET topic = 'forged'",
        "UPDATE ledger_events SET state = state WHERE id = 1",
        "DELETE FROM ledger_events",
        "DELETE FROM ledger_events WHERE id = 1",
    ],
)
def test_the_owner_cannot_rewrite_or_delete_stored_events(
    cli: Cli, store_fingerprint, statement: str
) -> None:
    cli.ok("record", "established", "NEW Devon CCG", "--kind", "ccg", "-e", "2013-04-01", *SOURCE)
    before = store_fingerprint()
    engine = sa.create_engine(normalise_url(cli.url))
    try:
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    finally:
        engine.dispose()
    assert store_fingerprint() == before
    # The ledger itself keeps working.
    cli.ok(
        "record",
        "renamed",
        "NEW Devon CCG",
        "--name",
        "Northern, Eastern and Western Devon CCG",
        "-e",
        "2014",
        *SOURCE,
    )
