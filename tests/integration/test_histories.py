"""The histories a process keeps between batches (the write path's index of each body's and post's
timeline) are always what reading them back from the log gives: after random histories with plans,
corrections and retractions, and after another writer has changed some of the same bodies."""

from __future__ import annotations

from contextlib import suppress
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.application.commands import parse_change
from ledger.application.errors import LedgerError
from ledger.application.histories import Histories
from ledger.bootstrap import open_ledger
from ledger.domain.declaration import WITH_HISTORY
from ledger.domain.model import Entity, Organisation
from tests.support.histories import build_bitemporal_history
from tests.support.stores import fresh_store

pytestmark = pytest.mark.postgres(
    reason="the histories are read back through ledger_parties and the recorder on PostgreSQL too"
)


def _summary(entity: Entity) -> dict[str, Any]:
    """What the checks read of a history: its entries (by change), and an organisation's name and
    kind, and the conflicts found in it (none, in a history the ledger accepted)."""
    entries = {
        key: (e.kind, str(e.effective), e.role, e.planned, e.name, e.org_kind, e.period, e.moves)
        for key, e in entity.entries.items()
    }
    found: dict[str, Any] = {"version": entity.version, "entries": entries}
    if isinstance(entity, Organisation):
        found.update(name=entity.name, kind=entity.org_kind)
    found["conflicts"] = [str(c) for c in entity.conflicts()]
    return found


def _rename_some(url: str, names: list[str], seed: int) -> None:
    """Another writer, in its own process's sense (its own application), renames a few bodies."""
    other = open_ledger(url)
    try:
        for n, name in enumerate(names[seed % 3 :: 3][:4]):
            with suppress(LedgerError):  # a body closed by then, say
                other.app.record(parse_change({
                    "change": "renamed", "organisation": name, "name": f"{name} (renamed {n})",
                    "effective": "2024-01-01", "recorder": "other", "reason": "another writer",
                    "sources": [{"source": "s", "locator": "l"}],
                }))  # fmt: skip
    finally:
        other.close()


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=10_000))
def test_the_histories_kept_between_batches_are_those_read_back_from_the_log(seed: int) -> None:
    with fresh_store() as url:
        ledger = open_ledger(url)
        try:
            build_bitemporal_history(ledger, seed, 120)
            with ledger.app.engine.connect() as conn:
                rows = conn.exec_driver_sql(
                    "SELECT name FROM ledger_entities WHERE entity = 'organisation' ORDER BY name"
                ).all()
            names = [r[0] for r in rows]
            _rename_some(url, names, seed)
            # One more change of this process: it looks at what the other writer did first.
            build_bitemporal_history(ledger, seed + 1, 5)
            kept = {
                key: entity
                for key, entity in ledger.app.aggregates._items.items()
                if entity.entity_type in WITH_HISTORY
            }
            assert kept, "the process keeps the histories it checked"
            fresh: dict[UUID, Entity] = {}
            reader = Histories(ledger.app.events_table, ledger.app.mapper)  # type: ignore[arg-type]
            with ledger.app.engine.connect() as conn:
                reader.load(conn, {e.id: e.entity_type for e in kept.values()}, fresh)
            for entity in kept.values():
                assert _summary(entity) == _summary(fresh[entity.id]), entity.label
        finally:
            ledger.close()
