"""Queries on the read model, on both time axes: `on` (valid time) and `known_at` (a log position).

Rows are selected through indexes by effective date and known-at position, then folded into the
state on the date. Every answer carries the changes (and so the sources) it rests on.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any
from uuid import UUID

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.engine import Connection, Engine

from ledger.adapters.collector import collector_paused
from ledger.adapters.periods import in_step as periods_in_step
from ledger.adapters.tables import changes, chunks, entities, facts, fold, names
from ledger.application.errors import Ambiguous, InvalidInput, NotFound
from ledger.domain.dates import Effective
from ledger.domain.matching import close_matches
from ledger.views.rows import ROW_COLUMNS, Period, Row
from ledger.views.rows import periods_of as _periods
from ledger.views.rows import rows_from as _rows_from
from ledger.views.snapshot import Snapshot

# Aspects that say whether a body is in force and what it is called.
IDENTITY = ("start", "end", "attest", "mention", "name", "kind")
UNMENTIONED = tuple(a for a in IDENTITY if a != "mention")
LINKS = ("member_start", "member_end", "rel_start", "rel_end")
POST_MARKS = ("post_start", "post_end")
# Names, kinds and codes are needed even when later than the date.
UNDATED = ("name", "kind", "code")
APPOINTMENT_MARKS = ("appt_start", "appt_end")


@dataclass(frozen=True)
class Axes:
    """The two times of a question: the valid date, and what the ledger had recorded (a position)."""

    on: date
    known_at: int | None = None
    include_planned: bool = False


@dataclass
class World:
    """The state of every organisation, post and membership, folded from rows effective up to a date."""

    rows: list[Row]
    on: date
    starts: dict[str, Row] = field(default_factory=dict)
    ends: dict[str, Row] = field(default_factory=dict)
    first_seen: dict[str, Row] = field(default_factory=dict)
    names: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    kinds: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    memberships: dict[tuple[str, str], list[tuple[Row, bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    relations: dict[tuple[str, str, str], list[tuple[Row, bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    posts: dict[str, Row] = field(default_factory=dict)
    post_ends: dict[str, Row] = field(default_factory=dict)
    appointments: dict[tuple[str, str], list[tuple[Row, bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    facts: dict[tuple[str, str, str | None], Row] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))

    def __post_init__(self) -> None:
        for row in sorted(self.rows, key=lambda r: (r.eff, r.position)):
            a = row.aspect
            if a == "start":
                self.starts.setdefault(row.subject, row)
            elif a == "end":
                self.ends.setdefault(row.subject, row)
            elif a in ("attest", "mention"):
                self.first_seen.setdefault(row.subject, row)
            elif a == "name":
                self.names[row.subject].append(row)
            elif a == "kind":
                self.kinds[row.subject].append(row)
            elif a in ("member_start", "member_end"):
                assert row.other is not None
                self.memberships[(row.subject, row.other)].append((row, a == "member_start"))
            elif a in ("rel_start", "rel_end"):
                assert row.other is not None and row.value is not None
                self.relations[(row.subject, row.value, row.other)].append((row, a == "rel_start"))
            elif a == "post_start":
                self.posts.setdefault(row.subject, row)
            elif a == "post_end":
                self.post_ends.setdefault(row.subject, row)
            elif a in ("appt_start", "appt_end"):
                assert row.other is not None
                self.appointments[(row.subject, row.other)].append((row, a == "appt_start"))
            elif a == "code" and row.value is not None:
                self.codes[row.subject][(row.extra or {}).get("scheme", "code")] = row.value
            elif a == "fact" and row.eff <= self.on:
                # Most facts are about no function: their extra fields need not be parsed here.
                extra = row.extra if row.extra_json and '"function"' in row.extra_json else None
                function = (extra or {}).get("function")
                self.facts[(row.subject, row.value or "", function)] = row

    def start_of(self, org: str) -> Row | None:
        return self.starts.get(org) or self.first_seen.get(org)

    def in_force(self, org: str) -> bool:
        start = self.start_of(org)
        if start is None or start.eff > self.on:
            return False
        end = self.ends.get(org)
        return end is None or end.eff > self.on

    def organisations(self) -> list[str]:
        known = set(self.starts) | set(self.first_seen)
        return sorted(o for o in known if self.in_force(o))

    def latest(self, rows: list[Row]) -> Row | None:
        chosen = [r for r in rows if r.eff <= self.on]
        if chosen:
            return chosen[-1]
        return rows[0] if rows else None

    def name_row(self, org: str) -> Row | None:
        return self.latest(self.names.get(org, []))

    def kind_row(self, org: str) -> Row | None:
        return self.latest(self.kinds.get(org, []))

    def post_row(self, post: str) -> Row:
        return self.posts[post]

    def name(self, org: str) -> str:
        row = self.latest(self.names.get(org, []))
        return row.value or org if row else org

    def kind(self, org: str) -> str | None:
        row = self.latest(self.kinds.get(org, []))
        return row.value if row else None

    # The whole structure asks these for every organisation in force: each is answered from an
    # index over the folded rows (built once, in the rows' order) rather than a walk of them all.
    @cached_property
    def _memberships_by(self) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
        by_member: dict[str, list[Any]] = defaultdict(list)
        by_body: dict[str, list[Any]] = defaultdict(list)
        for key, marks in self.memberships.items():
            by_member[key[0]].append((key, marks))
            by_body[key[1]].append((key, marks))
        return by_member, by_body

    @cached_property
    def _relations_by_party(self) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = defaultdict(list)
        for key, marks in self.relations.items():
            subject, _, obj = key
            found[subject].append((key, marks))
            if obj != subject:
                found[obj].append((key, marks))
        return found

    @cached_property
    def _posts_by_org(self) -> dict[str | None, list[str]]:
        found: dict[str | None, list[str]] = defaultdict(list)
        for post, row in self.posts.items():
            found[row.other].append(post)
        return found

    @cached_property
    def _appointments_by_post(self) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = defaultdict(list)
        for key, marks in self.appointments.items():
            found[key[0]].append((key, marks))
        return found

    @cached_property
    def _facts_by_subject(self) -> dict[str, list[Row]]:
        found: dict[str, list[Row]] = defaultdict(list)
        for (subject, _, _), row in self.facts.items():
            found[subject].append(row)
        return found

    def member_of(self, org: str) -> list[tuple[str, Period]]:
        found = []
        for (member, body), marks in self._memberships_by[0].get(org, ()):
            if member != org or not self.in_force(body):
                continue
            for period in _periods(list(marks)):
                if period.covers(self.on):
                    found.append((body, period))
        return found

    def members(self, body: str) -> list[tuple[str, Period]]:
        found = []
        for (member, b), marks in self._memberships_by[1].get(body, ()):
            if b != body or not self.in_force(member):
                continue
            for period in _periods(list(marks)):
                if period.covers(self.on):
                    found.append((member, period))
        return found

    def relationships(self, org: str) -> list[tuple[str, str, str, Period]]:
        """(subject, relation, object, period) in force on the date where org is either end."""
        found = []
        for (subject, relation, obj), marks in self._relations_by_party.get(org, ()):
            if org not in (subject, obj) or not (self.in_force(subject) and self.in_force(obj)):
                continue
            for period in _periods(list(marks)):
                if period.covers(self.on):
                    found.append((subject, relation, obj, period))
        return found

    def posts_of(self, org: str) -> list[str]:
        found = []
        for post in self._posts_by_org.get(org, ()):
            row = self.posts[post]
            end = self.post_ends.get(post)
            if row.other == org and row.eff <= self.on and (end is None or end.eff > self.on):
                found.append(post)
        return sorted(found, key=lambda p: self.posts[p].value or "")

    def holders(self, post: str, *, all_time: bool = False) -> list[tuple[str, Period]]:
        found = []
        org = self.posts[post].other if post in self.posts else None
        org_end = self.ends.get(org) if org else None
        for (p, person), marks in self._appointments_by_post.get(post, ()):
            if p != post:
                continue
            for period in _periods(list(marks)):
                if org_end is not None and period.end is None:
                    period = Period(period.start, org_end)
                if all_time or period.covers(self.on):
                    found.append((person, period))
        return sorted(found, key=lambda h: (h[1].start.eff, h[1].start.position))

    def facts_of(self, org: str) -> list[Row]:
        return sorted(
            self._facts_by_subject.get(org, ()),
            key=lambda r: (r.value or "", r.eff),
        )


# The statements a question about one body asks (see `Queries._rows_of`), by what they select:
# "subject" (or "subjects", a list) and "other" name the index they go through.
_SHAPES: dict[str, Any] = {
    "subject": lambda: facts.c.subject == bindparam("about"),
    "subject, unmentioned": lambda: and_(
        facts.c.subject == bindparam("about"), facts.c.aspect != "mention"
    ),
    "other": lambda: facts.c.other == bindparam("about"),
    "subjects, appointments": lambda: and_(
        facts.c.subject.in_(bindparam("about", expanding=True)),
        facts.c.aspect.in_(sorted(APPOINTMENT_MARKS)),
    ),
    "subjects, identity": lambda: and_(
        facts.c.subject.in_(bindparam("about", expanding=True)),
        facts.c.aspect.in_(sorted(UNMENTIONED)),
    ),
    "subjects, mentions": lambda: and_(
        facts.c.subject.in_(bindparam("about", expanding=True)), facts.c.aspect == "mention"
    ),
    # lineage: the edges from or to some bodies, and the whole changes they belong to
    "edges from": lambda: and_(
        facts.c.aspect == "edge", facts.c.subject.in_(bindparam("about", expanding=True))
    ),
    "edges to": lambda: and_(
        facts.c.aspect == "edge", facts.c.other.in_(bindparam("about", expanding=True))
    ),
    "changes": lambda: facts.c.change_id.in_(bindparam("about", expanding=True)),
}
_BUILT: dict[tuple[str, bool, bool, bool], Any] = {}


def _statement(shape: str, known: bool, include_planned: bool, whole: bool = False) -> Any:
    """The statement of a shape on the axes: known now (`known_to` open) or at the bound
    position `known_at`, with or without plans; the row columns, or (`whole`) every column.
    Built once: SQLAlchemy then also keeps its cache key and its compiled form, where a statement
    built anew pays for both on every call."""
    key = (shape, known, include_planned, whole)
    found = _BUILT.get(key)
    if found is None:
        conditions = [_SHAPES[shape]()]
        if known:
            at: Any = bindparam("known_at")
            conditions += [
                facts.c.known_from <= at,
                or_(facts.c.known_to.is_(None), facts.c.known_to > at),
            ]
        else:
            conditions.append(facts.c.known_to.is_(None))
        if not include_planned:
            conditions.append(facts.c.planned.is_(False))
        columns = [facts] if whole else [facts.c[c] for c in ROW_COLUMNS]
        found = _BUILT[key] = select(*columns).where(*conditions)
    return found


_NAMES = select(entities.c.id, entities.c.name).where(
    entities.c.id.in_(bindparam("ids", expanding=True))
)
_SOURCES = select(
    changes.c.change_id,
    changes.c.label,
    changes.c.kind,
    changes.c.effective,
    changes.c.position,
    changes.c.sources,
).where(changes.c.change_id.in_(bindparam("ids", expanding=True)))


class Queries:
    """Read-only questions, answered from the read model tables."""

    def __init__(self, engine: Engine, conn: Connection | None = None) -> None:
        self.engine = engine
        self._conn = conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        if self._conn is not None:
            yield self._conn
        else:
            with self.engine.connect() as conn:
                yield conn

    # --- time axes ------------------------------------------------------------------------
    def known_at(self, text: str | None) -> int | None:
        """A log position, a change id or label, or a timestamp: what the ledger had recorded then."""
        if text is None or text == "":
            return None
        text = text.strip()
        with self.connect() as conn:
            if text.isdigit():
                return int(text)
            row = conn.execute(
                select(changes.c.position).where(
                    or_(
                        changes.c.label == text,
                        changes.c.change_id.like(text.lower().replace("-", "") + "%"),
                    )
                )
            ).all()
            if len(row) == 1:
                return int(row[0][0])
            if len(row) > 1:
                raise Ambiguous(
                    f"--known-at {text!r} matches {len(row)} changes; give more of the id"
                )
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise InvalidInput(
                    f"--known-at {text!r} is not a position, a change id or a timestamp (e.g. 2019-01-01T00:00)"
                ) from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            moment = moment.astimezone(UTC)
            if moment.microsecond == 0:
                # A timestamp copied from the log (shown to the second) covers that whole second.
                recorded = changes.c.recorded_at < moment + timedelta(seconds=1)
            else:
                recorded = changes.c.recorded_at <= moment
            if conn.dialect.name == "sqlite":
                # SQLite keeps the UTC wall time without its offset: compare like with like.
                naive = moment.replace(tzinfo=None)
                recorded = (
                    changes.c.recorded_at < naive + timedelta(seconds=1)
                    if moment.microsecond == 0
                    else changes.c.recorded_at <= naive
                )
            found = conn.execute(select(func.max(changes.c.position)).where(recorded)).scalar()
            return int(found or 0)

    def _known(self, axes: Axes) -> Any:
        conditions = []
        if axes.known_at is not None:
            conditions.append(facts.c.known_from <= axes.known_at)
            conditions.append(or_(facts.c.known_to.is_(None), facts.c.known_to > axes.known_at))
        else:
            conditions.append(facts.c.known_to.is_(None))
        if not axes.include_planned:
            conditions.append(facts.c.planned.is_(False))
        return and_(*conditions)

    def _rows(self, conn: Connection, axes: Axes, *extra: Any, dated: bool = True) -> list[Row]:
        conditions = [self._known(axes), *extra]
        if dated:
            # Names, kinds and first sightings are needed even when later than the date.
            conditions.append(or_(facts.c.eff_start <= axes.on, facts.c.aspect.in_(UNDATED)))
        result = conn.execute(select(*[facts.c[c] for c in ROW_COLUMNS]).where(*conditions))
        return _rows_from(result)

    def _rows_of(self, conn: Connection, axes: Axes, shape: str, about: Any) -> list[Row]:
        """The few rows of one subject (or a few hundred: `about` a list), found by a statement
        of one of the `_SHAPES`, built once per process (a question about one body asks half a
        dozen, and building them each time cost more than running them). Dated here rather than
        in SQL, so that no date or aspect condition tempts the planner away from the subject and
        other indexes."""
        known = axes.known_at is not None
        statement = _statement(shape, known, axes.include_planned)
        values: dict[str, Any] = {"about": about}
        if known:
            values["known_at"] = axes.known_at
        return [
            r
            for r in _rows_from(conn.execute(statement, values))
            if r.eff <= axes.on or r.aspect in UNDATED
        ]

    def world(self, axes: Axes, conn: Connection | None = None) -> World:
        if conn is None:
            with self.connect() as c:
                return World(self._world_rows(c, axes), axes.on)
        return World(self._world_rows(conn, axes), axes.on)

    def _world_rows(self, conn: Connection, axes: Axes) -> list[Row]:
        """The rows the whole structure folds. Of the `mention` rows (most of a long ledger's rows:
        one per body a change acts on), only each body's earliest, and only for bodies with no
        establishment by the date: all the fold takes from them is that the body existed by then,
        and a body established by then is dated by its establishment."""
        rows = self._rows(conn, axes, facts.c.aspect != "mention")
        established = select(facts.c.subject).where(
            self._known(axes), facts.c.aspect == "start", facts.c.eff_start <= axes.on
        )
        ranked = (
            select(
                facts,
                func.row_number()
                .over(
                    partition_by=facts.c.subject, order_by=(facts.c.eff_start, facts.c.known_from)
                )
                .label("rank"),
            )
            .where(
                self._known(axes),
                facts.c.aspect == "mention",
                facts.c.eff_start <= axes.on,
                facts.c.subject.not_in(established),
            )
            .subquery()
        )
        first = select(*[ranked.c[c] for c in ROW_COLUMNS]).where(ranked.c.rank == 1)
        return rows + _rows_from(conn.execute(first))

    def world_around(self, conn: Connection, axes: Axes, org: str) -> World:
        """The rows of one organisation, of its posts, and of the bodies it is linked to: enough to
        fold its state on the date, found through the subject and other indexes. Mentions (one
        per change that acts on a body: thousands for a busy one) are read only for the bodies no
        establishment dates by then, whose earliest mention is all that says they existed."""
        rows = self._rows_of(conn, axes, "subject, unmentioned", org)
        rows += [r for r in self._rows_of(conn, axes, "other", org) if r.subject != org]
        posts = {r.subject for r in rows if r.aspect in POST_MARKS and r.other == org}
        linked = {r.other for r in rows if r.aspect in LINKS and r.subject == org and r.other}
        linked |= {r.subject for r in rows if r.aspect in LINKS and r.other == org}
        linked.discard(org)
        for chunk in chunks(sorted(posts)):
            rows += self._rows_of(conn, axes, "subjects, appointments", chunk)
        for chunk in chunks(sorted(linked)):
            rows += self._rows_of(conn, axes, "subjects, identity", chunk)
        established = {r.subject for r in rows if r.aspect == "start" and r.eff <= axes.on}
        for chunk in chunks(sorted(({org} | linked) - established)):
            rows += self._rows_of(conn, axes, "subjects, mentions", chunk)
        return World(rows, axes.on)

    def names_of(self, conn: Connection, ids: set[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in chunks(sorted(ids)):
            for r in conn.execute(_NAMES, {"ids": chunk}):
                found[r.id] = r.name
        return found

    # --- resolution ---------------------------------------------------------------------------
    def resolve(self, text: str, entity: str = "organisation") -> str:
        from ledger.application.resolver import Resolver

        with self.connect() as conn:
            found = Resolver(conn).find(text, entity)
            assert found is not None
            return found.hex

    def resolve_post(self, text: str) -> str:
        """A post by id, by 'Title, Organisation' / 'Title @ Organisation', or by an unambiguous title."""
        from ledger.application.resolver import id_prefix

        wanted = fold(text)
        key = wanted.replace("-", "")
        with self.connect() as conn:

            def titled(title: str) -> list[Any]:
                return [
                    p
                    for p in conn.execute(
                        select(
                            entities.c.id,
                            entities.c.name,
                            entities.c.parent,
                            entities.c.first_position,
                        )
                        .join(names, names.c.entity_id == entities.c.id)
                        .where(names.c.folded == fold(title), entities.c.entity == "post")
                        .distinct()
                        .order_by(entities.c.first_position, entities.c.id)
                    )
                    if fold(p.name) == fold(title)
                ]

            def named(org_id: str | None, org: str) -> bool:
                return (
                    conn.execute(
                        select(names.c.entity_id).where(
                            names.c.entity_id == (org_id or ""), names.c.folded == fold(org)
                        )
                    ).first()
                    is not None
                )

            matches: list[Any] = []
            if len(key) >= 6:
                low, high = id_prefix(key)
                matches = [
                    p
                    for p in conn.execute(
                        select(entities.c.id, entities.c.name, entities.c.parent, entities.c.entity)
                        .where(entities.c.id >= low, entities.c.id < high)
                        .order_by(entities.c.first_position, entities.c.id)
                    )
                    if p.entity == "post"
                ]
            if not matches:
                for separator in (" @ ", ", ", " - "):
                    if separator.strip() and separator in text:
                        title, org = (
                            text.rsplit(separator.strip(), 1)
                            if separator.strip() == ","
                            else text.rsplit(separator, 1)
                        )
                        matches = [p for p in titled(title) if named(p.parent, org)]
                        if matches:
                            break
            if not matches:
                matches = titled(text)
            if len(matches) == 1:
                return str(matches[0].id)
            if len(matches) > 1:
                listing = "; ".join(
                    f"{p.name}, {conn.execute(select(entities.c.name).where(entities.c.id == p.parent)).scalar()}"
                    for p in matches[:8]
                )
                raise Ambiguous(
                    f"post {text!r} is ambiguous: {listing} (write 'Title, Organisation')"
                )
            titles = sorted(
                {
                    r[0]
                    for r in conn.execute(
                        select(entities.c.name).where(entities.c.entity == "post")
                    )
                }
            )
        close = close_matches(text, titles, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise NotFound(f"unknown post {text!r}{hint}")

    def entity_name(self, conn: Connection, entity_id: str) -> str:
        return str(
            conn.execute(select(entities.c.name).where(entities.c.id == entity_id)).scalar()
            or entity_id
        )

    def entity_names(self, conn: Connection, ids: set[str]) -> dict[str, str]:
        """Display names of many entities at once (by id)."""
        named: dict[str, str] = {}
        for chunk in chunks(sorted(ids)):
            named.update((r.id, r.name) for r in conn.execute(_NAMES, {"ids": chunk}))
        return named

    def sources_of(self, conn: Connection, change_ids: set[str]) -> dict[str, dict[str, Any]]:
        if not change_ids:
            return {}
        found = {}
        ids = sorted(change_ids)
        for i in range(0, len(ids), 500):
            # Straight from the driver's cursor: the whole country cites tens of thousands.
            cursor: Any = conn.execute(_SOURCES, {"ids": ids[i : i + 500]}).cursor
            for change, label, kind, effective, position, sources in cursor:
                found[change] = {
                    "change": label or change[:8],
                    "kind": kind,
                    "effective": effective,
                    "position": position,
                    "sources": json.loads(sources),
                }
        return found

    # --- questions ------------------------------------------------------------------------------
    def structure(
        self, axes: Axes, *, kind: str | None = None, only: str | None = None
    ) -> dict[str, Any]:
        with collector_paused():
            return self._structure(axes, kind=kind, only=only)

    def _structure(self, axes: Axes, *, kind: str | None, only: str | None) -> dict[str, Any]:
        with self.connect() as conn:
            world: World | Snapshot = self._snapshot(conn, axes) or self.world(axes, conn)
            codes = world.codes
            people = {
                r.id: r.name
                for r in conn.execute(
                    select(entities.c.id, entities.c.name).where(entities.c.entity == "person")
                )
            }
            orgs = [only] if only else world.organisations()
            result = []
            cited: dict[str, set[str]] = {}
            for org in orgs:
                if kind and world.kind(org) != kind:
                    continue
                entry, used = self._organisation(world, org, codes, people)
                result.append(entry)
                cited[org] = used
            sources = self.sources_of(conn, set().union(*cited.values()) if cited else set())
        for entry in result:
            entry["sources"] = _citations(cited[entry["id"]], sources)
        result.sort(key=lambda e: (e["kind"] or "", e["name"].casefold()))
        return {"on": axes.on.isoformat(), "known_at": axes.known_at, "organisations": result}

    @staticmethod
    def _snapshot(conn: Connection, axes: Axes) -> Snapshot | None:
        """The periods valid on the date, if they are current with the facts (a store made
        before they existed is folded until a recorder opens it and cuts them)."""
        if not periods_in_step(conn):
            return None
        return Snapshot.read(conn, axes.on, axes.known_at, axes.include_planned)

    def _organisation(
        self,
        world: World | Snapshot,
        org: str,
        codes: dict[str, dict[str, str]],
        people: dict[str, str],
    ) -> tuple[dict[str, Any], set[str]]:
        used: set[str] = set()
        start = world.start_of(org)
        name_row = world.name_row(org)
        kind_row = world.kind_row(org)
        for row in (start, name_row, kind_row):
            if row is not None:
                used.add(row.change)
        member_of: list[dict[str, Any]] = []
        for body, period in world.member_of(org):
            used.add(period.start.change)
            member_of.append(
                {
                    "id": body,
                    "name": world.name(body),
                    "since": period.start.effective,
                    "role": period.start.value,
                    "planned": period.start.planned,
                }
            )
        relationships = []
        for subject, relation, obj, period in world.relationships(org):
            used.add(period.start.change)
            relationships.append(
                {
                    "subject": world.name(subject),
                    "relation": relation,
                    "object": world.name(obj),
                    "subject_id": subject,
                    "object_id": obj,
                    "since": period.start.effective,
                }
            )
        posts = []
        for post in world.posts_of(org):
            post_row = world.post_row(post)
            used.add(post_row.change)
            holders = []
            for person, period in world.holders(post):
                used.add(period.start.change)
                flags = period.start.extra or {}
                holders.append(
                    {
                        "person": people.get(person, period.start.value or person),
                        "from": period.start.effective,
                        "to": period.end.effective if period.end else None,
                        "interim": bool(flags.get("interim")),
                        "acting": bool(flags.get("acting")),
                        "shadow": bool(flags.get("shadow")),
                    }
                )
            posts.append({"id": post, "title": post_row.value, "holders": holders})
        fact_list = []
        for row in world.facts_of(org):
            used.add(row.change)
            extra = row.extra or {}
            fact_list.append(
                {
                    "attribute": row.value,
                    "value": extra.get("value"),
                    "unit": extra.get("unit"),
                    "function": extra.get("function"),
                    "effective": row.effective,
                }
            )
        entry = {
            "id": org,
            "name": world.name(org),
            "kind": kind_row.value if kind_row else None,
            "codes": codes.get(org, {}),
            "established": start.effective if start and start.aspect == "start" else None,
            "first_recorded": start.effective if start and start.aspect != "start" else None,
            "member_of": sorted(member_of, key=lambda m: m["name"].casefold()),
            "relationships": relationships,
            "posts": posts,
            "facts": fact_list,
            "planned": bool(start and start.planned),
        }
        return entry, used

    def show(self, org_text: str, axes: Axes) -> dict[str, Any]:
        org = self.resolve(org_text)
        with self.connect() as conn:
            world = self.world_around(conn, axes, org)
            codes = world.codes
            people = self.names_of(conn, {person for _, person in world.appointments})
            entry, used = self._organisation(world, org, codes, people)
            entry["in_force"] = world.in_force(org)
            members = []
            for member, period in world.members(org):
                used.add(period.start.change)
                members.append(
                    {"id": member, "name": world.name(member), "since": period.start.effective}
                )
            entry["members"] = sorted(members, key=lambda m: m["name"].casefold())
            entry["sources"] = _citations(used, self.sources_of(conn, used))
        return {"on": axes.on.isoformat(), "known_at": axes.known_at, "organisation": entry}

    def history(self, org_text: str, axes: Axes) -> dict[str, Any]:
        """Every change touching the organisation (or its posts), in effective order, with sources."""
        org = self.resolve(org_text)
        with self.connect() as conn:
            post_ids = [
                r[0] for r in conn.execute(select(entities.c.id).where(entities.c.parent == org))
            ]
            known = self._known(Axes(axes.on, axes.known_at, include_planned=True))
            change_ids = {
                r[0]
                for r in conn.execute(
                    select(facts.c.change_id).where(
                        known, or_(facts.c.subject.in_([org, *post_ids]), facts.c.other == org)
                    )
                )
            }
            rows = conn.execute(
                select(changes)
                .where(changes.c.change_id.in_(sorted(change_ids)))
                .order_by(changes.c.eff_start, changes.c.position)
            ).all()
            corrected = {r.supersedes: r for r in rows if r.supersedes}
            supersedes = {}
            for r in rows:
                if r.supersedes:
                    old = conn.execute(
                        select(changes).where(changes.c.change_id == r.supersedes)
                    ).first()
                    if old is not None:
                        supersedes[r.change_id] = old
            entries = []
            for r in rows:
                entry = _change_entry(r)
                entry["summary"] = self._summary(conn, r)
                if r.change_id in supersedes:
                    old = supersedes[r.change_id]
                    entry["corrects"] = {
                        "as": "confirms"
                        if old.status == "planned" and r.status == "happened"
                        else "corrects",
                        "change": old.label or old.change_id[:8],
                        "effective": old.effective,
                        "position": old.position,
                    }
                if r.change_id in corrected:
                    entry["corrected_by"] = (
                        corrected[r.change_id].label or corrected[r.change_id].change_id[:8]
                    )
                entries.append(entry)
            name = self.entity_name(conn, org)
        return {
            "organisation": {"id": org, "name": name},
            "known_at": axes.known_at,
            "changes": entries,
        }

    def lineage(self, org_text: str, axes: Axes) -> dict[str, Any]:
        """All predecessors and successors, transitively, with the kind and date of each edge."""
        org = self.resolve(org_text)
        with self.connect() as conn:
            at = {"known_at": axes.known_at} if axes.known_at is not None else {}

            def facts_of(shape: str, about: list[str]) -> list[Any]:
                statement = _statement(
                    shape, axes.known_at is not None, axes.include_planned, whole=True
                )
                return list(conn.execute(statement, {"about": about, **at}).all())

            def edges_of(shape: str, nodes: set[str]) -> list[Any]:
                # One statement per level of the walk (per 500 bodies), not one per body. Sorted
                # here, not in SQL: an ORDER BY eff_start tempts the planner to walk every edge in
                # the (aspect, eff_start) index instead of these bodies' few.
                found: list[Any] = []
                for chunk in chunks(sorted(nodes)):
                    found += facts_of(shape, chunk)
                return sorted(found, key=lambda r: (r.eff_start, r.id))

            found: dict[tuple[str, str, str], Any] = {}
            for column, nxt in (("edges from", "other"), ("edges to", "subject")):
                frontier, seen = {org}, {org}
                while frontier:
                    level = edges_of(column, frontier)
                    frontier = set()
                    for r in level:
                        found[(r.subject, r.other, r.change_id)] = r
                        target = getattr(r, nxt)
                        if target not in seen:
                            seen.add(target)
                            frontier.add(target)
            # Show whole changes: a merger found through one predecessor brings all its edges.
            found_changes = {r.change_id for r in found.values()}
            whole: list[Any] = []
            for chunk in chunks(sorted(found_changes)):
                # The aspect is checked here so the planner keeps to the change index.
                whole += facts_of("changes", chunk)
            edge_rows = [r for r in whole if r.aspect == "edge"]
            for r in sorted(edge_rows, key=lambda r: (r.eff_start, r.id)):
                found[(r.subject, r.other, r.change_id)] = r
            sources = self.sources_of(conn, found_changes)
            named = self.entity_names(
                conn, {org} | {i for r in found.values() for i in (r.subject, r.other)}
            )
            edges = []
            for r in sorted(found.values(), key=lambda r: (r.eff_start, r.known_from, r.id)):
                edges.append(
                    {
                        "from": named.get(r.subject, r.subject),
                        "to": named.get(r.other, r.other),
                        "from_id": r.subject,
                        "to_id": r.other,
                        "kind": r.value,
                        "effective": r.effective,
                        "change": sources.get(r.change_id, {}).get("change"),
                        "sources": sources.get(r.change_id, {}).get("sources", []),
                    }
                )
        return {
            "organisation": {"id": org, "name": named.get(org, org)},
            "known_at": axes.known_at,
            "edges": edges,
        }

    def holders(self, post_text: str, axes: Axes, *, all_time: bool = False) -> dict[str, Any]:
        post = self.resolve_post(post_text)
        with self.connect() as conn:
            # Over time: everything recorded (as known at the position), whatever its date.
            span = Axes(date.max, axes.known_at, axes.include_planned) if all_time else axes
            org = conn.execute(select(entities.c.parent).where(entities.c.id == post)).scalar()
            rows = self._rows_of(conn, span, "subject", post)
            # The organisation's end closes open appointments; its name labels the answer.
            owner = (
                [r for r in self._rows_of(conn, span, "subject", org) if r.aspect in IDENTITY]
                if org
                else []
            )
            world = World(rows + owner, span.on)
            named = (
                World(
                    [r for r in self._rows_of(conn, axes, "subject", org) if r.aspect in IDENTITY],
                    axes.on,
                )
                if all_time and org
                else world
            )
            held = world.holders(post, all_time=all_time) if post in world.posts else []
            people = self.names_of(conn, {person for person, _ in held})
            used = {p.start.change for _, p in held} | {p.end.change for _, p in held if p.end}
            sources = self.sources_of(conn, used)
            holders = []
            for person, period in held:
                flags = period.start.extra or {}
                holders.append(
                    {
                        "person": people.get(person, person),
                        "from": period.start.effective,
                        "to": period.end.effective if period.end else None,
                        "interim": bool(flags.get("interim")),
                        "acting": bool(flags.get("acting")),
                        "shadow": bool(flags.get("shadow")),
                        "change": sources.get(period.start.change, {}).get("change"),
                        "sources": sources.get(period.start.change, {}).get("sources", []),
                    }
                )
            title = self.entity_name(conn, post)
            org_name = named.name(org) if org else None
        return {
            "post": {"id": post, "title": title, "organisation": org_name},
            "on": None if all_time else axes.on.isoformat(),
            "known_at": axes.known_at,
            "holders": holders,
        }

    def log(
        self, *, limit: int | None = None, after: int | None = None, until: int | None = None
    ) -> list[dict[str, Any]]:
        with self.connect() as conn:
            q = select(changes).order_by(changes.c.position)
            if after is not None:
                q = q.where(changes.c.position > after)
            if until is not None:
                q = q.where(changes.c.position <= until)
            if limit is not None:
                q = q.limit(limit)
            rows = conn.execute(q).all()
            return [self._entry(conn, r) for r in rows]

    def diff(
        self, start: date, end: date, known_at: int | None = None, include_planned: bool = False
    ) -> dict[str, Any]:
        """The changes that took effect after `start` up to and including `end`, as known at `known_at`."""
        axes = Axes(on=end, known_at=known_at, include_planned=include_planned)
        with self.connect() as conn:
            ids = {
                r[0]
                for r in conn.execute(
                    select(facts.c.change_id).where(
                        self._known(axes), facts.c.eff_start > start, facts.c.eff_start <= end
                    )
                )
            }
            rows = conn.execute(
                select(changes)
                .where(changes.c.change_id.in_(sorted(ids)))
                .order_by(changes.c.eff_start, changes.c.position)
            ).all()
            entries = [self._entry(conn, r) for r in rows]
        return {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "known_at": known_at,
            "changes": entries,
        }

    def plans(self, known_at: int | None = None) -> list[dict[str, Any]]:
        """Plans recorded by `known_at` and not yet confirmed, corrected or cancelled then."""
        with self.connect() as conn:
            q = select(changes).where(
                changes.c.status == "planned", changes.c.kind.not_in(("retracted", "cancelled"))
            )
            if known_at is not None:
                q = q.where(
                    changes.c.position <= known_at,
                    or_(changes.c.superseded_at.is_(None), changes.c.superseded_at > known_at),
                )
            else:
                q = q.where(changes.c.superseded_at.is_(None))
            rows = conn.execute(q.order_by(changes.c.eff_start, changes.c.position)).all()
            return [self._entry(conn, r) for r in rows]

    def count_changes(self) -> int:
        with self.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(changes)).scalar() or 0)

    def _entry(self, conn: Connection, r: Any) -> dict[str, Any]:
        """A change as the log shows it, with what it corrects, retracts or confirms."""
        entry = _change_entry(r) | {"summary": self._summary(conn, r)}
        if r.supersedes:
            old = conn.execute(select(changes).where(changes.c.change_id == r.supersedes)).first()
            if old is not None:
                verb = (
                    r.kind
                    if r.kind in ("retracted", "cancelled")
                    else (
                        "confirms"
                        if old.status == "planned" and r.status == "happened"
                        else "corrects"
                    )
                )
                entry["supersedes"] = {
                    "change": old.label or old.change_id[:8],
                    "position": old.position,
                    "as": verb,
                }
                if r.kind not in ("retracted", "cancelled"):
                    entry["summary"] += (
                        f" ({verb} {entry['supersedes']['change']}, was {old.effective})"
                    )
                else:
                    entry["summary"] = (
                        f"{r.kind} {entry['supersedes']['change']}: " + self._summary(conn, old)
                    )
        return entry

    def _summary(self, conn: Connection, r: Any) -> str:
        details = json.loads(r.details)
        return summarise(
            r.kind,
            details,
            lambda i: self.entity_name(conn, UUID(i).hex) if _is_uuid(i) else str(i),
        )


def summarise(kind: str, d: dict[str, Any], name: Any) -> str:
    """One line saying what a change did, in words, as its kind declares (domain/kinds.py)."""
    from ledger.domain.kinds import KINDS

    declared = KINDS.get("retracted" if kind == "cancelled" else kind)
    return declared.sentence(d, name) if declared is not None else kind


def _is_uuid(value: Any) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value  # type: ignore[no-any-return]


def _change_entry(r: Any) -> dict[str, Any]:
    return {
        "position": r.position,
        "change": r.label or r.change_id[:8],
        "change_id": r.change_id,
        "kind": r.kind,
        "effective": r.effective,
        "approximate": Effective.parse(r.effective).approximate,
        "status": r.status,
        "recorded_at": _aware(r.recorded_at).isoformat(timespec="seconds"),
        "recorder": r.recorder,
        "reason": r.reason,
        "sources": json.loads(r.sources),
        "superseded_at": r.superseded_at,
    }


def _citations(used: set[str], sources: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each source of each change an answer rests on, in recorded order."""
    cited = []
    for change in sorted(used, key=lambda c: sources.get(c, {}).get("position", 0)):
        info = sources.get(change)
        if not info:
            continue
        seen: set[tuple[str, str]] = set()
        for s in info["sources"]:
            if (s["source"], s["locator"]) not in seen:
                seen.add((s["source"], s["locator"]))
                cited.append(
                    {"source": s["source"], "locator": s["locator"], "change": info["change"]}
                )
    return cited
