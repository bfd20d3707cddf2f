"""The histories the write path checks a change against: the timeline of each body and post it
touches, read back from the changes `ledger_parties` lists for it, and kept by this process between
batches until another writer changes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast
from uuid import UUID

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.engine import Connection

from ledger.adapters.tables import chunks
from ledger.adapters.tables import parties as parties_table
from ledger.application.batch import AggregateCache
from ledger.application.errors import Refused
from ledger.domain.declaration import WITH_HISTORY
from ledger.domain.events import ChangeEvent
from ledger.domain.model import Conflict, Entity, new_entity

if TYPE_CHECKING:
    from ledger.adapters.mapper import PydanticMapper


class Histories:
    """Reads histories back from the log (`events_table`, decoded by `mapper`), and keeps those
    last committed by this process in `cache`."""

    def __init__(self, events_table: Table, mapper: PydanticMapper) -> None:
        self.events_table = events_table
        self.mapper = mapper
        self.cache = AggregateCache()
        # Built once: each write asks them, and building them each time cost more than running them.
        t, p = events_table.c, parties_table.c
        self._head = select(func.max(t.id))
        self._touched_since = select(p.party).where(p.position > bindparam("since"))
        self._parties = select(p.position, p.party).where(
            p.party.in_(bindparam("parties", expanding=True))
        )
        self._changes = (
            select(t.id, t.originator_id, t.originator_version, t.topic, t.state)
            .where(t.id.in_(bindparam("positions", expanding=True)))
            .order_by(t.id)
        )

    def refresh(self, conn: Connection) -> None:
        """Drop cached histories of the bodies and posts that another writer has changed since this
        process last looked (called holding the writer's lock, so nothing changes meanwhile)."""
        head = int(conn.execute(self._head).scalar() or 0)
        since, self.cache.position = self.cache.position, head
        if not len(self.cache) or head == since:
            return
        for party in conn.execute(self._touched_since, {"since": since}).scalars():
            self.cache.forget(UUID(party))

    def load(
        self,
        conn: Connection,
        parties: dict[UUID, str],
        into: dict[UUID, Entity],
        *,
        use_cache: bool = False,
    ) -> None:
        """Put every named entity into `into`: from the cache, else its history read back, the
        changes `ledger_parties` lists for it decoded once each, with one query per few hundred
        entities. A person or a function, whose checks read no history, starts empty."""
        wanted = [i for i in parties if i not in into]
        missing: list[str] = []
        for entity_id in wanted:
            cached = self.cache.take(entity_id) if use_cache else None
            if cached is not None:
                into[entity_id] = cached
            elif parties[entity_id] in WITH_HISTORY:
                missing.append(entity_id.hex)
        owners: dict[int, list[UUID]] = {}  # position of a stored change -> whose history has it
        for chunk in chunks(missing):
            for position, party in conn.execute(self._parties, {"parties": chunk}):
                owners.setdefault(int(position), []).append(UUID(party))
        decode = self.mapper.decode
        for positions in chunks(sorted(owners)):
            rows = conn.execute(self._changes, {"positions": positions})
            for position, originator, version, topic, state in rows:
                event = cast(ChangeEvent, decode(topic, originator, int(version), bytes(state)))
                for owner in owners[int(position)]:
                    aggregate = into.get(owner)
                    if aggregate is None:
                        aggregate = into[owner] = new_entity(parties[owner], owner)
                    aggregate.apply(event)
        for entity_id in wanted:
            if entity_id not in into:
                into[entity_id] = new_entity(parties[entity_id], entity_id)


def touch(event: ChangeEvent, loaded: dict[UUID, Entity], touched: list[str]) -> list[Entity]:
    """Take the change into the timeline of each entity it touches (all in `loaded`), in party
    order; the names of the bodies go to `touched`, for a conflict with another writer."""
    aggregates: list[Entity] = []
    seen: set[UUID] = set()
    for party in event.parties():
        if party.id in seen:
            continue
        seen.add(party.id)
        aggregate = loaded[party.id]
        known_as = aggregate.label if aggregate.version else None  # the name before this change
        aggregate.record(event)
        if party.entity == "organisation":
            touched.append(known_as or aggregate.label)
        aggregates.append(aggregate)
    return aggregates


def check(event: ChangeEvent, aggregates: list[Entity]) -> None:
    """Refuse the change if a timeline it was taken into no longer holds."""
    # Organisations first: "the body had closed" explains more than what follows from it.
    for aggregate in sorted(aggregates, key=lambda a: a.entity_type != "organisation"):
        try:
            aggregate.check(event.change_id)
        except Conflict as conflict:
            raise Refused(f"refused {event.kind} {event.effective}: {conflict}") from None
