"""The fact rows a question folds, read from `ledger_facts` on both axes.

The whole structure reads every fact in force by the date (`world`); a question about one body
reads the few rows about it, its posts and the bodies it is linked to (`world_around`), through
statements built once per process (`_SHAPES`, `_statement`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.engine import Connection

from ledger.adapters.tables import chunks, day_of, facts
from ledger.domain.dates import parse_stored
from ledger.domain.timeline import last_evidence
from ledger.views.axes import Axes, known_facts
from ledger.views.rows import ROW_COLUMNS, Row
from ledger.views.rows import rows_from as _rows_from
from ledger.views.world import Evidence, World

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
# What shows a body existing, and what opens or closes a stretch that is paired (a membership, a
# relationship, a holding): read whatever their date, for what they say of the days before them.
SIGHTINGS = ("start", "attest", "mention")
PAIRED_MARKS = (*LINKS, *APPOINTMENT_MARKS)


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
    "subjects, paired": lambda: and_(
        facts.c.subject.in_(bindparam("about", expanding=True)),
        facts.c.aspect.in_(sorted(PAIRED_MARKS)),
    ),
    "others, paired": lambda: and_(
        facts.c.other.in_(bindparam("about", expanding=True)),
        facts.c.aspect.in_(sorted(PAIRED_MARKS)),
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


def _rows(conn: Connection, axes: Axes, *extra: Any, dated: bool = True) -> list[Row]:
    conditions = [known_facts(axes), *extra]
    if dated:
        # Names, kinds and first sightings are needed even when later than the date.
        conditions.append(or_(facts.c.eff_start <= axes.last, facts.c.aspect.in_(UNDATED)))
    result = conn.execute(select(*[facts.c[c] for c in ROW_COLUMNS]).where(*conditions))
    return _rows_from(result)


def rows_of(conn: Connection, axes: Axes, shape: str, about: Any) -> list[Row]:
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
    cited = axes.published
    return [
        r
        for r in _rows_from(conn.execute(statement, values))
        if (r.eff <= axes.last or r.aspect in UNDATED) and (cited is None or r.change in cited)
    ]


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


def evidence_of(conn: Connection, axes: Axes, subjects: list[str] | None = None) -> Evidence:
    """The evidence a fold needs beyond the rows dated by the days asked about (of every body, or
    of some `subjects` and of the posts and bodies they name): each body's last sighting and
    whether it ever closed, and the paired marks dated after those days. From these the fold
    says, as the periods do, what is presumed after its last evidence."""
    about = [] if subjects is None else [facts.c.subject.in_(subjects)]
    found = Evidence()
    # The latest-beginning sightings of each body, and their dates' last days (timeline.last_evidence).
    latest = (
        select(facts.c.subject, func.max(facts.c.eff_start).label("day"))
        .where(known_facts(axes), facts.c.aspect.in_(SIGHTINGS), *about)
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
    for subject, found_pieces in pieces.items():
        seen = last_evidence(found_pieces)
        if seen is not None:
            found.sighted[subject] = seen
    closed = select(facts.c.subject).where(known_facts(axes), facts.c.aspect == "end", *about)
    found.closed = {subject for (subject,) in conn.execute(closed)}
    if subjects is None:
        later = [facts.c.aspect.in_(PAIRED_MARKS), facts.c.eff_start > axes.last]
        found.later = _rows(conn, axes, *later, dated=False)
        return found
    # Through the subject and other indexes, dated here (as `rows_of` does).
    values: dict[str, Any] = {"about": subjects}
    if axes.known_at is not None:
        values["known_at"] = axes.known_at
    taken: set[tuple[Any, ...]] = set()
    for shape in ("subjects, paired", "others, paired"):
        statement = _statement(shape, axes.known_at is not None, axes.include_planned)
        for r in _rows_from(conn.execute(statement, values)):
            cited = axes.published is None or r.change in axes.published
            key = (r.change, r.subject, r.aspect, r.other, r.value)
            if r.eff > axes.last and cited and key not in taken:
                taken.add(key)
                found.later.append(r)
    return found


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
    establishment dates by then, whose earliest mention is all that says they existed."""
    rows = rows_of(conn, axes, "subject, unmentioned", org)
    rows += [r for r in rows_of(conn, axes, "other", org) if r.subject != org]
    posts = {r.subject for r in rows if r.aspect in POST_MARKS and r.other == org}
    linked = {r.other for r in rows if r.aspect in LINKS and r.subject == org and r.other}
    linked |= {r.subject for r in rows if r.aspect in LINKS and r.other == org}
    linked.discard(org)
    for chunk in chunks(sorted(posts)):
        rows += rows_of(conn, axes, "subjects, appointments", chunk)
    for chunk in chunks(sorted(linked)):
        rows += rows_of(conn, axes, "subjects, identity", chunk)
    established = {r.subject for r in rows if r.aspect == "start" and r.eff <= axes.last}
    for chunk in chunks(sorted(({org} | linked) - established)):
        rows += rows_of(conn, axes, "subjects, mentions", chunk)
    evidence = evidence_of(conn, axes, sorted({org} | linked | posts))
    return World(rows, axes.on, axes.last, evidence)
