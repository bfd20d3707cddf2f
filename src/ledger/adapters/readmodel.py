"""The read model: indexed temporal tables caught up from the notification log, rebuildable from zero.

Every change becomes one row in `ledger_changes` and a few assertion rows in `ledger_facts`
(a body starts, is named, joins, a post is held ...), each with its effective date and the log
position that made it known (`known_from`) and, once corrected or retracted, the position that
superseded it (`known_to`). Queries fold these rows for a valid date and a known-at position.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import (
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


class ReadModel:
    """Writes the read model from events (inside the append transaction, or in bulk on rebuild)."""

    def __init__(self, decode: Callable[[Any], ChangeEvent]) -> None:
        self.decode = decode

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
        """Project (position, event) pairs in log order; events of an already-seen change are skipped."""
        change_rows: list[dict[str, Any]] = []
        fact_rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        last = 0
        for position, event in events:
            last = position
            key = event.change_id.hex
            if key in seen:
                continue
            seen.add(key)
            if conn.execute(select(changes.c.position).where(changes.c.change_id == key)).first():
                continue
            self._flush(conn, change_rows, fact_rows)
            self._project(conn, position, event, change_rows, fact_rows)
        self._flush(conn, change_rows, fact_rows)
        return last

    @staticmethod
    def _flush(
        conn: Connection, change_rows: list[dict[str, Any]], fact_rows: list[dict[str, Any]]
    ) -> None:
        if change_rows:
            conn.execute(insert(changes), change_rows)
            change_rows.clear()
        if fact_rows:
            conn.execute(insert(facts), fact_rows)
            fact_rows.clear()

    def _project(
        self,
        conn: Connection,
        position: int,
        event: ChangeEvent,
        change_rows: list[dict[str, Any]],
        fact_rows: list[dict[str, Any]],
    ) -> None:
        key = event.change_id.hex
        target = event.retracts if isinstance(event, Retracted) else event.supersedes
        if target is not None:
            conn.execute(
                update(changes)
                .where(changes.c.change_id == target.hex, changes.c.superseded_at.is_(None))
                .values(superseded_at=position)
            )
            conn.execute(
                update(facts)
                .where(facts.c.change_id == target.hex, facts.c.known_to.is_(None))
                .values(known_to=position)
            )
        change_rows.append(
            {
                "change_id": key,
                "position": position,
                "label": event.label,
                "kind": "cancelled"
                if isinstance(event, Retracted) and event.cancelled
                else event.kind,
                "effective": str(event.effective),
                "eff_start": event.effective.start,
                "status": event.status,
                "recorded_at": event.timestamp,
                "recorder": event.recorder,
                "reason": event.reason,
                "sources": json.dumps([s.model_dump() for s in event.sources]),
                "details": json.dumps(event.details(), sort_keys=True),
                "supersedes": target.hex if target else None,
                "digest": getattr(event, "digest", None),
            }
        )
        for row in assertions(event):
            fact_rows.append(
                {
                    "change_id": key,
                    "known_from": position,
                    "known_to": None,
                    "planned": event.planned,
                    "subject": row.subject.hex,
                    "aspect": row.aspect,
                    "other": row.other.hex if row.other else None,
                    "value": row.value,
                    "extra": json.dumps(row.extra, sort_keys=True)
                    if row.extra is not None
                    else None,
                    "eff_start": event.effective.start,
                    "effective": str(event.effective),
                }
            )
        for entity_id, entity, name, parent, labels in _entities(event):
            exists = conn.execute(
                select(entities.c.id).where(entities.c.id == entity_id.hex)
            ).first()
            if not exists:
                conn.execute(
                    insert(entities).values(
                        id=entity_id.hex,
                        entity=entity,
                        name=name,
                        parent=parent.hex if parent else None,
                        first_position=position,
                    )
                )
            for text, scheme in labels:
                already = conn.execute(
                    select(names.c.entity_id).where(
                        names.c.entity_id == entity_id.hex, names.c.folded == fold(text)
                    )
                ).first()
                if not already:
                    conn.execute(
                        insert(names).values(
                            entity_id=entity_id.hex, name=text, folded=fold(text), scheme=scheme
                        )
                    )

    @staticmethod
    def clear(conn: Connection) -> None:
        for table in (facts, changes, names, entities):
            conn.execute(delete(table))
        conn.execute(delete(tracking).where(tracking.c.name == "readmodel"))
