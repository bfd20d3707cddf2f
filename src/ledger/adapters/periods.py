"""The read model's periods: the facts of each subject cut into validity intervals on both axes.

A subject's periods are a function of its facts as known at a log position (the timeline's rules,
domain/timeline.py). Whenever the facts of a subject change (a change adds some, a correction or a
retraction closes some), its periods are cut again for each position at which they changed, and
the rows that no longer hold are closed at that position (`known_to`) while the new ones are
inserted from it (`known_from`). So the rows known at any position are exactly the periods of the
facts known then, and `structure --on D --known-at K` reads the rows valid on D and known at K
through an index instead of folding every fact.

Two answers are kept apart: without plans (the default) and with them (`--include-planned`); a
row's `views` says which it belongs to (1, 2, or 3 for both).

One module, though over 400 lines: cutting, keeping the rows current and `verify`'s comparison all
go through one `Cutter` and one form of a row (`PeriodRow`, `_IDENTITY`, `_STORED`); split, each
part would have to export those.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, func, inspect, or_, select, update
from sqlalchemy.engine import Connection

from ledger.adapters import guarded
from ledger.adapters.tables import (
    CHUNK,
    PERIODS_TRACKING,
    bulk_insert,
    chunks,
    day_of,
    entities,
    facts,
    periods,
    set_tracking,
    tracked,
    tracking,
)
from ledger.domain.dates import parse_stored
from ledger.domain.timeline import Segment, last_evidence, lifetime, pair, succession

TRACKING = PERIODS_TRACKING
EARLIER_TRACKING = ("periods", "periods, evidenced")  # its names before (tables.PERIODS_TRACKING)

# What the cutting reads of a fact, in this order.
FACT_COLUMNS = ("id", "change_id", "known_from", "known_to", "planned", "subject", "aspect",
                "other", "value", "extra", "eff_start", "effective")  # fmt: skip

_LIFE = {"start": 0, "attest": 1, "mention": 1, "end": 2}
_PAIRED = {
    "member_start": ("member", True),
    "member_end": ("member", False),
    "rel_start": ("relation", True),
    "rel_end": ("relation", False),
    "appt_start": ("holder", True),
    "appt_end": ("holder", False),
}
ASPECTS = (*_LIFE, "name", "kind", "code", *_PAIRED, "post_start", "post_end", "fact")


@dataclass(slots=True)
class Fact:
    id: int
    change_id: str
    known_from: int
    known_to: int | None
    planned: bool
    subject: str
    aspect: str
    other: str | None
    value: str | None
    extra: str | None
    eff: date
    effective: str

    def known_at(self, position: int) -> bool:
        return self.known_from <= position and (self.known_to is None or self.known_to > position)


def _fact(row: Any) -> Fact:
    fid, change, known_from, known_to, planned, subject, aspect, other, value, extra, eff, text = (
        row
    )
    return Fact(
        fid, change, known_from, known_to, bool(planned), subject, aspect, other, value, extra,
        day_of(eff), text,
    )  # fmt: skip


def _order(fact: Fact) -> tuple[date, int, int]:
    return (fact.eff, fact.known_from, fact.id)


def _eff(fact: Fact) -> date:
    return fact.eff


def _evidence(fact: Fact) -> tuple[date, date]:
    """The first and last day of what a fact shows (see timeline.last_evidence)."""
    return fact.eff, parse_stored(fact.effective).last_day


def group_of(fact: Fact) -> tuple[str, ...] | None:
    """Which of the subject's periods a fact bears on (None: none; edges, transfers, decisions)."""
    a = fact.aspect
    if a in _LIFE:
        return ("life",)
    if a in ("name", "kind"):
        return (a,)
    if a == "code":
        return ("code", _scheme(fact))
    if a in _PAIRED:
        aspect = _PAIRED[a][0]
        return (aspect, fact.value or "", fact.other or "") if aspect == "relation" else (
            aspect, fact.other or "",
        )  # fmt: skip
    if a in ("post_start", "post_end"):
        return ("post",)
    if a == "fact":
        return ("fact", fact.value or "", _function(fact) or "")
    return None


def _scheme(fact: Fact) -> str:
    return str(json.loads(fact.extra).get("scheme", "code")) if fact.extra else "code"


def _function(fact: Fact) -> str | None:
    return function_of(fact.extra)


def function_of(extra: str | None) -> str | None:
    """The function a fact is about, from its extra fields as stored (most are about none)."""
    if not extra or '"function"' not in extra or '"function": null' in extra:
        return None
    found = json.loads(extra).get("function")
    return None if found is None else str(found)


# A period row as it is compared and stored, without `views` and the known-at columns:
# (subject, aspect, other, value, extra, change_id, effective, eff_start, position, planned,
#  first_eff, first_position, valid_from, valid_to, last_seen)
PeriodRow = tuple[Any, ...]


def _row(
    aspect: str,
    basis: Fact,
    segment: Segment[Fact],
    *,
    other: str | None = None,
    value: str | None = None,
    extra: str | None = None,
    first: Fact | None = None,
    last_seen: date | None = None,
) -> PeriodRow:
    first = first or basis
    return (
        basis.subject, aspect, other, value, extra, basis.change_id, basis.effective, basis.eff,
        basis.known_from, basis.planned, first.eff, first.known_from, segment.start, segment.end,
        last_seen,
    )  # fmt: skip


def cut(group: tuple[str, ...], known: list[Fact]) -> list[PeriodRow]:
    """The period rows of one group of a subject's facts (those known, in effective and recorded
    order): the timeline's rules applied to each kind of period."""
    if not known:
        return []
    kind = group[0]
    if kind == "life":
        marks: list[list[Fact]] = [[], [], []]
        for f in known:
            marks[_LIFE[f.aspect]].append(f)
        # A life without a recorded end rests on its last evidence: whatever showed it last.
        sighted = last_evidence(_evidence(f) for f in known if _LIFE[f.aspect] != 2)
        return [
            _row(
                "life",
                s.basis,
                s,
                value="start" if s.basis.aspect == "start" else "seen",
                last_seen=sighted if s.end is None else None,
            )
            for s in lifetime(marks[0], marks[1], marks[2], _eff)
        ]
    if kind in ("name", "kind"):
        return [
            _row(kind, s.basis, s, value=s.basis.value)
            for s in succession(known, _eff, earliest_before=True)
        ]
    if kind == "code":
        latest = known[-1]
        return [
            _row(
                "code",
                latest,
                Segment(latest, None, None),
                value=latest.value,
                extra=group[1],
                first=known[0],
            )
        ]
    if kind == "fact":
        return [
            _row("fact", s.basis, s, value=s.basis.value, extra=s.basis.extra, first=known[0])
            for s in succession(known, _eff)
        ]
    if kind == "post":
        opened = [f for f in known if f.aspect == "post_start"]
        ended = [f for f in known if f.aspect == "post_end"]
        if not opened:
            return []
        start = opened[0]
        end = ended[0].eff if ended else None
        if end is not None and end <= start.eff:
            return []
        return [_row("post", start, Segment(start, start.eff, end), other=start.other,
                     value=start.value, first=start)]  # fmt: skip
    segments = pair([(f, _PAIRED[f.aspect][1]) for f in known], _eff)
    # An open membership, relationship or holding rests on its last sighting: the latest of its
    # openings (a later observation of it opens nothing, being already open, but attests it).
    seen = last_evidence(_evidence(f) for f in known if _PAIRED[f.aspect][1])
    return [
        _row(
            kind,
            s.basis,
            s,
            other=s.basis.other,
            value=s.basis.value,
            extra=s.basis.extra if kind == "holder" else None,
            first=known[0],
            last_seen=seen if s.end is None else None,
        )
        for s in segments
    ]


def cut_at(group: tuple[str, ...], ordered: list[Fact], position: int) -> dict[PeriodRow, int]:
    """The group's rows as known at a position, each with the views it belongs to."""
    known = [f for f in ordered if f.known_at(position)]
    found: dict[PeriodRow, int] = {}
    for row in cut(group, [f for f in known if not f.planned]):
        found[row] = found.get(row, 0) | 1
    for row in cut(group, known) if any(f.planned for f in known) else list(found):
        found[row] = found.get(row, 0) | 2
    return found


_CLOSE: list[Any] = []


def _close_statement() -> Any:
    """Close the open period with a row's identity (bound `_column` for each, and `at`); built
    once. NULL-safe only where a column may be NULL: on PostgreSQL `IS NOT DISTINCT FROM` is not
    indexable, and each close then walked every open period instead of the subject's few (an
    import of a million changes spent most of its time there)."""
    if not _CLOSE:
        c = periods.c
        # The subject's index is the one to walk: the aspect and the other body are compared as
        # expressions (`|| ''`), which no index answers, or SQLite may walk every open life (the
        # aspect index) or every open period with no other body (the other index) instead.
        column: dict[str, Any] = {name: c[name] for name in _IDENTITY}
        column["aspect"] = c.aspect.concat("")
        column["other"] = c.other.concat("")
        same = [
            column[name] == bindparam(f"_{name}")
            if not c[name].nullable
            else column[name].is_not_distinct_from(bindparam(f"_{name}"))
            for name in _IDENTITY
        ]
        _CLOSE.append(
            update(periods).where(c.known_to.is_(None), *same).values(known_to=bindparam("at"))
        )
    return _CLOSE[0]


_LIFE_GROUP = ("life",)


def _undominated(life: list[Fact]) -> list[Fact]:
    """A body's life facts (in `_order`) without the sightings that can never be its first nor its
    last: a lifetime takes only the first sighting known (timeline.lifetime) and its evidence only
    the last day of any (`cut`), and a sighting is never first if an earlier one (in `_order`) is
    known from no later position, never closed, and in every view it is in (a plan is in the view
    with plans only); never last, likewise, if a later one is. Such a sighting changes no cut, so
    leaving it out changes no row, and spares cutting the group again at the position of each of
    a busy body's thousands of mentions recorded out of order."""
    first = _dominated(life)
    # For the last, the longest of a day's sightings goes first (timeline.last_evidence).
    last = _dominated(sorted(life, key=lambda f: (*_evidence(f), f.known_from, f.id), reverse=True))
    return [f for f in life if _LIFE[f.aspect] != 1 or f.id not in first or f.id not in last]


def _dominated(life: list[Fact]) -> set[int]:
    """The sightings an earlier one in this order makes irrelevant (see `_undominated`)."""
    found: set[int] = set()
    happened = planned = None  # the lowest known_from of the earlier open sightings, by kind
    for f in life:
        if _LIFE[f.aspect] != 1:
            continue
        earliest = happened if not f.planned else _lowest(happened, planned)
        if earliest is not None and earliest <= f.known_from:
            found.add(f.id)
            continue
        if f.known_to is None:
            if f.planned:
                planned = _lowest(planned, f.known_from)
            else:
                happened = _lowest(happened, f.known_from)
    return found


def _lowest(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


class Cutter:
    """Cuts subjects' periods position by position and collects the rows to close and insert."""

    def __init__(self) -> None:
        self.inserts: list[list[Any]] = []
        self.closes: list[tuple[int, PeriodRow, int]] = []  # (position, row, views)

    def subject(self, facts_of: list[Fact], after: int, upto: int | None) -> None:
        """Cut one subject's periods at each position after `after` (up to `upto`) where its facts
        changed. The rows open at `after` are the periods of the facts known then: they are cut
        again rather than read back (the property test holds the stored rows to that)."""
        groups: dict[tuple[str, ...], list[Fact]] = defaultdict(list)
        for f in sorted(facts_of, key=_order):
            key = group_of(f)
            if key is not None:
                groups[key].append(f)
        if _LIFE_GROUP in groups:
            groups[_LIFE_GROUP] = _undominated(groups[_LIFE_GROUP])
        moments: dict[int, set[tuple[str, ...]]] = defaultdict(set)
        for key, members in groups.items():
            for f in members:
                for p in (f.known_from, f.known_to):
                    if p is not None and p > after and (upto is None or p <= upto):
                        moments[p].add(key)
        # Each open row: None if stored, else the row about to be inserted.
        opened: dict[tuple[str, ...], dict[tuple[PeriodRow, int], list[Any] | None]] = {}
        for position in sorted(moments):
            for key in sorted(moments[position]):
                if key not in opened:
                    opened[key] = dict.fromkeys(cut_at(key, groups[key], after).items())
                now = set(cut_at(key, groups[key], position).items())
                before = opened[key]
                for gone in [k for k in before if k not in now]:
                    held = before.pop(gone)
                    if held is not None:
                        held[-1] = position
                    else:
                        self.closes.append((position, *gone))
                for added in now - before.keys():
                    row, views = added
                    new = [*row, views, position, None]
                    self.inserts.append(new)
                    before[added] = new

    def write(self, conn: Connection) -> None:
        if self.closes:
            closes = [
                {"at": at, **{f"_{k}": v for k, v in zip(_IDENTITY, (*row, views), strict=True)}}
                for at, row, views in self.closes
            ]
            if guarded.appended(conn):
                guarded.close_periods(conn, closes)
            else:
                conn.execute(_close_statement(), closes)
        if self.inserts:
            dates = _date_form(conn)
            flag = _flag_form(conn)
            rows = []
            for r in self.inserts:
                values = dict(zip(_STORED, r, strict=True))
                for name in _DAYS:
                    values[name] = dates(values[name])
                values["planned"] = flag(values["planned"])
                rows.append(values)
            bulk_insert(conn, periods, rows)
        self.inserts, self.closes = [], []


# A period row's columns in the order of `PeriodRow` and `views` (what tells two rows apart), and
# those with the known-at columns (what is stored).
_IDENTITY = ("subject", "aspect", "other", "value", "extra", "change_id", "effective", "eff_start",
             "position", "planned", "first_eff", "first_position", "valid_from", "valid_to",
             "last_seen", "views")  # fmt: skip
_STORED = (*_IDENTITY, "known_from", "known_to")
_DAYS = ("eff_start", "first_eff", "valid_from", "valid_to", "last_seen")
_DATES = [_STORED.index(name) for name in _DAYS]
_PLANNED = _STORED.index("planned")


def _date_form(conn: Connection) -> Any:
    process = periods.c.eff_start.type._cached_bind_processor(conn.dialect)
    return (lambda d: None if d is None else process(d)) if process else (lambda d: d)


def _flag_form(conn: Connection) -> Any:
    process = periods.c.planned.type._cached_bind_processor(conn.dialect)
    return process if process else (lambda b: b)


# --- keeping the periods current ------------------------------------------------------------------


def current(conn: Connection) -> int | None:
    """The position the periods are current at, or None if they were never cut (a store made
    before the periods existed, or one whose read model is being rebuilt)."""
    return tracked(conn, TRACKING)


_TRACKED = select(tracking.c.name, tracking.c.position)  # built once: asked by every question


def in_step(conn: Connection) -> bool:
    """Whether the periods are current with the read model's facts, so a question may read them."""
    rows = conn.execute(_TRACKED)
    found: dict[str, int] = {str(name): int(position) for name, position in rows}
    return TRACKING in found and found[TRACKING] == found.get("readmodel")


# The period rows each kind of fact is cut into.
PERIOD_ASPECT = {
    **dict.fromkeys(_LIFE, "life"),
    **{a: a for a in ("name", "kind", "code", "fact")},
    **{a: kind for a, (kind, _) in _PAIRED.items()},
    "post_start": "post",
    "post_end": "post",
}


def follow(
    conn: Connection,
    touched: dict[str, set[str]],
    changed: set[str],
    upto: int,
    attributes: dict[str, set[str | None]] | None = None,
) -> None:
    """Cut again the periods of the subjects whose facts the read model changed up to `upto`
    (inside the transaction that changed them), `touched` naming the aspects of the facts that
    changed, `changed` the changes whose facts were added or closed, and `attributes` the
    attributes of the dated facts that changed, by subject (None: every attribute is read).
    Nothing happens while the periods are not current: `cut_all` makes them so.

    Only the groups whose facts changed are cut, from their own facts; of a body's mentions (one
    per change that acts on it: thousands for a busy body), only those that changed and the first
    of the others are read, which is all a lifetime takes from them."""
    after = current(conn)
    if after is None:
        return
    cutter = Cutter()
    # The mentions the transaction's changes added or closed, of every subject at once: asked by
    # change, not again for each chunk of subjects. The aspect is picked here, not in the query,
    # so that the change index answers it (the aspect index would walk every mention).
    altered: dict[str, list[Fact]] = defaultdict(list)
    for chunk in chunks(sorted(changed)):
        for f in _read_facts(conn, _family_statement("changes"), {"changes": chunk}):
            if f.aspect == "mention":
                altered[f.subject].append(f)
    for chunk in chunks(
        sorted(s for s, aspects in touched.items() if aspects & PERIOD_ASPECT.keys())
    ):
        # Each family of facts is read for the subjects whose facts of that family changed.
        families: dict[str, list[str]] = defaultdict(list)
        for subject in chunk:
            for family in {PERIOD_ASPECT[a] for a in touched[subject] if a in PERIOD_ASPECT}:
                families[family].append(subject)
        by_subject: dict[str, list[Fact]] = defaultdict(list)
        for family, subjects in families.items():
            values: dict[str, Any] = {"subjects": subjects}
            shape = family
            if family == "fact" and attributes is not None:
                # A fact's group is its attribute (and function): the facts of the attributes that
                # changed hold every group to cut again.
                named = set().union(*(attributes.get(s, ()) for s in subjects))
                values["values"] = sorted(v for v in named if v is not None)
                shape = "fact, some attributes" if None not in named else "fact, some or none"
            if family == "life":
                values["after"] = after
                for subject in subjects:
                    by_subject[subject] += altered.get(subject, ())
            for f in _read_facts(conn, _family_statement(shape), values):
                by_subject[f.subject].append(f)
        for subject in chunk:
            facts_of = _distinct(by_subject.get(subject, []))
            cutter.subject(facts_of, after, upto)
    cutter.write(conn)
    if upto > after:  # a transaction that appended nothing writes nothing (a checkpoint)
        set_tracking(conn, TRACKING, upto)


_FAMILY_STATEMENTS: dict[str, Any] = {}


def _family_statement(shape: str) -> Any:
    """The statement that reads back the facts `follow` cuts, built once per process (a `record`
    asks a few of them, and building them anew cost more than running them): the facts of some
    changes (bound: `changes`), or of one family of some subjects (`subjects`; the dated facts of
    some attributes, `values`; a lifetime with the first mentions known at `after`)."""
    found = _FAMILY_STATEMENTS.get(shape)
    if found is not None:
        return found
    c = facts.c
    if shape == "changes":
        found = _fact_query().where(c.change_id.in_(bindparam("changes", expanding=True)))
    else:
        family = shape.split(",")[0]
        aspects = sorted(a for a, f in PERIOD_ASPECT.items() if f == family and a != "mention")
        subjects: Any = bindparam("subjects", expanding=True)
        found = _fact_query().where(c.subject.in_(subjects), c.aspect.in_(aspects))
        if shape == "fact, some attributes":
            found = found.where(c.value.in_(bindparam("values", expanding=True)))
        elif shape == "fact, some or none":
            found = found.where(
                or_(c.value.in_(bindparam("values", expanding=True)), c.value.is_(None))
            )
        elif family == "life":
            found = found.union_all(*_first_mentions(subjects, bindparam("after")))
    _FAMILY_STATEMENTS[shape] = found
    return found


def _first_mentions(subjects: Any, after: Any) -> list[Any]:
    """The first and the last of the subjects' mentions known at `after`, without plans and with
    them (each found by a step along the subject index, whatever the number of mentions): all a
    lifetime and its evidence take from them. Of the last, every mention of the latest day: the
    longest of them (a change dated 2017 beside one dated 2017-Q1) is the last evidence."""
    c = facts.c
    firsts = []
    for only_happened in (True, False):
        m = facts.alias("m")
        conditions = [
            m.c.subject == entities.c.id, m.c.aspect == "mention", m.c.known_from <= after,
            m.c.known_to.is_(None),
        ]  # fmt: skip
        if only_happened:
            conditions.append(m.c.planned.is_(False))
        first = (
            select(m.c.id)
            .where(*conditions)
            .order_by(m.c.eff_start, m.c.known_from, m.c.id)
            .limit(1)
            .scalar_subquery()
        )
        firsts.append(
            _fact_query().where(c.id.in_(select(first).where(entities.c.id.in_(subjects))))
        )
        latest = facts.alias("latest")
        same = [
            latest.c.subject == c.subject, latest.c.aspect == "mention",
            latest.c.known_from <= after, latest.c.known_to.is_(None),
        ]  # fmt: skip
        if only_happened:
            same.append(latest.c.planned.is_(False))
        latest_day = select(func.max(latest.c.eff_start)).where(*same).scalar_subquery()
        on_latest = [
            c.subject.in_(subjects), c.aspect == "mention", c.known_from <= after,
            c.known_to.is_(None), c.eff_start == latest_day,
        ]  # fmt: skip
        if only_happened:
            on_latest.append(c.planned.is_(False))
        firsts.append(_fact_query().where(*on_latest))
    return firsts


def _distinct(found: list[Fact]) -> list[Fact]:
    """The same first mention may come from both views' queries."""
    return list({f.id: f for f in found}.values())


def cut_all(conn: Connection, upto: int) -> None:
    """Cut every subject's periods over the whole log, from nothing (a rebuild, or a store made
    before the periods existed, or one cut by an earlier version: its rows gain what they now hold)."""
    present = {c["name"] for c in inspect(conn).get_columns(periods.name)}
    for column in periods.columns:
        if column.name not in present:
            kind = column.type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f"ALTER TABLE {periods.name} ADD COLUMN {column.name} {kind}")
    conn.execute(delete(tracking).where(tracking.c.name.in_(EARLIER_TRACKING)))
    conn.execute(delete(periods))
    cutter = Cutter()
    subject: str | None = None
    pending: list[Fact] = []
    for f in _facts(conn):
        if f.subject != subject:
            if pending:
                cutter.subject(pending, 0, None)
            subject, pending = f.subject, []
            if len(cutter.inserts) > 20_000:
                cutter.write(conn)
        pending.append(f)
    if pending:
        cutter.subject(pending, 0, None)
    cutter.write(conn)
    set_tracking(conn, TRACKING, upto)


def first_difference(conn: Connection) -> int | None:
    """The first log position at which the stored periods differ from the periods cut from the
    stored facts (None: they agree, or the periods are not kept yet). `verify` asks this once it
    has checked the facts against the log: the periods are then held to the log too. Compared a few hundred
    subjects at a time, not the whole ledger's periods at once."""
    if current(conn) is None:
        return None
    found: list[int] = []
    by_subject: dict[str, list[Fact]] = {}

    def compare() -> None:
        expected: Counter[tuple[Any, ...]] = Counter()
        for facts_of in by_subject.values():
            cutter = Cutter()
            cutter.subject(facts_of, 0, None)
            expected.update(_normal(tuple(r)) for r in cutter.inserts)
        c = periods.c
        query = select(*[c[name] for name in _STORED]).where(c.subject.in_(list(by_subject)))
        cursor: Any = conn.execute(query).cursor
        held = Counter(_normal(r) for r in cursor)
        if expected != held:
            found.append(min(r[-2] for r in set(expected) ^ set(held)))
        by_subject.clear()

    for f in _facts(conn):
        if f.subject not in by_subject and len(by_subject) >= CHUNK:
            compare()
        by_subject.setdefault(f.subject, []).append(f)
    if by_subject:
        compare()
    # Periods of a subject without facts are none a cut would make.
    c = periods.c
    orphans = select(func.min(c.known_from)).where(
        c.subject.not_in(select(facts.c.subject).where(facts.c.aspect.in_(ASPECTS)))
    )
    orphan = conn.execute(orphans).scalar()
    if orphan is not None:
        found.append(int(orphan))
    return min(found) if found else None


def _normal(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A period row as stored or as cut, in one form (dates as dates, flags as booleans)."""
    values = list(row)
    for at in _DATES:
        values[at] = None if values[at] is None else day_of(values[at])
    values[_PLANNED] = bool(values[_PLANNED])
    return tuple(values)


def _fact_query() -> Any:
    return select(*[facts.c[c] for c in FACT_COLUMNS])


def _read_facts(
    conn: Connection, query: Any, values: dict[str, Any] | None = None
) -> Iterator[Fact]:
    cursor: Any = conn.execute(query, values or {}).cursor
    for r in cursor:
        yield _fact(r)


def _facts(conn: Connection) -> Iterator[Fact]:
    """Every fact the periods are cut from, subject by subject."""
    query = _fact_query().where(facts.c.aspect.in_(ASPECTS)).order_by(facts.c.subject)
    return _read_facts(conn, query)
