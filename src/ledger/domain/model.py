"""Aggregates: organisations, posts, people and functions, each keeping its whole effective-dated timeline.

An aggregate holds an entry for every change that touches it, keyed by change id (a correction replaces
the entry it supersedes; a retraction removes it), and checks its invariants over that timeline whatever
order the changes were recorded in. A violation names the earlier change it conflicts with. An entry keeps
only what the invariants and the aggregate's name read, not the whole event, so a process can hold the
aggregates of a national ledger in memory instead of replaying them from the store. A change is stored
once (see events.py); an aggregate's history is the changes `ledger_parties` lists for it.

One module, though over 400 lines: the four kinds of aggregate share the entry, the lifetime check
(`_Span`, `_lifetime_conflicts`), the pairing of openings and closings (`_periods`) and the phrasing of
a conflict from the side of the change being recorded (`blame`); split by aggregate, each part would
import all of them back.
"""

from __future__ import annotations

import json
from bisect import insort
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import Any, ClassVar
from uuid import UUID

from ledger.domain.dates import Effective, parse_stored
from ledger.domain.declaration import (
    ARRIVES,
    LEAVES,
    LEVEL,
    WITH_HISTORY,
    EntityType,
    Move,
    Party,
    Role,
)
from ledger.domain.ids import fold
from ledger.domain.kinds import KINDS
from ledger.domain.stored import StoredChange, hex_id


class DomainError(Exception):
    """A change the recorded history does not allow."""


@dataclass
class Conflict(DomainError):
    """A change contradicts another change in the timeline of one aggregate."""

    subject: str
    problem: str
    other: Entry | None = None

    def __str__(self) -> str:
        text = f"{self.subject}: {self.problem}"
        if self.other is not None:
            text += f" (conflicts with change {describe(self.other)})"
        return text


def describe(change: Entry) -> str:
    return f"{change.handle!r}, {change.kind} effective {change.effective}"


@dataclass(slots=True, eq=False)
class Entry:
    """What an aggregate keeps of one change in its timeline: what the invariants, the messages
    that name the change and the aggregate's name read. The fields past `role` are set only by
    the kinds of change they concern, and only as they bear on this aggregate; ids are hex, as
    the read model keeps them. It is also the row `ledger_parties` keeps for the aggregate (`row`,
    `from_row`): the write path reads a history back as these rows, not as the changes."""

    change_id: str
    kind: str
    label: str | None
    effective: Effective
    timestamp: datetime
    planned: bool
    role: Role
    name: str | None = (
        None  # the name it gives an organisation (established, renamed) or a post's title
    )
    org_kind: str | None = None  # the kind it gives an organisation (established, reclassified)
    introduced: tuple[str, str] | None = None  # (name, kind) of this body, brought in by the change
    # (what it begins or ends, begins?) for each membership, relationship, other name or
    # appointment it begins or ends here (a succession may carry several over to one body).
    periods: tuple[tuple[Any, bool], ...] = ()
    holder: str | None = None  # who an appointment appoints
    substantive: bool = False  # an appointment neither interim, acting nor shadow
    moves: tuple[Move, ...] = ()  # headcount (order, function, count, name), see declaration.Move

    @property
    def handle(self) -> str:
        """How people refer to the change: its label, else the first 8 hex digits of its id."""
        return self.label or self.change_id[:8]

    def row(self) -> str:
        """The entry as the text `ledger_parties` keeps (its change id is a column of its own)."""
        return _row_json(
            [
                self.kind,
                self.label,
                str(self.effective),
                self.timestamp.isoformat(),
                self.planned,
                self.role,
                self.name,
                self.org_kind,
                self.introduced,
                _periods_kept(self.periods),
                self.holder,
                self.substantive,
                self.moves,
            ]
        )

    @classmethod
    def from_row(cls, change_id: str, text: str) -> Entry:
        (kind, label, effective, stamp, planned, role, name, org_kind, introduced, period,
         holder, substantive, moves) = json.loads(text)  # fmt: skip
        return cls(
            change_id,
            kind,
            label,
            parse_stored(effective),
            datetime.fromisoformat(stamp),
            planned,
            role,
            name,
            org_kind,
            tuple(introduced) if introduced is not None else None,
            _periods_read(period),
            holder,
            substantive,
            tuple(tuple(move) for move in moves),
        )


def _periods_kept(periods: tuple[tuple[Any, bool], ...]) -> Any:
    """The periods as a row keeps them: none, one as a pair (as rows always held it), or a list."""
    if not periods:
        return None
    return periods[0] if len(periods) == 1 else periods


def _periods_read(kept: Any) -> tuple[tuple[Any, bool], ...]:
    if kept is None:
        return ()
    pairs = [kept] if isinstance(kept[1], bool) else kept  # one pair, or a list of them
    return tuple(
        (tuple(about) if isinstance(about, list) else about, begins) for about, begins in pairs
    )


_row_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_RETRACTED = "retracted"


class Entity:
    """Base aggregate: an id, how many changes it has taken in (`version`), and the timeline."""

    entity_type: ClassVar[EntityType]
    # Whether an invariant can look at the timeline. Where none can, the ledger appends to the
    # aggregate knowing only its version, so the cost of a change does not grow with its history.
    needs_timeline: ClassVar[bool] = True

    def __init__(self, id_: UUID) -> None:
        self.id = id_
        self.key = id_.hex  # as the read model and the changes' rows name it
        self.version = 0
        self.entries: dict[str, Entry] = {}
        # The entries in effective order, kept as changes are applied (a check reads it for every
        # change recorded, and sorting a long history each time was most of the cost), and the
        # planned ones, which the timeline leaves out.
        self._ordered: list[Entry] | None = []
        self._planned: set[str] = set()
        # What the lifetime check needs of `_ordered`, kept as entries are added (see `_Span`).
        self._span: _Span | None = _Span()

    # --- event sourcing -------------------------------------------------------------------
    def apply(self, change: StoredChange) -> None:
        """Take a change into the timeline (as stored, or as it is being recorded)."""
        if self.needs_timeline:
            for key, removes, entry in timeline_rows(change):
                if key == self.key:
                    self.take(removes, entry)
                    return
        self.take(*self.effect(change, self.key, self.role_of(change)))

    @classmethod
    def effect(
        cls, change: StoredChange, key: str, role: Role | None
    ) -> tuple[str | None, Entry | None]:
        """What a change does to the timeline of the aggregate `key`, which it touches in `role`:
        the change it takes out (the one it corrects or retracts) and the entry it adds."""
        d = change.data
        if change.kind == _RETRACTED:
            return hex_id(d["retracts"]), None
        removes = hex_id(d["supersedes"]) if d["supersedes"] is not None else None
        if role is None:
            return removes, None
        entry = Entry(
            change.change_id,
            change.kind,
            d["label"],
            parse_stored(d["effective"]),
            datetime.fromisoformat(d["timestamp"]),
            d["status"] == "planned",
            role,
        )
        cls._fill(entry, change, key)
        return removes, entry

    @classmethod
    def _fill(cls, entry: Entry, change: StoredChange, key: str) -> None:
        """Copy into the entry what this kind of aggregate's invariants and name read of it."""

    def take(self, removes: str | None, entry: Entry | None) -> None:
        """Take in what one change does to the timeline (see `effect`), or a row read back."""
        self.version += 1
        if removes is not None:
            self._remove(removes)
        if entry is not None:
            if entry.change_id in self.entries:
                self._ordered = self._span = None
            elif self._ordered is not None:
                insort(self._ordered, entry, key=_effective_order)
                if self._span is not None:
                    self._span.add(entry)
            self.entries[entry.change_id] = entry
            if entry.planned:
                self._planned.add(entry.change_id)

    def _remove(self, change_id: str) -> None:
        if self.entries.pop(change_id, None) is not None:
            self._ordered = self._span = None
            self._planned.discard(change_id)

    def record(self, change: StoredChange) -> None:
        """Take a change being recorded into the timeline, to be checked (`check`)."""
        if not self.needs_timeline and self.role_of(change) in ("establishes", "closes"):
            # Only a lifetime could be checked here, and nothing gave this kind one until now.
            raise DomainError(f"a {self.entity_type} cannot be established or closed")
        self.apply(change)

    # --- timeline -------------------------------------------------------------------------
    def role_of(self, change: StoredChange) -> Role | None:
        for party in change.parties():
            if party.entity == self.entity_type and hex_id(party.id) == self.key:
                return party.role
        return None

    def timeline(self, *, including: str | None = None) -> list[Entry]:
        """Changes that happened (and the one being checked, even if planned), in effective order.
        The list is the aggregate's own when nothing is left out: read it, do not change it."""
        if self._ordered is None:
            self._ordered = sorted(self.entries.values(), key=_effective_order)
            self._span = _Span()
            for entry in self._ordered:
                self._span.add(entry)
        if not self._planned or self._planned == {including}:
            return self._ordered
        return [e for e in self._ordered if not e.planned or e.change_id == including]

    @property
    def label(self) -> str:
        return f"{self.entity_type} {self.id}"

    def conflicts(self, including: str | None = None) -> Iterator[Conflict]:
        yield from self._lifetime_conflicts(self.timeline(including=including))

    def check(self, change_id: str) -> None:
        """Raise the first conflict that involves the given change, phrased from its side."""
        found = list(self.conflicts(including=change_id))
        if found:
            involved = [c for c in found if _involves(c, change_id)]
            raise blame((involved or found)[0], change_id)

    def _lifetime_conflicts(self, timeline: list[Entry]) -> Iterator[Conflict]:
        if timeline is self._ordered and self._span is not None and self._span.clear():
            return  # the walk below would find nothing: no need to walk a long history
        roles = [(e, e.role) for e in timeline]
        starts = [e for e, role in roles if role == "establishes"]
        ends = [e for e, role in roles if role == "closes"]
        noun = self.entity_type
        if len(starts) > 1:
            first, again = starts[0], starts[1]
            yield _pair(
                self.label,
                again,
                first,
                f"{noun} already established on {first.effective}",
                reverse=f"{noun} already established on {again.effective}; "
                "to move that date, correct that change (`ledger correct`)",
            )
        if len(ends) > 1:
            yield _pair(
                self.label,
                ends[1],
                ends[0],
                f"{noun} already closed on {ends[0].effective}",
                reverse=f"{noun} already closed on {ends[1].effective}; "
                "to move that date, correct that change (`ledger correct`)",
            )
        start = starts[0] if starts else None
        end = ends[0] if ends else None
        if start and end and end.effective.start <= start.effective.start:
            yield _pair(
                self.label,
                end,
                start,
                f"not yet established on {end.effective}: established {start.effective}",
                reverse=f"already closed on {end.effective}",
            )
        for e, role in roles:
            d = e.effective.start
            if role in ("acts", "ends", "attests") and start and d < start.effective.start:
                yield _pair(
                    self.label,
                    e,
                    start,
                    f"{e.kind} on {e.effective}, before it was established on {start.effective}",
                    reverse=(
                        f"already established on {e.effective}"
                        if e.kind == "established"
                        else f"already in the record on {e.effective} ({e.kind}), "
                        f"before an establishment on {start.effective}"
                    ),
                )
            if (role in ("acts", "attests") and end and d >= end.effective.start) or (
                role == "ends" and end and d > end.effective.start
            ):
                yield _pair(
                    self.label,
                    e,
                    end,
                    f"{e.kind} on {e.effective} after it closed on {end.effective}",
                    reverse=(
                        f"not yet established on {end.effective}: established {e.effective}"
                        if e.kind == "established"
                        else f"closed on {end.effective}, before its {e.kind} on {e.effective}"
                    ),
                )


class _Span:
    """A timeline's lifetime in brief, kept as entries are added: how many changes establish and
    close the aggregate, the first of each, and the earliest and latest dates of the changes that
    act on it. When these show no conflict, the lifetime walk over the whole timeline would find
    none either, so the check of a change to a body with a long history does not grow with it."""

    __slots__ = ("end", "ends", "first_use", "last_act", "last_end", "start", "starts")

    def __init__(self) -> None:
        self.starts = self.ends = 0
        self.start: date | None = None
        self.end: date | None = None
        self.first_use: date | None = None  # acts, ends, attests
        self.last_act: date | None = None  # acts, attests
        self.last_end: date | None = None  # ends

    def add(self, entry: Entry) -> None:
        d, role = entry.effective.start, entry.role
        if role == "establishes":
            self.starts += 1
            self.start = d if self.start is None else min(self.start, d)
        elif role == "closes":
            self.ends += 1
            self.end = d if self.end is None else min(self.end, d)
        elif role in ("acts", "ends", "attests"):
            self.first_use = d if self.first_use is None else min(self.first_use, d)
            if role == "ends":
                self.last_end = d if self.last_end is None else max(self.last_end, d)
            else:
                self.last_act = d if self.last_act is None else max(self.last_act, d)

    def clear(self) -> bool:
        """Whether `_lifetime_conflicts` would find nothing in the timeline summed up here."""
        if self.starts > 1 or self.ends > 1:
            return False
        start, end = self.start, self.end
        if start is not None:
            if end is not None and end <= start:
                return False
            if self.first_use is not None and self.first_use < start:
                return False
        if end is not None:
            if self.last_act is not None and self.last_act >= end:
                return False
            if self.last_end is not None and self.last_end > end:
                return False
        return True


def _effective_order(entry: Entry) -> tuple[date, datetime]:
    return (entry.effective.start, entry.timestamp)


def _involves(conflict: Conflict, change_id: str) -> bool:
    if isinstance(conflict, _PairConflict):
        return any(
            c is not None and c.change_id == change_id for c in (conflict.this, conflict.other)
        )
    return True


def _pair(
    subject: str, event: Entry, other: Entry, problem: str, *, reverse: str | None = None
) -> Conflict:
    """A conflict between two changes, blamed on whichever the caller is checking: `problem` as
    the side of `event` sees it, `reverse` (where it reads otherwise) as the side of `other`."""
    return _PairConflict(subject, problem, other, this=event, reverse=reverse)


@dataclass
class _PairConflict(Conflict):
    this: Entry | None = None
    reverse: str | None = None


def _periods(
    opens: list[Entry], closes: list[Entry], subject: str, what: str
) -> tuple[list[tuple[Entry, Entry | None]], list[Conflict]]:
    """Pair start and end changes of one membership/appointment into periods, in effective order."""
    conflicts: list[Conflict] = []
    periods: list[tuple[Entry, Entry | None]] = []
    marks = [(e.effective.start, 1, e) for e in opens] + [(e.effective.start, 0, e) for e in closes]
    marks.sort(key=lambda m: (m[0], m[1], m[2].timestamp))
    current: Entry | None = None
    for _, is_open, e in marks:
        if is_open:
            if current is not None and e.effective.evidence == "as-at":
                continue  # a source saw it holding on its day: evidence of it, not a new start
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

    def take(self, removes: str | None, entry: Entry | None) -> None:
        super().take(removes, entry)
        if removes is not None or (
            entry is not None and (entry.name is not None or entry.introduced is not None)
        ):
            self._named = None  # what the name is read from (`_name`) may have changed

    @classmethod
    def _fill(cls, entry: Entry, change: StoredChange, key: str) -> None:
        kind = KINDS[change.kind]
        get = change.data.__getitem__
        entry.name = kind.name_given(get, "organisation", key, hex_id)
        for body in change.data["introduced"]:
            if hex_id(body["id"]) == key:
                entry.introduced = (body["name"], body["kind"])
                break
        # Memberships and relationships are checked on the body (or the relationship's object),
        # so each pair is checked once.
        for row in kind.assertions(get, hex_id, aspects=_ORGANISATION_ROWS):
            if row.aspect == "kind":
                if row.subject == key:
                    entry.org_kind = row.value
            elif row.aspect in _OTHER_NAMES:
                if row.subject == key:
                    family, begins = _OTHER_NAMES[row.aspect]
                    entry.periods += (((family, fold(row.value)), begins),)
            elif row.other == key:
                relation = row.value if row.aspect.startswith("rel_") else "member"
                entry.periods += (((relation, row.subject), row.aspect.endswith("_start")),)
        if kind.moves is not None:
            entry.moves = kind.moves(get, key, hex_id)

    @property
    def name(self) -> str:
        if self._named is None:
            self._named = self._name()
        return self._named

    def _name(self) -> str:
        name = None
        for e in self.timeline():
            if e.name is not None:
                name = e.name
            elif e.introduced is not None and name is None:
                name = e.introduced[0]
        if name is None:
            for e in self.entries.values():
                if e.introduced is not None:
                    return e.introduced[0]
                if e.kind == "established" and e.name is not None:
                    return e.name
        return name or str(self.id)

    @property
    def org_kind(self) -> str | None:
        kind = None
        for e in self.timeline():
            if e.org_kind is not None:
                kind = e.org_kind
            if e.introduced is not None:
                kind = kind or e.introduced[1]
        return kind

    @property
    def label(self) -> str:
        return self.name

    def conflicts(self, including: str | None = None) -> Iterator[Conflict]:
        timeline = self.timeline(including=including)
        yield from self._lifetime_conflicts(timeline)
        yield from self._membership_conflicts(timeline)
        yield from self._headcount_conflicts(timeline)

    def _membership_conflicts(self, timeline: list[Entry]) -> Iterator[Conflict]:
        groups: dict[Any, tuple[list[Entry], list[Entry]]] = {}
        for e in timeline:
            for key, begins in e.periods:
                groups.setdefault(key, ([], []))[not begins].append(e)
        for (relation, other), (opens, closes) in groups.items():
            if relation in ("alias", "designation"):
                what = f"{relation} {other!r}"
            else:
                what = "membership" if relation == "member" else f"relationship '{relation}'"
            _, found = _periods(opens, closes, self.label, what)
            yield from found

    def _headcount_conflicts(self, timeline: list[Entry]) -> Iterator[Conflict]:
        levels: dict[str, tuple[int, Entry]] = {}
        moves: list[tuple[date, int, datetime, str, int, str, Entry]] = []
        for e in timeline:
            for order, function, count, name in e.moves:
                moves.append((e.effective.start, order, e.timestamp, function, count, name, e))
        moves.sort(key=lambda m: m[:3])
        for _, order, _, function, count, name, e in moves:
            if order == LEVEL:
                levels[function] = (count, e)
            elif order == ARRIVES and function in levels:
                level, basis = levels[function]
                levels[function] = (level + count, basis)
            elif order == LEAVES and function in levels:
                level, basis = levels[function]
                if count > level:
                    yield _pair(
                        self.label,
                        e,
                        basis,
                        f"cannot transfer {count} {name} staff on {e.effective}: "
                        f"only {level} recorded there",
                    )
                levels[function] = (level - count, basis)


# What an organisation keeps of the rows a change asserts (see declaration.Row): the kind it
# gives the body, the memberships and relationships it starts or ends, and the other names
# (aliases, designations) it begins or ends, each paired by the name as it is compared.
_OTHER_NAMES = {
    "alias_start": ("alias", True),
    "alias_end": ("alias", False),
    "desig_start": ("designation", True),
    "desig_end": ("designation", False),
}
_ORGANISATION_ROWS = frozenset(
    {"kind", "member_start", "member_end", "rel_start", "rel_end", *_OTHER_NAMES}
)


# What a post keeps of the rows a change asserts: the appointments it starts or ends (a start
# names the holder and says whether the appointment is interim, acting or shadow).
_POST_ROWS = frozenset({"appt_start", "appt_end"})
_FLAGS = ("interim", "acting", "shadow")


class Post(Entity):
    entity_type: ClassVar[EntityType] = "post"

    @classmethod
    def _fill(cls, entry: Entry, change: StoredChange, key: str) -> None:
        kind = KINDS[change.kind]
        get = change.data.__getitem__
        entry.name = kind.name_given(get, "post", key, hex_id)  # its title
        for row in kind.assertions(get, hex_id, aspects=_POST_ROWS):
            if row.subject == key:
                begins = row.aspect == "appt_start"
                entry.periods = ((row.other, begins),)
                if begins and row.extra is not None:
                    entry.holder = row.value
                    entry.substantive = not any(row.extra[f] for f in _FLAGS)

    @property
    def title(self) -> str:
        for e in self.entries.values():
            if e.kind == "post_created" and e.name is not None:
                return e.name
        return str(self.id)

    @property
    def label(self) -> str:
        return f"post {self.title!r}"

    def conflicts(self, including: str | None = None) -> Iterator[Conflict]:
        timeline = self.timeline(including=including)
        yield from self._lifetime_conflicts(timeline)
        by_person: dict[Any, tuple[list[Entry], list[Entry]]] = {}
        for e in timeline:
            for person, begins in e.periods:
                by_person.setdefault(person, ([], []))[not begins].append(e)
        substantive: list[tuple[Entry, date, date | None]] = []
        for opens, closes in by_person.values():
            periods, found = _periods(opens, closes, self.label, "appointment")
            yield from found
            for start, end in periods:
                if start.substantive:
                    substantive.append(
                        (start, start.effective.start, end.effective.start if end else None)
                    )
        substantive.sort(key=lambda p: p[1])
        for (a, _, a_to), (b, b_from, _) in pairwise(substantive):
            if a_to is None or b_from < a_to:
                holder = a.holder or "someone"
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


assert {e for e, c in ENTITY_CLASSES.items() if c.needs_timeline} == WITH_HISTORY


def timeline_rows(change: StoredChange) -> list[tuple[str, str | None, Entry | None]]:
    """What a change does to each timeline it touches, an organisation's or a post's, each once in
    party order: (the entity's key, the change it takes out, the entry it adds). These are the rows
    `ledger_parties` keeps, which the write path reads a history back from (see `Entity.take`)."""
    if change.timelines is not None:
        return change.timelines
    found: dict[str, tuple[str | None, Entry | None]] = {}
    for party in change.parties():
        if party.entity in WITH_HISTORY:
            key = hex_id(party.id)
            if key not in found:
                found[key] = ENTITY_CLASSES[party.entity].effect(change, key, party.role)
    change.timelines = [(key, removes, entry) for key, (removes, entry) in found.items()]
    return change.timelines


def new_entity(entity: str, id_: UUID) -> Entity:
    return ENTITY_CLASSES[entity](id_)


def blame(conflict: Conflict, change_id: str) -> Conflict:
    """Phrase a pair conflict from the side of the change being recorded."""
    if isinstance(conflict, _PairConflict) and conflict.this is not None:
        if conflict.other is not None and conflict.other.change_id == change_id:
            return Conflict(conflict.subject, conflict.reverse or conflict.problem, conflict.this)
        return Conflict(conflict.subject, conflict.problem, conflict.other)
    return conflict


__all__ = [
    "ENTITY_CLASSES",
    "Conflict",
    "DomainError",
    "Entity",
    "Function",
    "Organisation",
    "Party",
    "Person",
    "Post",
    "blame",
    "new_entity",
    "timeline_rows",
]
