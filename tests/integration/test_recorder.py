"""The ledger's recorder keeps eventsourcing's contract on a real store: events read back per
aggregate and in log order exactly as stored, in the table layout stores have always had."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa
from eventsourcing.persistence import ProgrammingError, StoredEvent

from ledger.bootstrap import Ledger
from tests.conftest import SOURCE, Cli
from tests.support.stores import ENGINE

pytestmark = pytest.mark.postgres(
    reason="the recorder's own SQL: positions under PostgreSQL's append lock, its column types"
)


@pytest.fixture
def devon(cli: Cli, ledger: Ledger) -> Ledger:
    # A body with three events (established, renamed, a fact) among others'.
    cli.ok("record", "established", "NEW Devon CCG", "--kind", "ccg", "-e", "2013-04-01", *SOURCE)
    cli.ok("record", "established", "South Devon and Torbay CCG", "--kind", "ccg", "-e", "2013-04-01", *SOURCE)  # fmt: skip
    cli.ok("record", "renamed", "NEW Devon CCG", "--name", "Northern, Eastern and Western Devon CCG", "-e", "2014-01", *SOURCE)  # fmt: skip
    cli.ok("record", "fact-recorded", "NEW Devon CCG", "budget", "1.2", "-e", "2015", *SOURCE)
    return ledger


def stored_rows(led: Ledger) -> list[tuple[int, UUID, int, str, bytes]]:
    table = led.app.events_table
    with led.app.engine.connect() as conn:
        rows = conn.execute(sa.select(table).order_by(table.c.id)).all()
    return [(int(r[0]), r[1], int(r[2]), str(r[3]), bytes(r[4])) for r in rows]


def test_events_read_back_per_aggregate_with_every_filter(ledger: Ledger) -> None:
    # The ledger stores each change once (version 1); eventsourcing's contract for an originator
    # with several versions still holds, as a log written by the first design has them.
    recorder = ledger.app.recorder
    body, other = uuid4(), uuid4()
    written = [
        StoredEvent(owner, version, "ledger.domain.events:Renamed", f"{owner}-{version}".encode())
        for owner, version in ((body, 1), (other, 1), (body, 2), (body, 3))
    ]
    with ledger.app.database.transaction(commit=True):
        recorder.insert_events(written)
    mine = [(e.originator_version, e.topic, e.state) for e in written if e.originator_id == body]
    assert [v for v, _, _ in mine] == [1, 2, 3]

    def read(**options: int | bool) -> list[tuple[int, str, bytes]]:
        events = recorder.select_events(body, **options)  # type: ignore[arg-type]
        assert all(e.originator_id == body for e in events)
        return [(e.originator_version, e.topic, e.state) for e in events]

    assert read() == mine
    assert read(gt=1) == mine[1:]
    assert read(lte=2) == mine[:2]
    assert read(desc=True, limit=2) == mine[::-1][:2]
    assert recorder.select_events(str(body)) == recorder.select_events(body)  # a str id too


def test_the_notification_log_is_the_table_in_position_order(devon: Ledger) -> None:
    rows = stored_rows(devon)
    recorder = devon.app.recorder
    assert recorder.max_notification_id() == rows[-1][0]
    log = recorder.select_notifications(start=None, limit=100)
    assert [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in log] == rows
    second = rows[1][0]
    assert [n.id for n in recorder.select_notifications(second, 2)] == [r[0] for r in rows[1:3]]
    after = recorder.select_notifications(second, 100, inclusive_of_start=False)
    assert [n.id for n in after] == [r[0] for r in rows[2:]]
    upto = recorder.select_notifications(None, 100, stop=second)
    assert [n.id for n in upto] == [r[0] for r in rows[:2]]
    renamed = [r[3] for r in rows if r[3].endswith(":Renamed")]
    assert [n.topic for n in recorder.select_notifications(None, 100, topics=renamed)] == renamed


def test_a_write_cannot_join_a_read(devon: Ledger) -> None:
    database = devon.app.database
    with (
        pytest.raises(ProgrammingError, match="cannot join"),
        database.transaction(commit=False),
        database.transaction(commit=True),
    ):
        pass


def test_the_events_table_keeps_its_layout(devon: Ledger) -> None:
    """Stores made by earlier versions (with eventsourcing-sqlalchemy's models) open unchanged."""
    with devon.app.engine.connect() as conn:
        indexes = {i["name"]: (i["column_names"], i["unique"]) for i in sa.inspect(conn).get_indexes("ledger_events")}  # fmt: skip
        if ENGINE == "sqlite":
            created = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = 'ledger_events'")).scalar()  # fmt: skip
            assert " ".join(str(created).split()) == (
                "CREATE TABLE ledger_events ( id INTEGER NOT NULL, originator_id BINARY(16) NOT NULL, "
                "originator_version INTEGER NOT NULL, topic TEXT NOT NULL, state BLOB NOT NULL, "
                "PRIMARY KEY (id) )"
            )
        else:
            columns = {c["name"]: str(c["type"]) for c in sa.inspect(conn).get_columns("ledger_events")}  # fmt: skip
            assert columns == {"id": "BIGINT", "originator_id": "UUID", "originator_version": "BIGINT", "topic": "TEXT", "state": "BYTEA"}  # fmt: skip
    assert indexes["ledger_events_aggregate_idx"] == (["originator_id", "originator_version"], True)
