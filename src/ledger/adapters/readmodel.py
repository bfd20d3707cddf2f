"""The read model: indexed temporal tables caught up from the notification log, rebuildable from zero.

Every change becomes one row in `ledger_changes` and a few assertion rows in `ledger_facts`
(a body starts, is named, joins, a post is held ...), each with its effective date and the log
position that made it known (`known_from`) and, once corrected or retracted, the position that
superseded it (`known_to`). Queries fold these rows for a valid date and a known-at position.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Table,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection

from ledger.adapters.tables import (  # noqa: F401 (also named from here by older code)
    READ_MODEL_TABLES,
    as_date,
    changes,
    entities,
    facts,
    fold,
    metadata,
    names,
    read_model_complete,
    tracking,
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
    Joined,
    Left,
    Merged,
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


@dataclass
class FactRow:
    subject: UUID
    aspect: str
    other: UUID | None = None
    value: str | None = None
    extra: dict[str, Any] | None = None


def assertions(event: ChangeEvent) -> list[FactRow]:
    """The rows one change asserts; the read model's whole interpretation of the vocabulary."""
    rows: list[FactRow] = []
    for body in event.introduced:
        rows.append(FactRow(body.id, "name", value=body.name))
        rows.append(FactRow(body.id, "kind", value=body.kind))
        rows.extend(_code_rows(body.id, body.codes))
    for party in event.parties():
        if party.entity == "organisation" and party.role in ("acts", "ends", "attests"):
            rows.append(FactRow(party.id, "mention"))
    match event:
        case Established():
            org = event.organisation
            rows.append(FactRow(org, "attest" if event.on_or_before else "start"))
            rows.append(FactRow(org, "name", value=event.name))
            rows.append(FactRow(org, "kind", value=event.org_kind))
            rows.extend(_code_rows(org, event.codes))
        case Renamed():
            rows.append(FactRow(event.organisation, "name", value=event.name))
        case Reclassified():
            rows.append(FactRow(event.organisation, "kind", value=event.org_kind))
        case Closed():
            rows.append(FactRow(event.organisation, "end"))
        case Merged():
            for p in event.predecessors:
                rows.append(FactRow(p, "end"))
                rows.append(FactRow(p, "edge", other=event.successor, value="merged"))
            if event.into_new:
                rows.append(FactRow(event.successor, "start"))
        case Split():
            if not event.source_continues:
                rows.append(FactRow(event.source, "end"))
            for s in event.successors:
                if s in event.new_successors:
                    rows.append(FactRow(s, "start"))
                rows.append(FactRow(event.source, "edge", other=s, value="split"))
        case Succeeded():
            rows.append(
                FactRow(event.predecessor, "edge", other=event.successor, value="succeeded")
            )
        case Joined():
            rows.append(FactRow(event.member, "member_start", other=event.body, value=event.role))
        case Left():
            rows.append(FactRow(event.member, "member_end", other=event.body))
        case RelationshipStarted():
            rows.append(
                FactRow(event.subject, "rel_start", other=event.object, value=event.relation)
            )
        case RelationshipEnded():
            rows.append(FactRow(event.subject, "rel_end", other=event.object, value=event.relation))
        case FunctionMoved() | StaffTransferred():
            rows.append(
                FactRow(
                    event.from_body,
                    "transfer",
                    other=event.to_body,
                    value=event.function_name,
                    extra={"headcount": event.headcount, "moved": isinstance(event, FunctionMoved)},
                )
            )
        case PostCreated():
            rows.append(
                FactRow(event.post, "post_start", other=event.organisation, value=event.title)
            )
        case PostAbolished():
            rows.append(FactRow(event.post, "post_end", other=event.organisation))
        case Appointed():
            flags = {"interim": event.interim, "acting": event.acting, "shadow": event.shadow}
            rows.append(
                FactRow(
                    event.post,
                    "appt_start",
                    other=event.person,
                    value=event.person_name,
                    extra=flags,
                )
            )
        case AppointmentEnded():
            rows.append(FactRow(event.post, "appt_end", other=event.person))
        case FactRecorded():
            extra = {"value": event.value, "unit": event.unit, "function": event.function_name}
            rows.append(FactRow(event.subject, "fact", value=event.attribute, extra=extra))
        case DecisionRecorded():
            about = [a.hex for a in event.about]
            rows.append(
                FactRow(event.body, "decision", value=event.decision, extra={"about": about})
            )
    return rows


def _code_rows(subject: UUID, codes: dict[str, str]) -> list[FactRow]:
    return [
        FactRow(subject, "code", value=code, extra={"scheme": scheme})
        for scheme, code in sorted(codes.items())
    ]


def _entities(
    event: ChangeEvent,
) -> Iterable[tuple[UUID, str, str, UUID | None, list[tuple[str, str | None]]]]:
    """(id, entity type, display name, parent, [(name or code, scheme)]) for everything a change names."""
    for body in event.introduced:
        yield body.id, "organisation", body.name, None, [(body.name, None), *_codes(body.codes)]
    match event:
        case Established():
            yield (
                event.organisation,
                "organisation",
                event.name,
                None,
                [(event.name, None), *_codes(event.codes)],
            )
        case Renamed():
            yield event.organisation, "organisation", event.name, None, [(event.name, None)]
        case PostCreated():
            yield event.post, "post", event.title, event.organisation, [(event.title, None)]
        case Appointed():
            yield event.person, "person", event.person_name, None, [(event.person_name, None)]
        case FunctionMoved() | StaffTransferred():
            yield (
                event.function,
                "function",
                event.function_name,
                None,
                [(event.function_name, None)],
            )
        case _:
            pass


def _codes(codes: dict[str, str]) -> list[tuple[str, str | None]]:
    return [(code, scheme) for scheme, code in codes.items()]


_CHUNK = 500  # ids per IN (...) list: well inside every driver's limit on bound parameters


def _present(conn: Connection, column: Any, keys: set[str]) -> set[str]:
    """Which of `keys` the column already holds (asked in chunks)."""
    found: set[str] = set()
    ordered = sorted(keys)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        found.update(conn.execute(select(column).where(column.in_(chunk))).scalars())
    return found


def _present_names(conn: Connection, entity_ids: set[str]) -> set[tuple[str, str]]:
    """The (entity, folded name) pairs already known for these entities."""
    found: set[tuple[str, str]] = set()
    ordered = sorted(entity_ids)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        rows = conn.execute(
            select(names.c.entity_id, names.c.folded).where(names.c.entity_id.in_(chunk))
        )
        found.update((row.entity_id, row.folded) for row in rows)
    return found


def bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows with one executemany at the driver, converting values with the column
    types' own bind processors: what `conn.execute(insert(table), rows)` does, without its
    per-row bookkeeping, which costs more than the insert itself on a long rebuild. The rows'
    values are converted in place."""
    if not rows:
        return
    columns = [c for c in table.columns if c.name in rows[0]]
    dialect = conn.dialect
    processors = [c.type._cached_bind_processor(dialect) for c in columns]
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    preparer = dialect.identifier_preparer
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        preparer.format_table(table),
        ", ".join(preparer.format_column(c) for c in columns),
        ", ".join([marker] * len(columns)),
    )
    keys = [c.name for c in columns]
    for key, process in zip(keys, processors, strict=True):
        if process is not None:  # a column type the driver does not take as it is (SQLite dates)
            for row in rows:
                value = row[key]
                if value is not None:
                    row[key] = process(value)
    pick = itemgetter(*keys)
    converted = [pick(row) for row in rows] if len(keys) > 1 else [(pick(row),) for row in rows]
    conn.exec_driver_sql(sql, converted)


@dataclass
class PendingRows:
    """The rows one batch will insert, keyed so that a later event of the batch can find them, and
    the corrections and retractions of changes projected before the batch (`later`: change id ->
    the first position that superseded it)."""

    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    facts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    entities: dict[str, dict[str, Any]] = field(default_factory=dict)
    names: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    later: dict[str, int] = field(default_factory=dict)

    def supersede(self, target: str, position: int) -> None:
        """Mark a corrected or retracted change as no longer known from `position` on (the first
        correction wins: a change is superseded once)."""
        row = self.changes.get(target)
        if row is None:
            self.later.setdefault(target, position)
            return
        if row["superseded_at"] is None:
            row["superseded_at"] = position
        for fact in self.facts[target]:
            if fact["known_to"] is None:
                fact["known_to"] = position


def _supersede_stored(conn: Connection, later: dict[str, int]) -> None:
    """Close the rows of changes projected in earlier batches that this batch superseded."""
    if not later:
        return
    pairs = [{"target": key, "at": position} for key, position in later.items()]
    conn.execute(
        update(changes)
        .where(changes.c.change_id == bindparam("target"), changes.c.superseded_at.is_(None))
        .values(superseded_at=bindparam("at")),
        pairs,
    )
    conn.execute(
        update(facts)
        .where(facts.c.change_id == bindparam("target"), facts.c.known_to.is_(None))
        .values(known_to=bindparam("at")),
        pairs,
    )


class ReadModel:
    """Writes the read model from events (inside the append transaction, or in bulk on rebuild)."""

    def __init__(self) -> None:
        self._sources: dict[tuple[Any, ...], str] = {}  # most changes cite a few common papers

    def _sources_json(self, sources: tuple[Any, ...]) -> str:
        found = self._sources.get(sources)
        if found is None:
            if len(self._sources) > 10_000:
                self._sources.clear()
            found = self._sources[sources] = json.dumps([s.model_dump() for s in sources])
        return found

    @staticmethod
    def create(conn: Connection) -> None:
        metadata.create_all(conn, checkfirst=True)

    @staticmethod
    def add_missing_indexes(conn: Connection) -> None:
        """Create the indexes a store made by an earlier version lacks (`create` makes only
        missing tables)."""
        for table in READ_MODEL_TABLES:
            for index in table.indexes:
                index.create(conn, checkfirst=True)

    @staticmethod
    def drop(conn: Connection) -> None:
        metadata.drop_all(conn, checkfirst=True)

    @staticmethod
    def position(conn: Connection) -> int:
        found = conn.execute(
            select(tracking.c.position).where(tracking.c.name == "readmodel")
        ).scalar()
        return int(found or 0)

    @staticmethod
    def set_position(conn: Connection, position: int) -> None:
        done = conn.execute(
            update(tracking).where(tracking.c.name == "readmodel").values(position=position)
        )
        if not done.rowcount:
            conn.execute(insert(tracking).values(name="readmodel", position=position))

    def apply(self, conn: Connection, events: Iterable[tuple[int, ChangeEvent]]) -> int:
        """Project (position, event) pairs in log order; events of an already-seen change are skipped.

        The batch costs a handful of statements whatever its length: which changes, entities and
        names exist already is asked once per batch, the rows are inserted together, and a
        correction of a change in the same batch is applied to its pending rows in memory.
        """
        batch = list(events)
        if not batch:
            return 0
        recorded = _present(conn, changes.c.change_id, {e.change_id.hex for _, e in batch})
        pending = PendingRows()
        for position, event in batch:
            key = event.change_id.hex
            if key in recorded or key in pending.changes:
                continue
            self.project(position, event, pending)
        _supersede_stored(conn, pending.later)
        present = _present(conn, entities.c.id, set(pending.entities))
        named = _present_names(conn, {entity_id for entity_id, _ in pending.names})
        new_entities = [row for key, row in pending.entities.items() if key not in present]
        new_names = [row for key, row in pending.names.items() if key not in named]
        bulk_insert(conn, changes, list(pending.changes.values()))
        bulk_insert(conn, facts, [row for group in pending.facts.values() for row in group])
        bulk_insert(conn, entities, new_entities)
        bulk_insert(conn, names, new_names)
        return batch[-1][0]

    def project(self, position: int, event: ChangeEvent, pending: PendingRows) -> None:
        """The rows one change adds to the read model, into `pending` (no database needed)."""
        key = event.change_id.hex
        target = event.retracts if isinstance(event, Retracted) else event.supersedes
        if target is not None:
            pending.supersede(target.hex, position)
        pending.changes[key] = {
            "change_id": key,
            "position": position,
            "label": event.label,
            "kind": "cancelled" if isinstance(event, Retracted) and event.cancelled else event.kind,
            "effective": str(event.effective),
            "eff_start": event.effective.start,
            "status": event.status,
            "recorded_at": event.timestamp,
            "recorder": event.recorder,
            "reason": event.reason,
            "sources": self._sources_json(event.sources),
            "details": json.dumps(event.details(), sort_keys=True),
            "supersedes": target.hex if target else None,
            "superseded_at": None,
            "digest": getattr(event, "digest", None),
        }
        pending.facts[key] = [
            {
                "change_id": key,
                "known_from": position,
                "known_to": None,
                "planned": event.planned,
                "subject": row.subject.hex,
                "aspect": row.aspect,
                "other": row.other.hex if row.other else None,
                "value": row.value,
                "extra": json.dumps(row.extra, sort_keys=True) if row.extra is not None else None,
                "eff_start": event.effective.start,
                "effective": str(event.effective),
            }
            for row in assertions(event)
        ]
        for entity_id, entity, name, parent, labels in _entities(event):
            pending.entities.setdefault(
                entity_id.hex,
                {
                    "id": entity_id.hex,
                    "entity": entity,
                    "name": name,
                    "parent": parent.hex if parent else None,
                    "first_position": position,
                },
            )
            for text, scheme in labels:
                pending.names.setdefault(
                    (entity_id.hex, fold(text)),
                    {
                        "entity_id": entity_id.hex,
                        "name": text,
                        "folded": fold(text),
                        "scheme": scheme,
                    },
                )

    @staticmethod
    @contextmanager
    def without_indexes(conn: Connection) -> Iterator[None]:
        """Drop the secondary indexes for a bulk load and build them again afterwards (in the
        caller's transaction, so a failed load leaves the indexes as they were)."""
        dropped = [index for table in READ_MODEL_TABLES for index in table.indexes]
        for index in dropped:
            index.drop(conn, checkfirst=True)
        yield
        for index in dropped:
            index.create(conn, checkfirst=True)

    @staticmethod
    def clear(conn: Connection) -> None:
        for table in (facts, changes, names, entities):
            conn.execute(delete(table))
        conn.execute(delete(tracking).where(tracking.c.name == "readmodel"))
