"""A body's names over time: the formal name it had on a date and those before (`former`) and after
(`later`) it, the other names it is known by (`alias`) and what it is described as without being
renamed (`designation`), each with its period and the change it rests on; and the name a body had
just before a date (a rename says what it renamed).

Read from the few name rows of one body through the subject index, whatever their date, and cut by
the timeline's rules (a formal name holds until the next; an alias or a designation from its start
to its end); every period stops at the body's first closing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from itertools import pairwise
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from ledger.adapters.tables import chunks, day_of, facts, fold
from ledger.domain.timeline import pair, succession
from ledger.views.axes import Axes
from ledger.views.reading import rows_of
from ledger.views.rows import Row

_OTHER = {
    "alias_start": ("alias", True),
    "alias_end": ("alias", False),
    "desig_start": ("designation", True),
    "desig_end": ("designation", False),
}
# The rows a body's names are read from are `reading.NAMING`.
# The order the names are listed in: formal names first, then the others, each by date.
_ORDER = {"former": 0, "formal": 0, "later": 0, "designation": 1, "alias": 2}


@dataclass(frozen=True)
class Name:
    """One name of a body over a period (`to` None: still open), with the change it rests on."""

    name: str
    type: str  # formal, former, later, alias, designation
    note: str | None
    start: Row
    end: Row | None
    in_force: bool

    def as_dict(self, cited: dict[str, dict[str, Any]]) -> dict[str, Any]:
        info = cited.get(self.start.change, {})
        return {
            "name": self.name,
            "type": self.type,
            "note": self.note,
            "from": self.start.effective,
            "to": self.end.effective if self.end is not None else None,
            "in_force": self.in_force,
            "planned": self.start.planned,
            "change": info.get("change", self.start.change[:8]),
            "sources": info.get("sources", []),
        }


def names_over_time(conn: Connection, org: str, axes: Axes) -> list[Name]:
    """Every name of the body as known at the axes' position, its type said as of the axes' date."""
    every = replace(axes, on=date.max, until=None)  # whatever its date; plans and sources as asked
    rows = sorted(rows_of(conn, every, "subject, names", org), key=lambda r: (r.eff, r.position))
    return cut(rows, axes.on)


def names_of_bodies(conn: Connection, orgs: set[str], axes: Axes) -> dict[str, list[Name]]:
    """`names_over_time` of several bodies, read together (a statement per 500 bodies)."""
    every = replace(axes, on=date.max, until=None)  # whatever its date; plans and sources as asked
    rows: dict[str, list[Row]] = {org: [] for org in orgs}
    for chunk in chunks(sorted(orgs)):
        for r in rows_of(conn, every, "subjects, names", chunk):
            rows[r.subject].append(r)
    return {
        org: cut(sorted(found, key=lambda r: (r.eff, r.position)), axes.on)
        for org, found in rows.items()
    }


def renames(named: list[Name]) -> list[tuple[Name, Name]]:
    """(the name before, the name after) of each rename, in effective order."""
    formal = sorted(
        (n for n in named if n.type in ("former", "formal", "later")),
        key=lambda n: (n.start.eff, n.start.position),
    )
    return list(pairwise(formal))


def formal_on(named: list[Name], day: date) -> str | None:
    """The formal name on a day (the first, before any)."""
    formal = [n for n in named if n.type in ("former", "formal", "later")]
    shown = [n for n in formal if n.start.eff <= day]
    chosen = shown[-1] if shown else (formal[0] if formal else None)
    return chosen.name if chosen is not None else None


def cut(rows: list[Row], on: date) -> list[Name]:
    """The names of a body from its name rows in effective and recorded order (`NAMING`)."""
    closing = next((r for r in rows if r.aspect == "end"), None)

    def ended(end: Row | None) -> Row | None:
        if closing is not None and (end is None or closing.eff < end.eff):
            return closing
        return end

    def covers(start: Row, end: Row | None) -> bool:
        return start.eff <= on and (end is None or on < end.eff)

    found: list[Name] = []
    formal = [r for r in rows if r.aspect == "name" and r.value]
    if formal:
        shown = [r for r in formal if r.eff <= on]
        current = shown[-1] if shown else formal[0]  # as `World.name` answers on the date
        first_on: dict[date, Row] = {}
        for r in formal:
            first_on.setdefault(r.eff, r)
        for segment in succession(formal, lambda r: r.eff):
            start = segment.basis
            end = ended(first_on[segment.end] if segment.end is not None else None)
            if start is current:
                kind = "formal"
            else:
                kind = (
                    "former"
                    if (start.eff, start.position) < (current.eff, current.position)
                    else "later"
                )
            found.append(Name(str(start.value), kind, None, start, end, covers(start, end)))
    groups: dict[tuple[str, str], list[tuple[Row, bool]]] = {}
    for r in rows:
        if r.aspect in _OTHER and r.value:
            family, opens = _OTHER[r.aspect]
            groups.setdefault((family, fold(r.value)), []).append((r, opens))
    for (family, _), marks in groups.items():
        for segment in pair(marks, lambda r: r.eff):
            start = segment.basis
            end = ended(segment.closer)
            extra = start.extra or {}
            note = extra.get("qualifier") if family == "designation" else extra.get("note")
            found.append(Name(str(start.value), family, note, start, end, covers(start, end)))
    found.sort(key=lambda n: (_ORDER[n.type], n.start.eff, n.start.position))
    return found


# The body's formal name just before a day, else its first (a rename on the day it was founded).
_NAME_BEFORE = select(facts.c.value, facts.c.eff_start, facts.c.known_from).where(
    facts.c.subject == bindparam("org"),
    facts.c.aspect == "name",
    facts.c.known_to.is_(None),
    facts.c.planned.is_(False),
)


def name_before(conn: Connection, org: str, day: date) -> str | None:
    """The formal name the body had the day before `day`, as known now (None: no name)."""
    rows = sorted(conn.execute(_NAME_BEFORE, {"org": org}).all(), key=lambda r: (r[1], r[2]))
    if not rows:
        return None
    before = [r for r in rows if day_of(r[1]) < day]
    return str((before or rows)[-1][0])
