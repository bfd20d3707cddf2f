"""The whole system on a date, read from the periods valid on it (on both axes), not folded.

A `Snapshot` answers what the structure asks of a `World` (in force, names, kinds, memberships,
relationships, posts, holders, facts) from the rows of `ledger_periods` valid on the date and known
at the position: one indexed read, each row already the answer for its stretch of time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from ledger.adapters.periods import function_of
from ledger.adapters.tables import chunks, day_of, periods
from ledger.domain.timeline import standing
from ledger.views.rows import Period, Row

# What says whether a body is in force, and what it is called and is, on the date.
IDENTITY_ASPECTS = ("life", "name", "kind")


def _known(known_at: int | None, include_planned: bool) -> list[Any]:
    """The periods known at the position (or now), in the view with or without plans."""
    c = periods.c
    known = (
        [c.known_from <= known_at, or_(c.known_to.is_(None), c.known_to > known_at)]
        if known_at is not None
        else [c.known_to.is_(None)]
    )
    return [*known, c.views.op("&")(2 if include_planned else 1) != 0]


_COLUMNS = ("subject", "aspect", "other", "value", "extra", "change_id", "effective", "eff_start",
            "position", "planned", "first_eff", "first_position", "valid_from", "last_seen",
            "valid_to")  # fmt: skip


@dataclass
class Snapshot:
    on: date
    until: date | None = None  # the last day of a period asked about (see views/axes.py)
    life: dict[str, Row] = field(default_factory=dict)
    names: dict[str, Row] = field(default_factory=dict)
    kinds: dict[str, Row] = field(default_factory=dict)
    code_rows: dict[str, list[tuple[Any, str, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # (first mark's (day, position), other, row) per subject: the order a fold meets them in
    memberships: dict[str, list[tuple[Any, str, Row]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    members_of: dict[str, list[tuple[Any, str, Row]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    relations: dict[str, list[tuple[Any, tuple[str, str, str], Row]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    posts: dict[str, Row] = field(default_factory=dict)
    posts_by_org: dict[str, list[tuple[Any, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    holdings: dict[str, list[tuple[str, Row]]] = field(default_factory=lambda: defaultdict(list))
    fact_rows: dict[str, list[tuple[Any, Row]]] = field(default_factory=lambda: defaultdict(list))

    # Where a period is asked about, a body may have had several names (kinds, lives, posts) in
    # it: the one valid last is kept, as a fold takes the latest by the period's last day.
    _since: dict[tuple[Any, ...], date] = field(default_factory=dict)
    _facts: dict[tuple[Any, ...], tuple[Any, Row]] = field(default_factory=dict)

    @classmethod
    def read(
        cls,
        conn: Connection,
        on: date,
        known_at: int | None,
        include_planned: bool,
        until: date | None = None,
    ) -> Snapshot:
        snapshot = cls(on, until)
        snapshot._read(conn, known_at, include_planned)
        snapshot._settle()
        return snapshot

    @classmethod
    def read_bodies(
        cls, conn: Connection, known_at: int | None, include_planned: bool, chosen: list[str],
        identities: Identities,
    ) -> Snapshot:  # fmt: skip
        """The snapshot of some bodies in force (`chosen` of the `identities` read first): their
        rows, the memberships, relationships and posts naming them, their posts' holders, and the
        names of the bodies they are linked to. One page of the structure without reading every
        body in full."""
        snapshot = cls(identities.on, identities.until)
        c = periods.c
        for chunk in chunks(chosen):
            # Their own rows, and the memberships, relationships and posts naming them.
            for r in snapshot._rows_about(conn, known_at, include_planned, c.subject.in_(chunk)):
                snapshot._add(r)
            for r in snapshot._rows_about(
                conn, known_at, include_planned, c.other.in_(chunk),
                c.aspect.in_(("member", "relation", "post")),
                c.subject.not_in(chosen),  # read above already
            ):  # fmt: skip
                snapshot._add(r)
        linked = {other for org in chosen for _, other, _ in snapshot.memberships.get(org, ())}
        linked |= {member for org in chosen for _, member, _ in snapshot.members_of.get(org, ())}
        linked |= {
            end
            for org in chosen
            for _, (a, _, b), _ in snapshot.relations.get(org, ())
            for end in (a, b)
        }
        # The bodies they are linked to: whether they are in force, and their names.
        for chunk in chunks(sorted(linked - set(chosen))):
            for r in snapshot._rows_about(conn, known_at, include_planned, c.subject.in_(chunk)):
                if r[1] in IDENTITY_ASPECTS:
                    snapshot._add(r)
        posts = [post for org in chosen for _, post in snapshot.posts_by_org.get(org, ())]
        for chunk in chunks(sorted(posts)):
            for r in snapshot._rows_about(
                conn, known_at, include_planned, c.subject.in_(chunk), c.aspect == "holder"
            ):
                snapshot._add(r)
        snapshot._settle()
        return snapshot

    def _read(self, conn: Connection, known_at: int | None, include_planned: bool) -> None:
        for r in self._rows(conn, known_at, include_planned):
            self._add(r)

    def _rows(
        self, conn: Connection, known_at: int | None, include_planned: bool, *only: Any
    ) -> Any:
        """The period rows valid in the days asked about, known at the position (of `only` some)."""
        c = periods.c
        query = select(*[c[name] for name in _COLUMNS]).where(
            *_known(known_at, include_planned),
            or_(c.valid_to.is_(None), c.valid_to > self.on),
            or_(c.valid_from.is_(None), c.valid_from <= (self.until or self.on)),
            *only,
        )
        return conn.execute(query).cursor

    def _rows_about(
        self, conn: Connection, known_at: int | None, include_planned: bool, *only: Any
    ) -> list[Any]:
        """The same, of a few bodies (`only` names them): dated here, not in SQL, so that no
        condition on the dates tempts the planner away from the subject and other indexes (onto
        the index of every period valid on the date)."""
        c = periods.c
        query = select(*[c[name] for name in _COLUMNS]).where(
            *_known(known_at, include_planned), *only
        )
        last = self.until or self.on
        cursor: Any = conn.execute(query).cursor
        return [
            r
            for r in cursor
            if (r[14] is None or day_of(r[14]) > self.on)
            and (r[12] is None or day_of(r[12]) <= last)
        ]

    def _settle(self) -> None:
        for (subject, *_), found in self._facts.items():
            self.fact_rows[subject].append(found)

    def _add(self, r: Any) -> None:
        subject, aspect, other, value, extra, change, effective, eff, position, planned = r[:10]
        order = (day_of(r[10]), r[11])
        # An open period's last evidence, kept only if it came before the days asked about.
        last_seen = day_of(r[13]) if r[13] is not None else None
        if last_seen is not None and standing(last_seen, self.on) == "in force":
            last_seen = None
        row = Row(
            change, subject, aspect, other, value, extra, day_of(eff), effective, position,
            bool(planned), last_seen,
        )  # fmt: skip
        if aspect in ("life", "name", "kind") and not self._latest((subject, aspect), r[12]):
            return
        if aspect == "life":
            row.aspect = "start" if value == "start" else "seen"
            self.life[subject] = row
        elif aspect == "name":
            self.names[subject] = row
        elif aspect == "kind":
            self.kinds[subject] = row
        elif aspect == "code":
            self.code_rows[subject].append((order, extra or "code", value or ""))
        elif aspect == "member":
            assert other is not None
            self.memberships[subject].append((order, other, row))
            self.members_of[other].append((order, subject, row))
        elif aspect == "relation":
            assert other is not None and value is not None
            entry = (order, (subject, value, other), row)
            self.relations[subject].append(entry)
            if other != subject:
                self.relations[other].append(entry)
        elif aspect == "post":
            assert other is not None
            self.posts[subject] = row
            self.posts_by_org[other].append((order, subject))
        elif aspect == "holder":
            assert other is not None
            self.holdings[subject].append((other, row))
        elif aspect == "fact":
            if self.until is None:
                self.fact_rows[subject].append((order, row))
            else:  # over a period, a dated attribute's value at its end, as for a name
                key = (subject, "fact", value, function_of(extra))
                if self._latest(key, r[12]):
                    self._facts[key] = (order, row)

    def _latest(self, key: tuple[Any, ...], valid_from: Any) -> bool:
        """Whether a row of a single-valued aspect (`key`: the subject and what it says of it) is
        valid later than the one held (always, on a day: one row of each is valid then)."""
        since = day_of(valid_from) if valid_from is not None else date.min
        held = self._since.get(key)
        if held is not None and held > since:
            return False
        self._since[key] = since
        return True

    # --- what the structure asks --------------------------------------------------------------
    @property
    def codes(self) -> dict[str, dict[str, str]]:
        """Each body's codes by scheme, schemes in the order they were first recorded."""
        return {
            subject: {scheme: code for _, scheme, code in sorted(rows, key=_first)}
            for subject, rows in self.code_rows.items()
        }

    def start_of(self, org: str) -> Row | None:
        return self.life.get(org)

    def in_force(self, org: str) -> bool:
        return org in self.life

    def last_seen(self, org: str) -> date | None:
        """The day of the body's last evidence, if it came before the days asked about."""
        row = self.life.get(org)
        return row.last_seen if row is not None else None

    def organisations(self) -> list[str]:
        return sorted(self.life)

    def name_row(self, org: str) -> Row | None:
        return self.names.get(org)

    def kind_row(self, org: str) -> Row | None:
        return self.kinds.get(org)

    def name(self, org: str) -> str:
        row = self.names.get(org)
        return row.value or org if row else org

    def kind(self, org: str) -> str | None:
        row = self.kinds.get(org)
        return row.value if row else None

    def member_of(self, org: str) -> list[tuple[str, Period]]:
        return [
            (body, Period(row, last_seen=row.last_seen))
            for _, body, row in sorted(self.memberships.get(org, ()), key=_first)
            if self.in_force(body)
        ]

    def members(self, body: str) -> list[tuple[str, Period]]:
        return [
            (member, Period(row, last_seen=row.last_seen))
            for _, member, row in sorted(self.members_of.get(body, ()), key=_first)
            if self.in_force(member)
        ]

    def relationships(self, org: str) -> list[tuple[str, str, str, Period]]:
        return [
            (subject, relation, obj, Period(row, last_seen=row.last_seen))
            for _, (subject, relation, obj), row in sorted(self.relations.get(org, ()), key=_first)
            if self.in_force(subject) and self.in_force(obj)
        ]

    def posts_of(self, org: str) -> list[str]:
        found = [post for _, post in sorted(self.posts_by_org.get(org, ()), key=_first)]
        return sorted(found, key=lambda p: self.posts[p].value or "")

    def post_row(self, post: str) -> Row:
        return self.posts[post]

    def holders(self, post: str) -> list[tuple[str, Period]]:
        found = [
            (person, Period(row, last_seen=row.last_seen))
            for person, row in self.holdings.get(post, ())
        ]
        return sorted(found, key=lambda h: (h[1].start.eff, h[1].start.position))

    def facts_of(self, org: str) -> list[Row]:
        rows = [row for _, row in sorted(self.fact_rows.get(org, ()), key=_first)]
        return sorted(rows, key=lambda r: (r.value or "", r.eff))


def _first(entry: tuple[Any, ...]) -> Any:
    return entry[0]


class Identities:
    """The bodies in force on the date with what a page of the structure is ordered and picked by
    (name, kind, last evidence), from light rows (subject, aspect, value, valid_from, last_seen),
    not made into `Row`s: of each body and aspect the row valid last, as `Snapshot._latest`
    keeps it."""

    def __init__(self, on: date, until: date | None = None) -> None:
        self.on = on
        self.until = until
        self._latest: dict[tuple[str, str], Any] = {}

    @classmethod
    def read(
        cls, conn: Connection, on: date, known_at: int | None, include_planned: bool,
        until: date | None = None,
    ) -> Identities:  # fmt: skip
        c = periods.c
        light = select(c.subject, c.aspect, c.value, c.valid_from, c.last_seen).where(
            *_known(known_at, include_planned),
            or_(c.valid_to.is_(None), c.valid_to > on),
            or_(c.valid_from.is_(None), c.valid_from <= (until or on)),
            c.aspect.in_(IDENTITY_ASPECTS),  # through the (aspect, known_to, valid_to) index
        )
        found = cls(on, until)
        cursor: Any = conn.execute(light).cursor
        for r in cursor:
            found.add(r)
        return found

    def add(self, r: Any) -> None:
        key = (r[0], r[1])
        held = self._latest.get(key)
        if held is None or _since(held) <= _since(r):
            self._latest[key] = r

    def organisations(self) -> list[str]:
        return sorted(subject for subject, aspect in self._latest if aspect == "life")

    def name(self, org: str) -> str:
        r = self._latest.get((org, "name"))
        return (r[2] or org) if r is not None else org

    def kind(self, org: str) -> str | None:
        r = self._latest.get((org, "kind"))
        return r[2] if r is not None else None

    def last_seen(self, org: str) -> date | None:
        r = self._latest.get((org, "life"))
        if r is None or r[4] is None:
            return None
        seen = day_of(r[4])
        return seen if standing(seen, self.on) == "presumed" else None


def _since(r: Any) -> date:
    return day_of(r[3]) if r[3] is not None else date.min
