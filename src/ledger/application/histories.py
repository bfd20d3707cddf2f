"""The histories the write path checks a change against: the timeline of each body and post it
touches, read back from its rows in `ledger_parties` (what each change does to it: the entry it adds,
the change it takes out), and kept by this process between batches until another writer changes it.
The changes themselves are not read back: checking a change costs an indexed read of the timelines
it touches, however they were recorded.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.engine import Connection

from ledger.adapters.tables import chunks
from ledger.adapters.tables import parties as parties_table
from ledger.application.batch import AggregateCache
from ledger.application.errors import Refused
from ledger.domain.declaration import WITH_HISTORY
from ledger.domain.model import Conflict, Entity, Entry, new_entity
from ledger.domain.stored import StoredChange


class Histories:
    """Reads timelines back from `ledger_parties`, and keeps those last committed by this process
    in `cache`."""

    def __init__(self, events_table: Table) -> None:
        self.cache = AggregateCache()
        # Built once: each write asks them, and building them each time cost more than running them.
        p = parties_table.c
        self._head = select(func.max(events_table.c.id))
        self._touched_since = select(p.party).where(p.position > bindparam("since"))
        self._rows = (
            select(p.party, p.change_id, p.removes, p.entry)
            .where(p.party.in_(bindparam("parties", expanding=True)))
            .order_by(p.position)
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
        """Put every named entity into `into`: from the cache, else its timeline read back from its
        rows, with one query per few hundred entities. A person or a function, whose checks read no
        history, starts empty."""
        wanted = [i for i in parties if i not in into]
        missing: list[str] = []
        for entity_id in wanted:
            cached = self.cache.take(entity_id) if use_cache else None
            if cached is not None:
                into[entity_id] = cached
            elif parties[entity_id] in WITH_HISTORY:
                missing.append(entity_id.hex)
        for chunk in chunks(missing):
            for party, change_id, removes, entry in conn.execute(self._rows, {"parties": chunk}):
                owner = UUID(party)
                aggregate = into.get(owner)
                if aggregate is None:
                    aggregate = into[owner] = new_entity(parties[owner], owner)
                aggregate.take(removes, Entry.from_row(change_id, entry) if entry else None)
        for entity_id in wanted:
            if entity_id not in into:
                into[entity_id] = new_entity(parties[entity_id], entity_id)


def touch(change: StoredChange, loaded: dict[UUID, Entity], touched: list[str]) -> list[Entity]:
    """Take the change into the timeline of each entity it touches (all in `loaded`), in party
    order; the names of the bodies go to `touched`, for a conflict with another writer."""
    aggregates: list[Entity] = []
    seen: set[UUID] = set()
    for party in change.parties():
        entity_id = UUID(str(party.id))
        if entity_id in seen:
            continue
        seen.add(entity_id)
        aggregate = loaded[entity_id]
        known_as = aggregate.label if aggregate.version else None  # the name before this change
        aggregate.record(change)
        if party.entity == "organisation":
            touched.append(known_as or aggregate.label)
        aggregates.append(aggregate)
    return aggregates


def check(change: StoredChange, aggregates: list[Entity]) -> None:
    """Refuse the change if a timeline it was taken into no longer holds."""
    # Organisations first: "the body had closed" explains more than what follows from it.
    for aggregate in sorted(aggregates, key=lambda a: a.entity_type != "organisation"):
        try:
            aggregate.check(change.change_id)
        except Conflict as conflict:
            raise Refused(f"refused {change.kind} {change.data['effective']}: {conflict}") from None
