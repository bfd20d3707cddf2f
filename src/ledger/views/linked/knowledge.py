"""What the ledger knows at a log position, whole: every body with its names, kinds, codes and
lifetime; posts, people, memberships, holdings, relationships and dated facts, each with the
change it rests on; every change in force and every source. Read once, for an export
(`ledger export --format jsonld|popolo`), not for one date: the periods are paired here from the
fact rows by the timeline's rules, as `show`, `holders` and `person` pair them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from ledger.adapters.tables import changes, entities, facts
from ledger.views.axes import Axes, known_facts
from ledger.views.naming import Name, cut
from ledger.views.rows import ROW_COLUMNS, Period, Row, periods_of, rows_from
from ledger.views.world import World

# The kinds of change that describe no change in the world: a source entering the registry, and
# the amendments that withdraw a change (a correction is a change of the corrected kind).
NOT_EVENTS = ("source_registered", "retracted", "cancelled")
NAMING = ("name", "alias_start", "alias_end", "desig_start", "desig_end", "end")


@dataclass(frozen=True)
class Change:
    """A change in force at the position, as `ledger log` shows it."""

    id: str
    label: str | None
    position: int
    kind: str
    effective: str
    recorded_at: str
    recorder: str
    reason: str
    sources: list[dict[str, str]]
    details: dict[str, Any]
    supersedes: str | None


@dataclass(frozen=True)
class Holding:
    """A person's holding of a post over a period (its end: the appointment's, else the closing
    of the post's organisation or the post's abolition, whichever came first)."""

    post: str
    person: str
    start: Row
    end: Row | None


@dataclass
class Knowledge:
    known_at: int | None
    entity: dict[str, tuple[str, str]]  # id -> (entity, name as first recorded)
    world: World
    names: dict[str, list[Name]]
    changes: list[Change]
    touched: dict[str, list[Row]]  # change id -> every fact row of it (mentions too)
    sources: dict[str, dict[str, Any]]  # id -> the registered details, and `published`
    dated: list[Row] = field(default_factory=list)  # the facts recorded (dated attributes)

    # --- bodies ---------------------------------------------------------------------------------
    def organisations(self) -> list[str]:
        w = self.world
        return sorted(set(w.starts) | set(w.first_seen), key=self._order)

    def _order(self, org: str) -> tuple[date, str]:
        start = self.world.start_of(org)
        return (start.eff if start else date.max, self.name(org))

    def name(self, entity: str) -> str:
        """The body's formal name as known now (its latest), else the entity's recorded name."""
        formal = [n for n in self.names.get(entity, []) if n.type in ("formal", "former")]
        if formal:
            return formal[-1].name if formal[-1].type == "formal" else formal[0].name
        return self.entity.get(entity, ("", entity))[1]

    def life(self, org: str) -> Period:
        """From its establishment, else its first sighting; until its first closing."""
        start = self.world.start_of(org)
        assert start is not None
        return Period(start, self.world.ends.get(org))

    def kinds(self, org: str) -> list[Period]:
        """Each kind the body had, until the next (a value that replaces another)."""
        rows = self.world.kinds.get(org, [])
        return _succession(rows, self.world.ends.get(org))

    def memberships(self) -> list[tuple[str, str, Period]]:
        """(member, body, period) of every membership, in effective order."""
        found = [
            (member, body, p)
            for (member, body), marks in self.world.memberships.items()
            for p in periods_of(list(marks))
        ]
        return sorted(found, key=lambda m: (m[2].start.eff, m[2].start.position))

    def relationships(self) -> list[tuple[str, str, str, Period]]:
        """(subject, relation, object, period) of every relationship, in effective order."""
        found = [
            (subject, relation, obj, p)
            for (subject, relation, obj), marks in self.world.relations.items()
            for p in periods_of(list(marks))
        ]
        return sorted(found, key=lambda r: (r[3].start.eff, r[3].start.position))

    def facts(self) -> dict[tuple[str, str, str | None], list[Period]]:
        """Each dated attribute of each body (and function), its values each until the next."""
        grouped: dict[tuple[str, str, str | None], list[Row]] = defaultdict(list)
        for r in self.dated:
            grouped[(r.subject, r.value or "", (r.extra or {}).get("function"))].append(r)
        return {key: _succession(rows, None) for key, rows in grouped.items()}

    # --- posts and holders ----------------------------------------------------------------------
    def posts(self) -> list[tuple[str, Period]]:
        """(post, period from its creation to its abolition), ordered by organisation and title."""
        w = self.world
        found = [(post, Period(row, w.post_ends.get(post))) for post, row in w.posts.items()]
        return sorted(found, key=lambda p: (str(p[1].start.other), p[1].start.value or ""))

    def holdings(self) -> list[Holding]:
        w = self.world
        found = []
        for (post, person), marks in w.appointments.items():
            row = w.posts.get(post)
            org = row.other if row is not None else None
            limits = [e for e in (w.post_ends.get(post), w.ends.get(org or "")) if e is not None]
            for p in periods_of(list(marks)):
                end = p.end
                for limit in limits:
                    if end is None or limit.eff < end.eff:
                        end = limit
                found.append(Holding(post, person, p.start, end))
        return sorted(found, key=lambda h: (h.start.eff, h.start.position, h.post))

    # --- changes ----------------------------------------------------------------------------------
    def parties(self, change: str) -> tuple[list[str], list[str], list[str]]:
        """The bodies a change ends or leads from (original), establishes or leads to (resulting),
        and every entity it touches, each in the order of its rows."""
        original: list[str] = []
        resulting: list[str] = []
        touched: list[str] = []
        for r in self.touched.get(change, []):
            if r.aspect == "end" or (r.aspect == "edge" and r.other):
                original.append(r.subject)
            if r.aspect == "start":
                resulting.append(r.subject)
            if r.aspect == "edge" and r.other:
                resulting.append(r.other)
            touched += [e for e in (r.subject, r.other) if e in self.entity]
        return _unique(original), _unique(resulting), _unique(touched)


def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _succession(rows: list[Row], closing: Row | None) -> list[Period]:
    """Values that replace one another (rows in effective and recorded order): each holds from
    its date until the next later date, the last of one date winning; the last until `closing`."""
    found: list[Period] = []
    for i, row in enumerate(rows):
        following = next((r for r in rows[i + 1 :] if r.eff > row.eff), None)
        if i + 1 < len(rows) and rows[i + 1].eff == row.eff:
            continue  # overtaken the same day
        found.append(Period(row, following or closing))
    return found


def read(conn: Connection, known_at: int | None) -> Knowledge:
    """Everything the ledger had recorded by `known_at` (None: now), without plans."""
    axes = Axes(on=date.max, known_at=known_at)
    rows = rows_from(conn.execute(select(*[facts.c[c] for c in ROW_COLUMNS]).where(
        known_facts(axes)
    )))  # fmt: skip
    rows.sort(key=lambda r: (r.eff, r.position))
    touched: dict[str, list[Row]] = defaultdict(list)
    naming: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        touched[r.change].append(r)
        if r.aspect in NAMING:
            naming[r.subject].append(r)
    known = select(entities.c.id, entities.c.entity, entities.c.name)
    if known_at is not None:
        known = known.where(entities.c.first_position <= known_at)
    return Knowledge(
        known_at=known_at,
        entity={i: (e, n) for i, e, n in conn.execute(known)},
        world=World(rows, date.max),
        names={org: cut(found, date.max) for org, found in naming.items()},
        changes=_changes(conn, known_at),
        touched=touched,
        sources=_sources(conn, known_at),
        dated=[r for r in rows if r.aspect == "fact"],
    )


def _in_force(known_at: int | None) -> list[Any]:
    """The changes recorded by the position and not corrected, retracted or confirmed by then."""
    if known_at is None:
        return [changes.c.superseded_at.is_(None)]
    return [
        changes.c.position <= known_at,
        or_(changes.c.superseded_at.is_(None), changes.c.superseded_at > known_at),
    ]


def _changes(conn: Connection, known_at: int | None) -> list[Change]:
    query = (
        select(changes)
        .where(
            *_in_force(known_at),
            changes.c.status != "planned",
            changes.c.kind.not_in(NOT_EVENTS),
        )
        .order_by(changes.c.eff_start, changes.c.position)
    )
    return [
        Change(
            id=r.change_id,
            label=r.label,
            position=r.position,
            kind=r.kind,
            effective=r.effective,
            recorded_at=_moment(r.recorded_at),
            recorder=r.recorder,
            reason=r.reason,
            sources=json.loads(r.sources),
            details=json.loads(r.details),
            supersedes=r.supersedes,
        )
        for r in conn.execute(query)
    ]


def _moment(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str(value.astimezone(UTC).isoformat(timespec="seconds"))


def _sources(conn: Connection, known_at: int | None) -> dict[str, dict[str, Any]]:
    """The sources registered by the position, by id: their details and `published`."""
    query = select(changes.c.details, changes.c.effective).where(
        *_in_force(known_at), changes.c.kind == "source_registered"
    )
    found: dict[str, dict[str, Any]] = {}
    for details, effective in conn.execute(query):
        data = json.loads(details)
        found[data["source_id"]] = {**data, "published": effective}
    return found
