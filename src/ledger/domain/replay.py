"""The reference answer: replay the events in memory, in effective order, and read off the structure.

No database and no indexes: it takes the log as recorded (position, event), keeps what was known at
`known_at` (corrections replace, retractions remove), and applies the changes one by one up to the
date. The read model must give exactly the same `structure` document; tests and benchmarks compare.

The rules it applies (the same ones the queries implement with indexed rows):
- a body is in force from its establishment, or, with none recorded, from the first change that
  shows it existing, until a change closes it (closed, merged away, split up);
- its name and kind on a date are the latest recorded on or before it (else the earliest known);
- memberships, relationships and appointments run from their start to their end; an end on the
  same date as a start applies first; closing a body ends them;
- ties on the same date go in recorded order;
- a body, membership, relationship or appointment with no end recorded (at any date) is in force
  up to its last evidence and presumed after it: a body's evidence is every change it takes part
  in (establishing, attesting, acting, ending something), a period's is each change that opens or
  observes it; the last evidence is the last day of the latest-beginning such change (a dated
  attribute's, its own date's last day).

It reads a change through its kind's declaration (domain/kinds.py): the part each party plays, and
the rows the change asserts (a name, a kind, a code, a membership's start ...), each aspect of
which it interprets here, as the queries do in SQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from ledger.domain.declaration import Assertion
from ledger.domain.events import ChangeEvent, Retracted
from ledger.domain.kinds import KINDS
from ledger.domain.timeline import last_evidence


def known_changes(
    log: Iterable[tuple[int, ChangeEvent]], known_at: int | None = None
) -> list[tuple[int, ChangeEvent]]:
    """The changes in force as recorded up to `known_at`: one per change id, corrections applied."""
    active: dict[UUID, tuple[int, ChangeEvent]] = {}
    seen: set[UUID] = set()
    for position, event in sorted(log, key=lambda p: p[0]):
        if known_at is not None and position > known_at:
            break
        if event.change_id in seen:
            continue
        seen.add(event.change_id)
        target = event.retracts if isinstance(event, Retracted) else event.supersedes
        if target is not None:
            active.pop(target, None)
        if not isinstance(event, Retracted):
            active[event.change_id] = (position, event)
    return sorted(active.values(), key=lambda p: p[0])


@dataclass
class _Org:
    start: tuple[int, ChangeEvent] | None = None  # the establishing change
    first: tuple[int, ChangeEvent] | None = None  # the first change showing it existing
    closed: bool = False
    names: list[tuple[date, int, str, ChangeEvent]] = field(default_factory=list)
    kinds: list[tuple[date, int, str, ChangeEvent]] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)


def _latest(
    values: list[tuple[date, int, str, ChangeEvent]], on: date
) -> tuple[str, ChangeEvent] | None:
    ordered = sorted(values, key=lambda v: (v[0], v[1]))
    before = [v for v in ordered if v[0] <= on]
    chosen = before[-1] if before else (ordered[0] if ordered else None)
    return (chosen[2], chosen[3]) if chosen else None


# A change that opens or closes a period, with the row it asserts: (date, opens?, position, change, row).
Mark = tuple[date, bool, int, ChangeEvent, Assertion]
Step = tuple[int, ChangeEvent, Assertion]  # a mark's position, change and row


def _pair(marks: list[Mark]) -> list[tuple[Step, Step | None]]:
    """Opening and closing changes into periods; on the same date a closing applies first."""
    periods: list[tuple[Step, Step | None]] = []
    current: Step | None = None
    for _, opening, position, event, row in sorted(marks, key=lambda m: (m[0], m[1], m[2])):
        if opening and current is None:
            current = (position, event, row)
        elif not opening and current is not None:
            periods.append((current, (position, event, row)))
            current = None
    if current is not None:
        periods.append((current, None))
    return periods


def _rows(event: ChangeEvent) -> list[Assertion]:
    """The rows a change asserts, with its ids as they are."""
    return KINDS[event.kind].assertions(event.__getattribute__)


def replay_structure(
    log: Iterable[tuple[int, ChangeEvent]],
    on: date,
    known_at: int | None = None,
    include_planned: bool = False,
) -> dict[str, Any]:
    """The structure on `on`, as known at `known_at`, by replaying events in memory."""
    changes = [(p, e) for p, e in known_changes(log, known_at) if include_planned or not e.planned]
    orgs: dict[UUID, _Org] = defaultdict(_Org)
    memberships: dict[tuple[UUID, UUID], list[Mark]] = defaultdict(list)
    relations: dict[tuple[UUID, str, UUID], list[Mark]] = defaultdict(list)
    posts: dict[UUID, Step] = {}  # a post_start row: the post, its organisation and title
    abolished: set[UUID] = set()
    appointments: dict[tuple[UUID, UUID], list[Mark]] = defaultdict(list)
    facts: dict[tuple[UUID, str, str | None], Step] = {}
    people: dict[UUID, str] = {}

    # Names, kinds and codes are known whatever the date (a body's earliest name names it before then).
    for position, event in changes:
        day = event.effective.start
        for introduced in event.introduced:
            orgs[introduced.id].names.append((day, position, introduced.name, event))
            orgs[introduced.id].kinds.append((day, position, introduced.kind, event))
            orgs[introduced.id].codes.update(introduced.codes)
        for row in _rows(event):
            if row.aspect == "name":
                orgs[row.subject].names.append((day, position, row.value, event))
            elif row.aspect == "kind":
                orgs[row.subject].kinds.append((day, position, row.value, event))
            elif row.aspect == "code":
                assert row.extra is not None
                orgs[row.subject].codes[row.extra["scheme"]] = row.value
            elif row.aspect == "appt_start":
                people.setdefault(row.other, row.value)

    for position, event in sorted(changes, key=lambda p: (p[1].effective.start, p[0])):
        day = event.effective.start
        if day > on:
            break
        for party in event.parties():
            if party.entity != "organisation":
                continue
            org = orgs[party.id]
            if party.role == "establishes" and org.start is None:
                org.start = (position, event)
            elif party.role in ("attests", "acts", "ends") and org.first is None:
                org.first = (position, event)
            elif party.role == "closes":
                org.closed = True
        for row in _rows(event):
            aspect = row.aspect
            if aspect in ("member_start", "member_end"):
                mark = (day, aspect == "member_start", position, event, row)
                memberships[(row.subject, row.other)].append(mark)
            elif aspect in ("rel_start", "rel_end"):
                mark = (day, aspect == "rel_start", position, event, row)
                relations[(row.subject, row.value, row.other)].append(mark)
            elif aspect == "post_start":
                posts.setdefault(row.subject, (position, event, row))
            elif aspect == "post_end":
                abolished.add(row.subject)
            elif aspect in ("appt_start", "appt_end"):
                mark = (day, aspect == "appt_start", position, event, row)
                appointments[(row.subject, row.other)].append(mark)
            elif aspect == "fact":
                assert row.extra is not None
                facts[(row.subject, row.value, row.extra["function"])] = (position, event, row)

    def in_force(org_id: UUID) -> bool:
        org = orgs.get(org_id)
        return org is not None and (org.start or org.first) is not None and not org.closed

    def name(org_id: UUID) -> str:
        found = _latest(orgs[org_id].names, on)
        return found[0] if found else org_id.hex

    def open_periods(marks: list[Mark]) -> list[Step]:
        return [start for start, end in _pair(marks) if end is None]

    # What is presumed: the evidence of every change, whatever its date.
    sightings: dict[UUID, list[tuple[date, date]]] = defaultdict(list)
    ever_closed: set[UUID] = set()
    every_mark: dict[tuple[Any, ...], list[Mark]] = defaultdict(list)
    planned_ends: dict[tuple[UUID, UUID], str] = {}
    for position, event in changes:
        day = event.effective.start
        piece = (day, event.effective.last_day)
        for party in event.parties():
            if party.entity != "organisation":
                continue
            if party.role in ("establishes", "attests", "acts", "ends"):
                sightings[party.id].append(piece)
            elif party.role == "closes":
                ever_closed.add(party.id)
        for row in _rows(event):
            if row.aspect in _OPENS:
                aspect, end = row.aspect.rsplit("_", 1)
                key = (aspect, row.subject, row.value if aspect == "rel" else None, row.other)
                mark = (day, end == "start", position, event, row)
                every_mark[key].append(mark)
    if not include_planned:
        for _, event in known_changes(log, known_at):
            if event.planned:
                for row in _rows(event):
                    if row.aspect == "appt_end":
                        planned_ends[(row.subject, row.other)] = str(event.effective)

    def standing(last: date | None) -> dict[str, Any]:
        presumed = last is not None and last < on
        return {
            "status": "presumed" if presumed else "in force",
            "last_evidence": last.isoformat() if presumed and last is not None else None,
        }

    def org_standing(org_id: UUID) -> dict[str, Any]:
        if org_id in ever_closed:
            return standing(None)
        return standing(last_evidence(sightings[org_id]))

    def period_standing(aspect: str, row: Assertion) -> dict[str, Any]:
        """The period a row opened, as every mark pairs it: in force if ever closed, else by the
        last of its openings."""
        value = row.value if aspect == "rel" else None
        marks = every_mark[(aspect, row.subject, value, row.other)]
        for start, end in _pair(marks):
            if start[1].effective.start <= on and end is None:
                opened = [m for m in marks if m[1] and m[0] >= start[1].effective.start]
                return standing(last_evidence((m[0], m[3].effective.last_day) for m in opened))
        return standing(None)

    result: list[dict[str, Any]] = []
    for org_id in [o for o in list(orgs) if in_force(o)]:
        org = orgs[org_id]
        used: set[tuple[int, UUID]] = set()
        begin = org.start or org.first
        assert begin is not None
        used.add((begin[0], begin[1].change_id))
        name_found = _latest(org.names, on)
        kind_found = _latest(org.kinds, on)
        for found in (name_found, kind_found):
            if found:
                used.add((_position_of(changes, found[1]), found[1].change_id))
        member_of: list[dict[str, Any]] = []
        for (member, body), marks in memberships.items():
            if member != org_id or not in_force(body):
                continue
            for position, event, row in open_periods(marks):
                used.add((position, event.change_id))
                member_of.append(
                    {
                        "id": body.hex,
                        "name": name(body),
                        "since": str(event.effective),
                        "role": row.value,
                        "planned": event.planned,
                        **period_standing("member", row),
                    }
                )
        relationships = []
        for (subject, relation, obj), marks in relations.items():
            if org_id not in (subject, obj) or not (in_force(subject) and in_force(obj)):
                continue
            for position, event, row in open_periods(marks):
                used.add((position, event.change_id))
                relationships.append(
                    {
                        "subject": name(subject),
                        "relation": relation,
                        "object": name(obj),
                        "subject_id": subject.hex,
                        "object_id": obj.hex,
                        "since": str(event.effective),
                        **period_standing("rel", row),
                    }
                )
        post_list = []
        for post_id, (position, created, post) in sorted(
            posts.items(), key=lambda p: p[1][2].value
        ):
            if post.other != org_id or post_id in abolished:
                continue
            used.add((position, created.change_id))
            holders = []
            held = [
                (start, person)
                for (post_, person), marks in appointments.items()
                if post_ == post_id
                for start in open_periods(marks)
            ]
            for (start_position, event, row), person in sorted(
                held, key=lambda h: (h[0][1].effective.start, h[0][0])
            ):
                assert row.extra is not None
                used.add((start_position, event.change_id))
                holders.append(
                    {
                        "person": people.get(person, row.value),
                        "from": str(event.effective),
                        "to": None,
                        "interim": row.extra["interim"],
                        "acting": row.extra["acting"],
                        "shadow": row.extra["shadow"],
                        **period_standing("appt", row),
                        "planned_end": planned_ends.get((post_id, person)),
                    }
                )
            post_list.append({"id": post_id.hex, "title": post.value, "holders": holders})
        fact_list = []
        chosen = sorted(
            (step for (s, _, _), step in facts.items() if s == org_id),
            key=lambda step: (step[2].value, step[1].effective.start),
        )
        for position, event, row in chosen:
            assert row.extra is not None
            used.add((position, event.change_id))
            fact_list.append(
                {
                    "attribute": row.value,
                    "value": row.extra["value"],
                    "unit": row.extra["unit"],
                    "function": row.extra["function"],
                    "effective": str(event.effective),
                    **standing(event.effective.last_day),
                }
            )
        sources = []
        cited: set[tuple[str, str]] = set()
        by_id = {e.change_id: e for _, e in changes}
        for _, change_id in sorted(used):
            change = by_id[change_id]
            for s in change.sources:
                if (s.source, s.locator) not in cited:
                    cited.add((s.source, s.locator))
                    sources.append(
                        {"source": s.source, "locator": s.locator, "change": change.handle}
                    )
        established = begin[1].effective if org.start else None
        result.append(
            {
                "id": org_id.hex,
                "name": name(org_id),
                "kind": kind_found[0] if kind_found else None,
                "codes": dict(org.codes),
                "established": str(established) if established else None,
                "first_recorded": None if org.start else str(begin[1].effective),
                "member_of": sorted(member_of, key=lambda m: str(m["name"]).casefold()),
                "relationships": relationships,
                "posts": post_list,
                "facts": fact_list,
                "planned": begin[1].planned,
                **org_standing(org_id),
                "sources": sources,
            }
        )
    result.sort(key=lambda e: (e["kind"] or "", e["name"].casefold()))
    return {"on": on.isoformat(), "known_at": known_at, "organisations": result}


# The rows that open or close a period, each named by its kind's prefix ("member_start": "member").
_OPENS = frozenset({"member_start", "member_end", "rel_start", "rel_end", "appt_start", "appt_end"})


def _position_of(changes: list[tuple[int, ChangeEvent]], event: ChangeEvent) -> int:
    for position, e in changes:
        if e.change_id == event.change_id:
            return position
    return 0
