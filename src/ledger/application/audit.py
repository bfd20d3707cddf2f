"""Tamper evidence for auditors: checkpoints, verification, exports and inclusion proofs.

Verification recomputes everything from the stored events, never trusting what the ledger wrote
about them: the chain from the first event, the Merkle root at each checkpoint's size, and the read
model, projected again in memory as the log is read and compared row by row (application/verification.py holds the
checker, which also reads exports and proofs offline).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from operator import itemgetter
from typing import IO, Any, cast
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ledger.adapters import audit as store
from ledger.adapters.readmodel import ChangeReader, PendingRows, ReadModel, stored_change_id
from ledger.adapters.tables import changes, entities, facts, names
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

# --- the read model, projected again in memory and compared as the check walks the log -----------


class _Table:
    """How one position-ordered read-model table is compared: its columns but the surrogate id and
    the column a later correction fills in (`closed_by`), which is compared once the log is read.

    Rows are compared as the driver holds them: the live rows are read without type conversion,
    and the projected rows go through the column types' bind processors, as an insert would (each
    distinct date or flag converted once: they repeat)."""

    def __init__(self, conn: Connection, table: Any, position: str, closed_by: str) -> None:
        self.table = table
        self.columns = [c.name for c in table.columns if c.name not in ("id", closed_by)]
        self.pick = itemgetter(*self.columns)
        self.processors: list[tuple[int, Callable[[Any], Any], dict[Any, Any]]] = [
            (i, process, {})
            for i, name in enumerate(self.columns)
            if (process := table.c[name].type._cached_bind_processor(conn.dialect)) is not None
        ]
        self.at = self.columns.index(position)
        self.closed_by = closed_by
        order = ", ".join([position, *(c.name for c in table.primary_key.columns)])
        self.sql = (
            f"SELECT {', '.join(self.columns)}, change_id, {closed_by} "
            f"FROM {table.name} ORDER BY {order}"
        )
        self.fault: int | None = None

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        row = self.pick(values)
        if not self.processors:
            return cast(tuple[Any, ...], row)
        converted = list(row)
        for i, process, memo in self.processors:
            value = converted[i]
            if type(value) is datetime:  # equal instants in other zones are stored apart
                converted[i] = process(value)
            elif value is not None:
                found = memo.get(value)
                if found is None:
                    if len(memo) > 100_000:
                        memo.clear()
                    found = memo[value] = process(value)
                converted[i] = found
        return tuple(converted)


def _same(expected: list[tuple[Any, ...]], live: list[tuple[Any, ...]] | None) -> bool:
    """The rows of one position agree (in insertion order, or failing that in any order)."""
    if live is None:
        return not expected
    return expected == live or sorted(expected, key=repr) == sorted(live, key=repr)


class ReadModelCheck:
    """Projects each stored event as the chain check reaches it, with the read model's own code, and
    compares the rows with the live read model's, position by position. No copy of the read model
    is written: the cost is decoding and projecting the log once, and reading the live rows once.

    Corrections fill in `superseded_at` and `known_to` of earlier rows; those are collected on both
    sides as the log is read and compared at the end, with entities and names (a few rows per body).
    """

    BATCH = 5000

    def __init__(self, live: Connection, decode: Callable[[str, UUID, int, bytes], Any]) -> None:
        self.live = live
        self.reader = ChangeReader(decode)
        self.projector = ReadModel()
        self.pending = PendingRows()
        self.tables = [
            _Table(live, changes, "position", "superseded_at"),
            _Table(live, facts, "known_from", "known_to"),
        ]
        self.streams = [self._live(0), self._live(1)]
        self.heads: list[tuple[int, list[tuple[Any, ...]]] | None] = [None, None]
        self.batch: list[int] = []  # positions projected into `pending`
        self.seen: set[str] = set()
        self.superseded: dict[str, int] = {}  # change id -> first position that superseded it
        self.live_closed: list[dict[str, set[int]]] = [{}, {}]  # per table: change id -> values
        self.entities: dict[str, dict[str, Any]] = {}
        self.names: set[tuple[Any, ...]] = set()
        self.errors: list[Finding] = []

    def _live(self, index: int) -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
        """The live table's rows grouped by position, in position order; the correction column is
        noted aside."""
        spec = self.tables[index]
        closed = self.live_closed[index]
        width = len(spec.columns)
        group: list[tuple[Any, ...]] = []
        current: int | None = None
        # Streamed (a server-side cursor on PostgreSQL) and read from the driver's cursor itself:
        # the rows are only compared, and wrapping millions of them costs more than reading them.
        cursor = self.live.execution_options(stream_results=True).exec_driver_sql(spec.sql).cursor
        while rows := cursor.fetchmany(20_000):
            for row in rows:
                if row[width + 1] is not None:
                    closed.setdefault(row[width], set()).add(row[width + 1])
                found = tuple(row[:width])
                if found[spec.at] != current and group:
                    assert current is not None
                    yield current, group
                    group = []
                current = found[spec.at]
                group.append(found)
        if group:
            assert current is not None
            yield current, group

    def add(self, record: StoredRecord) -> None:
        key = stored_change_id(record.state)
        if key is not None and key in self.seen:
            return  # the change was projected where it was first stored
        try:
            change = self.reader.read(
                record.topic, record.originator_id, record.originator_version, record.state
            )
            if change.change_id in self.seen:
                return
            self.seen.add(change.change_id)
            self.projector.project(record.position, change, self.pending)
        except Exception as exc:  # a payload that no longer decodes is itself a finding
            self.errors.append(
                Finding(f"the stored event does not decode ({exc})", record.position)
            )
            return
        self.batch.append(record.position)
        if len(self.batch) >= self.BATCH:
            self._compare_batch()

    def _compare_batch(self) -> None:
        pending, self.pending = self.pending, PendingRows()
        last = self.batch[-1]
        self.batch = []
        for key, at in pending.later.items():
            self.superseded.setdefault(key, at)
        for key, row in pending.changes.items():
            if row["superseded_at"] is not None:
                self.superseded.setdefault(key, row["superseded_at"])
        for key, row in pending.entities.items():
            self.entities.setdefault(key, row)
        self.names.update(
            (r["entity_id"], r["name"], r["folded"], r["scheme"]) for r in pending.names.values()
        )
        expected = [
            [pending.changes[k] for k in pending.changes],
            [row for group in pending.facts.values() for row in group],
        ]
        for index, spec in enumerate(self.tables):
            if spec.fault is None:
                self._compare(index, spec, expected[index], last)

    def _compare(self, index: int, spec: _Table, rows: list[dict[str, Any]], last: int) -> None:
        grouped: dict[int, list[tuple[Any, ...]]] = {}
        for values in rows:
            row = spec.row(values)
            grouped.setdefault(row[spec.at], []).append(row)
        live: dict[int, list[tuple[Any, ...]]] = {}
        while True:
            head = self.heads[index] or next(self.streams[index], None)
            self.heads[index] = None
            if head is None:
                break
            if head[0] > last:
                self.heads[index] = head
                break
            live[head[0]] = head[1]
        for position in sorted(set(grouped) | set(live)):
            if not _same(grouped.get(position, []), live.get(position)):
                spec.fault = position
                return

    def finish(self, head: int) -> list[Finding]:
        if self.batch:
            self._compare_batch()
        findings = list(self.errors[:1])
        tracked = ReadModel.position(self.live)
        if tracked < head:
            findings.append(
                Finding(
                    f"the read model has not projected this event (it stops at position {tracked})",
                    tracked + 1,
                )
            )
        for index, spec in enumerate(self.tables):
            if spec.fault is None:
                extra = self.heads[index] or next(self.streams[index], None)
                if extra is not None:
                    spec.fault = extra[0]
            spec_fault = self._closed_fault(index, spec)
            faults = [f for f in (spec.fault, spec_fault) if f is not None]
            if faults:
                findings.append(
                    Finding(
                        f"the read model's {spec.table.name} differs from a rebuild", min(faults)
                    )
                )
        live_entities = {row.id: dict(row._mapping) for row in self.live.execute(select(entities))}
        if live_entities != self.entities:
            differing = [
                (self.entities.get(k) or live_entities[k])["first_position"]
                for k in set(live_entities) | set(self.entities)
                if live_entities.get(k) != self.entities.get(k)
            ]
            findings.append(
                Finding("the read model's ledger_entities differs from a rebuild", min(differing))
            )
        live_names = {
            tuple(row)
            for row in self.live.execute(
                select(names.c.entity_id, names.c.name, names.c.folded, names.c.scheme)
            )
        }
        if live_names != self.names:
            findings.append(Finding("the read model's ledger_names differ from a rebuild"))
        return findings

    def _closed_fault(self, index: int, spec: _Table) -> int | None:
        """The first position where a correction closed rows differently on the two sides: a row
        closed at another position (or closed at all when nothing superseded its change), or a row
        of a superseded change still open."""
        wrong = []
        for key, values in self.live_closed[index].items():
            at = self.superseded.get(key)
            if values != {at}:
                wrong.append(min(values | ({at} if at is not None else set())))
        open_rows = _still_open(self.live, spec.table, spec.closed_by, self.superseded)
        wrong += [self.superseded[key] for key in open_rows]
        return min(wrong) if wrong else None


def _still_open(conn: Connection, table: Any, column: str, superseded: dict[str, int]) -> set[str]:
    """Which superseded changes still have rows the correction did not close."""
    found: set[str] = set()
    keys = sorted(superseded)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(
            conn.execute(
                select(table.c.change_id).where(
                    table.c.change_id.in_(chunk), table.c[column].is_(None)
                )
            ).scalars()
        )
    return found


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
        with self.app.engine.connect() as conn:
            given = [Given(name, cp, key) for name, cp in checkpoints]
            given += _stored_checkpoints(conn, report)
            projection = ReadModelCheck(conn, self.app.mapper.decode) if read_model else None
            check = ChainCheck(
                (g.checkpoint.size for g in given),
                projection.add if projection is not None else None,
            )
            check.run(pairs(store.stored_records(conn), store.chain_rows(conn)))
            conclude(check, given, report)
            if projection is not None:
                found = projection.finish(check.last_position or 0)
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
