"""The fact rows a question folds, read from `ledger_facts` on both axes.

The whole structure reads every fact in force by the date (`world`); a question about one body
reads the few rows about it, its posts and the bodies it is linked to (`world_around`), through
statements built once per process (`_SHAPES`, `_statement`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.engine import Connection

from ledger.adapters.periods import in_step as periods_in_step
from ledger.adapters.tables import chunks, day_of, facts, periods
from ledger.domain.dates import parse_stored
from ledger.domain.timeline import last_evidence
from ledger.views.axes import Axes, known_at_bound, known_facts
from ledger.views.rows import ROW_COLUMNS, Row
from ledger.views.rows import rows_from as _rows_from
from ledger.views.world import PAIRED_MARKS, Evidence, World

# Aspects that say whether a body is in force and what it is called.
IDENTITY = ("start", "end", "attest", "mention", "name", "kind")
UNMENTIONED = tuple(a for a in IDENTITY if a != "mention")
LINKS = ("member_start", "member_end", "rel_start", "rel_end")
POST_MARKS = ("post_start", "post_end")
# Names, kinds and codes are needed even when later than the date.
UNDATED = ("name", "kind", "code")
APPOINTMENT_MARKS = ("appt_start", "appt_end")
# A body's names over time (views/naming.py): its formal names, the other names' starts and ends,
# and its closing, which ends them all.
NAMING = ("name", "alias_start", "alias_end", "desig_start", "desig_end", "end")
# What shows a body existing (and, in world.py, PAIRED_MARKS: what opens or closes a membership,
# relationship or holding): read whatever their date, for what they say of the days before them.
SIGHTINGS = ("start", "attest", "mention")


# The statements a question about one body asks (see `rows_of`), by what they select:
# "subject" (or "subjects", a list) and "other" name the index they go through.
_SHAPES: dict[str, Any] = {
    "subject": lambda: facts.c.subject == bindparam("about"),
    "subject, unmentioned": lambda: and_(
        facts.c.subject == bindparam("about"), facts.c.aspect != "mention"
    ),
    "subject, names": lambda: and_(
        facts.c.subject == bindparam("about"), facts.c.aspect.in_(sorted(NAMING))
    ),
    "subjects, names": lambda: and_(
        facts.c.subject.in_(bindparam("about", expanding=True)),
        facts.c.aspect.in_(sorted(NAMING)),
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
        conditions = [_SHAPES[shape](), *known_at_bound(facts, known)]
        if not include_planned:
            conditions.append(facts.c.planned.is_(False))
        columns = [facts] if whole else [facts.c[c] for c in ROW_COLUMNS]
        found = _BUILT[key] = select(*columns).where(*conditions)
    return found


def _rows(conn: Connection, axes: Axes, *extra: Any, dated: bool = True) -> list[Row]:
    conditions = [known_facts(axes), *extra]
    if dated:
        # Names, kinds and first sightings are needed even when later than the date.
        conditions.append(or_(facts.c.eff_start <= axes.last, facts.c.aspect.in_(UNDATED)))
    result = conn.execute(select(*[facts.c[c] for c in ROW_COLUMNS]).where(*conditions))
    return _rows_from(result)


def rows_of(
    conn: Connection, axes: Axes, shape: str, about: Any, later: list[Row] | None = None
) -> list[Row]:
    """The few rows of one subject (or a few hundred: `about` a list), found by a statement
    of one of the `_SHAPES`, built once per process (a question about one body asks half a
    dozen, and building them each time cost more than running them). Dated here rather than
    in SQL, so that no date or aspect condition tempts the planner away from the subject and
    other indexes; the rows dated after the days asked about go to `later`, if given."""
    known = axes.known_at is not None
    statement = _statement(shape, known, axes.include_planned)
    values: dict[str, Any] = {"about": about}
    if known:
        values["known_at"] = axes.known_at
    cited = axes.published
    found = []
    for r in _rows_from(conn.execute(statement, values)):
        if cited is not None and r.change not in cited:
            continue
        if r.eff <= axes.last or r.aspect in UNDATED:
            found.append(r)
        elif later is not None:
            later.append(r)
    return found


def whole_rows_of(conn: Connection, axes: Axes, shape: str, about: list[str]) -> list[Any]:
    """Every column of the rows a statement of one of the `_SHAPES` finds, whatever their date:
    lineage's edges and the changes they belong to."""
    at = {"known_at": axes.known_at} if axes.known_at is not None else {}
    statement = _statement(shape, axes.known_at is not None, axes.include_planned, whole=True)
    found = conn.execute(statement, {"about": about, **at}).all()
    cited = axes.published
    return list(found) if cited is None else [r for r in found if r.change_id in cited]


def world(conn: Connection, axes: Axes) -> World:
    """Every organisation, post and membership on the date, folded from every fact."""
    return World(_world_rows(conn, axes), axes.on, axes.last, evidence_of(conn, axes))


def evidence_of(conn: Connection, axes: Axes) -> Evidence:
    """The evidence the fold of the whole structure needs beyond the rows dated by the days asked
    about: each body's last sighting and whether it ever closed, and the paired marks dated after
    those days. From these the fold says, as the periods do, what is presumed after its last
    evidence (a question about one body gathers the same from the rows it reads: `world_around`)."""
    found = Evidence()
    # The latest-beginning sightings of each body, and their dates' last days (timeline.last_evidence).
    latest = (
        select(facts.c.subject, func.max(facts.c.eff_start).label("day"))
        .where(known_facts(axes), facts.c.aspect.in_(SIGHTINGS))
        .group_by(facts.c.subject)
        .subquery()
    )
    sightings = select(facts.c.subject, facts.c.eff_start, facts.c.effective).where(
        known_facts(axes),
        facts.c.aspect.in_(SIGHTINGS),
        facts.c.subject == latest.c.subject,
        facts.c.eff_start == latest.c.day,
    )
    pieces: dict[str, list[tuple[date, date]]] = defaultdict(list)
    for subject, day, effective in conn.execute(sightings):
        pieces[subject].append((day_of(day), parse_stored(effective).last_day))
    found.sighted = _last_sightings(pieces)
    closed = select(facts.c.subject).where(known_facts(axes), facts.c.aspect == "end")
    found.closed = {subject for (subject,) in conn.execute(closed)}
    later = [facts.c.aspect.in_(PAIRED_MARKS), facts.c.eff_start > axes.last]
    found.later = _rows(conn, axes, *later, dated=False)
    return found


def _last_sightings(pieces: dict[str, list[tuple[date, date]]]) -> dict[str, date]:
    found = {}
    for subject, shown in pieces.items():
        seen = last_evidence(shown)
        if seen is not None:
            found[subject] = seen
    return found


def _evidence_around(
    conn: Connection, axes: Axes, rows: list[Row], later: list[Row], bodies: set[str]
) -> Evidence:
    """What `evidence_of` finds, for a few bodies, from the rows a question about them read
    (whatever their date) and the latest of their mentions."""
    found = Evidence()
    taken: set[tuple[Any, ...]] = set()
    for r in later:
        key = (r.change, r.subject, r.aspect, r.other, r.value)
        if r.aspect in PAIRED_MARKS and key not in taken:
            taken.add(key)
            found.later.append(r)
    found.closed = {r.subject for r in (*rows, *later) if r.aspect == "end" and r.subject in bodies}
    if axes.published is None and periods_in_step(conn):
        # The periods hold each open life's last evidence (adapters/periods.py, `cut`).
        lives = lives_of(conn, axes, sorted(bodies))
        found.sighted = {
            body: day_of(last_seen)
            for body, found_lives in lives.items()
            for _, valid_to, _, _, last_seen in found_lives
            if valid_to is None and last_seen is not None
        }
        return found
    pieces: dict[str, list[tuple[date, date]]] = defaultdict(list)
    for r in (*rows, *later):
        if r.subject in bodies and r.aspect in ("start", "attest"):
            pieces[r.subject].append((r.eff, parse_stored(r.effective).last_day))
    for chunk in chunks(sorted(bodies)):
        for r in _latest_mentions(conn, axes, chunk):
            pieces[r.subject].append((r.eff, parse_stored(r.effective).last_day))
    found.sighted = _last_sightings(pieces)
    return found


def first_sighting(conn: Connection, axes: Axes, org: str) -> Row | None:
    """The earliest change that shows the body existing (its establishment, an observation, a
    change it acts in), on the axes: one step along the subject index."""
    if axes.published is not None:
        found = rows_of(conn, replace(axes, on=date.max, until=None), "subject", org)
        shown = [r for r in found if r.aspect in SIGHTINGS]
        return min(shown, key=lambda r: (r.eff, r.position), default=None)
    known = axes.known_at is not None
    key = ("first sighting", known, axes.include_planned, False)
    statement = _BUILT.get(key)
    if statement is None:
        statement = _BUILT[key] = (
            _statement("subject", known, axes.include_planned)
            .where(facts.c.aspect.in_(SIGHTINGS))
            .order_by(facts.c.eff_start, facts.c.known_from)
            .limit(1)
        )
    values: dict[str, Any] = {"about": org}
    if known:
        values["known_at"] = axes.known_at
    found = _rows_from(conn.execute(statement, values))
    return found[0] if found else None


def lives_of(conn: Connection, axes: Axes, bodies: list[str]) -> dict[str, list[Any]]:
    """Each body's life periods known on the axes: (valid_from, valid_to, value, effective,
    last_seen), from the periods (the caller checks they are current). Through the (subject,
    aspect, known_to) index: a busy body's periods are thousands, its life one or two."""
    known = axes.known_at is not None
    key = ("lives", known, axes.include_planned, False)
    statement = _BUILT.get(key)
    if statement is None:
        c = periods.c
        view = 2 if axes.include_planned else 1
        statement = _BUILT[key] = select(
            c.subject, c.valid_from, c.valid_to, c.value, c.effective, c.last_seen
        ).where(
            c.subject.in_(bindparam("about", expanding=True)),
            *known_at_bound(periods, known),
            c.views.op("&")(view) != 0,
            c.aspect == "life",
        )
    found: dict[str, list[Any]] = defaultdict(list)
    for chunk in chunks(bodies):
        values: dict[str, Any] = {"about": chunk}
        if known:
            values["known_at"] = axes.known_at
        for subject, *life in conn.execute(statement, values):
            found[subject].append(tuple(life))
    return found


def _latest_mentions(conn: Connection, axes: Axes, subjects: list[str]) -> list[Row]:
    """Each subject's latest-beginning mentions on the axes (a step along the subject index each,
    however many it has); from the sources published by a date, every mention of theirs, cited
    ones kept."""
    if axes.published is not None:
        found = rows_of(
            conn, replace(axes, on=date.max, until=None), "subjects, mentions", subjects
        )
        latest: dict[str, date] = {}
        for r in found:
            latest[r.subject] = max(latest.get(r.subject, r.eff), r.eff)
        return [r for r in found if r.eff == latest[r.subject]]
    known = axes.known_at is not None
    key = ("latest mentions", known, axes.include_planned, False)
    statement = _BUILT.get(key)
    if statement is None:
        m = facts.alias("m")

        def on_axes(t: Any) -> list[Any]:
            happened = [] if axes.include_planned else [t.c.planned.is_(False)]
            return [*known_at_bound(t, known), *happened]

        latest_day = (
            select(func.max(m.c.eff_start))
            .where(m.c.subject == facts.c.subject, m.c.aspect == "mention", *on_axes(m))
            .scalar_subquery()
        )
        statement = _BUILT[key] = select(*[facts.c[c] for c in ROW_COLUMNS]).where(
            facts.c.subject.in_(bindparam("about", expanding=True)),
            facts.c.aspect == "mention",
            facts.c.eff_start == latest_day,
            *on_axes(facts),
        )
    values: dict[str, Any] = {"about": subjects}
    if known:
        values["known_at"] = axes.known_at
    return _rows_from(conn.execute(statement, values))


def _world_rows(conn: Connection, axes: Axes) -> list[Row]:
    """The rows the whole structure folds. Of the `mention` rows (most of a long ledger's rows:
    one per body a change acts on), only each body's earliest, and only for bodies with no
    establishment by the date: all the fold takes from them is that the body existed by then,
    and a body established by then is dated by its establishment."""
    rows = _rows(conn, axes, facts.c.aspect != "mention")
    established = select(facts.c.subject).where(
        known_facts(axes), facts.c.aspect == "start", facts.c.eff_start <= axes.last
    )
    ranked = (
        select(
            facts,
            func.row_number()
            .over(partition_by=facts.c.subject, order_by=(facts.c.eff_start, facts.c.known_from))
            .label("rank"),
        )
        .where(
            known_facts(axes),
            facts.c.aspect == "mention",
            facts.c.eff_start <= axes.last,
            facts.c.subject.not_in(established),
        )
        .subquery()
    )
    first = select(*[ranked.c[c] for c in ROW_COLUMNS]).where(ranked.c.rank == 1)
    return rows + _rows_from(conn.execute(first))


def world_around(conn: Connection, axes: Axes, org: str) -> World:
    """The rows of one organisation, of its posts, and of the bodies it is linked to: enough to
    fold its state on the date, found through the subject and other indexes. Mentions (one
    per change that acts on a body: thousands for a busy one) are read only for the bodies no
    establishment dates by then, whose earliest mention is all that says they existed, and the
    latest of each, which is their last evidence. The rows dated later say what is presumed."""
    later: list[Row] = []
    rows = rows_of(conn, axes, "subject, unmentioned", org, later)
    rows += [r for r in rows_of(conn, axes, "other", org, later) if r.subject != org]
    posts = {r.subject for r in rows if r.aspect in POST_MARKS and r.other == org}
    linked = {r.other for r in rows if r.aspect in LINKS and r.subject == org and r.other}
    linked |= {r.subject for r in rows if r.aspect in LINKS and r.other == org}
    linked |= {r.other for r in later if r.aspect in LINKS and r.subject == org and r.other}
    linked |= {r.subject for r in later if r.aspect in LINKS and r.other == org}
    linked.discard(org)
    for chunk in chunks(sorted(posts)):
        rows += rows_of(conn, axes, "subjects, appointments", chunk, later)
    for chunk in chunks(sorted(linked)):
        rows += rows_of(conn, axes, "subjects, identity", chunk, later)
    established = {r.subject for r in rows if r.aspect == "start" and r.eff <= axes.last}
    for chunk in chunks(sorted(({org} | linked) - established)):
        rows += rows_of(conn, axes, "subjects, mentions", chunk)
    evidence = _evidence_around(conn, axes, rows, later, {org} | linked)
    return World(rows, axes.on, axes.last, evidence)
