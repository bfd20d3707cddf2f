"""Where a body's members went at each step of a lineage: for an edge effective on D, the members
of the body it comes from on the day before D, and the bodies each was a member of on D (the body
the edge goes to, another, or none). `ledger lineage --members` adds it to each edge.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from ledger.domain.dates import parse_day
from ledger.views.axes import Axes
from ledger.views.questions import Queries
from ledger.views.world import World


def members_moved(queries: Queries, lineage: dict[str, Any], axes: Axes) -> dict[str, Any]:
    """The lineage with, on each edge, where the members of its `from` body went on its date."""
    worlds: dict[date, World] = {}

    def world(day: date) -> World:
        if day not in worlds:
            worlds[day] = queries.world(replace(axes, on=day, until=None))
        return worlds[day]

    for edge in lineage["edges"]:
        day = parse_day(edge["effective"])
        before, after = world(day - timedelta(days=1)), world(day)
        members = sorted({m for m, _ in before.members(edge["from_id"])})
        went: Counter[str] = Counter()
        none = 0
        for member in members:
            bodies = {b for b, _ in after.member_of(member)}
            if edge["to_id"] in bodies:
                went[edge["to_id"]] += 1
            elif bodies:
                went.update(bodies)
            else:
                none += 1
        edge["members"] = {
            "before": len(members),
            "moved": went.pop(edge["to_id"], 0),
            "none": none,
            "elsewhere": [
                {"id": body, "name": after.name(body), "count": n}
                for body, n in sorted(went.items(), key=lambda item: (-item[1], item[0]))
            ],
        }
    return lineage


def members_notes(lineage: dict[str, Any]) -> list[str]:
    """One line per edge: how many members its `from` body had, and where they went."""
    notes = []
    for edge in lineage["edges"]:
        m = edge.get("members")
        if m is None:
            continue
        line = (
            f"members: {edge['from']} had {m['before']} the day before it {edge['kind']} "
            f"({edge['effective']}); on that day {m['moved']} in {edge['to']}"
        )
        for other in m["elsewhere"]:
            line += f", {other['count']} in {other['name']}"
        if m["none"]:
            line += f", {m['none']} in no body"
        notes.append(line)
    return notes
