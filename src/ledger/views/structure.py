"""The structure on a date: every organisation in force, with its memberships, relationships,
posts, holders, facts and the sources each rests on.

It is answered from the periods valid on the date and known at the position (`Snapshot`) once
they are current with the facts, and from the fold of every fact (`World`) until then; `show`
describes one organisation as an entry of the structure does (`organisation`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from ledger.adapters.periods import in_step as periods_in_step
from ledger.adapters.tables import facts
from ledger.domain.dates import parse_stored
from ledger.views import reading
from ledger.views.axes import Axes, known_at_bound
from ledger.views.names import names_of
from ledger.views.rows import Row
from ledger.views.snapshot import Identities, Snapshot
from ledger.views.sources import citations, sources_of
from ledger.views.world import World


def structure(
    conn: Connection,
    world: World | Snapshot,
    axes: Axes,
    *,
    kind: str | None,
    only: str | None,
    members_of: str | None = None,
) -> dict[str, Any]:
    """Every organisation in force in `world` (or `only` one, or the members of one, or those of
    a `kind`), by kind and name, each with the sources its entry rests on."""
    orgs = [only] if only else world.organisations()
    if members_of is not None:
        orgs = sorted({member for member, _ in world.members(members_of)})
    return _entries(conn, world, axes, _picked(world, orgs, axes, kind))


def _picked(
    world: World | Snapshot | Identities, orgs: list[str], axes: Axes, kind: str | None
) -> list[str]:
    """Of some bodies, those of the `kind` (if given), and only the attested with `--attested`."""
    if axes.attested:
        orgs = [org for org in orgs if world.last_seen(org) is None]
    if kind:
        orgs = [org for org in orgs if world.kind(org) == kind]
    return orgs


def _entries(
    conn: Connection, world: World | Snapshot, axes: Axes, orgs: list[str]
) -> dict[str, Any]:
    """The structure's answer for some bodies: each entry with the sources it rests on, by kind
    and name."""
    codes = world.codes
    posts = {p for org in orgs for p in world.posts_of(org)}
    people = names_of(conn, {person for post in posts for person, _ in world.holders(post)})
    plans = planned_ends(conn, axes, posts)
    result = []
    cited: dict[str, set[str]] = {}
    for org in orgs:
        entry, used = organisation(world, org, codes, people, plans, attested=axes.attested)
        result.append(entry)
        cited[org] = used
    sources = sources_of(conn, set().union(*cited.values()) if cited else set())
    for entry in result:
        entry["sources"] = citations(cited[entry["id"]], sources)
    result.sort(key=lambda e: (e["kind"] or "", e["name"].casefold()))
    return {**axes.stamp(), "known_at": axes.known_at, "organisations": result}


def structure_page(
    conn: Connection, axes: Axes, *, kind: str | None, number: int, size: int
) -> dict[str, Any]:
    """One page of the structure (`size` bodies, in its order: by kind, then name): the same
    entries as `structure` gives, with `total` and `pages`. Read from the periods, only the page's
    bodies in full, where they are current; else sliced from the whole answer."""

    start = (number - 1) * size
    if axes.published is None and periods_in_step(conn):
        identities = Identities.read(conn, axes.on, axes.known_at, axes.include_planned, axes.until)
        orgs = _picked(identities, identities.organisations(), axes, kind)
        orgs.sort(key=lambda o: (identities.kind(o) or "", identities.name(o).casefold()))
        total, shown = len(orgs), orgs[start : start + size]
        world = Snapshot.read_bodies(conn, axes.known_at, axes.include_planned, shown, identities)
        answer = _entries(conn, world, axes, shown)
    else:
        whole = structure(conn, reading.world(conn, axes), axes, kind=kind, only=None)
        total = len(whole["organisations"])
        answer = {**whole, "organisations": whole["organisations"][start : start + size]}
    return {**answer, "total": total, "page": number, "pages": max(1, -(-total // size))}


def snapshot(conn: Connection, axes: Axes) -> Snapshot | None:
    """The periods valid on the date, if they are current with the facts (a store made
    before they existed is folded until a recorder opens it and cuts them)."""
    if not periods_in_step(conn):
        return None
    return Snapshot.read(conn, axes.on, axes.known_at, axes.include_planned, axes.until)


def standing(last_seen: date | None) -> dict[str, Any]:
    """What an answer says of an item's evidence: in force, or presumed after its last evidence
    (see docs/evidence.md)."""
    return {
        "status": "presumed" if last_seen is not None else "in force",
        "last_evidence": last_seen.isoformat() if last_seen is not None else None,
    }


def fact_standing(row: Row, on: date) -> dict[str, Any]:
    """A dated attribute is shown by its own date: in force in it, presumed after it."""
    last = parse_stored(row.effective).last_day
    return standing(last if last < on else None)


def planned_ends(conn: Connection, axes: Axes, posts: set[str]) -> dict[tuple[str, str], str]:
    """The planned ends of appointments to some posts, (post, person) to the plan's date, as
    known at the axes' position: shown beside a holder still in force or presumed, because a
    plan is not a confirmation (with `--include-planned` the plan itself ends the holding)."""
    if not posts or axes.include_planned:
        return {}
    known = axes.known_at is not None
    statement = _PLANNED_ENDS.get(known)
    if statement is None:
        c = facts.c
        statement = _PLANNED_ENDS[known] = (
            select(c.subject, c.other, c.effective, c.change_id)
            .where(
                c.subject.in_(bindparam("posts", expanding=True)),
                c.aspect == "appt_end",
                c.planned.is_(True),
                *known_at_bound(facts, known),
            )
            .order_by(c.known_from)  # the latest recorded plan, where there are several
        )
    values: dict[str, Any] = {"posts": sorted(posts)}
    if known:
        values["known_at"] = axes.known_at
    cited = axes.published
    return {
        (post, person): effective
        for post, person, effective, change in conn.execute(statement, values)
        if cited is None or change in cited
    }


_PLANNED_ENDS: dict[bool, Any] = {}  # the statement, built once per process for each axis form


def organisation(
    world: World | Snapshot,
    org: str,
    codes: dict[str, dict[str, str]],
    people: dict[str, str],
    plans: dict[tuple[str, str], str] | None = None,
    *,
    attested: bool = False,
) -> tuple[dict[str, Any], set[str]]:
    """One body's entry (with `attested`, without what is only presumed)."""
    used: set[str] = set()
    start = world.start_of(org)
    name_row = world.name_row(org)
    kind_row = world.kind_row(org)
    for row in (start, name_row, kind_row):
        if row is not None:
            used.add(row.change)
    member_of: list[dict[str, Any]] = []
    for body, period in world.member_of(org):
        if attested and period.last_seen is not None:
            continue
        used.add(period.start.change)
        member_of.append(
            {
                "id": body,
                "name": world.name(body),
                "since": period.start.effective,
                "role": period.start.value,
                "planned": period.start.planned,
                **standing(period.last_seen),
            }
        )
    relationships = []
    for subject, relation, obj, period in world.relationships(org):
        if attested and period.last_seen is not None:
            continue
        used.add(period.start.change)
        relationships.append(
            {
                "subject": world.name(subject),
                "relation": relation,
                "object": world.name(obj),
                "subject_id": subject,
                "object_id": obj,
                "since": period.start.effective,
                **standing(period.last_seen),
            }
        )
    posts = []
    for post in world.posts_of(org):
        post_row = world.post_row(post)
        used.add(post_row.change)
        holders = []
        for person, period in world.holders(post):
            if attested and period.last_seen is not None:
                continue
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
                    **standing(period.last_seen),
                    "planned_end": (plans or {}).get((post, person)),
                }
            )
        posts.append({"id": post, "title": post_row.value, "holders": holders})
    fact_list = []
    for row in world.facts_of(org):
        evidence = fact_standing(row, world.on)
        if attested and evidence["status"] != "in force":
            continue
        used.add(row.change)
        extra = row.extra or {}
        fact_list.append(
            {
                "attribute": row.value,
                "value": extra.get("value"),
                "unit": extra.get("unit"),
                "function": extra.get("function"),
                "effective": row.effective,
                **evidence,
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
        **standing(world.last_seen(org)),
    }
    return entry, used
