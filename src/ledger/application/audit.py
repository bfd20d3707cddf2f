"""Tamper evidence for auditors: checkpoints, verification, exports and inclusion proofs.

Verification recomputes everything from the stored events, never trusting what the ledger wrote
about them: the chain from the first event, the Merkle root at each checkpoint's size, and the read
model, rebuilt in a scratch file and compared row by row (application/verification.py holds the
checker, which also reads exports and proofs offline).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import IO, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from sqlalchemy import Date, DateTime, create_engine, select
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.engine import Connection

from ledger.adapters import audit as store
from ledger.adapters.readmodel import ReadModel
from ledger.adapters.tables import READ_MODEL_TABLES, names
from ledger.application.errors import InvalidInput, NotFound, Refused
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

# --- the read model, rebuilt in a scratch file and compared ----------------------------------


def _normal(value: Any) -> Any:
    """A read-model value as both engines would agree on it (timestamps in UTC, dates as text)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# The column that says at which log position a read-model row became known.
_ROW_POSITION = {
    "ledger_changes": "position",
    "ledger_facts": "known_from",
    "ledger_entities": "first_position",
}


def _rows(conn: Connection, table: Any, order: str | None = None) -> Iterator[tuple[Any, ...]]:
    """A read-model table's rows (but its surrogate id), dates and timestamps normalised."""
    columns = [c for c in table.columns if c.name != "id"]
    dated = [i for i, c in enumerate(columns) if isinstance(c.type, Date | DateTime)]
    query = select(*columns)
    if order is not None:
        query = query.order_by(table.c[order])
    for row in conn.execution_options(yield_per=20_000).execute(query):
        values = list(row)
        for i in dated:
            values[i] = _normal(values[i])
        yield tuple(values)


def _grouped(
    conn: Connection, table: Any, column: str
) -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
    """A read-model table's rows grouped by their position column, in position order."""
    index = next(
        i for i, c in enumerate(c for c in table.columns if c.name != "id") if c.name == column
    )
    group: list[tuple[Any, ...]] = []
    current: int | None = None
    for values in _rows(conn, table, column):
        if values[index] != current and group:
            assert current is not None
            yield current, sorted(group, key=repr) if len(group) > 1 else group
            group = []
        current = values[index]
        group.append(values)
    if group:
        assert current is not None
        yield current, sorted(group, key=repr) if len(group) > 1 else group


def compare_read_models(live: Connection, rebuilt: Connection, head: int) -> list[Finding]:
    """Where the live read model differs from a rebuild: the first position of each table."""
    findings: list[Finding] = []
    tracked = ReadModel.position(live)
    if tracked < head:
        findings.append(
            Finding(
                f"the read model has not projected this event (it stops at position {tracked})",
                tracked + 1,
            )
        )
    for table in READ_MODEL_TABLES:
        column = _ROW_POSITION.get(table.name)
        if column is None:
            continue
        a, b = _grouped(live, table, column), _grouped(rebuilt, table, column)
        x, y = next(a, None), next(b, None)
        while x is not None or y is not None:
            if x is not None and y is not None and x == y:
                x, y = next(a, None), next(b, None)
                continue
            position = min(p[0] for p in (x, y) if p is not None)
            findings.append(
                Finding(f"the read model's {table.name} differs from a rebuild", position)
            )
            break
    if sorted(_rows(live, names), key=repr) != sorted(_rows(rebuilt, names), key=repr):
        findings.append(Finding("the read model's ledger_names differ from a rebuild"))
    return findings


class ScratchRebuild:
    """A read model projected from the records as the check walks them, into a private SQLite file
    that is deleted afterwards (on disk, so a big log does not have to fit in memory)."""

    def __init__(self, decode: Callable[[Any], Any]) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="ledger-verify-")
        self.engine = create_engine(f"sqlite:///{self.folder.name}/rebuild.db")
        sqlalchemy_event.listen(self.engine, "connect", _scratch_pragmas)
        self.conn = self.engine.connect()
        self.transaction = self.conn.begin()
        ReadModel.create(self.conn)
        self.readmodel = ReadModel(decode)
        self.decode = decode
        self.batch: list[tuple[int, Any]] = []
        self.errors: list[Finding] = []
        self.last = 0

    def add(self, record: StoredRecord) -> None:
        try:
            event = self.decode(
                StoredEvent(
                    originator_id=UUID(record.originator_id),
                    originator_version=record.originator_version,
                    topic=record.topic,
                    state=record.state,
                )
            )
        except Exception as exc:  # a payload that no longer decodes is itself a finding
            if not self.errors:
                self.errors.append(
                    Finding(f"the stored event does not decode ({exc})", record.position)
                )
            return
        self.batch.append((record.position, event))
        self.last = record.position
        if len(self.batch) >= 5000:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            self.readmodel.apply(self.conn, self.batch)
            self.batch = []
        ReadModel.set_position(self.conn, self.last)

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()
        self.folder.cleanup()


def _scratch_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode = OFF")  # a scratch copy: nothing to recover after a crash
    cursor.execute("PRAGMA synchronous = OFF")
    cursor.close()


# --- the service ---------------------------------------------------------------------------------


class Audit:
    """What an auditor runs against a ledger store (through LedgerApp's engine and mapper)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def checkpoint(self, sign_with: bytes | None = None) -> tuple[Checkpoint, int]:
        """Seal anything unsealed, check the chain from the start, and record a checkpoint of the
        whole log (signed when a key is given). Returns it and how many events it had to seal."""
        with self.app.writing() as session:
            conn = session.connection()
            sealed = store.seal_log(conn)
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
        return cp, sealed

    def verify(
        self,
        checkpoints: Sequence[tuple[str, Checkpoint]] = (),
        key: str | None = None,
        *,
        read_model: bool = True,
    ) -> Report:
        report = Report()
        rebuild = ScratchRebuild(self.app.mapper.to_domain_event) if read_model else None
        try:
            with self.app.engine.connect() as conn:
                given = [Given(name, cp, key) for name, cp in checkpoints]
                given += _stored_checkpoints(conn, report)
                check = ChainCheck(
                    (g.checkpoint.size for g in given),
                    rebuild.add if rebuild is not None else None,
                )
                check.run(pairs(store.stored_records(conn), store.chain_rows(conn)))
                conclude(check, given, report)
                if rebuild is not None:
                    rebuild.flush()
                    report.findings.extend(rebuild.errors)
                    found = compare_read_models(conn, rebuild.conn, check.last_position or 0)
                    report.findings.extend(found)
                    if not found and not rebuild.errors:
                        report.held.append("the read model equals a rebuild")
        finally:
            if rebuild is not None:
                rebuild.close()
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
            row, event = self.app.find_change(conn, change)
            leaves: list[bytes] = []
            found: list[tuple[StoredRecord, str, int]] = []  # (event, payload hash, leaf index)
            for record in store.stored_records(conn):
                if len(leaves) == cp.size:
                    break
                payload = payload_hash(record.state)
                leaves.append(
                    leaf_hash(
                        record.position,
                        content_hash(
                            record.originator_id,
                            record.originator_version,
                            record.topic,
                            payload,
                        ),
                    )
                )
                if change_of(record) == event.change_id:
                    found.append((record, payload, len(leaves) - 1))

        if len(leaves) < cp.size or merkle_root(leaves).hex() != cp.root:
            raise Refused(
                "refused: the log no longer matches this checkpoint (run ledger verify)"
                if len(leaves) >= cp.size
                else f"refused: the checkpoint covers {cp.size} events but the log holds {len(leaves)}"
            )
        if not found:
            raise NotFound(
                f"change {change!r} (position {row.position}) is not among the {cp.size} events "
                "this checkpoint covers; take a later checkpoint"
            )
        return {
            "format": PROOF_FORMAT,
            "change": {
                "id": event.change_id.hex,
                "label": event.label,
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
                    "path": [h.hex() for h in inclusion_path(leaves, index)],
                }
                for record, payload, index in found
            ],
        }


def _stored_checkpoints(conn: Connection, report: Report) -> list[Given]:
    found = []
    for row in conn.execute(select(store.checkpoints.c.id, store.checkpoints.c.text)).all():
        try:
            found.append(Given(f"#{row.id} (stored)", parse(row.text), stored=True))
        except CheckpointError as exc:
            report.findings.append(Finding(f"stored checkpoint #{row.id} is unreadable: {exc}"))
    return found
