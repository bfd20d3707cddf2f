"""The read model: indexed temporal tables caught up from the notification log, rebuildable from zero.

Every change becomes one row in `ledger_changes` and a few assertion rows in `ledger_facts`
(a body starts, is named, joins, a post is held ...), each with its effective date and the log
position that made it known (`known_from`) and, once corrected or retracted, the position that
superseded it (`known_to`). `ledger_parties` lists the bodies and posts each change touches (the
write path's histories), and `ledger_periods` (periods.py) cuts the facts into validity intervals.

One module, though over 400 lines: the write path, `rebuild` (in worker processes) and `verify`
all project through the same `project` into the same `PendingRows` in the driver's form of each value
(`DriverForm`), and `store` writes what they project; split, each part would export those forms.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.utils import resolve_topic
from sqlalchemy import (
    bindparam,
    delete,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Connection

from ledger.adapters import guarded
from ledger.adapters.audit import stored_records, uuid_hex
from ledger.adapters.periods import TRACKING as PERIODS
from ledger.adapters.periods import cut_all as periods_cut_all
from ledger.adapters.periods import follow as periods_follow
from ledger.adapters.tables import (  # noqa: F401 (also named from here by older code)
    READ_MODEL_TABLES,
    as_date,
    bulk_insert,
    changes,
    chunks,
    entities,
    facts,
    fold,
    metadata,
    names,
    parties,
    periods,
    read_model_complete,
    set_tracking,
    tracked,
    tracking,
)
from ledger.domain.dates import Effective
from ledger.domain.declaration import Assertion
from ledger.domain.events import ChangeEvent
from ledger.domain.kinds import KINDS
from ledger.domain.model import timeline_rows as model_timeline_rows
from ledger.domain.stored import StoredChange
from ledger.domain.stored import hex_id as _hex


class ChangeReader:
    """Reads stored events as `StoredChange`s. An event at its class's current version, carrying
    exactly its class's fields, is taken from its JSON as it is (it was written by the mapper from
    a validated event); anything else (an older version, a field added since) goes through the
    mapper's upcasters and validation."""

    def __init__(self, decode: Callable[[str, UUID, int, bytes], Any]) -> None:
        self.decode = decode
        self._classes: dict[str, tuple[type[ChangeEvent], frozenset[str] | None]] = {}
        self._defaults: dict[type[ChangeEvent], dict[str, Any]] = {}

    def _defaults_of(self, cls: type[ChangeEvent]) -> dict[str, Any]:
        """The fields of a class that an event may lack, with their defaults as stored JSON holds
        them (a field added to a kind since the event was written)."""
        found = self._defaults.get(cls)
        if found is None:
            found = self._defaults[cls] = {
                name: list(info.default) if isinstance(info.default, tuple) else info.default
                for name, info in cls.model_fields.items()
                if not info.is_required() and info.default_factory is None
            }
        return found

    def _class(self, topic: str) -> tuple[type[ChangeEvent], frozenset[str] | None]:
        found = self._classes.get(topic)
        if found is None:
            cls = cast(type[ChangeEvent], resolve_topic(topic))
            fields = frozenset(cls.model_fields) - {"originator_id", "originator_version"}
            current = getattr(cls, "class_version", 1) == 1
            found = self._classes[topic] = (cls, fields if current else None)
        return found

    def read(self, topic: str, originator_id: Any, version: int, state: bytes) -> StoredChange:
        """`originator_id` as the driver returns it, or as hex: it is needed only to validate."""
        cls, fields = self._class(topic)
        if fields is not None:
            try:
                data = json.loads(state)
            except ValueError:
                data = None
            if isinstance(data, dict) and data.keys() == fields:
                return StoredChange(cls, data)
            if isinstance(data, dict) and data.keys() < fields:
                # Written before a field was added to its kind: the field's default stands in,
                # and the change's details stay those it was stored with.
                absent = fields - data.keys()
                defaults = self._defaults_of(cls)
                if absent <= defaults.keys():
                    filled = {**{k: defaults[k] for k in absent}, **data}
                    return StoredChange(cls, filled, absent=frozenset(absent))
        return StoredChange.of(self.decode(topic, UUID(uuid_hex(originator_id)), version, state))


_CHANGE_ID = b'"change_id":"'


def stored_change_id(state: bytes) -> str | None:
    """The change a stored event belongs to, as hex, found in its JSON without parsing it (a change
    is stored once per aggregate it touches and projected once); None if not found plainly."""
    at = state.find(_CHANGE_ID)
    if at < 0:
        return None
    start = at + len(_CHANGE_ID)
    text = state[start : start + 36]
    if len(text) != 36 or text[8:9] != b"-":
        return None
    return text.decode().replace("-", "")


FactRow = Assertion  # a row of `ledger_facts`, before its dates and positions
# The tracking row present once `ledger_parties` holds every change's timeline rows (a store made
# before each change was stored once has none, nor one made before the rows held their entries).
TIMELINES = "timelines"

_MENTIONS = ("acts", "ends", "attests")
# json.dumps(value, sort_keys=True), without building an encoder per call (twice per event).
_sorted_json = json.JSONEncoder(sort_keys=True).encode
_COMMON_FIELDS = frozenset(ChangeEvent.model_fields)


def assertions(change: StoredChange) -> list[FactRow]:
    """The rows one change asserts: the bodies it introduces, a mention of each body it acts on,
    and the rows its kind declares (domain/kinds.py)."""
    d = change.data
    rows: list[FactRow] = []
    for body in d["introduced"]:
        rows.append(FactRow(_hex(body["id"]), "name", value=body["name"]))
        rows.append(FactRow(_hex(body["id"]), "kind", value=body["kind"]))
        rows.extend(_code_rows(_hex(body["id"]), body["codes"]))
    kind = KINDS[change.kind]
    for party in kind.parties_of(d.__getitem__):
        if party.entity == "organisation" and party.role in _MENTIONS:
            rows.append(FactRow(_hex(str(party.id)), "mention"))
    rows.extend(kind.assertions(d.__getitem__, _hex))
    return rows


def timeline_rows(change: StoredChange, position: int) -> list[dict[str, Any]]:
    """The rows of `ledger_parties` for one change: what it does to the timeline of each body and
    post it touches (see model.timeline_rows). A correction names the parties of the change it
    corrects (it may not change who a change is about), and a retraction those of the change it
    withdraws, so the timeline of each holds every change that amends it."""
    key = change.change_id
    return [
        {
            "change_id": key,
            "position": position,
            "party": party,
            "removes": removes,
            "entry": entry.row() if entry is not None else None,
        }
        for party, removes, entry in model_timeline_rows(change)
    ]


def _code_rows(subject: str, codes: dict[str, str]) -> list[FactRow]:
    return [
        FactRow(subject, "code", value=code, extra={"scheme": scheme})
        for scheme, code in sorted(codes.items())
    ]


def named_entities(
    change: StoredChange,
) -> Iterable[tuple[str, str, str, str | None, list[tuple[str, str | None]]]]:
    """(id hex, entity type, display name, parent hex, [(name or code, scheme)]) for everything a
    change names: the bodies it introduces, and the entities its kind declares it names."""
    d = change.data
    for body in d["introduced"]:
        yield (
            _hex(body["id"]),
            "organisation",
            body["name"],
            None,
            [(body["name"], None), *_codes(body["codes"])],
        )
    yield from KINDS[change.kind].named(d.__getitem__, _hex)


def _codes(codes: dict[str, str]) -> list[tuple[str, str | None]]:
    return [(code, scheme) for scheme, code in sorted(codes.items())]


# The statements every batch asks, built once (building them each time cost more than running
# them for a write of one change).
_HELD: dict[str, Any] = {}
_NAMES_HELD = select(names.c.entity_id, names.c.folded).where(
    names.c.entity_id.in_(bindparam("keys", expanding=True))
)


def _present(conn: Connection, column: Any, keys: set[str]) -> set[str]:
    """Which of `keys` the column already holds (asked in chunks)."""
    key = f"{column.table.name}.{column.name}"
    statement = _HELD.get(key)
    if statement is None:
        statement = _HELD[key] = select(column).where(column.in_(bindparam("keys", expanding=True)))
    found: set[str] = set()
    for chunk in chunks(sorted(keys)):
        found.update(conn.execute(statement, {"keys": chunk}).scalars())
    return found


def _present_names(conn: Connection, entity_ids: set[str]) -> set[tuple[str, str]]:
    """The (entity, folded name) pairs already known for these entities."""
    found: set[tuple[str, str]] = set()
    for chunk in chunks(sorted(entity_ids)):
        rows = conn.execute(_NAMES_HELD, {"keys": chunk})
        found.update((row.entity_id, row.folded) for row in rows)
    return found


class DriverForm:
    """The read model's dates, times and flags as the database driver takes them, converted by the
    column types' own bind processors (SQLite keeps dates as text, PostgreSQL takes them as they
    are), each distinct value once. Rows projected in this form are inserted without further
    conversion, and `verify` compares them with rows read back raw."""

    def __init__(self, dialect: Any) -> None:
        self._date = changes.c.eff_start.type._cached_bind_processor(dialect)
        self._datetime = changes.c.recorded_at.type._cached_bind_processor(dialect)
        flag = facts.c.planned.type._cached_bind_processor(dialect)
        self.flags = {value: flag(value) if flag else value for value in (False, True)}
        self._effective: dict[str, tuple[str, Any]] = {}
        self._timestamps: dict[str, Any] = {}

    def effective(self, text: str) -> tuple[str, Any]:
        """A stored effective date: its text as the read model shows it, and its first day."""
        found = self._effective.get(text)
        if found is None:
            parsed = Effective.parse(text)
            start = self._date(parsed.start) if self._date else parsed.start
            if len(self._effective) > 65_536:
                self._effective.clear()
            found = self._effective[text] = (str(parsed), start)
        return found

    def timestamp(self, text: str) -> Any:
        found = self._timestamps.get(text)
        if found is None:
            moment = datetime.fromisoformat(text)
            if len(self._timestamps) > 4_096:
                self._timestamps.clear()
            found = self._timestamps[text] = self._datetime(moment) if self._datetime else moment
        return found


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
    parties: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

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


def _aspects_of(conn: Connection, change_ids: set[str]) -> set[tuple[str, str, str | None]]:
    """The (subject, aspect, value) of the facts of these changes (asked in chunks)."""
    found: set[tuple[str, str, str | None]] = set()
    for chunk in chunks(sorted(change_ids)):
        rows = conn.execute(
            select(facts.c.subject, facts.c.aspect, facts.c.value).where(
                facts.c.change_id.in_(chunk)
            )
        )
        found.update((row[0], row[1], row[2]) for row in rows)
    return found


def _supersede_stored(conn: Connection, later: dict[str, int]) -> None:
    """Close the rows of changes projected in earlier batches that this batch superseded."""
    if not later:
        return
    pairs = [{"target": key, "at": position} for key, position in later.items()]
    if guarded.appended(conn):
        guarded.supersede(conn, pairs)
        return
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


# Indexes a bulk load reads through (ReadModel.store): kept while the others are dropped.
_LOAD_READS = {"ledger_facts_change", "ledger_names_entity"}


class ReadModel:
    """Writes the read model from events (inside the append transaction, or in bulk on rebuild)."""

    def __init__(self, dialect: Any) -> None:
        self.form = DriverForm(dialect)
        self._sources: dict[tuple[Any, ...], str] = {}  # most changes cite a few common papers
        # What the batches of the open write transaction changed, for the periods to be cut once
        # when it ends (`cut_periods`): the subjects with the aspects of their changed facts, and
        # the changes whose facts were added or closed.
        self._touched: dict[str, set[str]] = {}
        self._changed: set[str] = set()
        # Of the subjects' dated facts ("budget", "headcount" ...), which attributes changed: a
        # busy body's other attributes need not be read back.
        self._attributes: dict[str, set[str | None]] = {}

    def cut_periods(self, conn: Connection) -> None:
        """Cut the periods of everything the transaction's batches changed, up to the read model's
        position: once per transaction, so a subject a long import touches in many batches has its
        facts read back once. Nothing in a write transaction reads the periods before it ends."""
        touched, changed, attributes = self._touched, self._changed, self._attributes
        self.discard_pending()
        periods_follow(conn, touched, changed, ReadModel.position(conn), attributes)

    def cut_all_periods(self, conn: Connection) -> None:
        """Cut every subject's periods from every fact, up to the read model's position (a rebuild,
        or a store made before the periods existed): what the batches noted is then moot."""
        periods_cut_all(conn, ReadModel.position(conn))
        self.discard_pending()

    def discard_pending(self) -> None:
        """Forget what the batches changed (a transaction rolled back, or the periods cut whole)."""
        self._touched, self._changed, self._attributes = {}, set(), {}

    def _sources_json(self, sources: list[dict[str, str]]) -> str:
        """The sources as the read model keeps them: a JSON list of {source, locator}."""
        key = tuple((s["source"], s["locator"]) for s in sources)
        found = self._sources.get(key)
        if found is None:
            if len(self._sources) > 10_000:
                self._sources.clear()
            found = self._sources[key] = json.dumps(
                [{"source": source, "locator": locator} for source, locator in key]
            )
        return found

    @staticmethod
    def parties_listed(conn: Connection) -> bool:
        """Whether `ledger_parties` holds the timeline rows of every projected change (false only
        in a store made before each change was stored once, or before those rows held what the
        change does to each timeline, until `list_parties` runs)."""
        return tracked(conn, TIMELINES) is not None

    def list_parties(self, conn: Connection, decode: Callable[..., Any]) -> None:
        """Fill `ledger_parties` from the log up to the read model's position, each change at the
        position where it is first stored (a store whose log keeps a copy of each change per
        aggregate); then mark the table as kept (a rebuild fills it with the rest). A table made
        before its rows held each change's entry gets the columns first."""
        present = {c["name"] for c in inspect(conn).get_columns(parties.name)}
        for column in parties.columns:
            if column.name not in present:
                kind = column.type.compile(dialect=conn.dialect)
                conn.exec_driver_sql(f"ALTER TABLE {parties.name} ADD COLUMN {column.name} {kind}")
        conn.execute(delete(parties))
        reader = ChangeReader(decode)
        seen: set[str] = set()
        rows: list[dict[str, Any]] = []
        for record in stored_records(conn, until=ReadModel.position(conn)):
            key = stored_change_id(record.state)
            if key is not None and key in seen:
                continue
            change = reader.read(
                record.topic, record.originator_id, record.originator_version, record.state
            )
            if change.change_id in seen:
                continue
            seen.add(change.change_id)
            rows += timeline_rows(change, record.position)
            if len(rows) >= 10_000:
                bulk_insert(conn, parties, rows)
                rows = []
        bulk_insert(conn, parties, rows)
        set_tracking(conn, TIMELINES, ReadModel.position(conn))

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
        return tracked(conn, "readmodel") or 0

    @staticmethod
    def set_position(conn: Connection, position: int) -> None:
        set_tracking(conn, "readmodel", position)

    def apply(
        self, conn: Connection, events: Iterable[tuple[int, ChangeEvent | StoredChange]]
    ) -> int:
        """Project (position, event) pairs in log order; events of an already-seen change are skipped.

        The batch costs a handful of statements whatever its length: which changes, entities and
        names exist already is asked once per batch, the rows are inserted together, and a
        correction of a change in the same batch is applied to its pending rows in memory.
        """
        batch = [(p, e if isinstance(e, StoredChange) else StoredChange.of(e)) for p, e in events]
        if not batch:
            return 0
        pending = self.project_all(batch)
        self.store(conn, pending)
        # What the periods will be cut again for when the transaction ends: the subjects of the
        # facts the batch added, and of those it closed (read back by change), with their aspects.
        for group in pending.facts.values():
            for row in group:
                self._note(row["subject"], row["aspect"], row["value"])
        for subject, aspect, value in _aspects_of(conn, set(pending.later)):
            self._note(subject, aspect, value)
        self._changed |= set(pending.changes) | set(pending.later)
        return batch[-1][0]

    def _note(self, subject: str, aspect: str, value: str | None) -> None:
        self._touched.setdefault(subject, set()).add(aspect)
        if aspect == "fact":
            self._attributes.setdefault(subject, set()).add(value)

    def project_all(self, batch: Iterable[tuple[int, StoredChange]]) -> PendingRows:
        """The rows of a batch of changes in log order (a change stored on several aggregates is
        projected where it was first stored). No database needed: a rebuild projects batches in
        worker processes, and `store` drops what the read model already holds."""
        pending = PendingRows()
        for position, change in batch:
            if change.change_id not in pending.changes:
                self.project(position, change, pending)
        return pending

    @staticmethod
    def store(conn: Connection, pending: PendingRows) -> None:
        """Write a projected batch: close the rows of earlier changes it corrects, and insert its
        rows but those of changes, entities and names the read model already holds (a change
        projected again by a batch that began in the middle of its stored events): `pending` is
        left holding what was written."""
        recorded = _present(conn, changes.c.change_id, set(pending.changes))
        for key in recorded:
            row = pending.changes.pop(key)
            del pending.facts[key]
            del pending.parties[key]
            if (
                row["superseded_at"] is not None
            ):  # corrected within this batch: close the stored rows
                pending.later.setdefault(key, row["superseded_at"])
        _supersede_stored(conn, pending.later)
        present = _present(conn, entities.c.id, set(pending.entities))
        named = _present_names(conn, {entity_id for entity_id, _ in pending.names})
        new_entities = [row for key, row in pending.entities.items() if key not in present]
        new_names = [row for key, row in pending.names.items() if key not in named]
        bulk_insert(conn, changes, list(pending.changes.values()))
        bulk_insert(conn, facts, [row for group in pending.facts.values() for row in group])
        bulk_insert(conn, parties, [row for group in pending.parties.values() for row in group])
        bulk_insert(conn, entities, new_entities)
        bulk_insert(conn, names, new_names)

    def project(self, position: int, change: StoredChange, pending: PendingRows) -> None:
        """The rows one change adds to the read model, into `pending` (no database needed)."""
        d = change.data
        key = change.change_id
        retraction = change.kind == "retracted"
        target = d["retracts"] if retraction else d["supersedes"]
        if target is not None:
            target = _hex(target)
            pending.supersede(target, position)
        form = self.form
        effective, eff_start = form.effective(d["effective"])
        planned = form.flags[d["status"] == "planned"]
        pending.changes[key] = {
            "change_id": key,
            "position": position,
            "label": d["label"],
            "kind": "cancelled" if retraction and d["cancelled"] else change.kind,
            "effective": effective,
            "eff_start": eff_start,
            "status": d["status"],
            "recorded_at": form.timestamp(d["timestamp"]),
            "recorder": d["recorder"],
            "reason": d["reason"],
            "sources": self._sources_json(d["sources"]),
            "details": _sorted_json(
                {k: v for k, v in d.items() if k not in _COMMON_FIELDS and k not in change.absent}
            ),
            "supersedes": target,
            "superseded_at": None,
            "digest": d.get("digest"),
        }
        pending.facts[key] = [
            {
                "change_id": key,
                "known_from": position,
                "known_to": None,
                "planned": planned,
                "subject": row.subject,
                "aspect": row.aspect,
                "other": row.other,
                "value": row.value,
                "extra": _sorted_json(row.extra) if row.extra is not None else None,
                "eff_start": eff_start,
                "effective": effective,
            }
            for row in assertions(change)
        ]
        pending.parties[key] = timeline_rows(change, position)
        for entity_id, entity, name, parent, labels in named_entities(change):
            pending.entities.setdefault(
                entity_id,
                {
                    "id": entity_id,
                    "entity": entity,
                    "name": name,
                    "parent": parent,
                    "first_position": position,
                },
            )
            for text, scheme in labels:
                folded = fold(text)
                pending.names.setdefault(
                    (entity_id, folded),
                    {"entity_id": entity_id, "name": text, "folded": folded, "scheme": scheme},
                )

    @staticmethod
    @contextmanager
    def without_indexes(conn: Connection) -> Iterator[None]:
        """Drop the secondary indexes for a bulk load and build them again afterwards (in the
        caller's transaction, so a failed load leaves the indexes as they were). The two the load
        itself reads through stay: a correction closes its target's facts by change id, and each
        batch asks which of its entities' names are known."""
        dropped = [
            index
            for table in READ_MODEL_TABLES
            for index in table.indexes
            if index.name not in _LOAD_READS
        ]
        for index in dropped:
            index.drop(conn, checkfirst=True)
        yield
        for index in dropped:
            index.create(conn, checkfirst=True)

    @staticmethod
    def clear(conn: Connection) -> None:
        for table in (facts, parties, changes, names, entities, periods):
            conn.execute(delete(table))
        conn.execute(delete(tracking).where(tracking.c.name.in_(("readmodel", PERIODS))))
