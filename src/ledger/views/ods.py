"""Read queries the ODS importer and the `count` command need, built on `Queries` without changing it.

`ods_snapshot` is what the ledger already holds for every body with an ODS code (its lifetime, its
current names, the successions between such bodies), so an import can append only what is new.
`count_by_kind` counts the bodies in force on a date, `count_by_commissioner` the GP practices by
the body they were members of.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from ledger.adapters.tables import entities, facts, names
from ledger.views.axes import Axes
from ledger.views.questions import Queries
from ledger.views.rows import periods_of

ODS = "ods"


@dataclass(frozen=True)
class KnownBody:
    """One body the ledger holds under an ODS code, as it stands once every recorded change applies."""

    id: str
    code: str
    name: str  # the latest name
    start: date | None  # first day in force (established, or first seen)
    end: date | None  # first day no longer in force (closed, merged, split)
    ods_name: str | None  # the latest `ods_name` fact: the name exactly as the register gave it
    names: frozenset[str]  # every name it has had, folded
    status: str | None = None  # the latest `ods_status` fact (a practice's: dormant, active)
    # Its latest listing by a register release (`listed`): the day, and the list's key
    # (`ods:gp_practice`); None if no release has listed it.
    listed: tuple[date, str] | None = None
    # Its memberships of ODS-coded bodies, by the body's code: (first day, first day no longer).
    memberships: tuple[tuple[str, date, date | None], ...] = ()


@dataclass
class OdsSnapshot:
    """What the ledger knows of ODS-coded bodies: by code, and their succession edges."""

    bodies: dict[str, KnownBody] = field(default_factory=dict)
    # (predecessor code, successor code) -> the effective dates of the recorded edges between them
    edges: dict[tuple[str, str], set[date]] = field(default_factory=dict)
    # folded name -> ids of every organisation that has had that name (coded or not)
    names: dict[str, set[str]] = field(default_factory=dict)
    # ODS codes of bodies the ledger holds only as plans (a proposed practice), and their ids
    planned: dict[str, str] = field(default_factory=dict)


def ods_snapshot(queries: Queries) -> OdsSnapshot:
    """Every ODS-coded body the ledger holds now (all effective dates), with its succession edges."""
    world = queries.world(Axes(on=date.max))
    code_of: dict[str, str] = {}
    for org, codes in world.codes.items():
        if ODS in codes:
            code_of[org] = codes[ODS].upper()
    with queries.connect() as conn:
        rows = conn.execute(
            select(names.c.entity_id, names.c.folded, names.c.scheme)
            .join(entities, entities.c.id == names.c.entity_id)
            .where(entities.c.entity == "organisation")
        ).all()
        plans = conn.execute(
            select(facts.c.value, facts.c.subject).where(
                facts.c.aspect == "code",
                facts.c.planned.is_(True),
                facts.c.known_to.is_(None),
                facts.c.extra.like(f'%"{ODS}"%'),
            )
        ).all()
    folded: dict[str, set[str]] = defaultdict(set)
    by_name: dict[str, set[str]] = defaultdict(set)
    for entity_id, folded_name, scheme in rows:
        if scheme is None:
            folded[entity_id].add(folded_name)
            by_name[folded_name].add(entity_id)
    snapshot = OdsSnapshot(names=dict(by_name))
    snapshot.planned = {str(code).upper(): subject for code, subject in plans}
    listed: dict[str, tuple[date, str]] = {}
    for row in world.rows:
        if (
            row.aspect == "attest"
            and row.value
            and row.value.startswith(f"{ODS}:")
            and (row.subject not in listed or listed[row.subject][0] <= row.eff)
        ):
            listed[row.subject] = (row.eff, row.value)
    memberships: dict[str, list[tuple[str, date, date | None]]] = defaultdict(list)
    for (member, body), marks in world.memberships.items():
        if member in code_of and body in code_of:
            for period in periods_of(list(marks)):
                until = period.end.eff if period.end else None
                memberships[member].append((code_of[body], period.start.eff, until))
    for org, code in code_of.items():
        start = world.start_of(org)
        end = world.ends.get(org)
        fact = world.facts.get((org, "ods_name", None))
        status = world.facts.get((org, "ods_status", None))
        snapshot.bodies[code] = KnownBody(
            id=org,
            code=code,
            name=world.name(org),
            start=start.eff if start else None,
            end=end.eff if end else None,
            ods_name=str((fact.extra or {}).get("value")) if fact else None,
            names=frozenset(folded.get(org, set())),
            status=str((status.extra or {}).get("value")) if status else None,
            listed=listed.get(org),
            memberships=tuple(sorted(memberships.get(org, ()), key=lambda m: m[1])),
        )
    for row in world.rows:
        if row.aspect == "edge" and row.subject in code_of and row.other in code_of:
            key = (code_of[row.subject], code_of[row.other])
            snapshot.edges.setdefault(key, set()).add(row.eff)
    return snapshot


def count_by_kind(queries: Queries, axes: Axes) -> dict[str, Any]:
    """How many bodies of each kind were in force on the date (as known at `axes.known_at`)."""
    world = queries.world(axes)
    counts = Counter(world.kind(org) or "unknown" for org in world.organisations())
    return {
        "on": axes.on.isoformat(),
        "known_at": axes.known_at,
        "by": "kind",
        "counts": [{"kind": k, "count": n} for k, n in sorted(counts.items())],
        "total": sum(counts.values()),
    }


PRACTICE = "gp_practice"


def count_by_commissioner(queries: Queries, axes: Axes) -> dict[str, Any]:
    """How many GP practices in force on the date were members of each body (their commissioner),
    and how many of none."""
    world = queries.world(axes)
    counts: Counter[str | None] = Counter()
    for org in world.organisations():
        if world.kind(org) != PRACTICE:
            continue
        bodies: set[str | None] = {body for body, _ in world.member_of(org)}
        counts.update(bodies or {None})
    rows = [
        {
            "commissioner": world.name(body) if body else None,
            "code": world.codes.get(body, {}).get(ODS) if body else None,
            "id": body,
            "count": n,
        }
        for body, n in counts.items()
    ]
    rows.sort(key=lambda r: (r["id"] is None, str(r["commissioner"]).casefold()))
    return {
        "on": axes.on.isoformat(),
        "known_at": axes.known_at,
        "by": "commissioner",
        "counts": rows,
        "total": sum(1 for org in world.organisations() if world.kind(org) == PRACTICE),
    }
