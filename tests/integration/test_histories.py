"""The histories a process keeps between batches, and those the write path reads back from the
timeline rows of `ledger_parties` (the write path's index of each body's and post's timeline), are
always what replaying the log gives: after random histories with plans, corrections and
retractions, and after another writer has changed some of the same bodies."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import fields
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.adapters.audit import stored_records
from ledger.adapters.readmodel import ChangeReader
from ledger.application.commands import parse_change
from ledger.application.errors import LedgerError
from ledger.application.histories import Histories
from ledger.bootstrap import open_ledger
from ledger.domain.declaration import WITH_HISTORY
from ledger.domain.model import Entity, Organisation, new_entity
from tests.support.histories import build_bitemporal_history
from tests.support.stores import fresh_store

pytestmark = pytest.mark.postgres(
    reason="the histories are read back through ledger_parties and the recorder on PostgreSQL too"
)


def _summary(entity: Entity) -> dict[str, Any]:
    """What the checks read of a history: its entries (by change), and an organisation's name and
    kind, and the conflicts found in it (none, in a history the ledger accepted)."""
    entries = {
        key: tuple(getattr(e, f.name) for f in fields(e)) for key, e in entity.entries.items()
    }
    found: dict[str, Any] = {"version": entity.version, "entries": entries}
    if isinstance(entity, Organisation):
        found.update(name=entity.name, kind=entity.org_kind)
    found["conflicts"] = [str(c) for c in entity.conflicts()]
    return found


def _replayed(url: str, wanted: dict[UUID, str]) -> dict[UUID, Entity]:
    """The full computation: every stored change read from the log and taken into the timelines
    of the entities it touches, in log order."""
    ledger = open_ledger(url)
    try:
        found = {entity_id: new_entity(entity, entity_id) for entity_id, entity in wanted.items()}
        reader = ChangeReader(ledger.app.mapper.decode)
        with ledger.app.engine.connect() as conn:
            for record in stored_records(conn):
                change = reader.read(
                    record.topic, record.originator_id, record.originator_version, record.state
                )
                for party in change.parties():
                    entity = found.get(UUID(str(party.id)))
                    if entity is not None and entity.role_of(change) == party.role:
                        entity.apply(change)
        return found
    finally:
        ledger.close()


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
def test_the_histories_kept_and_read_back_are_those_the_log_replays(seed: int) -> None:
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
            wanted = {e.id: e.entity_type for e in kept.values()}
            fresh: dict[UUID, Entity] = {}
            reader = Histories(ledger.app.events_table)  # type: ignore[arg-type]
            with ledger.app.engine.connect() as conn:
                reader.load(conn, wanted, fresh)
            replayed = _replayed(url, wanted)
            for entity in kept.values():
                assert _summary(entity) == _summary(replayed[entity.id]), entity.label
                assert _summary(fresh[entity.id]) == _summary(replayed[entity.id]), entity.label
        finally:
            ledger.close()
