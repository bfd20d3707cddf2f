"""`verify`'s read-model half: the log projected again in memory and compared with the live read model.

No copy of the read model is written. The log is cut into ranges of positions, each checked on its
own (in worker processes when the store can be shared): its events are projected with the read
model's own code, in the driver's form of each value, and compared batch by batch with the live
rows of the same positions, read raw. What a range cannot settle alone is gathered and settled once
every range is in (`conclude`): corrections that close rows of other ranges, the first position of
each entity, the names, and a change whose first stored event lies in an earlier range.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from operator import itemgetter
from typing import Any
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from ledger.adapters import periods
from ledger.adapters.audit import driver_rows, stored_rows
from ledger.adapters.readmodel import ChangeReader, PendingRows, ReadModel, stored_change_id
from ledger.adapters.store import EVENTS_TABLE
from ledger.adapters.tables import changes, entities, facts, names, parties
from ledger.application.verification import Finding
from ledger.domain.chain import StoredRecord

# (table, its position column, the column a later correction fills in, if any)
TABLES: tuple[tuple[Any, str, str | None], ...] = (
    (changes, "position", "superseded_at"),
    (facts, "known_from", "known_to"),
    (parties, "position", None),
)


class _Table:
    """How one position-ordered table is compared: every column but the surrogate id and the one a
    correction fills in later (compared at the end, across ranges), read raw and in order."""

    def __init__(self, table: Any, position: str, closed_by: str | None) -> None:
        self.table = table
        self.columns = [c.name for c in table.columns if c.name not in ("id", closed_by)]
        self.pick = itemgetter(*self.columns)
        self.at = self.columns.index(position)
        self.change = self.columns.index("change_id")
        order = ", ".join([position, *(c.name for c in table.primary_key.columns)])
        self.sql = (
            f"SELECT {', '.join(self.columns)} FROM {table.name} "
            f"WHERE {position} > {{after:d}} AND {position} <= {{until:d}} ORDER BY {order}"
        )


SPECS = [_Table(*t) for t in TABLES]


@dataclass
class Partial:
    """What one range found, and what only the whole log can settle (picklable, for workers)."""

    after: int
    until: int
    faults: list[int | None] = field(default_factory=lambda: [None] * len(TABLES))
    # (table index, position, change id): rows projected where the live table has none; right only
    # when the change's first stored event lies in an earlier range.
    unmatched: list[tuple[int, int, str]] = field(default_factory=list)
    superseded: dict[str, int] = field(default_factory=dict)  # change id -> first position
    entities: dict[str, dict[str, Any]] = field(default_factory=dict)
    names: set[tuple[Any, ...]] = field(default_factory=set)
    errors: list[Finding] = field(default_factory=list)


class RangeCheck:
    """Projects the stored events of positions (after, until] and compares them with the live rows
    of the same positions, BATCH events at a time. A batch that agrees costs one list comparison;
    one that does not is compared position by position to name the first that differs."""

    BATCH = 5000

    def __init__(
        self,
        live: Connection,
        decode: Callable[[str, UUID, int, bytes], Any],
        after: int,
        until: int,
    ) -> None:
        self.reader = ChangeReader(decode)
        self.projector = ReadModel(live.dialect)
        self.pending = PendingRows()
        self.result = Partial(after, until)
        self.streams = [_LiveRows(live, spec, after, until) for spec in SPECS]
        self.last: int | None = None  # the last position projected into `pending`
        self.count = 0
        self.seen: set[str] = set()

    def add(self, record: StoredRecord) -> None:
        self.add_stored(
            record.position,
            record.originator_id,
            record.originator_version,
            record.topic,
            record.state,
        )

    def add_stored(
        self, position: int, originator_id: Any, version: int, topic: str, state: bytes
    ) -> None:
        key = stored_change_id(state)
        if key is not None and key in self.seen:
            return  # the change was projected where it was first stored
        try:
            change = self.reader.read(topic, originator_id, version, state)
            if change.change_id in self.seen:
                return
            self.seen.add(change.change_id)
            self.projector.project(position, change, self.pending)
        except Exception as exc:  # a payload that no longer decodes is itself a finding
            self.result.errors.append(
                Finding(f"the stored event does not decode ({exc})", position)
            )
            return
        self.last = position
        self.count += 1
        if self.count >= self.BATCH:
            self._compare_batch()

    def _compare_batch(self) -> None:
        pending, self.pending = self.pending, PendingRows()
        last, self.count = self.last, 0
        # A change's events are stored side by side, so the ids of past batches are let go; a
        # later stored event of an older change is projected again and settled by `conclude`.
        self.seen.clear()
        if last is None:
            return
        result = self.result
        for key, at in pending.later.items():
            result.superseded.setdefault(key, at)
        for key, row in pending.changes.items():
            if row["superseded_at"] is not None:
                result.superseded.setdefault(key, row["superseded_at"])
        for key, row in pending.entities.items():
            result.entities.setdefault(key, row)
        result.names.update(
            (r["entity_id"], r["name"], r["folded"], r["scheme"]) for r in pending.names.values()
        )
        projected = [
            list(pending.changes.values()),
            [row for group in pending.facts.values() for row in group],
            [row for group in pending.parties.values() for row in group],
        ]
        for index, spec in enumerate(SPECS):
            live = self.streams[index].take(last)
            if result.faults[index] is not None:
                continue
            expected = [spec.pick(row) for row in projected[index]]
            if expected != live:
                self._diagnose(index, spec, expected, live)

    def _diagnose(
        self, index: int, spec: _Table, expected: list[tuple[Any, ...]], live: list[tuple[Any, ...]]
    ) -> None:
        mine = _by_position(expected, spec.at)
        theirs = _by_position(live, spec.at)
        for position in sorted(set(mine) | set(theirs)):
            rows, found = mine.get(position, []), theirs.get(position)
            if found is None:
                self.result.unmatched.append((index, position, rows[0][spec.change]))
            elif rows != found and sorted(rows, key=repr) != sorted(found, key=repr):
                self.result.faults[index] = position
                return

    def finish(self) -> Partial:
        self._compare_batch()
        for index, stream in enumerate(self.streams):
            extra = stream.take(self.result.until)  # live rows no stored event accounts for
            if extra and self.result.faults[index] is None:
                self.result.faults[index] = extra[0][SPECS[index].at]
        return self.result


class _LiveRows:
    """One table's live rows in (after, until], in position order, handed out up to a position."""

    def __init__(self, live: Connection, spec: _Table, after: int, until: int) -> None:
        self.at = spec.at
        self.batches = driver_rows(live, spec.sql.format(after=after, until=until), stream=True)
        self.buffer: list[tuple[Any, ...]] = []
        self.done = False

    def take(self, last: int) -> list[tuple[Any, ...]]:
        """The rows of positions up to `last` not yet taken."""
        at = self.at
        while not self.done and (not self.buffer or self.buffer[-1][at] <= last):
            rows = next(self.batches, None)
            if rows is None:
                self.done = True
            else:
                self.buffer.extend(rows)
        cut = bisect_right(self.buffer, last, key=itemgetter(at))
        taken, self.buffer = self.buffer[:cut], self.buffer[cut:]
        return taken


def _by_position(rows: list[tuple[Any, ...]], at: int) -> dict[int, list[tuple[Any, ...]]]:
    grouped: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        grouped.setdefault(row[at], []).append(row)
    return grouped


def check_range(
    live: Connection, decode: Callable[[str, UUID, int, bytes], Any], after: int, until: int
) -> Partial:
    """One range, reading its stored events itself (what a worker process runs)."""
    check = RangeCheck(live, decode, after, until)
    for row in stored_rows(live, after, until):
        check.add_stored(*row)
    return check.finish()


# A log shorter than this is checked in the calling process: a worker takes about a second to start.
SMALLEST_RANGE = 50_000


def ranges(until: int, parts: int) -> list[tuple[int, int]]:
    """(after, until] ranges cutting positions 1..until into at most `parts`, none shorter than
    SMALLEST_RANGE; none at all for a shorter log."""
    parts = min(parts, until // SMALLEST_RANGE)
    if parts < 1:
        return []
    bounds = [until * i // parts for i in range(parts + 1)]
    return list(pairwise(bounds))


def conclude(live: Connection, partials: list[Partial], until: int) -> list[Finding]:
    """Settle what the ranges could not alone, and say what differs (the first position of each)."""
    partials = sorted(partials, key=lambda p: p.after)
    findings = [error for p in partials for error in p.errors][:1]
    tracked = ReadModel.position(live)
    if tracked < until:
        first = live.execute(
            text(f"SELECT min(id) FROM {EVENTS_TABLE} WHERE id > :after"), {"after": tracked}
        ).scalar()
        findings.append(
            Finding(
                f"the read model has not projected this event (it stops at position {tracked})",
                int(first) if first is not None else tracked + 1,
            )
        )
    # A change past the log's end whose event is not stored: the log lost its tail, or the read
    # model gained a row of its own (a change appended since the check began has its event).
    beyond = live.execute(
        text(
            f"SELECT min(c.position) FROM {changes.name} c WHERE c.position > :until AND NOT "
            f"EXISTS (SELECT 1 FROM {EVENTS_TABLE} e WHERE e.id = c.position)"
        ),
        {"until": until},
    ).scalar()
    if beyond is not None:
        findings.append(
            Finding("the read model holds a change at a position the log does not hold", beyond)
        )
    superseded: dict[str, int] = {}
    for partial in partials:
        for key, at in partial.superseded.items():
            superseded.setdefault(key, at)
    for index, spec in enumerate(SPECS):
        faults = [f for p in partials if (f := p.faults[index]) is not None]
        faults += _unaccounted(live, [u for p in partials for u in p.unmatched if u[0] == index])
        closed = _closed_fault(live, TABLES[index], until, superseded)
        if closed is not None:
            faults.append(closed)
        if faults:
            findings.append(
                Finding(f"the read model's {spec.table.name} differs from a rebuild", min(faults))
            )
    expected: dict[str, dict[str, Any]] = {}
    for partial in partials:
        for key, row in partial.entities.items():
            expected.setdefault(key, row)
    live_entities = {
        row.id: dict(row._mapping)
        for row in live.execute(select(entities).where(entities.c.first_position <= until))
    }
    if live_entities != expected:
        differing = [
            (expected.get(k) or live_entities[k])["first_position"]
            for k in set(live_entities) | set(expected)
            if live_entities.get(k) != expected.get(k)
        ]
        findings.append(
            Finding("the read model's ledger_entities differs from a rebuild", min(differing))
        )
    live_names = {
        tuple(row)
        for row in live.execute(
            select(names.c.entity_id, names.c.name, names.c.folded, names.c.scheme)
        )
    }
    if live_names != set().union(*(p.names for p in partials)):
        findings.append(Finding("the read model's ledger_names differ from a rebuild"))
    if not findings:
        # The facts equal a rebuild: the periods must equal the periods cut from them.
        differs = periods.first_difference(live)
        if differs is not None:
            findings.append(
                Finding("the read model's ledger_periods differ from a rebuild", differs)
            )
    return findings


def _unaccounted(live: Connection, unmatched: list[tuple[int, int, str]]) -> list[int]:
    """Positions whose projected rows the live table lacks and that are not a later stored event
    of a change the read model holds at an earlier position (whose range compared it there)."""
    if not unmatched:
        return []
    first = _first_positions(live, {key for _, _, key in unmatched})
    return [p for _, p, key in unmatched if not (key in first and first[key] < p)]


def _first_positions(live: Connection, keys: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        rows = live.execute(
            select(changes.c.change_id, changes.c.position).where(changes.c.change_id.in_(chunk))
        )
        found.update((row.change_id, row.position) for row in rows)
    return found


def _closed_fault(
    live: Connection, spec: tuple[Any, str, str | None], until: int, superseded: dict[str, int]
) -> int | None:
    """The first position where a correction closed rows differently from a rebuild: a row closed
    at another position (or closed at all when nothing superseded its change), or a row of a
    superseded change still open."""
    table, position, column = spec
    if column is None:
        return None
    closed: dict[str, set[int]] = {}
    rows = live.execute(
        select(table.c.change_id, table.c[column]).where(
            table.c[column].is_not(None), table.c[position] <= until
        )
    )
    for key, at in rows:
        closed.setdefault(key, set()).add(at)
    wrong = []
    for key, values in closed.items():
        at = superseded.get(key)
        if values != {at}:
            wrong.append(min(values | ({at} if at is not None else set())))
    wrong += [superseded[key] for key in _still_open(live, table, column, superseded)]
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
