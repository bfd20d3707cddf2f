"""Questions about one body or post: `show` (its state on a date), `history` (every change that
touched it), `lineage` (its predecessors and successors) and `holders` (who held a post).

Each reads the few rows about its subject through the subject and other indexes, on both axes, and
cites the changes its answer rests on.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.engine import Connection

from ledger.adapters.periods import in_step as periods_in_step
from ledger.adapters.tables import changes, chunks, day_of, entities, facts
from ledger.domain.dates import parse_stored
from ledger.views.axes import Axes, known_facts
from ledger.views.log import change_entry, summary
from ledger.views.names import entity_name, names_of
from ledger.views.naming import names_of_bodies, names_over_time, renames
from ledger.views.reading import (
    IDENTITY,
    first_sighting,
    lives_of,
    rows_of,
    whole_rows_of,
    world_around,
)
from ledger.views.rows import Row
from ledger.views.sources import citations, sources_of
from ledger.views.structure import organisation, planned_ends, standing
from ledger.views.world import Evidence, World

_PARENT = select(entities.c.parent).where(entities.c.id == bindparam("post"))


def show(conn: Connection, org: str, axes: Axes) -> dict[str, Any]:
    """The organisation on the date as the structure describes it, with its members and whether
    it is in force."""
    world = world_around(conn, axes, org)
    codes = world.codes
    people = names_of(conn, {person for _, person in world.appointments})
    plans = planned_ends(conn, axes, set(world.posts_of(org)))
    entry, used = organisation(world, org, codes, people, plans, attested=axes.attested)
    entry["in_force"] = world.in_force(org)
    if not entry["in_force"]:
        entry.update(_before_or_after(conn, org, axes, world))
    members = []
    for member, period in world.members(org):
        if axes.attested and period.last_seen is not None:
            continue
        used.add(period.start.change)
        members.append(
            {
                "id": member,
                "name": world.name(member),
                "since": period.start.effective,
                **standing(period.last_seen),
            }
        )
    entry["members"] = sorted(members, key=lambda m: m["name"].casefold())
    # Each name cites its own change; the entry's sources stay those of its state on the date.
    named = names_over_time(conn, org, axes)
    cited = sources_of(conn, used | {n.start.change for n in named})
    entry["names"] = [n.as_dict(cited) for n in named]
    entry["sources"] = citations(used, cited)
    return {**axes.stamp(), "known_at": axes.known_at, "organisation": entry}


def _before_or_after(conn: Connection, org: str, axes: Axes, world: World) -> dict[str, Any]:
    """Why a body is not in force on the date: closed by then, or not yet established
    (`not in force`); or first shown later by a change that does not date its beginning, an
    observation or a bound (`unknown`: the sources are silent about the date; `first_evidence`
    says when they first speak of it)."""
    if org in world.ends and world.ends[org].eff <= axes.on:
        return {"status": "not in force", "last_evidence": None}
    first = first_sighting(conn, axes, org)
    if first is None:
        return {"status": "not in force", "last_evidence": None}
    founded = first.aspect == "start" and parse_stored(first.effective).evidence != "by"
    if founded:
        return {"status": "not in force", "last_evidence": None}
    return {"status": "unknown", "last_evidence": None, "first_evidence": first.effective}


def standings(conn: Connection, axes: Axes, bodies: list[str]) -> dict[str, dict[str, Any]]:
    """Each body's status on the date, as `show` says it (in force, presumed with its last
    evidence, not in force, unknown): from its life periods where they are current, else from
    `show`'s own fold."""
    if axes.published is not None or not periods_in_step(conn):
        return {
            body: {k: v for k, v in show(conn, body, axes)["organisation"].items() if k in _SAID}
            for body in bodies
        }
    lives = lives_of(conn, axes, bodies)
    last = axes.last
    found = {}
    for body in bodies:
        rows = sorted(lives.get(body, ()), key=lambda r: day_of(r[0]) if r[0] else date.min)
        said: dict[str, Any] = {"status": "not in force", "last_evidence": None}
        valid = [
            r
            for r in rows
            if (r[0] is None or day_of(r[0]) <= last) and (r[1] is None or day_of(r[1]) > axes.on)
        ]
        if valid:
            r = valid[-1]
            seen = day_of(r[4]) if r[4] is not None else None
            said = standing(seen if seen is not None and seen < axes.on else None)
        elif rows and rows[0][0] is not None and day_of(rows[0][0]) > last:
            _, _, value, effective, _ = rows[0]
            if value != "start" or parse_stored(effective).evidence == "by":
                said = {"status": "unknown", "last_evidence": None, "first_evidence": effective}
        found[body] = said
    return found


_SAID = ("status", "last_evidence", "first_evidence")


def history(conn: Connection, org: str, axes: Axes) -> dict[str, Any]:
    """Every change touching the organisation (or its posts), in effective order, with sources."""
    post_ids = [r[0] for r in conn.execute(select(entities.c.id).where(entities.c.parent == org))]
    known = known_facts(replace(axes, include_planned=True))
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
            old = conn.execute(select(changes).where(changes.c.change_id == r.supersedes)).first()
            if old is not None:
                supersedes[r.change_id] = old
    entries = []
    for r in rows:
        entry = change_entry(r)
        entry["summary"] = summary(conn, r)
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
    name = entity_name(conn, org)
    return {
        "organisation": {"id": org, "name": name},
        "known_at": axes.known_at,
        "changes": entries,
    }


def lineage(conn: Connection, org: str, axes: Axes) -> dict[str, Any]:
    """All predecessors and successors, transitively, with the kind and date of each edge."""

    def edges_of(shape: str, nodes: set[str]) -> list[Any]:
        # One statement per level of the walk (per 500 bodies), not one per body. Sorted
        # here, not in SQL: an ORDER BY eff_start tempts the planner to walk every edge in
        # the (aspect, eff_start) index instead of these bodies' few.
        found: list[Any] = []
        for chunk in chunks(sorted(nodes)):
            found += whole_rows_of(conn, axes, shape, chunk)
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
        whole += whole_rows_of(conn, axes, "changes", chunk)
    edge_rows = [r for r in whole if r.aspect == "edge"]
    for r in sorted(edge_rows, key=lambda r: (r.eff_start, r.id)):
        found[(r.subject, r.other, r.change_id)] = r
    bodies = {org} | {i for r in found.values() for i in (r.subject, r.other)}
    # Each body's names over time: its renames are steps of the lineage too.
    over_time = names_of_bodies(conn, bodies, axes)
    sources = sources_of(
        conn, found_changes | {n.start.change for ns in over_time.values() for n in ns}
    )
    named = names_of(conn, bodies)
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
    order = sorted(bodies, key=lambda b: (b != org, (named.get(b) or b).casefold()))
    steps = sorted(
        ((body, before, after) for body in order for before, after in renames(over_time[body])),
        key=lambda step: (step[2].start.eff, step[2].start.position),
    )
    standing_of = standings(conn, axes, order)
    for edge in edges:
        edge["from_status"] = standing_of[edge["from_id"]]["status"]
        edge["to_status"] = standing_of[edge["to_id"]]["status"]
    return {
        "organisation": {"id": org, "name": named.get(org, org)},
        **axes.stamp(),
        "known_at": axes.known_at,
        "bodies": [
            {"id": body, "name": named.get(body, body), **standing_of[body]} for body in order
        ],
        "edges": edges,
        "renames": [
            {
                "id": body,
                "from": before.name,
                "to": after.name,
                "effective": after.start.effective,
                "change": sources.get(after.start.change, {}).get("change"),
                "sources": sources.get(after.start.change, {}).get("sources", []),
            }
            for body, before, after in steps
        ],
        "names": [{"id": body, **n.as_dict(sources)} for body in order for n in over_time[body]],
    }


def holders(conn: Connection, post: str, axes: Axes, *, all_time: bool = False) -> dict[str, Any]:
    """Who held the post on the date (or ever: `all_time`), each with the change that appointed
    them and its sources."""
    # Over time: everything recorded (as known at the position), whatever its date.
    span = replace(axes, on=date.max) if all_time else axes
    org = conn.execute(_PARENT, {"post": post}).scalar()
    later: list[Row] = []
    rows = rows_of(conn, span, "subject", post, later)
    # The organisation's end closes open appointments; its name labels the answer.
    owner = [r for r in rows_of(conn, span, "subject", org) if r.aspect in IDENTITY] if org else []
    # Appointments dated later say whether one open on the date was ever closed (views/world.py).
    evidence = None if all_time else Evidence(later=later)
    world = World(rows + owner, span.on, span.until, evidence)
    named = (
        World(
            [r for r in rows_of(conn, axes, "subject", org) if r.aspect in IDENTITY],
            axes.on,
            axes.until,
        )
        if all_time and org
        else world
    )
    held = world.holders(post, all_time=all_time) if post in world.posts else []
    if axes.attested:
        held = [(person, period) for person, period in held if period.last_seen is None]
    plans = planned_ends(conn, axes, {post})
    people = names_of(conn, {person for person, _ in held})
    used = {p.start.change for _, p in held} | {p.end.change for _, p in held if p.end}
    sources = sources_of(conn, used)
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
                **({} if all_time else standing(period.last_seen)),
                "planned_end": plans.get((post, person)),
            }
        )
    title = entity_name(conn, post)
    org_name = named.name(org) if org else None
    return {
        "post": {"id": post, "title": title, "organisation": org_name},
        **({"on": None} if all_time else axes.stamp()),
        "known_at": axes.known_at,
        "holders": holders,
    }
