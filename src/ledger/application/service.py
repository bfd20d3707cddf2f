"""LedgerApp: the one way in. Every change, from the CLI, an importer or a test, comes through here.

Recording a change: resolve the names it uses, build its event, load the history of every body and
post it touches (the changes `ledger_parties` lists for them, kept in memory between batches), let
each check its timeline with the change applied, then store the change once and bring the read
model up to date, in one transaction. Writers are serialised (SQLite's write lock; on PostgreSQL an
advisory lock taken first), so a change is always checked against everything committed before it.
Anything refused leaves the store exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

import sqlalchemy.exc
from eventsourcing.application import Application
from eventsourcing.persistence import (
    IntegrityError,
    Mapper,
    OperationalError,
    PersistenceError,
    ProgrammingError,
    Recording,
)
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, Engine

from ledger.adapters import audit as audit_tables
from ledger.adapters import periods
from ledger.adapters.audit import seal_log, stored_records
from ledger.adapters.mapper import PydanticMapper
from ledger.adapters.readmodel import ChangeReader, ReadModel, stored_change_id
from ledger.adapters.recorder import APPEND_LOCK, LedgerFactory, LedgerRecorder, in_transaction
from ledger.adapters.store import guard_events
from ledger.adapters.tables import changes, chunks, read_model_complete
from ledger.adapters.tables import parties as parties_table
from ledger.application import commands as cmd
from ledger.application.batch import (
    CACHE_ENTRIES,
    COLLECT_EVERY,
    AggregateCache,
    KnownNames,
    NameMemo,
    Pending,
    PendingNames,
    collect_now,
)
from ledger.application.errors import (
    Ambiguous,
    ConcurrentChange,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Refused,
    StoreUnavailable,
)
from ledger.application.resolver import Resolver
from ledger.domain.declaration import WITH_HISTORY, BadChange, EntityType
from ledger.domain.events import CHANGE_CLASSES, NIL, ChangeEvent, Merged, Retracted
from ledger.domain.ids import NAMESPACE, function_id, org_id, person_id, post_id
from ledger.domain.kinds import KINDS
from ledger.domain.model import Conflict, Entity, new_entity

CHUNK = 500  # changes checked, inserted and followed together inside one file's transaction


class _Names:
    """The resolver as a kind's declaration asks it for ids (`domain.declaration.Find`): a name
    found among the known ones, or the stable id of a new entity."""

    def __init__(self, find: Resolver) -> None:
        self.find = find

    def known(self, entity: EntityType, text: str, *, within: UUID | None = None) -> UUID:
        if entity == "post":
            assert within is not None
            return self.find.post(text, within)
        found = self.find.find(text, entity)
        assert found is not None
        return found

    def maybe(self, entity: EntityType, text: str, *, introducing: bool = False) -> UUID | None:
        return self.find.find(text, entity, missing_ok=True, introducing=introducing)

    def by_codes(self, codes: Mapping[str, str]) -> UUID | None:
        return self.find.organisation_by_codes(dict(codes))

    def new(
        self,
        entity: EntityType,
        text: str,
        *,
        within: UUID | None = None,
        codes: Mapping[str, str] | None = None,
    ) -> UUID:
        if entity == "organisation":
            return org_id(text, dict(codes) if codes else None)
        if entity == "post":
            assert within is not None
            return post_id(within, text)
        return person_id(text) if entity == "person" else function_id(text)

    def kind_of(self, organisation: UUID) -> str | None:
        return self.find.kind_of(organisation)


def change_id_for(request: Any) -> UUID:
    """Stable ids make re-imports idempotent: the label if given, else the request's content."""
    if request.id:
        return uuid.uuid5(NAMESPACE, f"change:{request.id}")
    return uuid.uuid5(NAMESPACE, "change:" + request_digest(request))


def request_digest(request: Any) -> str:
    data = request.model_dump(mode="json", by_alias=True, exclude={"recorder"})
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


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


class _Rollback(Exception):
    pass


class LedgerApp(Application[UUID]):
    """The ledger application: records changes and keeps the read model current."""

    name = "Ledger"

    def construct_mapper(self) -> Mapper[UUID]:
        return PydanticMapper()

    def __init__(self, env: dict[str, str] | None = None) -> None:
        try:
            super().__init__(env)
        except (PersistenceError, sqlalchemy.exc.SQLAlchemyError) as exc:
            raise StoreUnavailable(f"cannot open the ledger store: {_first_line(exc)}") from None
        self.database = cast(LedgerFactory, self.factory).database
        self.engine: Engine = self.database.engine
        self._touched: list[str] = []
        self.readmodel = ReadModel(self.engine.dialect)
        self.aggregates = AggregateCache()
        self.names_memo = NameMemo()  # the resolver's names, kept between batches like aggregates
        self.events_table = cast(LedgerRecorder, self.recorder).events_table
        with self.engine.begin() as conn:
            ReadModel.create(conn)
            audit_tables.create(conn)
            guard_events(conn)
        self._add_missing_indexes()

    def _add_missing_indexes(self) -> None:
        """A store made by an earlier version gets the indexes the queries now use. A user who may
        not create them (a reader) still gets answers, only slower, until a recorder opens it."""
        try:
            with self.engine.begin() as conn:
                if not read_model_complete(conn):
                    ReadModel.add_missing_indexes(conn)
                uncut = periods.current(conn) is None
                unlisted = not ReadModel.parties_listed(conn)
            if uncut or unlisted:
                # A store made before the periods, or before each change was stored once: list
                # each change's parties and cut the periods once, under the write lock.
                with self.writing() as conn:
                    if not ReadModel.parties_listed(conn):
                        self.readmodel.list_parties(conn, self.mapper.decode)  # type: ignore[attr-defined]
                    if periods.current(conn) is None:
                        self.readmodel.cut_all_periods(conn)
        except (sqlalchemy.exc.ProgrammingError, sqlalchemy.exc.OperationalError):
            pass
        except PermissionDenied:
            pass

    # --- transactions ----------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """One write transaction, holding the one writer's lock before anything is read: on SQLite
        its write lock (BEGIN IMMEDIATE), on PostgreSQL the append lock (an advisory lock). Writers
        queue instead of racing: a change is checked against everything committed before it, and
        positions stay gap-free for followers. (Measured against validating first and locking only
        to insert: see benchmarks/RESULTS.md, "Writers".)"""
        nested = _in_transaction()
        if not nested:
            self._touched = []
            self.readmodel.discard_pending()
        try:
            with self.database.transaction(commit=True) as conn:
                if not nested and conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK})
                yield conn
                if not nested:
                    self.readmodel.cut_periods(conn)
        except (IntegrityError, sqlalchemy.exc.IntegrityError):
            names = ", ".join(dict.fromkeys(self._touched)) or "the same records"
            raise ConcurrentChange(
                f"another writer changed {names} at the same time; nothing was appended"
            ) from None
        except (ProgrammingError, sqlalchemy.exc.ProgrammingError) as exc:
            if "permission denied" in str(exc) or "insufficient" in str(exc).lower():
                raise PermissionDenied(
                    f"permission denied: this database user may not record changes ({_first_line(exc)})"
                ) from None
            raise
        except (OperationalError, sqlalchemy.exc.OperationalError) as exc:
            raise StoreUnavailable(
                f"the ledger store refused the write: {_first_line(exc)}"
            ) from None

    # --- recording ------------------------------------------------------------------------
    def record(self, request: Any, *, dry_run: bool = False, retries: int = 3) -> Outcome:
        return self.record_many([request], dry_run=dry_run, retries=retries)[0]

    def record_many(
        self,
        requests: Sequence[Any],
        *,
        dry_run: bool = False,
        probe: Callable[[Connection], None] | None = None,
        retries: int = 3,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Outcome]:
        """Record changes in order, all in one transaction: all are appended, or none.

        With dry_run the transaction is rolled back at the end; `probe` sees the store inside it.
        `progress(done, appended)` is told, now and then, how many requests are through and how
        many changes of them were appended (not yet committed: the call can still fail).
        If another writer changes the same aggregates first, the batch is checked again against
        the new history and retried (up to `retries` times); then the conflict is reported.
        """
        attempt = 0
        while True:
            self._touched = []  # also when nested in an outer transaction, which does not reset it
            try:
                outcomes = self._record_many_once(
                    requests,
                    dry_run=dry_run,
                    probe=probe,
                    progress=progress,
                )
                if not _in_transaction():
                    collect_now(freeze=True)  # only where a bulk caller paces the collector
                return outcomes
            except ConcurrentChange as exc:
                if attempt >= retries or _in_transaction():
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
        nested = _in_transaction()
        batch: _Batch | None = None
        try:
            with self.writing() as conn:
                memo: KnownNames | None = None
                if not nested:
                    self._check_cache(conn)
                    memo = self.names_memo.take(self.aggregates.position)
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
                    raise _Rollback
            if not nested:
                self.aggregates.keep(batch.aggregates.values())
                self.aggregates.appended(batch.stored, batch.last_position)
                self.names_memo.keep(self.aggregates.position, batch.find.names())
        except _Rollback:
            pass
        return outcomes

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Refused: nothing is appended without its checks. Record changes with `record_many`."""
        raise NotImplementedError(
            "the ledger appends only checked changes: record them with LedgerApp.record_many"
        )

    def _store(self, events: Sequence[ChangeEvent]) -> list[Recording[UUID]]:
        """Put checked changes in the event store, each once (its originator the change itself).
        Only the write path calls it, inside its transaction."""
        recordings = self.events.put([event.stored() for event in events])
        self._notify(recordings)
        return recordings

    def _check_cache(self, conn: Connection) -> None:
        """Drop cached histories of the bodies and posts that another writer has changed since this
        process last looked (called holding the writer's lock, so nothing changes meanwhile)."""
        head = int(conn.execute(select(func.max(self.events_table.c.id))).scalar() or 0)
        since, self.aggregates.position = self.aggregates.position, head
        if not len(self.aggregates) or head == since:
            return
        touched = conn.execute(
            select(parties_table.c.party).where(parties_table.c.position > since)
        ).scalars()
        for party in touched:
            self.aggregates.forget(UUID(party))

    def _load(
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
            cached = self.aggregates.take(entity_id) if use_cache else None
            if cached is not None:
                into[entity_id] = cached
            elif parties[entity_id] in WITH_HISTORY:
                missing.append(entity_id.hex)
        owners: dict[int, list[UUID]] = {}  # position of a stored change -> whose history has it
        for chunk in chunks(missing):
            rows = conn.execute(
                select(parties_table.c.position, parties_table.c.party).where(
                    parties_table.c.party.in_(chunk)
                )
            )
            for position, party in rows:
                owners.setdefault(int(position), []).append(UUID(party))
        table = self.events_table
        decode = self.mapper.decode  # type: ignore[attr-defined]
        ordered = sorted(owners)
        for start in range(0, len(ordered), 500):
            rows = conn.execute(
                select(
                    table.c.id,
                    table.c.originator_id,
                    table.c.originator_version,
                    table.c.topic,
                    table.c.state,
                )
                .where(table.c.id.in_(ordered[start : start + 500]))
                .order_by(table.c.id)
            )
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

    def _amendment(
        self,
        conn: Connection,
        request: cmd.Correct | cmd.Retract | cmd.Amend,
        change_id: UUID,
        digest: str | None,
    ) -> ChangeEvent:
        """A correction or retraction as an event: a change file's, with the stable id and digest
        that make re-imports idempotent, or a command's (`cmd.Amend`)."""
        if isinstance(request, cmd.Amend):
            asked: dict[str, Any] = {
                "recorder": request.recorder,
                "reason": request.reason,
                "sources": request.sources,
                "label": request.id,
                "identity": (change_id, digest),
            }
            if request.withdraw:
                return self._retraction(conn, request.target, cancel=request.cancel, **asked)
            return self._correction(
                conn,
                request.target,
                updates=dict(request.updates),
                confirm=request.confirm,
                **asked,
            )
        authorship: dict[str, Any] = {
            "recorder": request.recorder,
            "reason": request.reason,
            "sources": request.sources,
            "label": request.id,
            "identity": (change_id, digest),
        }
        if isinstance(request, cmd.Correct):
            return self._correction(conn, request.corrects, updates=request.updates(), **authorship)
        return self._retraction(conn, request.retracts, **authorship)

    def _touch(self, event: ChangeEvent, loaded: dict[UUID, Entity]) -> list[Entity]:
        """Take the change into the timeline of each entity it touches (all in `loaded`), in
        party order."""
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
                self._touched.append(known_as or aggregate.label)
            aggregates.append(aggregate)
        return aggregates

    @staticmethod
    def _check(event: ChangeEvent, aggregates: list[Entity]) -> None:
        # Organisations first: "the body had closed" explains more than what follows from it.
        for aggregate in sorted(aggregates, key=lambda a: a.entity_type != "organisation"):
            try:
                aggregate.check(event.change_id)
            except Conflict as conflict:
                raise Refused(f"refused {event.kind} {event.effective}: {conflict}") from None

    @staticmethod
    def _outcome(
        event: ChangeEvent, touched: list[Entity], position: int, *, dry_run: bool
    ) -> Outcome:
        return Outcome(
            event.change_id,
            event.handle,
            "cancelled" if isinstance(event, Retracted) and event.cancelled else event.kind,
            str(event.effective),
            "would record" if dry_run else "recorded",
            position,
            events=[(_label(aggregate), event.kind) for aggregate in touched],
            introduced=[b.name for b in event.introduced if not _is_named_new(event, b.id)],
        )

    # --- corrections, retractions and plans -------------------------------------------------
    def find_change(self, conn: Connection, text: str) -> tuple[Any, ChangeEvent]:
        """A recorded change by label or id (a prefix of 6+ hex digits will do), with its event."""
        key = text.strip()
        rows = conn.execute(select(changes).where(changes.c.label == key)).all()
        hexkey = key.lower().replace("-", "")
        if not rows and len(hexkey) >= 6 and all(c in "0123456789abcdef" for c in hexkey):
            rows = conn.execute(select(changes).where(changes.c.change_id.like(hexkey + "%"))).all()
        if not rows:
            raise NotFound(f"unknown change {text!r} (give its label or id, as `ledger log` shows)")
        if len(rows) > 1:
            listing = ", ".join(r.change_id[:12] for r in rows[:5])
            raise Ambiguous(f"change {text!r} is ambiguous: {listing}")
        row = rows[0]
        record = next(stored_records(conn, after=row.position - 1, until=row.position))
        event = self.mapper.decode(  # type: ignore[attr-defined]
            record.topic, record.originator_id, record.originator_version, record.state
        )
        return row, cast(ChangeEvent, event)

    def _current(self, conn: Connection, text: str) -> ChangeEvent:
        row, event = self.find_change(conn, text)
        if row.superseded_at is not None:
            later = conn.execute(
                select(changes.c.label, changes.c.change_id, changes.c.kind).where(
                    changes.c.position == row.superseded_at
                )
            ).first()
            by = (later.label or later.change_id[:8]) if later else "?"
            what = later.kind if later else "superseded"
            raise Refused(
                f"change {text!r} was already superseded ({what} by change {by!r} at position "
                f"{row.superseded_at}); act on that change instead"
            )
        if row.kind in ("retracted", "cancelled"):
            raise Refused(f"change {text!r} is itself a {row.kind}; it cannot be changed")
        return event

    def _envelope(
        self,
        recorder: str,
        reason: str,
        sources: Sequence[Any],
        label: str | None,
        identity: tuple[UUID, str | None] | None = None,
    ) -> dict[str, Any]:
        if not reason.strip():
            raise InvalidInput("a reason is required (--reason)")
        change_id, digest = identity or (uuid.uuid4(), None)
        return {
            "timestamp": datetime.now(UTC),
            "change_id": change_id,
            "label": label,
            "recorder": recorder,
            "reason": reason,
            **({"sources": tuple(sources)} if sources else {}),
            "digest": digest,
        }

    def correct(
        self,
        target: str,
        *,
        recorder: str,
        reason: str,
        sources: Sequence[Any] = (),
        label: str | None = None,
        updates: dict[str, Any] | None = None,
        confirm: bool = False,
        dry_run: bool = False,
    ) -> Outcome:
        """Supersede a change with a corrected copy (or confirm a plan); the original stays in the
        log. Recorded through `record_many`, like every change."""
        request = cmd.Amend(
            target,
            recorder,
            reason,
            tuple(sources),
            label,
            updates=dict(updates or {}),
            confirm=confirm,
        )
        return self.record(request, dry_run=dry_run)

    def _correction(
        self,
        conn: Connection,
        target: str,
        *,
        recorder: str,
        reason: str,
        sources: Sequence[Any] = (),
        label: str | None = None,
        updates: dict[str, Any] | None = None,
        confirm: bool = False,
        identity: tuple[UUID, str | None] | None = None,
    ) -> ChangeEvent:
        old = self._current(conn, target)
        if confirm and not old.planned:
            raise Refused(f"change {target!r} is not a plan; nothing to confirm")
        fields = dict(updates or {})
        allowed = set(type(old).model_fields) - set(ChangeEvent.model_fields) | {"effective"}
        unknown = set(fields) - allowed
        if unknown:
            raise InvalidInput(
                f"cannot correct {', '.join(sorted(unknown))} of a {old.kind} change "
                f"(correctable: {', '.join(sorted(allowed))})"
            )
        if not fields and not confirm:
            raise InvalidInput("nothing to correct: give --effective or another field")
        data = old.model_dump()
        data.update(self._envelope(recorder, reason, sources, label, identity))
        data.update(fields)
        data.update(supersedes=old.change_id, originator_id=NIL, originator_version=0)
        if confirm:
            data["status"] = "happened"
        try:
            event = type(old).model_validate(data)
        except ValueError as exc:
            raise InvalidInput(_first_line(exc)) from None
        # Who a change is about is not correctable (retract it and record another): the history
        # of each party then holds the correction beside what it corrects (see ledger_parties).
        if {(p.entity, p.id) for p in event.parties()} != {(p.entity, p.id) for p in old.parties()}:
            raise InvalidInput(f"a correction cannot change what change {target!r} is about")
        return event

    def retract(
        self,
        target: str,
        *,
        recorder: str,
        reason: str,
        sources: Sequence[Any] = (),
        label: str | None = None,
        cancel: bool = False,
        dry_run: bool = False,
    ) -> Outcome:
        """Withdraw a change (or cancel a plan); queries stop showing it, the log keeps both.
        Recorded through `record_many`, like every change."""
        request = cmd.Amend(
            target, recorder, reason, tuple(sources), label, withdraw=True, cancel=cancel
        )
        return self.record(request, dry_run=dry_run)

    def _retraction(
        self,
        conn: Connection,
        target: str,
        *,
        recorder: str,
        reason: str,
        sources: Sequence[Any] = (),
        label: str | None = None,
        cancel: bool = False,
        identity: tuple[UUID, str | None] | None = None,
    ) -> ChangeEvent:
        old = self._current(conn, target)
        if cancel and not old.planned:
            raise Refused(f"change {target!r} is not a plan; retract it instead of cancelling")
        envelope = self._envelope(recorder, reason, sources or old.sources, label, identity)
        return Retracted(
            **envelope,
            effective=old.effective,
            retracts=old.change_id,
            cancelled=cancel,
            touched=tuple(old.parties()),
        )

    @contextmanager
    def rehearsal(self) -> Iterator[None]:
        """Everything inside is checked and written, then rolled back (a dry run of several batches)."""
        try:
            with self.writing():
                yield
                raise _Rollback
        except _Rollback:
            pass

    # --- building events from requests -----------------------------------------------------
    def _build(
        self,
        conn: Connection,
        r: Any,
        change_id: UUID,
        digest: str,
        find: Resolver | None = None,
    ) -> ChangeEvent:
        """The event of a command, as its kind declares it (domain/kinds.py)."""
        kind = KINDS.get(getattr(r, "change", ""))
        if kind is None or kind.command is None:
            raise InvalidInput(f"cannot record a change of type {type(r).__name__}")
        try:
            fields = kind.make(_Names(find or Resolver(conn)), r)
        except BadChange as exc:
            raise (Refused if exc.refused else InvalidInput)(str(exc)) from None
        return CHANGE_CLASSES[kind.name](
            timestamp=datetime.now(UTC),
            change_id=change_id,
            label=r.id,
            effective=r.effective,
            status=r.status,
            recorder=r.recorder,
            reason=r.reason,
            sources=r.sources,
            digest=digest,
            **fields,
        )

    # --- following the log -------------------------------------------------------------------
    def follow(self, conn: Connection, known: dict[int, ChangeEvent] | None = None) -> None:
        """Everything that follows the log inside a write transaction, once its events are saved:
        the audit chain seals them, then the read model projects them. `known` are events this
        transaction just saved, by position: they are projected as they are, not read back."""
        seal_log(conn)
        self.catch_up(conn, known=known)

    # --- the read model ---------------------------------------------------------------------
    def catch_up(
        self,
        conn: Connection,
        batch: int = 2000,
        known: dict[int, ChangeEvent] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Project every stored event after the read model's position (called inside writes).

        `known` are events this transaction just saved, by position: they are projected as they
        are, not read back and decoded. `progress` is told the position reached after each batch."""
        position = ReadModel.position(conn)
        if known:
            position = self._project_stored(conn, position, min(known) - 1, batch, progress)
            ordered = [(p, e) for p, e in sorted(known.items()) if p > position]
            if ordered:
                position = self._project_batch(conn, ordered, progress)
        return self._project_stored(conn, position, None, batch, progress)

    def _project_stored(
        self,
        conn: Connection,
        position: int,
        until: int | None,
        batch: int,
        progress: Callable[[int], None] | None,
    ) -> int:
        """Decode and project the stored events after `position` (up to `until`), batch by batch."""
        reader = ChangeReader(self.mapper.decode)  # type: ignore[attr-defined]
        pending: list[tuple[int, Any]] = []
        seen: set[str] = set()  # a change is stored on each aggregate it touches; read it once
        last = position
        for record in stored_records(conn, after=position, until=until):
            last = record.position
            key = stored_change_id(record.state)
            if key is not None:
                if key in seen:
                    continue
                seen.add(key)
            change = reader.read(
                record.topic, record.originator_id, record.originator_version, record.state
            )
            pending.append((record.position, change))
            if len(pending) >= batch:
                seen.clear()  # apply() skips changes the read model already holds
                position = self._project_batch(conn, pending, progress)
        if pending:
            position = self._project_batch(conn, pending, progress)
        if last > position:  # the log ends with events of changes already projected
            ReadModel.set_position(conn, last)
            position = last
        return position

    def _project_batch(
        self,
        conn: Connection,
        pending: list[tuple[int, Any]],
        progress: Callable[[int], None] | None,
    ) -> int:
        self.readmodel.apply(conn, pending)
        position = pending[-1][0]
        pending.clear()
        ReadModel.set_position(conn, position)
        if progress is not None:
            progress(position)
        return position

    def ensure_current(self) -> None:
        """Bring the read model up to the log (needed only after an interrupted rebuild)."""
        with self.engine.connect() as conn:
            behind = ReadModel.position(conn) < (self.recorder.max_notification_id() or 0)
        if behind:
            with self.writing() as conn:
                self.catch_up(conn)

    def rebuild(
        self, progress: Callable[[int], None] | None = None, workers: int | None = None
    ) -> int:
        """Drop the read model's rows and project the whole log again, in one transaction.

        The read model's secondary indexes are dropped for the load and built once at the end,
        which is several times faster than keeping them up to date row by row. On a long log the
        events are decoded and projected by `workers` processes (default: one per core; 0: none)
        while this one writes the rows."""
        from ledger.application.rebuild import project_in_workers

        if workers is None:
            workers = os.cpu_count() or 1
        with self.writing() as conn:
            ReadModel.clear(conn)
            with ReadModel.without_indexes(conn):
                project_in_workers(self, conn, workers, progress)
                self.catch_up(conn, batch=5000, progress=progress)
            self.readmodel.cut_all_periods(conn)
            return int(conn.execute(select(func.count()).select_from(changes)).scalar() or 0)


class _Batch:
    """One call's changes inside its transaction, checked and appended CHUNK at a time.

    Later changes resolve names through the read model, which is projected only when a chunk is
    appended; the names that pending changes introduce are answered from `PendingNames`, and any
    other question (a kind, a suggestion, an ambiguity) appends the pending chunk first.
    """

    def __init__(
        self,
        app: LedgerApp,
        conn: Connection,
        requests: Sequence[Any],
        *,
        dry_run: bool,
        use_cache: bool,
        names: KnownNames | None = None,
    ) -> None:
        self.app = app
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
                digest = request_digest(request)
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
        return list(
            self.conn.execute(
                select(
                    changes.c.change_id,
                    changes.c.position,
                    changes.c.digest,
                    changes.c.kind,
                    changes.c.effective,
                ).where(changes.c.change_id.in_(ids))
            ).all()
        )

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
        if isinstance(request, cmd.Correct | cmd.Retract | cmd.Amend):
            # The change it amends is found in the read model: projected first if it is pending,
            # or if a pending correction or retraction amends it already (so that is refused).
            if isinstance(request, cmd.Amend):
                target = request.target
            else:
                target = request.corrects if isinstance(request, cmd.Correct) else request.retracts
            if self.names.names_change(target):
                self.flush()
            event = self.app._amendment(self.conn, request, change_id, digest)
            amended = event.retracts if isinstance(event, Retracted) else event.supersedes
            if amended is not None and amended.hex in self.names.amended:
                self.flush()
                event = self.app._amendment(self.conn, request, change_id, digest)
        else:
            assert digest is not None  # every request but a command's amendment has one
            event = self.app._build(self.conn, request, change_id, digest, self.find)
        self.recorded.add(change_id)
        self.names.add(event)
        self.pending.append(Pending(index, event))
        if len(self.pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        """Check the pending changes in order, store them (each once), and follow the log once."""
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        parties: dict[UUID, str] = {}
        for item in pending:
            for party in item.event.parties():
                parties.setdefault(party.id, party.entity)
        self.app._load(self.conn, parties, self.aggregates, use_cache=self.use_cache)
        checked: list[tuple[Pending, list[Entity]]] = []
        for item in pending:
            try:
                touched = self.app._touch(item.event, self.aggregates)
                self.app._check(item.event, touched)
            except Refused as exc:
                exc.index = item.index
                raise
            checked.append((item, touched))
        recordings = self.app._store([item.event for item, _ in checked])
        known = {r.notification.id: cast(ChangeEvent, r.domain_event) for r in recordings}
        self.stored += len(known)
        self.last_position = max(known, default=self.last_position)
        self.app.follow(self.conn, known)
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
            self.outcomes[item.index] = self.app._outcome(
                item.event, touched, recording.notification.id, dry_run=self.dry_run
            )


def _label(aggregate: Entity) -> str:
    return aggregate.label


def _is_named_new(event: ChangeEvent, body_id: UUID) -> bool:
    """The new successor of a merger is the point of the change, not an introduction."""
    return isinstance(event, Merged) and event.into_new and event.successor == body_id


def _in_transaction() -> bool:
    """Whether this context is already inside a ledger transaction (which then does the writing)."""
    return in_transaction()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = ["LedgerApp", "Outcome", "Resolver", "change_id_for", "org_id", "person_id", "post_id"]
