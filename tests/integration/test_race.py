"""Two writers on the same body: the writers are serialised, so the second waits for the first to
commit and is then checked against its change (and refused if the two contradict each other);
nothing of a refused change is written. Both engines: SQLite queues on its write lock, PostgreSQL on
the append lock, taken before anything is read."""

from __future__ import annotations

import threading

import pytest

from ledger.application.commands import parse_change
from ledger.application.errors import Refused
from ledger.bootstrap import open_ledger
from tests.conftest import fingerprint

pytestmark = pytest.mark.postgres(
    reason="PostgreSQL writers queue on the append lock: the serialisation is PostgreSQL's own behaviour"
)


def change(change: str, effective: str, **fields: str) -> object:
    return parse_change({"change": change, "organisation": "NEW Devon CCG", "effective": effective,
                         "recorder": "r", "reason": "race", "sources": [{"source": "s", "locator": "l"}],
                         **fields})  # fmt: skip


def test_a_second_writer_waits_and_is_checked_against_the_first(db_url: str) -> None:
    a, b = open_ledger(db_url), open_ledger(db_url)
    try:
        a.app.record(change("established", "2013-04-01", kind="ccg"))
        b.queries.log()  # B has looked at the store (and kept nothing that could go stale)
        outcome: list[object] = []

        def rename() -> None:
            try:
                outcome.append(b.app.record(change("renamed", "2017", name="Too late")))
            except Refused as exc:
                outcome.append(exc)

        racer = threading.Thread(target=rename)
        with a.app.writing():
            # A holds the writer's lock: B's rename must wait for it ...
            a.app.record(change("closed", "2016-04-01"))
            racer.start()
            racer.join(timeout=1.0)
            assert racer.is_alive() and not outcome, "the second writer did not wait"
        # ... and, once A has committed its closure, is refused against it.
        racer.join(timeout=30)
        assert not racer.is_alive()
        assert len(outcome) == 1 and isinstance(outcome[0], Refused), outcome
        assert "after it closed" in str(outcome[0])
        # B's refusal wrote nothing: two changes, two stored events, both read-model rows.
        assert fingerprint(db_url)[0] == 2 and fingerprint(db_url)[2] == 2
        assert [c["kind"] for c in a.queries.log()] == ["established", "closed"]
        # B goes on recording what the history allows.
        assert b.app.record(change("renamed", "2015", name="Renamed in time")).status == "recorded"
    finally:
        a.close()
        b.close()
