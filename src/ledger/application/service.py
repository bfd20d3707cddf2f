"""LedgerApp: the one way in. Every change, from the CLI, an importer or a test, comes through here.

Recording a change: resolve the names it uses, build its event, load every aggregate it touches, let
each check its timeline with the change applied, then save all their new events and bring the read
model up to date, in one transaction. Anything refused leaves the store exactly as it was.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import random
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

import sqlalchemy.exc
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    IntegrityError,
    Mapper,
    OperationalError,
    PersistenceError,
    ProgrammingError,
)
from eventsourcing_sqlalchemy.datastore import transactions
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from ledger.adapters import audit as audit_tables
from ledger.adapters.audit import seal_log, stored_records
from ledger.adapters.mapper import PydanticMapper
from ledger.adapters.readmodel import ReadModel, changes, entities, fold, names
from ledger.adapters.recorder import APPEND_LOCK
from ledger.adapters.store import guard_events
from ledger.application import commands as cmd
from ledger.application.errors import (
    Ambiguous,
    ConcurrentChange,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Refused,
    StoreUnavailable,
)
from ledger.domain.events import (
    Appointed,
    AppointmentEnded,
    ChangeEvent,
    Closed,
    DecisionRecorded,
    Established,
    FactRecorded,
    FunctionMoved,
    IntroducedBody,
    Joined,
    Left,
    Merged,
    Party,
    PostAbolished,
    PostCreated,
    Reclassified,
    RelationshipEnded,
    RelationshipStarted,
    Renamed,
    Retracted,
    Split,
    StaffTransferred,
    Succeeded,
)
from ledger.domain.model import Conflict, Entity, new_entity

NAMESPACE = UUID("6f1c1a52-4a0e-5b7e-9d1e-3c2b8a7d0e11")


def org_id(name: str, codes: dict[str, str] | None = None) -> UUID:
    if codes:
        scheme = "ods" if "ods" in codes else sorted(codes)[0]
        return uuid.uuid5(NAMESPACE, f"organisation:{scheme}:{codes[scheme].upper()}")
    return uuid.uuid5(NAMESPACE, f"organisation:{fold(name)}")


def post_id(organisation: UUID, title: str) -> UUID:
    return uuid.uuid5(NAMESPACE, f"post:{organisation.hex}:{fold(title)}")


def person_id(name: str) -> UUID:
    return uuid.uuid5(NAMESPACE, f"person:{fold(name)}")


def function_id(name: str) -> UUID:
    return uuid.uuid5(NAMESPACE, f"function:{fold(name)}")


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
        self.datastore = cast(Any, self.factory).datastore
        self.engine: Engine = self.datastore.engine
        self._touched: list[str] = []
        self.readmodel = ReadModel(self.mapper.to_domain_event)  # type: ignore[arg-type]
        with self.engine.begin() as conn:
            ReadModel.create(conn)
            audit_tables.create(conn)
            guard_events(conn)

    # --- transactions ----------------------------------------------------------------------
    @contextmanager
    def writing(self, *, lock_first: bool = False) -> Iterator[Session]:
        """One write transaction. On SQLite it takes the write lock before anything is read; on
        PostgreSQL it validates optimistically and queues on the append lock only to insert, unless
        `lock_first` (used on a retry, so a hot body cannot make a writer lose again)."""
        nested = _in_transaction()
        if not nested:
            self._touched = []
        try:
            with self.datastore.transaction(commit=True) as session:
                if not nested:
                    conn = session.connection(execution_options={"ledger_write": True})
                    if lock_first and conn.dialect.name == "postgresql":
                        conn.execute(
                            text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK}
                        )
                yield session
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
    ) -> list[Outcome]:
        """Record changes in order, all in one transaction: all are appended, or none.

        With dry_run the transaction is rolled back at the end; `probe` sees the store inside it.
        If another writer changes the same aggregates first, the batch is checked again against
        the new history and retried (up to `retries` times); then the conflict is reported.
        """
        attempt = 0
        while True:
            self._touched = []  # also when nested in an outer transaction, which does not reset it
            try:
                return self._record_many_once(
                    requests, dry_run=dry_run, probe=probe, lock_first=attempt > 0
                )
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
        lock_first: bool = False,
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        try:
            with self.writing(lock_first=lock_first) as session:
                conn = session.connection()
                for index, request in enumerate(requests):
                    try:
                        outcomes.append(self._record_one(conn, request, dry_run=dry_run))
                        if probe is not None:
                            probe(conn)
                    except (Refused, NotFound, Ambiguous, InvalidInput) as exc:
                        exc.index = index
                        raise
                if dry_run:
                    raise _Rollback
        except _Rollback:
            pass
        return outcomes

    def _record_one(self, conn: Connection, request: Any, *, dry_run: bool) -> Outcome:
        change_id = change_id_for(request)
        digest = request_digest(request)
        existing = conn.execute(
            select(changes.c.position, changes.c.digest, changes.c.kind, changes.c.effective).where(
                changes.c.change_id == change_id.hex
            )
        ).first()
        handle = request.id or change_id.hex[:8]
        if existing is not None:
            if existing.digest and existing.digest != digest:
                raise Refused(
                    f"change {handle!r} is already recorded with different content "
                    f"(position {existing.position}); correct it instead of recording it again"
                )
            return Outcome(
                change_id,
                handle,
                existing.kind,
                existing.effective,
                "already recorded",
                existing.position,
            )
        if isinstance(request, cmd.Correct | cmd.Retract):
            return self._amend(request, change_id, digest, dry_run=dry_run)
        event = self._build(conn, request, change_id, digest)
        return self._append(conn, event, dry_run=dry_run)

    def _amend(
        self, request: cmd.Correct | cmd.Retract, change_id: UUID, digest: str, *, dry_run: bool
    ) -> Outcome:
        """A change file's correction or retraction, inside the file's transaction (which rolls
        back a dry run), with the stable id and digest that make re-imports idempotent."""
        authorship: dict[str, Any] = {
            "recorder": request.recorder,
            "reason": request.reason,
            "sources": request.sources,
            "label": request.id,
            "identity": (change_id, digest),
        }
        if isinstance(request, cmd.Correct):
            outcome = self.correct(request.corrects, updates=request.updates(), **authorship)
        else:
            outcome = self.retract(request.retracts, **authorship)
        if dry_run:
            outcome.status = "would record"
        return outcome

    def _append(
        self, conn: Connection, event: ChangeEvent, *, dry_run: bool, also: Sequence[Party] = ()
    ) -> Outcome:
        """Check the change on every aggregate it touches (and `also`), then save them together."""
        aggregates = self._touch(event, also)
        # Organisations first: "the body had closed" explains more than what follows from it.
        for aggregate in sorted(aggregates, key=lambda a: a.entity_type != "organisation"):
            try:
                aggregate.check(event.change_id)
            except Conflict as conflict:
                raise Refused(f"refused {event.kind} {event.effective}: {conflict}") from None
        pending = [(agg, ev) for agg in aggregates for ev in agg.collect_events()]
        recordings = self.save(*(ev for _, ev in pending))
        self.follow(conn)
        position = min((r.notification.id for r in recordings), default=None)
        return Outcome(
            event.change_id,
            event.handle,
            "cancelled" if isinstance(event, Retracted) and event.cancelled else event.kind,
            str(event.effective),
            "would record" if dry_run else "recorded",
            position,
            events=[(_label(agg), ev.kind) for agg, ev in pending],
            introduced=[b.name for b in event.introduced if not _is_named_new(event, b.id)],
        )

    def _touch(self, event: ChangeEvent, also: Sequence[Party] = ()) -> list[Entity]:
        aggregates: list[Entity] = []
        seen: set[UUID] = set()
        for party in [*event.parties(), *also]:
            if party.id in seen:
                continue
            seen.add(party.id)
            try:
                aggregate: Entity = self.repository.get(party.id)
            except AggregateNotFoundError:
                aggregate = new_entity(party.entity, party.id)
            known_as = aggregate.label if aggregate.version else None  # the name before this change
            aggregate.record(event)
            if party.entity == "organisation":
                self._touched.append(known_as or aggregate.label)
            aggregates.append(aggregate)
        return aggregates

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
        notification = self.recorder.select_notifications(start=row.position, limit=1)[0]
        return row, cast(ChangeEvent, self.mapper.to_domain_event(notification))

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
        identity: tuple[UUID, str] | None = None,
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
        identity: tuple[UUID, str] | None = None,
    ) -> Outcome:
        """Supersede a change with a corrected copy (or confirm a plan); the original stays in the log.

        `identity` (change id, digest) is given by a change file's entry, so re-importing it is a no-op.
        """
        with self._transaction(dry_run) as conn:
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
            data.update(
                supersedes=old.change_id, originator_id=old.originator_id, originator_version=0
            )
            if confirm:
                data["status"] = "happened"
            try:
                event = type(old).model_validate(data)
            except ValueError as exc:
                raise InvalidInput(_first_line(exc)) from None
            return self._append(conn, event, dry_run=dry_run, also=old.parties())

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
        identity: tuple[UUID, str] | None = None,
    ) -> Outcome:
        """Withdraw a change (or cancel a plan); queries stop showing it, the log keeps both."""
        with self._transaction(dry_run) as conn:
            old = self._current(conn, target)
            if cancel and not old.planned:
                raise Refused(f"change {target!r} is not a plan; retract it instead of cancelling")
            envelope = self._envelope(recorder, reason, sources or old.sources, label, identity)
            event = Retracted(
                **envelope,
                effective=old.effective,
                retracts=old.change_id,
                cancelled=cancel,
                touched=tuple(old.parties()),
            )
            return self._append(conn, event, dry_run=dry_run)

    @contextmanager
    def rehearsal(self) -> Iterator[None]:
        """Everything inside is checked and written, then rolled back (a dry run of several batches)."""
        try:
            with self.writing():
                yield
                raise _Rollback
        except _Rollback:
            pass

    @contextmanager
    def _transaction(self, dry_run: bool) -> Iterator[Connection]:
        try:
            with self.writing() as session:
                yield session.connection()
                if dry_run:
                    raise _Rollback
        except _Rollback:
            pass

    # --- building events from requests -----------------------------------------------------
    def _build(self, conn: Connection, r: Any, change_id: UUID, digest: str) -> ChangeEvent:
        common: dict[str, Any] = {
            "timestamp": datetime.now(UTC),
            "change_id": change_id,
            "label": r.id,
            "effective": r.effective,
            "status": r.status,
            "recorder": r.recorder,
            "reason": r.reason,
            "sources": r.sources,
            "digest": digest,
        }
        find = Resolver(conn)
        match r:
            case cmd.Establish():
                found = find.maybe_organisation(r.organisation)
                if found is None:
                    found = find.organisation_by_codes(r.codes)
                target = found or org_id(r.organisation, r.codes)
                return Established(
                    **common,
                    organisation=target,
                    name=r.organisation,
                    org_kind=r.kind,
                    codes=r.codes,
                    on_or_before=r.on_or_before,
                )
            case cmd.Rename():
                return Renamed(
                    **common, organisation=find.organisation(r.organisation), name=r.name
                )
            case cmd.Reclassify():
                return Reclassified(
                    **common, organisation=find.organisation(r.organisation), org_kind=r.kind
                )
            case cmd.Close():
                return Closed(**common, organisation=find.organisation(r.organisation))
            case cmd.Merge():
                return self._merge(find, r, common)
            case cmd.SplitUp():
                return self._split(find, r, common)
            case cmd.Succeed():
                return Succeeded(
                    **common,
                    predecessor=find.organisation(r.predecessor),
                    successor=find.organisation(r.successor),
                )
            case cmd.Join():
                return Joined(
                    **common,
                    member=find.organisation(r.member),
                    body=find.organisation(r.body),
                    role=r.role,
                )
            case cmd.Leave():
                return Left(
                    **common, member=find.organisation(r.member), body=find.organisation(r.body)
                )
            case cmd.StartRelationship():
                return RelationshipStarted(
                    **common,
                    subject=find.organisation(r.subject),
                    relation=r.relation,
                    object=find.organisation(r.object),
                )
            case cmd.EndRelationship():
                return RelationshipEnded(
                    **common,
                    subject=find.organisation(r.subject),
                    relation=r.relation,
                    object=find.organisation(r.object),
                )
            case cmd.MoveFunction():
                return FunctionMoved(
                    **common,
                    function=function_id(r.function),
                    function_name=r.function,
                    from_body=find.organisation(r.from_),
                    to_body=find.organisation(r.to),
                    headcount=r.headcount,
                )
            case cmd.TransferStaff():
                return StaffTransferred(
                    **common,
                    function=function_id(r.function),
                    function_name=r.function,
                    from_body=find.organisation(r.from_),
                    to_body=find.organisation(r.to),
                    headcount=r.headcount,
                )
            case cmd.CreatePost():
                organisation = find.organisation(r.organisation)
                return PostCreated(
                    **common,
                    post=post_id(organisation, r.post),
                    title=r.post,
                    organisation=organisation,
                )
            case cmd.AbolishPost():
                organisation = find.organisation(r.organisation)
                return PostAbolished(
                    **common, post=find.post(r.post, organisation), organisation=organisation
                )
            case cmd.Appoint():
                organisation = find.organisation(r.organisation)
                person = find.person(r.person, missing_ok=True) or person_id(r.person)
                return Appointed(
                    **common,
                    post=find.post(r.post, organisation),
                    organisation=organisation,
                    person=person,
                    person_name=r.person,
                    interim=r.interim,
                    acting=r.acting,
                    shadow=r.shadow,
                )
            case cmd.EndAppointment():
                organisation = find.organisation(r.organisation)
                holder = find.person(r.person)
                assert holder is not None
                return AppointmentEnded(
                    **common,
                    post=find.post(r.post, organisation),
                    organisation=organisation,
                    person=holder,
                )
            case cmd.RecordFact():
                return FactRecorded(
                    **common,
                    subject=find.organisation(r.subject),
                    attribute=r.attribute,
                    value=r.value,
                    unit=r.unit,
                    function=function_id(r.function) if r.function else None,
                    function_name=r.function,
                )
            case cmd.RecordDecision():
                return DecisionRecorded(
                    **common,
                    body=find.organisation(r.body),
                    decision=r.decision,
                    about=tuple(find.organisation(a) for a in r.about),
                )
        raise InvalidInput(f"cannot record a change of type {type(r).__name__}")

    def _merge(self, find: Resolver, r: cmd.Merge, common: dict[str, Any]) -> ChangeEvent:
        introduced: list[IntroducedBody] = []
        successor: UUID | None = find.maybe_organisation(r.successor)
        if successor is None:
            successor = find.organisation_by_codes(r.codes)
        if r.into == "new" and successor is not None:
            raise Refused(
                f"refused merged: the successor {r.successor!r} already exists; use into: existing"
            )
        if r.into == "existing" and successor is None:
            raise NotFound(find.not_found_message(r.successor, "organisation"))
        into_new = successor is None
        successor_kind = r.kind or (find.kind_of(successor) if successor else None)
        if into_new:
            if not r.kind:
                raise InvalidInput(
                    f"merged: 'kind' is required because {r.successor!r} is a new body"
                )
            successor = org_id(r.successor, r.codes)
            introduced.append(
                IntroducedBody(id=successor, name=r.successor, kind=r.kind, codes=r.codes)
            )
        assert successor is not None
        predecessors: list[UUID] = []
        for name in r.predecessors:
            found: UUID | None = find.maybe_organisation(name, introducing=True)
            if found is None:
                found = org_id(name)
                introduced.append(
                    IntroducedBody(id=found, name=name, kind=successor_kind or "unknown")
                )
            predecessors.append(found)
        if successor in predecessors:
            raise InvalidInput("merged: the successor cannot also be a predecessor")
        return Merged(
            **common,
            predecessors=tuple(predecessors),
            successor=successor,
            into_new=into_new,
            introduced=tuple(introduced),
        )

    def _split(self, find: Resolver, r: cmd.SplitUp, common: dict[str, Any]) -> ChangeEvent:
        source = find.organisation(r.source)
        kind = r.kind or find.kind_of(source) or "unknown"
        successors: list[UUID] = []
        new: list[UUID] = []
        introduced: list[IntroducedBody] = []
        for name in r.successors:
            found = find.maybe_organisation(name, introducing=True)
            if found is None:
                found = org_id(name)
                new.append(found)
                introduced.append(IntroducedBody(id=found, name=name, kind=kind))
            successors.append(found)
        if source in successors:
            raise InvalidInput(
                "split: the source cannot also be a successor; use source_continues: true"
            )
        return Split(
            **common,
            source=source,
            successors=tuple(successors),
            new_successors=tuple(new),
            source_continues=r.source_continues,
            introduced=tuple(introduced),
        )

    # --- following the log -------------------------------------------------------------------
    def follow(self, conn: Connection) -> None:
        """Everything that follows the log inside a write transaction, once its events are saved:
        the audit chain seals them, then the read model projects them."""
        seal_log(conn)
        self.catch_up(conn)

    # --- the read model ---------------------------------------------------------------------
    def catch_up(
        self,
        conn: Connection,
        batch: int = 2000,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Project every stored event after the read model's position (called inside writes).

        `progress` is told the log position reached after each batch."""
        position = ReadModel.position(conn)
        decode = self.mapper.decode  # type: ignore[attr-defined]
        pending: list[tuple[int, Any]] = []
        for record in stored_records(conn, after=position):
            event = decode(
                record.topic, UUID(record.originator_id), record.originator_version, record.state
            )
            pending.append((record.position, event))
            if len(pending) >= batch:
                position = self._project_batch(conn, pending, progress)
        if pending:
            position = self._project_batch(conn, pending, progress)
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
            with self.writing() as session:
                self.catch_up(session.connection())

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Drop the read model's rows and project the whole log again, in one transaction.

        The read model's secondary indexes are dropped for the load and built once at the end,
        which is several times faster than keeping them up to date row by row."""
        with self.writing() as session:
            conn = session.connection()
            ReadModel.clear(conn)
            with ReadModel.without_indexes(conn):
                self.catch_up(conn, batch=5000, progress=progress)
            return int(conn.execute(select(func.count()).select_from(changes)).scalar() or 0)


class Resolver:
    """Finds organisations, posts and people by id, code or unambiguous name."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _candidates(self, text: str, entity: str) -> list[str]:
        folded = fold(text)
        rows = self.conn.execute(
            select(names.c.entity_id)
            .join(entities, entities.c.id == names.c.entity_id)
            .where(names.c.folded == folded, entities.c.entity == entity)
            .distinct()
        ).all()
        found = [r[0] for r in rows]
        if not found:
            key = text.strip().lower().replace("-", "")
            if len(key) >= 6 and all(c in "0123456789abcdef" for c in key):
                rows = self.conn.execute(
                    select(entities.c.id).where(
                        entities.c.id.like(key + "%"), entities.c.entity == entity
                    )
                ).all()
                found = [r[0] for r in rows]
        return found

    def find(
        self, text: str, entity: str, *, missing_ok: bool = False, introducing: bool = False
    ) -> UUID | None:
        found = self._candidates(text, entity)
        if len(found) == 1:
            return UUID(found[0])
        if len(found) > 1:
            listing = "; ".join(self.describe(f) for f in found[:8])
            raise Ambiguous(f"{entity} {text!r} is ambiguous: {listing} (use the id)")
        if introducing:
            close = self.suggestions(text, entity, cutoff=0.85)
            if close:
                raise NotFound(
                    f"unknown {entity} {text!r}; did you mean {close[0]!r}? "
                    "(a merger or split only introduces a body whose name is not close to a known one)"
                )
        if missing_ok:
            return None
        raise NotFound(self.not_found_message(text, entity))

    def organisation(self, text: str) -> UUID:
        found = self.find(text, "organisation")
        assert found is not None
        return found

    def maybe_organisation(self, text: str, *, introducing: bool = False) -> UUID | None:
        return self.find(text, "organisation", missing_ok=True, introducing=introducing)

    def organisation_by_codes(self, codes: dict[str, str]) -> UUID | None:
        for code in codes.values():
            found = self.find(code, "organisation", missing_ok=True)
            if found is not None:
                return found
        return None

    def person(self, text: str, *, missing_ok: bool = False) -> UUID | None:
        return self.find(text, "person", missing_ok=missing_ok)

    def post(self, title: str, organisation: UUID) -> UUID:
        candidate = post_id(organisation, title)
        row = self.conn.execute(select(entities.c.id).where(entities.c.id == candidate.hex)).first()
        if row is None:
            org_name = self.conn.execute(
                select(entities.c.name).where(entities.c.id == organisation.hex)
            ).scalar()
            raise NotFound(f"no post {title!r} in {org_name}; record post_created first")
        return candidate

    def kind_of(self, organisation: UUID) -> str | None:
        from ledger.adapters.readmodel import facts

        value = self.conn.execute(
            select(facts.c.value)
            .where(
                facts.c.subject == organisation.hex,
                facts.c.aspect == "kind",
                facts.c.known_to.is_(None),
            )
            .order_by(facts.c.eff_start.desc(), facts.c.known_from.desc())
        ).scalar()
        return str(value) if value else None

    def describe(self, entity_id: str) -> str:
        row = self.conn.execute(
            select(entities.c.name, entities.c.entity).where(entities.c.id == entity_id)
        ).first()
        name = row.name if row else "?"
        return f"{name} [{entity_id[:8]}]"

    def suggestions(self, text: str, entity: str, cutoff: float = 0.6) -> list[str]:
        rows = self.conn.execute(
            select(names.c.name)
            .join(entities, entities.c.id == names.c.entity_id)
            .where(entities.c.entity == entity)
        ).all()
        by_fold = {fold(r[0]): r[0] for r in rows}
        close = difflib.get_close_matches(fold(text), list(by_fold), n=3, cutoff=cutoff)
        return [by_fold[c] for c in close]

    def not_found_message(self, text: str, entity: str) -> str:
        close = self.suggestions(text, entity)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return f"unknown {entity} {text!r}{hint}"


def _label(aggregate: Entity) -> str:
    return aggregate.label


def _is_named_new(event: ChangeEvent, body_id: UUID) -> bool:
    """The new successor of a merger is the point of the change, not an introduction."""
    return isinstance(event, Merged) and event.into_new and event.successor == body_id


def _in_transaction() -> bool:
    """Whether this context is already inside a ledger transaction (which then does the writing)."""
    try:
        transactions.get()
    except LookupError:
        return False
    return True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = ["LedgerApp", "Outcome", "Resolver", "change_id_for", "org_id", "person_id", "post_id"]
