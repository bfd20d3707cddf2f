"""LedgerApp: the one way in. Every change, from the CLI, an importer or a test, comes through here.

The application opens the store (bringing one made by an earlier version up to date) and owns its
write transactions; its methods hand the work to the module of each job: recording changes to the
one write path (recording.py), corrections and retractions to amendments.py, following the log and
rebuilding the read model to projection.py. Writers are serialised (SQLite's write lock; on
PostgreSQL an advisory lock taken first), so a change is always checked against everything
committed before it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast
from uuid import UUID

import sqlalchemy.exc
from eventsourcing.application import Application
from eventsourcing.persistence import (
    DatabaseError,
    IntegrityError,
    Mapper,
    OperationalError,
    PersistenceError,
    ProgrammingError,
)
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from ledger.adapters import audit as audit_tables
from ledger.adapters import guarded, periods
from ledger.adapters.audit import UnsealedEvent
from ledger.adapters.mapper import PydanticMapper
from ledger.adapters.readmodel import ReadModel
from ledger.adapters.recorder import LedgerFactory, LedgerRecorder, in_transaction
from ledger.adapters.store import APPEND_LOCK, guard_events, guard_faults
from ledger.adapters.tables import read_model_complete
from ledger.application import amendments
from ledger.application import commands as cmd
from ledger.application.commands import change_id_for
from ledger.application.errors import (
    ConcurrentChange,
    ForeignEvent,
    GuardMissing,
    PermissionDenied,
    StoreUnavailable,
    first_line,
)
from ledger.application.projection import Projection
from ledger.application.recording import Outcome, Rollback, WritePath
from ledger.application.resolver import Resolver
from ledger.domain.events import ChangeEvent
from ledger.domain.ids import org_id, person_id, post_id


class LedgerApp(Application[UUID]):
    """The ledger application: records changes and keeps the read model current."""

    name = "Ledger"

    def construct_mapper(self) -> Mapper[UUID]:
        return PydanticMapper()

    def __init__(self, env: dict[str, str] | None = None) -> None:
        try:
            super().__init__(env)
        except (PersistenceError, sqlalchemy.exc.SQLAlchemyError) as exc:
            raise StoreUnavailable(f"cannot open the ledger store: {first_line(exc)}") from None
        self.database = cast(LedgerFactory, self.factory).database
        self.engine: Engine = self.database.engine
        self._touched: list[str] = []  # the bodies this transaction's changes touch, by name
        self.readmodel = ReadModel(self.engine.dialect)
        self.events_table = cast(LedgerRecorder, self.recorder).events_table
        mapper = cast(PydanticMapper, self.mapper)
        self.projection = Projection(self.readmodel, mapper)
        self.write_path = WritePath(
            writing=self.writing,
            events=self.events,
            notify=self._notify,
            events_table=self.events_table,
            mapper=mapper,
            projection=self.projection,
            touched=self._touched,
        )
        self.aggregates = self.write_path.histories.cache  # histories kept between batches
        self.names_memo = self.write_path.names_memo  # the resolver's names, kept likewise
        with self.engine.begin() as conn:
            chained = audit_tables.exists(conn)
            ReadModel.create(conn)
            audit_tables.create(conn)
            if not audit_tables.max_position(conn) and guard_faults(conn):
                guard_events(conn)  # a new ledger: its guards are made with its tables
            if not chained:
                audit_tables.seal_log(conn)  # a log recorded before the chain existed
            if conn.dialect.name == "postgresql" and not guarded.current(conn):
                # Only the ledger's functions write its tables; made by the owner (another user
                # cannot, and appends nothing until the owner has opened the store once).
                try:
                    with conn.begin_nested():
                        guarded.install(conn)
                except sqlalchemy.exc.ProgrammingError:
                    pass
        self._add_missing_indexes()

    def guard_faults(self) -> list[str]:
        """What is wrong with the append-only guards (nothing, normally): see `store.guard_faults`."""
        with self.engine.connect() as conn:
            return guard_faults(conn)

    def restore_guards(self) -> list[str]:
        """Make the append-only guards again, as the ledger made them (the owner, after looking
        into why they were gone: `ledger verify` says whether anything was changed meanwhile).
        Returns the faults found before."""
        with self.engine.begin() as conn:
            faults = guard_faults(conn)
            guard_events(conn)
        return faults

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
                        self.readmodel.list_parties(conn, self.projection.mapper.decode)
                    if periods.current(conn) is None:
                        self.readmodel.cut_all_periods(conn)
        except (sqlalchemy.exc.ProgrammingError, sqlalchemy.exc.OperationalError):
            pass
        except (PermissionDenied, GuardMissing):
            pass  # answered slower meanwhile; a write says why it is refused

    # --- transactions ----------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """One write transaction, holding the one writer's lock before anything is read: on SQLite
        its write lock (BEGIN IMMEDIATE), on PostgreSQL the append lock (an advisory lock). Writers
        queue instead of racing: a change is checked against everything committed before it, and
        positions stay gap-free for followers. (Measured against validating first and locking only
        to insert: see benchmarks/RESULTS.md, "Second design, step 2".)"""
        nested = in_transaction()
        if not nested:
            self._touched.clear()
            self.readmodel.discard_pending()
        try:
            with self.database.transaction(commit=True) as conn:
                if not nested:
                    if conn.dialect.name == "postgresql":
                        conn.execute(
                            text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK}
                        )
                    faults = guard_faults(conn)
                    if faults:
                        raise GuardMissing(_guard_missing(faults[0]))
                yield conn
                if not nested:
                    self.readmodel.cut_periods(conn)
        except UnsealedEvent as exc:
            raise ForeignEvent(_foreign(exc.position)) from None
        except (IntegrityError, sqlalchemy.exc.IntegrityError):
            names = ", ".join(dict.fromkeys(self._touched)) or "the same records"
            raise ConcurrentChange(
                f"another writer changed {names} at the same time; nothing was appended"
            ) from None
        except (ProgrammingError, sqlalchemy.exc.ProgrammingError) as exc:
            if "permission denied" in str(exc) or "insufficient" in str(exc).lower():
                raise PermissionDenied(
                    f"permission denied: this database user may not record changes ({first_line(exc)})"
                ) from None
            raise
        except (OperationalError, sqlalchemy.exc.OperationalError) as exc:
            raise StoreUnavailable(
                f"the ledger store refused the write: {first_line(exc)}"
            ) from None
        except (DatabaseError, sqlalchemy.exc.DatabaseError) as exc:
            state, detail = _diagnosis(exc)
            if state == guarded.FOREIGN_EVENT:
                raise ForeignEvent(_foreign(int(detail or 0))) from None
            if state == guarded.GUARD_FAULT:
                raise GuardMissing(_guard_missing(first_line(_driver_error(exc) or exc))) from None
            raise

    @contextmanager
    def rehearsal(self) -> Iterator[None]:
        """Everything inside is checked and written, then rolled back (a dry run of several batches)."""
        try:
            with self.writing():
                yield
                raise Rollback
        except Rollback:
            pass

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
        Writers are serialised (`writing`), so a batch is checked against everything committed
        before it; should the store still refuse it as a conflict (a unique key another writer
        took), it is checked again and retried (up to `retries` times), then the conflict is
        reported.
        """
        return self.write_path.record_many(
            requests, dry_run=dry_run, probe=probe, retries=retries, progress=progress
        )

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Refused: nothing is appended without its checks. Record changes with `record_many`."""
        raise NotImplementedError(
            "the ledger appends only checked changes: record them with LedgerApp.record_many"
        )

    # --- corrections, retractions and plans -------------------------------------------------
    def find_change(self, conn: Connection, text: str) -> tuple[Any, ChangeEvent]:
        """A recorded change by label or id (a prefix of 6+ hex digits will do), with its event."""
        return amendments.find_change(conn, self.projection.mapper, text)

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

    # --- following the log and the read model ------------------------------------------------
    def follow(self, conn: Connection, known: dict[int, ChangeEvent] | None = None) -> None:
        """Seal the events this transaction saved into the audit chain, then project them
        (`Projection.follow`)."""
        self.projection.follow(conn, known)

    def catch_up(
        self,
        conn: Connection,
        batch: int = 2000,
        known: dict[int, ChangeEvent] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Project every stored event after the read model's position (called inside writes)."""
        return self.projection.catch_up(conn, batch=batch, known=known, progress=progress)

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
        """Drop the read model's rows and project the whole log again, in one transaction, on a
        long log with `workers` processes (default: one per core; 0: none); see
        `Projection.rebuild`."""
        if workers is None:
            workers = os.cpu_count() or 1
        with self.writing() as conn:
            return self.projection.rebuild(conn, self.env, workers, progress)


def _foreign(position: int) -> str:
    return (
        f"refused: position {position} holds an event the ledger did not seal (written outside "
        "it); nothing was appended (run ledger verify)"
    )


def _guard_missing(fault: str) -> str:
    return (
        f"refused: {fault}; nothing was written (the owner restores the guards with "
        "ledger init --restore-guards, then runs ledger verify)"
    )


def _driver_error(exc: BaseException) -> Any:
    """The database driver's own error behind an eventsourcing or SQLAlchemy one, if any."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, sqlalchemy.exc.DBAPIError):
            return seen.orig
        seen = seen.__cause__
    return None


def _diagnosis(exc: BaseException) -> tuple[str | None, str | None]:
    """The SQLSTATE and detail the database gave an error (PostgreSQL's functions raise their own)."""
    orig = _driver_error(exc)
    diag = getattr(orig, "diag", None)
    return getattr(orig, "sqlstate", None), getattr(diag, "message_detail", None)


__all__ = ["LedgerApp", "Outcome", "Resolver", "change_id_for", "org_id", "person_id", "post_id"]
