"""`ledger rebuild` on a long log projects chunks of positions in worker processes and writes them in
order: here the chunks are forced small on a generated history (corrections, retractions), so that
corrections reach back into earlier chunks, and on a store written when a change was stored once per
aggregate it touched, so that chunks also cut through the copies of one change; the read model must
come out exactly as the in-process rebuild makes it."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
import sqlalchemy as sa
from benchmarks.generate import generate

from ledger.adapters.readmodel import stored_change_id
from ledger.application import rebuild
from ledger.bootstrap import Ledger, open_ledger
from tests.conftest import Cli
from tests.integration.test_bulk import snapshot
from tests.integration.test_stored_once import old_store

pytestmark = pytest.mark.postgres(
    reason="`ledger rebuild` on PostgreSQL, in one process and in workers with connections of their own"
)

CHUNK = 41


@pytest.fixture
def history(cli: Cli, tmp_path: Path) -> Iterator[Ledger]:
    generate(1500, tmp_path / "changes")
    cli.ok("import", str(tmp_path / "changes"))
    led = open_ledger(cli.url)
    yield led
    led.close()


def chunk_of(position: int) -> int:
    return (position - 1) // CHUNK


def test_workers_rebuild_the_read_model_as_one_process_does(
    cli: Cli, history: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    with history.app.engine.connect() as conn:
        states = conn.execute(sa.text("SELECT id, state FROM ledger_events ORDER BY id")).all()
        corrections = conn.execute(
            sa.text(
                "SELECT old.position, new.position FROM ledger_changes new "
                "JOIN ledger_changes old ON old.change_id = new.supersedes"
            )
        ).all()
    # What the small chunks must get right: a correction of a change in an earlier chunk (each
    # change is one stored event here).
    ids = [stored_change_id(bytes(state)) for _, state in states]
    assert len(ids) == len(set(ids))
    assert any(chunk_of(old) < chunk_of(new) for old, new in corrections)
    _rebuilds_alike(cli, history, monkeypatch)


def _rebuilds_alike(cli: Cli, led: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    led.app.rebuild(workers=0)
    expected = snapshot(cli.url)
    monkeypatch.setattr(rebuild, "PARALLEL_FROM", 100)
    monkeypatch.setattr(rebuild, "CHUNK", CHUNK)
    led.app.rebuild(workers=2)
    assert snapshot(cli.url) == expected
    assert "the read model equals a rebuild" in cli.ok("verify")


def test_workers_rebuild_a_store_of_per_aggregate_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = Cli(old_store(tmp_path), tmp_path)
    led = open_ledger(old.url)
    try:
        with led.app.engine.connect() as conn:
            states = conn.execute(sa.text("SELECT id, state FROM ledger_events ORDER BY id")).all()
        # A change whose stored copies straddle two chunks.
        ids = [(position, stored_change_id(bytes(state))) for position, state in states]
        assert any(a[1] == b[1] and chunk_of(a[0]) != chunk_of(b[0]) for a, b in pairwise(ids))
        _rebuilds_alike(old, led, monkeypatch)
    finally:
        led.close()
