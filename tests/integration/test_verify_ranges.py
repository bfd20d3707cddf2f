"""`verify` cuts a long log into ranges for its read-model check (in worker processes) and settles
across ranges what one range cannot: here the cuts are forced through the bundled Devon ledger, on
the engine under test, and through a change stored on several aggregates in a store written when a
change was stored once per aggregate it touched (tests/fixtures/store-v1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ledger.adapters.readmodel import stored_change_id
from ledger.application import readmodel_check
from ledger.application.audit import Audit
from ledger.bootstrap import Ledger, open_ledger
from tests.conftest import Cli
from tests.integration.test_stored_once import old_store

pytestmark = pytest.mark.postgres(
    reason="verify compares rows read raw from PostgreSQL (native dates and booleans) with projected ones, in workers"
)

EVENTS = Path(__file__).resolve().parents[2] / "events"


@pytest.fixture
def devon(cli: Cli) -> Iterator[Ledger]:
    cli.ok("import", str(EVENTS))
    led = open_ledger(cli.url)
    yield led
    led.close()


@pytest.fixture
def old(tmp_path: Path) -> Iterator[Ledger]:
    led = open_ledger(old_store(tmp_path))
    yield led
    led.close()


def shared_change(led: Ledger) -> int:
    """The last position of the first change stored as more than one event (a merger, a split)."""
    with led.app.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, state FROM ledger_events ORDER BY id")).all()
    ids = [stored_change_id(bytes(state)) for _, state in rows]
    return next(rows[i][0] for i in range(1, len(ids)) if ids[i] == ids[i - 1])


def merger(led: Ledger) -> int:
    """The position of the bundled ledger's merger (a change touching several bodies)."""
    with led.app.engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT position FROM ledger_changes WHERE kind = 'merged'")
            ).scalar_one()
        )


def findings(led: Ledger, **options: int) -> list[str]:
    report = Audit(led.app).verify(**options)
    return [f.line() for f in report.findings]


def last_position(led: Ledger) -> int:
    with led.app.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT MAX(id) FROM ledger_events")).scalar_one())


def test_ranges_cut_through_a_change_agree_with_the_read_model(old: Ledger) -> None:
    # The change whose events are at positions cut-1 and cut is checked in two ranges: the second
    # projects it again where the read model (rightly) holds nothing, and the whole log settles it.
    cut = shared_change(old)
    until = last_position(old)
    with old.app.engine.connect() as conn:
        decode = old.app.mapper.decode
        partials = [
            readmodel_check.check_range(conn, decode, 0, cut - 1),
            readmodel_check.check_range(conn, decode, cut - 1, until),
        ]
        assert partials[1].unmatched, "the cut should fall inside a change"
        assert readmodel_check.conclude(conn, partials, until) == []


def test_batches_and_worker_processes_agree_with_the_read_model(
    devon: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readmodel_check.RangeCheck, "BATCH", 7)
    assert findings(devon, workers=0) == []
    monkeypatch.setattr(readmodel_check, "SMALLEST_RANGE", 70)
    assert len(readmodel_check.ranges(last_position(devon), 3)) == 3
    assert findings(devon, workers=3) == []


@pytest.mark.parametrize("workers", [0, 3])
def test_a_changed_row_in_a_later_range_is_named(
    devon: Ledger, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    monkeypatch.setattr(readmodel_check, "SMALLEST_RANGE", 70)
    with devon.app.engine.begin() as conn:
        position = conn.execute(
            sa.text(
                "SELECT known_from FROM ledger_facts WHERE aspect = 'name' AND known_from > 160 "
                "ORDER BY known_from LIMIT 1"
            )
        ).scalar_one()
        conn.execute(
            sa.text("UPDATE ledger_facts SET value = 'Elsewhere' WHERE known_from = :p"),
            {"p": position},
        )
    assert findings(devon, workers=workers) == [
        f"position {position}: the read model's ledger_facts differs from a rebuild"
    ]


@pytest.mark.parametrize("workers", [0, 3])
def test_a_change_missing_from_the_read_model_is_not_excused(
    devon: Ledger, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    # Rows projected where the live table has none are excused only for a change the read model
    # holds at an earlier position; a change deleted outright is named.
    monkeypatch.setattr(readmodel_check, "SMALLEST_RANGE", 70)
    cut = merger(devon) + 1
    with devon.app.engine.begin() as conn:
        change = conn.execute(
            sa.text("SELECT change_id FROM ledger_changes WHERE position = :p"), {"p": cut - 1}
        ).scalar_one()
        conn.execute(sa.text("DELETE FROM ledger_facts WHERE change_id = :c"), {"c": change})
        conn.execute(sa.text("DELETE FROM ledger_changes WHERE change_id = :c"), {"c": change})
    lines = findings(devon, workers=workers)
    assert f"position {cut - 1}: the read model's ledger_changes differs from a rebuild" in lines
    assert f"position {cut - 1}: the read model's ledger_facts differs from a rebuild" in lines
