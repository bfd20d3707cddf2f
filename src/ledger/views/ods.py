"""Read queries the ODS importer and the `count` command need, built on `Queries` without changing it.

`ods_snapshot` is what the ledger already holds for every body with an ODS code (its lifetime, its
current names, the successions between such bodies), so an import can append only what is new.
`count_by_kind` counts the bodies in force on a date.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from ledger.adapters.tables import entities, names
from ledger.views.axes import Axes
from ledger.views.questions import Queries

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


@dataclass
class OdsSnapshot:
    """What the ledger knows of ODS-coded bodies: by code, and their succession edges."""

    bodies: dict[str, KnownBody] = field(default_factory=dict)
    # (predecessor code, successor code) -> the effective dates of the recorded edges between them
    edges: dict[tuple[str, str], set[date]] = field(default_factory=dict)
    # folded name -> ids of every organisation that has had that name (coded or not)
    names: dict[str, set[str]] = field(default_factory=dict)


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
    folded: dict[str, set[str]] = defaultdict(set)
    by_name: dict[str, set[str]] = defaultdict(set)
    for entity_id, folded_name, scheme in rows:
        if scheme is None:
            folded[entity_id].add(folded_name)
            by_name[folded_name].add(entity_id)
    snapshot = OdsSnapshot(names=dict(by_name))
    for org, code in code_of.items():
        start = world.start_of(org)
        end = world.ends.get(org)
        fact = world.facts.get((org, "ods_name", None))
        snapshot.bodies[code] = KnownBody(
            id=org,
            code=code,
            name=world.name(org),
            start=start.eff if start else None,
            end=end.eff if end else None,
            ods_name=str((fact.extra or {}).get("value")) if fact else None,
            names=frozenset(folded.get(org, set())),
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
