"""The one write path: every change, from the CLI, an importer or a test, is recorded here.

Recording a change: resolve the names it uses and build its event (commands.py, amendments.py),
load the history of every body and post it touches (histories.py), let each check its timeline
with the change applied, then store the change once and let the read model follow it
(projection.py), all in one write transaction. Anything refused leaves the store as it was.

Just over 400 lines: `WritePath` (the transaction and its retries) and `_Batch` (one call's
changes, chunk by chunk) share the pending changes and their outcomes; kept together so the one
write path reads in one place.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from sqlalchemy import Table, bindparam, select
from sqlalchemy.engine import Connection

from ledger.adapters.recorder import NulCharacter, in_transaction
from ledger.adapters.tables import changes
from ledger.application import commands as cmd
from ledger.application.amendments import amendment
from ledger.application.batch import (
    CACHE_ENTRIES,
    COLLECT_EVERY,
    KnownNames,
    NameMemo,
    Pending,
    PendingNames,
    collect_now,
)
from ledger.application.errors import Ambiguous, ConcurrentChange, InvalidInput, NotFound, Refused
from ledger.application.histories import Histories, check, touch
from ledger.application.resolver import Resolver
from ledger.application.sources import Registry
from ledger.domain.events import ChangeEvent, Merged, Renamed, Retracted
from ledger.domain.ids import NAMESPACE
from ledger.domain.kinds import KINDS
from ledger.domain.model import Entity
from ledger.domain.stored import StoredChange

if TYPE_CHECKING:
    from eventsourcing.persistence import EventStore, Recording

    from ledger.adapters.mapper import PydanticMapper
    from ledger.application.projection import Projection

CHUNK = 500  # changes checked, inserted and followed together inside one file's transaction
# Which of a chunk's changes are recorded already (built once: a write of one change asks it too).
_RECORDED = select(
    changes.c.change_id, changes.c.position, changes.c.digest, changes.c.kind, changes.c.effective
).where(changes.c.change_id.in_(bindparam("ids", expanding=True)))


@dataclass
class Outcome:
    """What recording one change did."""

    change_id: UUID
    handle: str
    kind: str
    effective: str
    status: str  # "recorded", "already recorded", "would record"
    position: int | None = None
    events: list[tuple[str, str]] = field(default_factory=list)  # (entity label, event kind)
    introduced: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.status}: {self.kind} {self.effective} (change {self.handle}"
        if self.position is not None:
            text += f", position {self.position}"
        text += ")"
        if self.introduced:
            text += "; introduced " + ", ".join(self.introduced)
        return text


class Rollback(Exception):
    """Raised inside a write transaction to roll it back: a dry run, or a rehearsal."""


class WritePath:
    """Records changes, keeping between batches the histories it checked them against and the
    names it resolved. It is handed the application's write transaction (`writing`), the event
    store it appends to and the hook told what was stored (`notify`), what it reads histories back
    from, the projection that follows the log, and the list the transaction names the bodies a
    change touched from, should another writer get there first (`touched`)."""

    def __init__(
        self,
        *,
        writing: Callable[[], AbstractContextManager[Connection]],
        events: EventStore[UUID],
        notify: Callable[[list[Recording[UUID]]], None],
        events_table: Table,
        mapper: PydanticMapper,
        projection: Projection,
        touched: list[str],
    ) -> None:
        self.writing = writing
        self.events = events
        self.notify = notify
        self.mapper = mapper
        self.projection = projection
        self.touched = touched
        self.histories = Histories(events_table)
        self.names_memo = NameMemo()  # the resolver's names, kept between batches like aggregates

    def record_many(
        self,
        requests: Sequence[Any],
        *,
        dry_run: bool = False,
        probe: Callable[[Connection], None] | None = None,
        retries: int = 3,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Outcome]:
        """Record changes in order, all in one transaction: all are appended, or none (see
        `LedgerApp.record_many`). A batch the store refuses as a conflict with another writer is
        checked again against the new history and retried, up to `retries` times."""
        attempt = 0
        while True:
            self.touched.clear()  # also when nested in an outer transaction, which does not reset it
            try:
                outcomes = self._record_many_once(
                    requests,
                    dry_run=dry_run,
                    probe=probe,
                    progress=progress,
                )
                if not in_transaction():
                    collect_now(freeze=True)  # only where a bulk caller paces the collector
                return outcomes
            except ConcurrentChange as exc:
                if attempt >= retries or in_transaction():
                    if attempt:
                        raise ConcurrentChange(
                            f"{exc} (gave up after {attempt + 1} attempts)"
                        ) from exc
                    raise
                attempt += 1
                time.sleep(random.uniform(0.005, 0.05) * attempt)

    def _record_many_once(
        self,
        requests: Sequence[Any],
        *,
        dry_run: bool,
        probe: Callable[[Connection], None] | None,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        nested = in_transaction()
        batch: _Batch | None = None
        try:
            with self.writing() as conn:
                memo: KnownNames | None = None
                if not nested:
                    self.histories.refresh(conn)
                    memo = self.names_memo.take(self.histories.cache.position)
                batch = _Batch(
                    self, conn, requests, dry_run=dry_run, use_cache=not nested, names=memo
                )
                for index in range(len(requests)):
                    try:
                        appended = batch.appended
                        batch.add(index)
                        if probe is not None:
                            batch.flush()
                            probe(conn)
                        if progress is not None and (
                            batch.appended != appended or index % CHUNK == CHUNK - 1
                        ):
                            progress(index + 1, batch.appended)
                    except (Refused, NotFound, Ambiguous, InvalidInput) as exc:
                        if getattr(exc, "index", None) is None:
                            exc.index = index
                        raise
                batch.flush()
                outcomes = batch.results()
                if dry_run:
                    raise Rollback
            if not nested:
                cache = self.histories.cache
                cache.keep(batch.aggregates.values())
                cache.appended(batch.stored, batch.last_position)
                self.names_memo.keep(cache.position, batch.find.names())
        except Rollback:
            pass
        return outcomes

    def store(self, events: Sequence[ChangeEvent]) -> list[Recording[UUID]]:
        """Put checked changes in the event store, each once (its originator the change itself).
        Only the write path calls it, inside its transaction."""
        recordings = self.events.put([event.stored() for event in events])
        self.notify(recordings)
        return recordings


class _Batch:
    """One call's changes inside its transaction, checked and appended CHUNK at a time.

    Later changes resolve names through the read model, which is projected only when a chunk is
    appended; the names that pending changes introduce are answered from `PendingNames`, and any
    other question (a kind, a suggestion, an ambiguity) appends the pending chunk first.
    """

    def __init__(
        self,
        path: WritePath,
        conn: Connection,
        requests: Sequence[Any],
        *,
        dry_run: bool,
        use_cache: bool,
        names: KnownNames | None = None,
    ) -> None:
        self.path = path
        self.conn = conn
        self.requests = requests
        self.dry_run = dry_run
        self.use_cache = use_cache
        self.aggregates: dict[UUID, Entity] = {}
        self.names = PendingNames()
        self.pending: list[Pending] = []
        self.outcomes: list[Outcome | None] = [None] * len(requests)
        self.keys: dict[int, tuple[UUID, str | None]] = {}
        self.existing: dict[str, Any] = {}
        self.looked_up = 0
        self.appended = 0  # changes checked and appended so far (uncommitted until the end)
        self.stored = 0  # events stored so far, the last of them at last_position
        self.last_position = 0
        self.recorded: set[UUID] = set()
        self.sources = Registry(conn)
        self.find = Resolver(
            conn,
            pending=self.names,
            settle=self.flush,
            names=names,
            introductions=self._introductions,
        )

    def _introductions(self) -> list[str]:
        """The names this batch's mergers and splits may introduce as new bodies (a predecessor or
        a successor that no known body answers to), for the resolver's close-name check."""
        found: list[str] = []
        for request in self.requests:
            kind = KINDS.get(request.change)
            if kind is not None:
                for field in kind.introducing:
                    found += getattr(request, field.attr)
        return found

    def results(self) -> list[Outcome]:
        assert all(o is not None for o in self.outcomes)
        return cast(list[Outcome], self.outcomes)

    def _key(self, index: int) -> tuple[UUID, str | None]:
        """The change id and digest of a request; ids are looked up CHUNK requests at a time."""
        if index >= self.looked_up:
            end = min(len(self.requests), index + CHUNK)
            for i in range(index, end):
                request = self.requests[i]
                if isinstance(request, cmd.Amend):  # a command's: no stable id
                    self.keys[i] = (uuid.uuid4(), None)
                    continue
                digest = cmd.request_digest(request)
                change_id = (
                    uuid.uuid5(NAMESPACE, f"change:{request.id}")
                    if request.id
                    else uuid.uuid5(NAMESPACE, "change:" + digest)
                )
                self.keys[i] = (change_id, digest)
            ids = [self.keys[i][0].hex for i in range(index, end)]
            self.existing = {row.change_id: row for row in self._recorded_rows(ids)}
            self.looked_up = end
        return self.keys.pop(index)

    def _recorded_rows(self, ids: list[str]) -> list[Any]:
        return list(self.conn.execute(_RECORDED, {"ids": ids}).all())

    def add(self, index: int) -> None:
        try:
            self._add(index)
        except (Refused, NotFound, Ambiguous, InvalidInput):
            self.flush()  # a refusal of an earlier change in the chunk is reported first
            raise

    def _add(self, index: int) -> None:
        request = self.requests[index]
        change_id, digest = self._key(index)
        existing = self.existing.pop(change_id.hex, None)
        if change_id in self.recorded:  # the same change twice in one call
            self.flush()
            found = self._recorded_rows([change_id.hex])
            existing = found[0] if found else None
        handle = request.id or change_id.hex[:8]
        if existing is not None:
            if existing.digest and existing.digest != digest:
                raise Refused(
                    f"change {handle!r} is already recorded with different content "
                    f"(position {existing.position}); correct it instead of recording it again"
                )
            self.outcomes[index] = Outcome(
                change_id,
                handle,
                existing.kind,
                existing.effective,
                "already recorded",
                existing.position,
            )
            return
        if isinstance(request, cmd.RegisterSource):
            assert digest is not None
            event = request.event(change_id, digest)
            self.sources.register(event)
        elif isinstance(request, cmd.Correct | cmd.Retract | cmd.Amend):
            # The change it amends is found in the read model: projected first if it is pending,
            # or if a pending correction or retraction amends it already (so that is refused).
            if self.names.names_change(request.target):
                self.flush()
            mapper = self.path.mapper
            event = amendment(self.conn, mapper, request, change_id, digest)
            amended = event.retracts if isinstance(event, Retracted) else event.supersedes
            if amended is not None and amended.hex in self.names.amended:
                self.flush()
                event = amendment(self.conn, mapper, request, change_id, digest)
        else:
            assert digest is not None  # every request but a command's amendment has one
            event = cmd.build_event(request, change_id, digest, self.find)
        if isinstance(event, Renamed):  # a rename, or the correction of one
            self._check_name_free(event)
        if not isinstance(request, cmd.Correct | cmd.Retract | cmd.Amend) or request.sources:
            self.sources.check(event)  # an amendment's own sources (by default, the original's)
        self.recorded.add(change_id)
        self.names.add(event)
        self.pending.append(Pending(index, event))
        if len(self.pending) >= CHUNK:
            self.flush()

    def _check_name_free(self, event: Renamed) -> None:
        """A body is not renamed onto the name another body holds on the date."""
        on = event.effective.start
        holder = self.find.holder_of_name(event.name, on, other_than=event.organisation)
        if holder is not None:
            raise Refused(
                f"refused renamed: {event.name!r} is the name of another body on {on} "
                f"({self.find.describe(holder)}); a name names one body at a time"
            )

    def flush(self) -> None:
        """Check the pending changes in order, store them (each once), and follow the log once."""
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        parties: dict[UUID, str] = {}
        for item in pending:
            for party in item.event.parties():
                parties.setdefault(party.id, party.entity)
        self.path.histories.load(self.conn, parties, self.aggregates, use_cache=self.use_cache)
        # Each change as it is stored: the timelines take it in, and the read model projects it.
        stored = [StoredChange.of(item.event) for item in pending]
        checked: list[tuple[Pending, list[Entity]]] = []
        for item, change in zip(pending, stored, strict=True):
            try:
                touched = touch(change, self.aggregates, self.path.touched)
                check(change, touched)
            except Refused as exc:
                exc.index = item.index
                raise
            checked.append((item, touched))
        try:
            recordings = self.path.store([item.event for item, _ in checked])
        except NulCharacter as exc:
            refused = InvalidInput(str(exc))
            refused.index = checked[exc.index][0].index
            raise refused from None
        known = {r.notification.id: change for r, change in zip(recordings, stored, strict=True)}
        self.stored += len(known)
        self.last_position = max(known, default=self.last_position)
        self.path.projection.follow(self.conn, known)
        self.find.absorb(self.names)
        self.find.forget(self.names.by_name)
        self.names.clear()
        if (self.appended + len(checked)) // COLLECT_EVERY > self.appended // COLLECT_EVERY:
            collect_now()
        self.appended += len(checked)
        # Aggregates already appended can be replayed again from the store if needed: a file that
        # touches much of a large ledger must not hold all of its history in memory.
        if sum(len(a.entries) + 1 for a in self.aggregates.values()) > CACHE_ENTRIES:
            self.aggregates.clear()
        for (item, touched), recording in zip(checked, recordings, strict=True):
            self.outcomes[item.index] = _outcome(
                item.event, touched, recording.notification.id, dry_run=self.dry_run
            )


def _outcome(event: ChangeEvent, touched: list[Entity], position: int, *, dry_run: bool) -> Outcome:
    return Outcome(
        event.change_id,
        event.handle,
        "cancelled" if isinstance(event, Retracted) and event.cancelled else event.kind,
        str(event.effective),
        "would record" if dry_run else "recorded",
        position,
        events=[(aggregate.label, event.kind) for aggregate in touched],
        introduced=[b.name for b in event.introduced if not _is_named_new(event, b.id)],
    )


def _is_named_new(event: ChangeEvent, body_id: UUID) -> bool:
    """The new successor of a merger is the point of the change, not an introduction."""
    return isinstance(event, Merged) and event.into_new and event.successor == body_id
