"""Tamper evidence for auditors: checkpoints, verification, exports and inclusion proofs.

Verification recomputes everything from the stored events, never trusting what the ledger wrote
about them: the chain from the first event, the Merkle root at each checkpoint's size, and the read
model, projected again in memory as the log is read and compared row by row (application/verification.py holds the
checker, which also reads exports and proofs offline).
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import IO, Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ledger.adapters import audit as store
from ledger.adapters.store import guard_faults
from ledger.application import readmodel_check
from ledger.application.errors import InvalidInput, NotFound, Refused
from ledger.application.rebuild import shareable, worker_engine
from ledger.application.verification import (
    EXPORT_FORMAT,
    PROOF_FORMAT,
    ChainCheck,
    Finding,
    Given,
    Report,
    change_of,
    conclude,
    pairs,
    state_field,
)
from ledger.domain.chain import (
    GENESIS,
    StoredRecord,
    content_hash,
    inclusion_path,
    leaf_hash,
    merkle_root,
    payload_hash,
)
from ledger.domain.checkpoint import Checkpoint, CheckpointError, parse

# --- the service ---------------------------------------------------------------------------------


class Audit:
    """What an auditor runs against a ledger store (through LedgerApp's engine and mapper)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def checkpoint(self, sign_with: bytes | None = None) -> Checkpoint:
        """Check the chain from the start and record a checkpoint of the whole log (signed when a
        key is given). Seals nothing: an event the ledger did not seal refuses it."""
        with self.app.writing() as conn:
            check = ChainCheck()
            check.run(pairs(store.stored_records(conn), store.chain_rows(conn)))
            if check.fault is not None:
                raise Refused(
                    f"refused to checkpoint a broken chain: {check.fault.line()} (run ledger verify)"
                )
            cp = Checkpoint(
                size=check.merkle.count,
                position=check.last_position or 0,
                chain=check.previous,
                root=check.merkle.root(),
                time=Checkpoint.now(),
            )
            if sign_with is not None:
                try:
                    cp = cp.sign(sign_with)
                except CheckpointError as exc:
                    raise InvalidInput(f"cannot sign: {exc}") from None
            store.store_checkpoint(conn, cp.size, cp.position, cp.root, cp.text())
        return cp

    def verify(
        self,
        checkpoints: Sequence[tuple[str, Checkpoint]] = (),
        key: str | None = None,
        *,
        read_model: bool = True,
        workers: int | None = None,
    ) -> Report:
        """Check the chain, the checkpoints and (unless told not to) the read model, up to the last
        position stored or sealed when the check starts.

        The read-model comparison is the longer half. On a long log (and a store another process
        can open: not an in-memory one) it is cut into ranges checked by `workers` processes (by
        default one per core) while this process checks the chain; `workers=0` checks it here."""
        report = Report()
        with self.app.engine.connect() as conn:
            report.findings += [Finding(fault) for fault in guard_faults(conn)]
            until = _last_position(conn)
            given = [Given(name, cp, key) for name, cp in checkpoints]
            given += _stored_checkpoints(conn, report)
            if workers is None:
                workers = os.cpu_count() or 1
            if not shareable(self.app.engine):
                workers = 0
            parts = readmodel_check.ranges(until, workers) if read_model else []
            in_process = None
            if read_model and not parts:
                in_process = readmodel_check.RangeCheck(conn, self.app.mapper.decode, 0, until)
            with _Workers(dict(self.app.env), parts) as pending:
                check = ChainCheck(
                    (g.checkpoint.size for g in given),
                    in_process.add if in_process is not None else None,
                )
                records = store.stored_records(conn, until=until)
                entries = (e for e in store.chain_rows(conn) if e.position <= until)
                check.run(pairs(records, entries))
                conclude(check, given, report)
                partials = [in_process.finish()] if in_process is not None else pending.results()
            if read_model:
                found = readmodel_check.conclude(conn, partials, until)
                report.findings.extend(found)
                if not found:
                    report.held.append("the read model equals a rebuild")
        return report

    def first_fault(self, until: int | None = None) -> tuple[Finding | None, int]:
        """The first position where the chain does not hold (for replay --verify), and the last
        position checked."""
        with self.app.engine.connect() as conn:
            check = ChainCheck()
            records = store.stored_records(conn, until=until)
            entries = (e for e in store.chain_rows(conn) if until is None or e.position <= until)
            check.run(pairs(records, entries))
            return check.fault, check.last_position or 0

    def export(self, out: IO[str]) -> int:
        """Every stored event with its chain entry, one JSON object a line, after a header line."""
        count = 0
        with self.app.engine.connect() as conn:
            last = store.head(conn)
            header = {
                "format": EXPORT_FORMAT,
                "sealed": last.seq if last else 0,
                "head": last.hash if last else GENESIS,
            }
            out.write(json.dumps(header) + "\n")
            for record, entry in pairs(store.stored_records(conn), store.chain_rows(conn)):
                row: dict[str, Any] = {}
                if record is not None:
                    row.update(
                        position=record.position,
                        originator_id=record.originator_id,
                        originator_version=record.originator_version,
                        topic=record.topic,
                        **state_field(record.state),
                    )
                if entry is not None:
                    row.update(
                        position=entry.position,
                        seq=entry.seq,
                        payload_hash=entry.payload_hash,
                        content_hash=entry.content_hash,
                        hash=entry.hash,
                    )
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
        return count

    def prove(self, change: str, cp: Checkpoint) -> dict[str, Any]:
        """An inclusion proof of a change's stored events in the log the checkpoint attests."""
        with self.app.engine.connect() as conn:
            row, _ = self.app.find_change(conn, change)
            return Proofs(conn, cp).prove(row, change)


class Proofs:
    """Inclusion proofs of changes in the log a checkpoint attests: its leaves are hashed once,
    from the stored events, for as many proofs as are asked (`ledger prove`, the web's change
    pages). Reads only."""

    def __init__(self, conn: Connection, cp: Checkpoint) -> None:
        self.cp = cp
        self.leaves: list[bytes] = []
        # change id -> its events: (event, payload hash, leaf index)
        self.events: dict[UUID, list[tuple[StoredRecord, str, int]]] = {}
        for record in store.stored_records(conn):
            if len(self.leaves) == cp.size:
                break
            payload = payload_hash(record.state)
            self.leaves.append(
                leaf_hash(
                    record.position,
                    content_hash(
                        record.originator_id, record.originator_version, record.topic, payload
                    ),
                )
            )
            change = change_of(record)
            if change is not None:
                self.events.setdefault(change, []).append((record, payload, len(self.leaves) - 1))
        self.holds = len(self.leaves) == cp.size and merkle_root(self.leaves).hex() == cp.root

    def prove(self, row: Any, asked: str | None = None) -> dict[str, Any]:
        """The proof of the change a `ledger_changes` row describes; refused when the log no
        longer matches the checkpoint, or the checkpoint does not cover the change."""
        cp = self.cp
        if not self.holds:
            raise Refused(
                "refused: the log no longer matches this checkpoint (run ledger verify)"
                if len(self.leaves) >= cp.size
                else f"refused: the checkpoint covers {cp.size} events but the log holds {len(self.leaves)}"
            )
        change_id = UUID(row.change_id)
        found = self.events.get(change_id, [])
        if not found:
            raise NotFound(
                f"change {asked or row.label or row.change_id!r} (position {row.position}) is not "
                f"among the {cp.size} events this checkpoint covers; take a later checkpoint"
            )
        return {
            "format": PROOF_FORMAT,
            "change": {
                "id": change_id.hex,
                "label": row.label,
                "kind": row.kind,
                "effective": row.effective,
            },
            "checkpoint": cp.text(),
            "events": [
                {
                    "position": record.position,
                    "index": index,
                    "originator_id": record.originator_id,
                    "originator_version": record.originator_version,
                    "topic": record.topic,
                    **state_field(record.state),
                    "payload_hash": payload,
                    "path": [h.hex() for h in inclusion_path(self.leaves, index)],
                }
                for record, payload, index in found
            ],
        }


def latest_checkpoint(conn: Connection) -> Checkpoint | None:
    """The last checkpoint the store recorded (`ledger checkpoint`), if any."""
    text = conn.execute(
        select(store.checkpoints.c.text).order_by(store.checkpoints.c.id.desc()).limit(1)
    ).scalar()
    return parse(text, "the store's last checkpoint") if text else None


def _stored_checkpoints(conn: Connection, report: Report) -> list[Given]:
    found = []
    for row in conn.execute(select(store.checkpoints.c.id, store.checkpoints.c.text)).all():
        try:
            found.append(Given(f"#{row.id} (stored)", parse(row.text), stored=True))
        except CheckpointError as exc:
            report.findings.append(Finding(f"stored checkpoint #{row.id} is unreadable: {exc}"))
    return found


def _last_position(conn: Connection) -> int:
    """The last position stored or sealed: what one `verify` covers, whatever is appended during it."""
    sealed = store.head(conn)
    return max(store.max_position(conn), sealed.position if sealed is not None else 0)


class _Workers:
    """The read-model ranges checked in worker processes (spawned: each opens the store afresh)
    while the calling process checks the chain."""

    def __init__(self, env: dict[str, str], parts: list[tuple[int, int]]) -> None:
        self.env = env
        self.parts = parts
        self.pool: ProcessPoolExecutor | None = None
        self.futures: list[Future[readmodel_check.Partial]] = []

    def __enter__(self) -> _Workers:
        if self.parts:
            context = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(len(self.parts), mp_context=context)
            self.futures = [
                self.pool.submit(check_range_in_worker, self.env, after, until)
                for after, until in self.parts
            ]
        return self

    def results(self) -> list[readmodel_check.Partial]:
        found = []
        for (after, until), future in zip(self.parts, self.futures, strict=True):
            try:
                found.append(future.result())
            except Exception as exc:  # the worker could not open or read the store
                partial = readmodel_check.Partial(after, until)
                partial.errors.append(
                    Finding(f"the read model could not be checked: {exc}", after + 1, exact=False)
                )
                found.append(partial)
        return found

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def check_range_in_worker(env: dict[str, str], after: int, until: int) -> readmodel_check.Partial:
    """One range of the read-model check, in a process of its own: opens the store read-only and
    compares positions (after, until]."""
    from ledger.adapters.mapper import PydanticMapper

    gc.freeze()  # what is loaded by now lives as long as the worker: the collector can skip it
    engine = worker_engine(env)
    try:
        with engine.connect() as conn:
            return readmodel_check.check_range(conn, PydanticMapper().decode, after, until)
    finally:
        engine.dispose()
