"""Two writers racing on the same body: one wins, the other gets a clear conflict naming the body,
and nothing of the loser is written. (On SQLite the write lock is taken before validation, so
writers queue instead of racing; the race itself needs PostgreSQL.)"""

from __future__ import annotations

import threading

import pytest

from ledger.application.commands import parse_change
from ledger.application.errors import ConcurrentChange
from ledger.application.service import change_id_for, request_digest
from ledger.bootstrap import open_ledger
from tests.conftest import fingerprint
from tests.support.stores import ENGINE

pytestmark = pytest.mark.postgres(
    reason="PostgreSQL writers validate optimistically and queue on the advisory lock only to insert: only they race"
)


def rename(new_name: str, effective: str) -> object:
    return parse_change({"change": "renamed", "organisation": "NEW Devon CCG", "name": new_name,
                         "effective": effective, "recorder": "r", "reason": "race",
                         "sources": [{"source": "s", "locator": "l"}]})  # fmt: skip


@pytest.mark.skipif(
    ENGINE == "sqlite", reason="SQLite writers queue on the write lock; runs in the PostgreSQL pass"
)
def test_the_loser_of_a_race_gets_a_conflict_naming_the_body(db_url: str) -> None:
    a, b = open_ledger(db_url), open_ledger(db_url)
    try:
        a.app.record(parse_change({"change": "established", "organisation": "NEW Devon CCG", "kind": "ccg",
                                   "effective": "2013-04-01", "recorder": "r", "reason": "setup",
                                   "sources": [{"source": "s", "locator": "l"}]}))  # fmt: skip
        loser, winner = rename("Loser name", "2015"), rename("Winner name", "2016")
        # Writer A has read the body's history and validated its change ...
        with pytest.raises(ConcurrentChange, match="NEW Devon CCG"), a.app.writing() as conn:
            event = a.app._build(conn, loser, change_id_for(loser), request_digest(loser))
            aggregates = a.app._touch(event)
            # ... when writer B, in another connection, records a change to the same body.
            racer = threading.Thread(target=lambda: b.app.record(winner))
            racer.start()
            racer.join()
            before = fingerprint(db_url)
            a.app.save(*(e for x in aggregates for e in x.collect_events()))
        # B's change is in; nothing of A's is.
        assert fingerprint(db_url) == before
        assert "Winner name" in [c["summary"].split(" renamed ")[-1] for c in a.queries.log()]
        assert all("Loser" not in c["summary"] for c in a.queries.log())
        # Recorded again, A's change is checked against the new history and goes in.
        assert a.app.record(loser).status == "recorded"
    finally:
        a.close()
        b.close()
