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
- ties on the same date go in recorded order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from ledger.domain.events import (
    Appointed,
    AppointmentEnded,
    ChangeEvent,
    Established,
    FactRecorded,
    Joined,
    Left,
    PostAbolished,
    PostCreated,
    Reclassified,
    RelationshipEnded,
    RelationshipStarted,
    Renamed,
    Retracted,
)


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


def _pair(
    marks: list[tuple[date, bool, int, ChangeEvent]],
) -> list[tuple[tuple[int, ChangeEvent], tuple[int, ChangeEvent] | None]]:
    """Opening and closing changes into periods; on the same date a closing applies first."""
    periods: list[tuple[tuple[int, ChangeEvent], tuple[int, ChangeEvent] | None]] = []
    current: tuple[int, ChangeEvent] | None = None
    for _, opening, position, event in sorted(marks, key=lambda m: (m[0], m[1], m[2])):
        if opening and current is None:
            current = (position, event)
        elif not opening and current is not None:
            periods.append((current, (position, event)))
            current = None
    if current is not None:
        periods.append((current, None))
    return periods


def replay_structure(
    log: Iterable[tuple[int, ChangeEvent]],
    on: date,
    known_at: int | None = None,
    include_planned: bool = False,
) -> dict[str, Any]:
    """The structure on `on`, as known at `known_at`, by replaying events in memory."""
    changes = [(p, e) for p, e in known_changes(log, known_at) if include_planned or not e.planned]
    orgs: dict[UUID, _Org] = defaultdict(_Org)
    memberships: dict[tuple[UUID, UUID], list[tuple[date, bool, int, ChangeEvent]]] = defaultdict(
        list
    )
    relations: dict[tuple[UUID, str, UUID], list[tuple[date, bool, int, ChangeEvent]]] = (
        defaultdict(list)
    )
    posts: dict[UUID, tuple[int, PostCreated]] = {}
    abolished: set[UUID] = set()
    appointments: dict[tuple[UUID, UUID], list[tuple[date, bool, int, ChangeEvent]]] = defaultdict(
        list
    )
    facts: dict[tuple[UUID, str, str | None], tuple[int, FactRecorded]] = {}
    people: dict[UUID, str] = {}

    # Names, kinds and codes are known whatever the date (a body's earliest name names it before then).
    for position, event in changes:
        day = event.effective.start
        for introduced in event.introduced:
            orgs[introduced.id].names.append((day, position, introduced.name, event))
            orgs[introduced.id].kinds.append((day, position, introduced.kind, event))
            orgs[introduced.id].codes.update(introduced.codes)
        if isinstance(event, Established):
            org = orgs[event.organisation]
            org.names.append((day, position, event.name, event))
            org.kinds.append((day, position, event.org_kind, event))
            org.codes.update(event.codes)
        elif isinstance(event, Renamed):
            orgs[event.organisation].names.append((day, position, event.name, event))
        elif isinstance(event, Reclassified):
            orgs[event.organisation].kinds.append((day, position, event.org_kind, event))
        if isinstance(event, Appointed):
            people.setdefault(event.person, event.person_name)

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
        match event:
            case Joined():
                memberships[(event.member, event.body)].append((day, True, position, event))
            case Left():
                memberships[(event.member, event.body)].append((day, False, position, event))
            case RelationshipStarted():
                relations[(event.subject, event.relation, event.object)].append(
                    (day, True, position, event)
                )
            case RelationshipEnded():
                relations[(event.subject, event.relation, event.object)].append(
                    (day, False, position, event)
                )
            case PostCreated():
                posts.setdefault(event.post, (position, event))
            case PostAbolished():
                abolished.add(event.post)
            case Appointed():
                appointments[(event.post, event.person)].append((day, True, position, event))
            case AppointmentEnded():
                appointments[(event.post, event.person)].append((day, False, position, event))
            case FactRecorded():
                facts[(event.subject, event.attribute, event.function_name)] = (position, event)
            case _:
                pass

    def in_force(org_id: UUID) -> bool:
        org = orgs.get(org_id)
        return org is not None and (org.start or org.first) is not None and not org.closed

    def name(org_id: UUID) -> str:
        found = _latest(orgs[org_id].names, on)
        return found[0] if found else org_id.hex

    def open_periods(
        marks: list[tuple[date, bool, int, ChangeEvent]],
    ) -> list[tuple[int, ChangeEvent]]:
        return [start for start, end in _pair(marks) if end is None]

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
            for position, event in open_periods(marks):
                assert isinstance(event, Joined)
                used.add((position, event.change_id))
                member_of.append(
                    {
                        "id": body.hex,
                        "name": name(body),
                        "since": str(event.effective),
                        "role": event.role,
                        "planned": event.planned,
                    }
                )
        relationships = []
        for (subject, relation, obj), marks in relations.items():
            if org_id not in (subject, obj) or not (in_force(subject) and in_force(obj)):
                continue
            for position, event in open_periods(marks):
                used.add((position, event.change_id))
                relationships.append(
                    {
                        "subject": name(subject),
                        "relation": relation,
                        "object": name(obj),
                        "subject_id": subject.hex,
                        "object_id": obj.hex,
                        "since": str(event.effective),
                    }
                )
        post_list = []
        for post_id, (position, created) in sorted(posts.items(), key=lambda p: p[1][1].title):
            if created.organisation != org_id or post_id in abolished:
                continue
            used.add((position, created.change_id))
            holders = []
            held = [
                (start, person)
                for (post, person), marks in appointments.items()
                if post == post_id
                for start in open_periods(marks)
            ]
            for (start_position, event), person in sorted(
                held, key=lambda h: (h[0][1].effective.start, h[0][0])
            ):
                assert isinstance(event, Appointed)
                used.add((start_position, event.change_id))
                holders.append(
                    {
                        "person": people.get(person, event.person_name),
                        "from": str(event.effective),
                        "to": None,
                        "interim": event.interim,
                        "acting": event.acting,
                        "shadow": event.shadow,
                    }
                )
            post_list.append({"id": post_id.hex, "title": created.title, "holders": holders})
        fact_list = []
        chosen = sorted(
            ((p, e) for (s, _, _), (p, e) in facts.items() if s == org_id),
            key=lambda pe: (pe[1].attribute, pe[1].effective.start),
        )
        for position, event in chosen:
            used.add((position, event.change_id))
            fact_list.append(
                {
                    "attribute": event.attribute,
                    "value": event.value,
                    "unit": event.unit,
                    "function": event.function_name,
                    "effective": str(event.effective),
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
                "sources": sources,
            }
        )
    result.sort(key=lambda e: (e["kind"] or "", e["name"].casefold()))
    return {"on": on.isoformat(), "known_at": known_at, "organisations": result}


def _position_of(changes: list[tuple[int, ChangeEvent]], event: ChangeEvent) -> int:
    for position, e in changes:
        if e.change_id == event.change_id:
            return position
    return 0
