"""Aggregates: organisations, posts, people and functions, each keeping its whole effective-dated timeline.

An aggregate holds every change that touches it, keyed by change id (a correction replaces the entry it
supersedes; a retraction removes it), and checks its invariants over that timeline whatever order the
changes were recorded in. A violation names the earlier change it conflicts with.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any, ClassVar
from uuid import UUID

from ledger.domain.events import (
    Appointed,
    AppointmentEnded,
    ChangeEvent,
    EntityType,
    Established,
    FactRecorded,
    FunctionMoved,
    Joined,
    Left,
    Merged,
    Party,
    PostCreated,
    Reclassified,
    RelationshipEnded,
    RelationshipStarted,
    Renamed,
    Retracted,
    Role,
    Split,
    StaffTransferred,
)


class DomainError(Exception):
    """A change the recorded history does not allow."""


@dataclass
class Conflict(DomainError):
    """A change contradicts another change in the timeline of one aggregate."""

    subject: str
    problem: str
    other: ChangeEvent | None = None

    def __str__(self) -> str:
        text = f"{self.subject}: {self.problem}"
        if self.other is not None:
            text += f" (conflicts with change {describe(self.other)})"
        return text


def describe(change: ChangeEvent) -> str:
    return f"{change.handle!r}, {change.kind} effective {change.effective}"


class Entity:
    """Base aggregate: an id, a version, the timeline of changes and the events not yet saved."""

    entity_type: ClassVar[EntityType]
    # Whether an invariant can look at the timeline. Where none can, the ledger appends to the
    # aggregate knowing only its version, so the cost of a change does not grow with its history.
    needs_timeline: ClassVar[bool] = True

    def __init__(self, id_: UUID) -> None:
        self.id = id_
        self.version = 0
        self.entries: dict[UUID, ChangeEvent] = {}
        self._pending: list[ChangeEvent] = []
        self._roles: dict[UUID, Role | None] = {}
        # The entries in effective order, kept as changes are applied (a check reads it for every
        # change recorded, and sorting a long history each time was most of the cost), and the
        # planned ones, which the timeline leaves out.
        self._ordered: list[ChangeEvent] | None = []
        self._planned: set[UUID] = set()

    # --- event sourcing -------------------------------------------------------------------
    def apply(self, event: ChangeEvent) -> None:
        self.version = event.originator_version
        if event.supersedes is not None:
            self._remove(event.supersedes)
        if isinstance(event, Retracted):
            self._remove(event.retracts)
        elif self.role_of(event) is not None:
            if event.change_id in self.entries:
                self._ordered = None
            elif self._ordered is not None:
                insort(self._ordered, event, key=_effective_order)
            self.entries[event.change_id] = event
            if event.planned:
                self._planned.add(event.change_id)

    def _remove(self, change_id: UUID) -> None:
        if self.entries.pop(change_id, None) is not None:
            self._ordered = None
            self._planned.discard(change_id)

    def record(self, change: ChangeEvent) -> None:
        if not self.needs_timeline and self.role_of(change) in ("establishes", "closes"):
            # Only a lifetime could be checked here, and nothing gave this kind one until now.
            raise DomainError(f"a {self.entity_type} cannot be established or closed")
        event = change.for_aggregate(self.entity_type, self.id, self.version + 1)
        self.apply(event)
        self._pending.append(event)

    def collect_events(self) -> Sequence[ChangeEvent]:
        events, self._pending = self._pending, []
        return events

    # --- timeline -------------------------------------------------------------------------
    def role_of(self, change: ChangeEvent) -> Role | None:
        # Asked for every entry on every check: remembered per change (a change's parties are
        # fixed by its content, and a correction is a change of its own).
        try:
            return self._roles[change.change_id]
        except KeyError:
            pass
        role = None
        for party in change.parties():
            if party.id == self.id and party.entity == self.entity_type:
                role = party.role
                break
        self._roles[change.change_id] = role
        return role

    def timeline(self, *, including: UUID | None = None) -> list[ChangeEvent]:
        """Changes that happened (and the one being checked, even if planned), in effective order.
        The list is the aggregate's own when nothing is left out: read it, do not change it."""
        if self._ordered is None:
            self._ordered = sorted(self.entries.values(), key=_effective_order)
        if not self._planned or self._planned == {including}:
            return self._ordered
        return [e for e in self._ordered if not e.planned or e.change_id == including]

    @property
    def label(self) -> str:
        return f"{self.entity_type} {self.id}"

    def conflicts(self, including: UUID | None = None) -> Iterator[Conflict]:
        yield from self._lifetime_conflicts(self.timeline(including=including))

    def check(self, change_id: UUID) -> None:
        """Raise the first conflict that involves the given change, phrased from its side."""
        found = list(self.conflicts(including=change_id))
        if found:
            involved = [c for c in found if _involves(c, change_id)]
            raise blame((involved or found)[0], change_id)

    def _lifetime_conflicts(self, timeline: list[ChangeEvent]) -> Iterator[Conflict]:
        roles = [(e, self.role_of(e)) for e in timeline]
        starts = [e for e, role in roles if role == "establishes"]
        ends = [e for e, role in roles if role == "closes"]
        noun = self.entity_type
        if len(starts) > 1:
            yield _pair(self.label, starts[1], starts[0], f"{noun} is already established")
        if len(ends) > 1:
            yield _pair(self.label, ends[1], ends[0], f"{noun} is already closed")
        start = starts[0] if starts else None
        end = ends[0] if ends else None
        if start and end and end.effective.start <= start.effective.start:
            yield _pair(
                self.label, end, start, f"closed on {end.effective}, not after its establishment"
            )
        for e, role in roles:
            d = e.effective.start
            if role in ("acts", "ends", "attests") and start and d < start.effective.start:
                yield _pair(
                    self.label, e, start, f"{e.kind} on {e.effective} before it was established"
                )
            if role in ("acts", "attests") and end and d >= end.effective.start:
                yield _pair(self.label, e, end, f"{e.kind} on {e.effective} after it closed")
            if role == "ends" and end and d > end.effective.start:
                yield _pair(self.label, e, end, f"{e.kind} on {e.effective} after it closed")


def _effective_order(event: ChangeEvent) -> tuple[date, Any]:
    return (event.effective.start, event.timestamp)


def _involves(conflict: Conflict, change_id: UUID) -> bool:
    if isinstance(conflict, _PairConflict):
        return any(
            c is not None and c.change_id == change_id for c in (conflict.this, conflict.other)
        )
    return True


def _pair(subject: str, event: ChangeEvent, other: ChangeEvent, problem: str) -> Conflict:
    """A conflict between two changes, blamed on whichever the caller is checking."""
    return _PairConflict(subject, problem, other, this=event)


@dataclass
class _PairConflict(Conflict):
    this: ChangeEvent | None = None


def _periods(
    opens: list[ChangeEvent], closes: list[ChangeEvent], subject: str, what: str
) -> tuple[list[tuple[ChangeEvent, ChangeEvent | None]], list[Conflict]]:
    """Pair start and end changes of one membership/appointment into periods, in effective order."""
    conflicts: list[Conflict] = []
    periods: list[tuple[ChangeEvent, ChangeEvent | None]] = []
    marks = [(e.effective.start, 1, e) for e in opens] + [(e.effective.start, 0, e) for e in closes]
    marks.sort(key=lambda m: (m[0], m[1], m[2].timestamp))
    current: ChangeEvent | None = None
    for _, is_open, e in marks:
        if is_open:
            if current is not None:
                conflicts.append(
                    _pair(subject, e, current, f"{what} already began on {current.effective}")
                )
                continue
            current = e
        else:
            if current is None:
                later = [o for o in opens if o.effective.start >= e.effective.start]
                if later:
                    when = "the day" if later[0].effective.start == e.effective.start else "before"
                    problem = f"{what} cannot end on {e.effective}, {when} it starts on {later[0].effective}"
                    conflicts.append(_pair(subject, e, later[0], problem))
                else:
                    conflicts.append(Conflict(subject, f"no {what} to end on {e.effective}", None))
                continue
            periods.append((current, e))
            current = None
    if current is not None:
        periods.append((current, None))
    return periods, conflicts


class Organisation(Entity):
    entity_type: ClassVar[EntityType] = "organisation"
    _named: str | None = None  # every change asks for the label: kept until a change may rename

    def apply(self, event: ChangeEvent) -> None:
        super().apply(event)
        if (
            isinstance(event, Established | Renamed | Retracted)
            or event.supersedes is not None
            or any(body.id == self.id for body in event.introduced)
        ):
            self._named = None

    @property
    def name(self) -> str:
        if self._named is None:
            self._named = self._name()
        return self._named

    def _name(self) -> str:
        name = None
        for e in self.timeline():
            if (isinstance(e, Established) and e.organisation == self.id) or isinstance(e, Renamed):
                name = e.name
            else:
                for body in e.introduced:
                    if body.id == self.id and name is None:
                        name = body.name
        if name is None:
            for e in self.entries.values():
                for body in e.introduced:
                    if body.id == self.id:
                        return body.name
                if isinstance(e, Established):
                    return e.name
        return name or str(self.id)

    @property
    def org_kind(self) -> str | None:
        kind = None
        for e in self.timeline():
            if isinstance(e, (Established, Reclassified)):
                kind = e.org_kind
            for body in e.introduced:
                if body.id == self.id:
                    kind = kind or body.kind
        return kind

    @property
    def label(self) -> str:
        return self.name

    def conflicts(self, including: UUID | None = None) -> Iterator[Conflict]:
        timeline = self.timeline(including=including)
        yield from self._lifetime_conflicts(timeline)
        yield from self._membership_conflicts(timeline)
        yield from self._headcount_conflicts(timeline)

    def _membership_conflicts(self, timeline: list[ChangeEvent]) -> Iterator[Conflict]:
        # Checked on the body (or the relationship's object) so each pair is checked once.
        groups: dict[tuple[Any, ...], tuple[list[ChangeEvent], list[ChangeEvent]]] = {}
        for e in timeline:
            if isinstance(e, (Joined, Left)) and e.body == self.id:
                key: tuple[Any, ...] = ("member", e.member)
                groups.setdefault(key, ([], []))[isinstance(e, Left)].append(e)
            elif isinstance(e, (RelationshipStarted, RelationshipEnded)) and e.object == self.id:
                key = (e.relation, e.subject)
                groups.setdefault(key, ([], []))[isinstance(e, RelationshipEnded)].append(e)
        for (relation, _), (opens, closes) in groups.items():
            what = "membership" if relation == "member" else f"relationship '{relation}'"
            _, found = _periods(opens, closes, self.label, what)
            yield from found

    def _headcount_conflicts(self, timeline: list[ChangeEvent]) -> Iterator[Conflict]:
        levels: dict[UUID, tuple[int, ChangeEvent]] = {}
        order = {"fact": 0, "in": 1, "out": 2}
        moves: list[tuple[date, int, str, UUID, int, ChangeEvent]] = []
        for e in timeline:
            d = e.effective.start
            if (
                isinstance(e, FactRecorded)
                and e.attribute == "headcount"
                and e.function is not None
                and e.value.isdigit()
            ):
                moves.append((d, order["fact"], "fact", e.function, int(e.value), e))
            elif isinstance(e, (StaffTransferred, FunctionMoved)) and e.headcount is not None:
                if e.from_body == self.id:
                    moves.append((d, order["out"], "out", e.function, e.headcount, e))
                if e.to_body == self.id:
                    moves.append((d, order["in"], "in", e.function, e.headcount, e))
        moves.sort(key=lambda m: (m[0], m[1], m[5].timestamp))
        for _, _, what, function, count, e in moves:
            if what == "fact":
                levels[function] = (count, e)
            elif what == "in" and function in levels:
                level, basis = levels[function]
                levels[function] = (level + count, basis)
            elif what == "out" and function in levels:
                level, basis = levels[function]
                name = getattr(e, "function_name", "the function")
                if count > level:
                    yield _pair(
                        self.label,
                        e,
                        basis,
                        f"cannot transfer {count} {name} staff on {e.effective}: "
                        f"only {level} recorded there",
                    )
                levels[function] = (level - count, basis)


class Post(Entity):
    entity_type: ClassVar[EntityType] = "post"

    @property
    def title(self) -> str:
        for e in self.entries.values():
            if isinstance(e, PostCreated):
                return e.title
        return str(self.id)

    @property
    def label(self) -> str:
        return f"post {self.title!r}"

    def conflicts(self, including: UUID | None = None) -> Iterator[Conflict]:
        timeline = self.timeline(including=including)
        yield from self._lifetime_conflicts(timeline)
        by_person: dict[UUID, tuple[list[ChangeEvent], list[ChangeEvent]]] = {}
        for e in timeline:
            if isinstance(e, Appointed):
                by_person.setdefault(e.person, ([], []))[0].append(e)
            elif isinstance(e, AppointmentEnded):
                by_person.setdefault(e.person, ([], []))[1].append(e)
        substantive: list[tuple[ChangeEvent, date, date | None]] = []
        for opens, closes in by_person.values():
            periods, found = _periods(opens, closes, self.label, "appointment")
            yield from found
            for start, end in periods:
                if isinstance(start, Appointed) and start.substantive:
                    substantive.append(
                        (start, start.effective.start, end.effective.start if end else None)
                    )
        substantive.sort(key=lambda p: p[1])
        for (a, _, a_to), (b, b_from, _) in pairwise(substantive):
            if a_to is None or b_from < a_to:
                holder = a.person_name if isinstance(a, Appointed) else "someone"
                yield _pair(
                    self.label,
                    b,
                    a,
                    f"already has a substantive holder on {b.effective} ({holder}, from "
                    f"{a.effective}); flag the appointment interim or acting, or end the other first",
                )


class Person(Entity):
    entity_type: ClassVar[EntityType] = "person"
    # Appointments are checked on the post; nothing establishes or closes a person.
    needs_timeline: ClassVar[bool] = False


class Function(Entity):
    entity_type: ClassVar[EntityType] = "function"
    # Headcounts are checked on the bodies; nothing establishes or closes a function, which a
    # national ledger touches with every transfer of, say, IT staff.
    needs_timeline: ClassVar[bool] = False


ENTITY_CLASSES: dict[str, type[Entity]] = {
    "organisation": Organisation,
    "post": Post,
    "person": Person,
    "function": Function,
}


def new_entity(entity: str, id_: UUID) -> Entity:
    return ENTITY_CLASSES[entity](id_)


def blame(conflict: Conflict, change_id: UUID) -> Conflict:
    """Phrase a pair conflict from the side of the change being recorded."""
    if isinstance(conflict, _PairConflict) and conflict.this is not None:
        if conflict.other is not None and conflict.other.change_id == change_id:
            return Conflict(conflict.subject, conflict.problem, conflict.this)
        return Conflict(conflict.subject, conflict.problem, conflict.other)
    return conflict


__all__ = [
    "ENTITY_CLASSES",
    "Conflict",
    "DomainError",
    "Entity",
    "Function",
    "Merged",
    "Organisation",
    "Party",
    "Person",
    "Post",
    "Split",
    "blame",
    "new_entity",
]
