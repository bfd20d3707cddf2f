"""Recording many changes in one transaction without paying per change for what a batch can share.

A file of changes is checked and appended in chunks: the histories a chunk touches are loaded with
one query (and kept for the rest of the file, and across files in an LRU), the chunk's changes are
inserted with one statement (each stored once), and the audit chain and read model follow the log once per chunk.
Names introduced by changes not yet projected stay visible to later changes through `PendingNames`;
anything the overlay cannot answer flushes the chunk first, so the read model is then current.
"""

from __future__ import annotations

import gc
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from uuid import UUID

from ledger.adapters.readmodel import named_entities
from ledger.adapters.tables import fold
from ledger.domain.events import ChangeEvent, Retracted
from ledger.domain.kinds import KINDS
from ledger.domain.model import Entity
from ledger.domain.stored import StoredChange

# Timeline entries a process keeps between transactions, and one file's transaction between its
# chunks: enough for the bodies in force in a national ledger (an entry is a few hundred bytes).
CACHE_ENTRIES = 1_000_000


# Changes appended between two runs of the cycle collector inside one long paced batch (the
# collector also runs after each batch commits, so a file of a few thousand changes needs none).
COLLECT_EVERY = 50_000
_paced = 0  # pacing contexts open (nested batches leave the pacing to the outermost)


@contextmanager
def paced_collection() -> Iterator[None]:
    """Python's cycle collector, paced for a bulk caller (`ledger import` over all its files).

    Left to itself, the collector runs a full collection whenever the objects that outlived a
    younger one grow by a quarter, and each walks every object the process holds: with the
    aggregates of a large ledger in memory that was a fifth of a bulk import. Its young
    collections, every 700 allocations, walked each new object two or three times more (2.4 s of a
    65 s import of 100,000 changes). While paced, the collector runs only when asked:
    `collect_now(freeze=True)` between transactions collects and freezes what survived (the cached
    aggregates), so later runs walk only what is new, and `collect_now()` inside a long transaction
    (every COLLECT_EVERY changes) collects what that transaction left behind, so garbage in cycles
    never outgrows what a file or a stretch of one leaves. Frozen objects are still freed when
    dropped (by reference counting); the collector is switched back on and everything frozen is
    handed back to it at the end. Outside it (one `record`, a long-lived process recording now and
    then) the collector runs as Python left it."""
    global _paced
    if _paced:
        yield
        return
    enabled = gc.isenabled()
    _paced += 1
    gc.disable()
    try:
        yield
    finally:
        _paced -= 1
        if enabled:
            gc.enable()
        gc.unfreeze()


def collect_now(*, freeze: bool = False) -> None:
    """Inside `paced_collection`: collect what is garbage and, between transactions (when
    nothing a transaction holds would be frozen with it), freeze what is not."""
    if _paced:
        gc.collect()
        if freeze:
            gc.freeze()


class AggregateCache:
    """Aggregates as last committed by this process, least recently used first out.

    Bounded by the number of timeline entries held, so memory does not grow with the log. An entry
    is taken out while a transaction works on it and put back only once that transaction commits,
    so a refused or rolled-back batch never leaves a half-changed aggregate behind.
    """

    def __init__(self, max_entries: int = CACHE_ENTRIES) -> None:
        self.max_entries = max_entries  # weighed as timeline entries (`_weight`)
        # Keyed by the id's integer: a UUID hashes in Python, and the cache sees every aggregate
        # of a file twice (taken, kept), hundreds of thousands a file in a national import.
        self._items: OrderedDict[int, Entity] = OrderedDict()
        self._weight = 0
        self.position = 0  # the log was read up to here when the cache was last checked

    def __len__(self) -> int:
        return len(self._items)

    def take(self, aggregate_id: UUID) -> Entity | None:
        aggregate = self._items.pop(aggregate_id.int, None)
        if aggregate is not None:
            self._weight -= _weight(aggregate)
        return aggregate

    def keep(self, aggregates: Iterable[Entity]) -> None:
        for aggregate in aggregates:
            self.take(aggregate.id)
            self._items[aggregate.id.int] = aggregate
            self._weight += _weight(aggregate)
        while self._weight > self.max_entries and self._items:
            _, oldest = self._items.popitem(last=False)
            self._weight -= _weight(oldest)

    def appended(self, count: int, last: int) -> None:
        """This process just committed `count` events, the last at position `last`. If they fill
        the log right after the position the cache was checked at, nobody else wrote in between,
        and the next check need not read them back."""
        if count and last - self.position == count:
            self.position = last

    def forget(self, aggregate_id: UUID) -> None:
        """Another writer changed this entity: drop our copy of its history."""
        self.take(aggregate_id)

    def clear(self) -> None:
        self._items.clear()
        self._weight = 0


def _weight(aggregate: Entity) -> int:
    return len(aggregate.entries) + 1


# The names a resolver holds in memory, by entity type: folded name -> ids, and folded name -> the
# name as written (see `Resolver`).
KnownNames = tuple[dict[str, dict[str, list[str]]], dict[str, dict[str, str]]]


class NameMemo:
    """The read model's names as a resolver read them (by entity type, see `Resolver`), kept by
    this process between transactions so that each file of an import does not read every name
    again. Valid only while the log's head is where this process's last committed batch left it:
    the names are taken out for a transaction and put back only once it commits, so a rolled-back
    batch never leaves a name behind."""

    def __init__(self) -> None:
        self.position = -1
        self.index: dict[str, dict[str, list[str]]] = {}
        self.known: dict[str, dict[str, str]] = {}

    def take(self, position: int) -> KnownNames:
        """The names kept, if the log's head is still `position`; else none."""
        found = (self.index, self.known) if position == self.position else ({}, {})
        self.position, self.index, self.known = -1, {}, {}
        return found

    def keep(self, position: int, names: KnownNames) -> None:
        self.position, (self.index, self.known) = position, names


_KIND = frozenset({"kind"})  # the rows that set a body's kind (established, reclassified)


class PendingNames:
    """The names and entities that checked-but-not-yet-projected changes introduce."""

    def __init__(self) -> None:
        self.by_name: dict[str, set[tuple[str, str]]] = {}  # folded name -> {(id hex, entity)}
        self.ids: dict[str, str] = {}  # id hex -> entity type
        self.texts: dict[tuple[str, str], str] = {}  # (entity, folded name) -> the name as written
        # Bodies whose kind a pending change sets or may change (established, introduced,
        # reclassified, or touched by a correction or retraction): asking their kind settles first.
        self.kinds: set[str] = set()
        self.changes: dict[str, str | None] = {}  # pending change ids (hex) -> their labels
        self.amended: set[str] = set()  # changes a pending correction or retraction amends

    def __bool__(self) -> bool:
        return bool(self.ids)

    def add(self, event: ChangeEvent) -> None:
        self.changes[event.change_id.hex] = event.label
        target = event.retracts if isinstance(event, Retracted) else event.supersedes
        if target is not None:
            self.amended.add(target.hex)
            self.kinds.update(p.id.hex for p in event.parties())
        for row in KINDS[event.kind].assertions(event.__getattribute__, aspects=_KIND):
            self.kinds.add(row.subject.hex)
        self.kinds.update(body.id.hex for body in event.introduced)
        for entity_id, entity, _name, _parent, labels in named_entities(StoredChange.of(event)):
            self.ids.setdefault(entity_id, entity)
            for text, _scheme in labels:
                self.by_name.setdefault(fold(text), set()).add((entity_id, entity))
                self.texts.setdefault((entity, fold(text)), text)

    def candidates(self, folded: str, entity: str) -> list[str]:
        return [i for i, e in self.by_name.get(folded, ()) if e == entity]

    def names_of(self, entity: str) -> dict[str, str]:
        """Folded name -> name, for the entities of one type these changes introduce."""
        return {folded: text for (kind, folded), text in self.texts.items() if kind == entity}

    def names_change(self, text: str) -> bool:
        """Whether `text` (a label, or an id or its prefix) may name a pending change."""
        key = text.strip()
        if key in self.changes.values():
            return True
        hexkey = key.lower().replace("-", "")
        return len(hexkey) >= 6 and any(c.startswith(hexkey) for c in self.changes)

    def clear(self) -> None:
        self.by_name.clear()
        self.ids.clear()
        self.texts.clear()
        self.kinds.clear()
        self.changes.clear()
        self.amended.clear()


@dataclass
class Pending:
    """A change whose event is built, waiting for its chunk to be checked and appended."""

    index: int
    event: ChangeEvent
