"""How a kind of change is declared, and what is derived from a declaration.

A declaration (`Kind`) is plain data: the fields a user gives (`Field`), the part each party plays
(`Part`), the rows the change asserts (`Row`), the entity it names (`Names`) and its summary
sentence; a kind whose logic is its own names a hook function in its declaration instead. From a
declaration come the command model, the event's parties, the event built from a command, the
read model's rows, what an aggregate keeps of the change, the replay oracle's reading of it, its
summary and its `ledger record` command. The declarations are in `kinds.py`.

Plain dataclasses: importing this module builds no pydantic model, so a question that summarises
changes, or `ledger record --help`, does not pay for the event classes. They are not frozen, which
would make each slower to define; a declaration is a constant all the same. The module is not split
because each reading of a declaration (its parties, rows, summary, event) is a method of `Kind`.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, Literal, Protocol
from uuid import UUID

EntityType = Literal["organisation", "post", "person", "function"]
# The entities whose invariants read their history (a body's lifetime, memberships, headcounts; a
# post's appointments). Nothing establishes or closes a person or a function, so a change to one is
# checked on the bodies and posts it names, and the ledger keeps no history index for them.
WITH_HISTORY: frozenset[str] = frozenset({"organisation", "post"})

# How a change bears on one aggregate's lifetime.
Role = Literal["establishes", "attests", "closes", "acts", "ends", "mentions"]
# establishes: the aggregate begins on the date; attests: it existed on the date (founding unknown);
# closes: it ends on the date (not in force from then on); acts: something happens to it while in force;
# ends: something of it ends, allowed up to and on its closing date; mentions: no bearing on its lifetime.


@dataclass(frozen=True)
class Party:
    entity: EntityType
    id: UUID
    role: Role


Get = Callable[[str], Any]  # a change's field by name: an event's attribute, or a stored value
Ident = Callable[[Any], Any]  # an id as its reader keeps it (the read model: hex)
Namer = Callable[[Any], str]  # an id's name, for a summary


def _same(value: Any) -> Any:
    return value


# What a user writes for a field: a name (of a body, post, person or function, or a short word
# such as a kind), free text, several names, one of a few words, a flag, a count or codes.
Value = Literal["name", "text", "names", "choice", "flag", "count", "codes"]
# How a name becomes an id: found among the known ones, made for a new entity, or either.
Resolve = Literal["find", "new", "find_or_new"]
# What an event field holds, as tests/unit/test_kinds.py reads it off the event class. Relations
# are (subject id, relation, object id) triples: the relationships a succession carries over.
Stores = Literal["id", "ids", "text", "flag", "count", "codes", "parties", "relations"]
# One relationship between two bodies, as a `relations` field stores it.
Relation = tuple[UUID, str, UUID]


@dataclass(eq=False)
class Field:
    """One thing a user gives for a change: `key` in a change file, a positional argument of
    `ledger record` (no `flag`) or an option, and how it is stored in the event."""

    key: str
    value: Value = "name"
    help: str = ""
    flag: str | None = None
    required: bool = True
    refers: EntityType | None = None  # a name resolved to the id of such an entity
    resolve: Resolve = "find"
    within: str | None = None  # a post is named within the organisation given in this field
    codes: str | None = None  # the field whose codes may identify the body (find_or_new)
    stored: bool = True  # False: only a hook reads it
    event: str | None = None  # the event field it is stored in (default: key)
    keeps: str | None = None  # an event field that keeps the name as written, beside its id
    minimum: int | None = None  # a count's least value
    choices: tuple[str, ...] = ()  # a choice's words; for a name, the words it must be one of
    introduces: bool = False  # its names may bring new bodies into the ledger (merged, split)

    @property
    def attr(self) -> str:
        """The command model's attribute (a Python keyword gets a trailing underscore)."""
        return self.key + "_" if keyword.iskeyword(self.key) else self.key

    @property
    def param(self) -> str:
        """The `ledger record` command's parameter: the key, or the option's name."""
        if self.flag is None:
            return self.key
        name = self.flag.lstrip("-").replace("-", "_")
        return name + "_" if keyword.iskeyword(name) else name

    @property
    def many(self) -> bool:
        """Given several times on the command line."""
        return self.value in ("names", "codes")

    @property
    def event_field(self) -> str:
        return self.event or self.key

    def stores(self) -> Iterator[EventField]:
        """The event fields this field is stored in."""
        if not self.stored:
            return
        if self.refers is not None:
            yield EventField(
                self.event_field, "ids" if self.value == "names" else "id", self.required
            )
            if self.keeps:
                yield EventField(self.keeps, "text", self.required)
        elif self.value in ("flag", "codes"):
            yield EventField(self.event_field, self.value, False)
        else:
            found: Stores = "count" if self.value == "count" else "text"
            yield EventField(self.event_field, found, self.required)


@dataclass(eq=False)
class EventField:
    """A field of the stored event: what it holds, and whether an event must give it."""

    name: str
    stores: Stores
    required: bool = True
    refers: EntityType | None = None  # the entities a made field names (a part may play them)


@dataclass(eq=False)
class Part:
    """The part the entity (or entities) in an event field plays in the change: its `role`, or
    `then` where `when` holds (a flag that is set, or a field of ids that holds this one)."""

    field: str
    role: Role
    when: str | None = None
    then: Role | None = None


@dataclass(eq=False)
class Const:
    """A value a row keeps as it is, where a string would name an event field."""

    value: Any


@dataclass(eq=False)
class Row:
    """A row the change asserts in the read model, about the entity (or each entity) in `subject`:
    `aspect` (or `then` where the flag `when` is set), the id in `other`, the value in `value` and
    `extra` kept beside them, each named by its event field (or a `Const`). A value that is codes
    gives a row per code. Aggregates and the replay oracle read the same rows (model.py and
    replay.py say what each aspect means to them)."""

    aspect: str
    subject: str
    other: str | None = None
    value: str | Const | None = None
    extra: Mapping[str, str | Const] = field(default_factory=dict)
    when: str | None = None
    then: str | None = None


@dataclass(eq=False)
class Names:
    """An entity the change names: the read model learns its id, name, codes and parent (a post's
    organisation), and its aggregate keeps the name. Another name (`other`: an alias, a
    designation) finds the entity but does not replace what it is called."""

    entity: EntityType
    id: str
    name: str
    codes: str | None = None
    parent: str | None = None
    other: bool = False


@dataclass(slots=True)
class Assertion:
    """One row a change asserts (the read model's `ledger_facts` row, before its dates)."""

    subject: Any
    aspect: str
    other: Any = None
    value: Any = None
    extra: dict[str, Any] | None = None


# Headcount moves on one day apply in this order: what was recorded there, then arrivals, then
# departures. A move is (order, function id, count, function name as written).
LEVEL, ARRIVES, LEAVES = 0, 1, 2
Move = tuple[int, Any, int, str]


class Find(Protocol):
    """What building an event from a command asks of the ledger's names (the application's
    resolver): each raises the application's own error for a name it cannot resolve."""

    def known(self, entity: EntityType, text: str, *, within: UUID | None = None) -> UUID: ...

    def maybe(self, entity: EntityType, text: str, *, introducing: bool = False) -> UUID | None: ...

    def by_codes(self, codes: Mapping[str, str]) -> UUID | None: ...

    def new(
        self,
        entity: EntityType,
        text: str,
        *,
        within: UUID | None = None,
        codes: Mapping[str, str] | None = None,
    ) -> UUID: ...

    def kind_of(self, organisation: UUID) -> str | None: ...

    def member_of(self, organisation: UUID, day: date) -> list[UUID]:
        """The bodies the organisation was a member of on the day, as recorded (plans aside)."""
        ...

    def related(self, organisation: UUID, day: date) -> list[Relation]:
        """The relationships in force on the day (as recorded, plans aside) in which the
        organisation is the subject or the object, as (subject, relation, object)."""
        ...

    def in_force(self, organisation: UUID, day: date) -> bool:
        """Whether the organisation has not closed by the day, as recorded (plans aside)."""
        ...


# What a part becomes where the change's date is observed (by:, as-at:): the body existed then,
# its beginning unknown (as a body `established --on-or-before` a date).
_OBSERVED: dict[Role, Role] = {"establishes": "attests"}


def observed(get: Get) -> bool:
    """Whether the change's date shows a state holding then, its beginning unknown (`by:` or
    `as-at:`), read off the change as its reader holds it (an `Effective`, or its stored text)."""
    value = get("effective")
    if isinstance(value, str):
        return value.startswith(("by:", "as-at:"))
    return bool(getattr(value, "observed", False))


class BadChange(Exception):
    """A change whose own fields rule it out (refused: it contradicts what the ledger holds)."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


Build = Callable[[Find, Any], dict[str, Any]]
Summary = str | Callable[[Mapping[str, Any], Namer], str]


@dataclass(eq=False)
class Kind:
    """One kind of change, declared once. A hook replaces the declarative form of `parties`,
    `rows` or `summary`, or builds the event (`build`), where the kind's logic is its own."""

    name: str
    event: str  # the event class in events.py
    command: str | None  # the command model in commands.py; None: not recorded as a change
    blurb: str = ""  # `ledger record KIND --help`, first line
    example: str = ""  # `ledger record KIND --help`: one command, run by the tests
    fields: tuple[Field, ...] = ()
    made: tuple[EventField, ...] = ()  # event fields a hook makes, not given by the user
    parties: tuple[Part, ...] | Callable[[Get], list[Party]] = ()
    rows: tuple[Row, ...] | Callable[[Get, Ident], list[Assertion]] = ()
    names: tuple[Names, ...] = ()
    summary: Summary = ""
    build: Build | None = None
    moves: Callable[[Get, Any, Ident], tuple[Move, ...]] | None = None  # headcounts moved on a body
    # Whether its date may be an observation (`as-at:`): the change records a state a source saw
    # (a body in force, a name, a membership, a holder), not only an event that happened then.
    observable: bool = False
    apart: tuple[str, str] | None = None  # two fields that must name different bodies
    # Its summary names the bodies it touches as they were called just before it took effect (a
    # rename says what it renamed), not by the name they are listed under.
    names_before: bool = False

    @property
    def cli_name(self) -> str:
        return self.name.replace("_", "-")

    @cached_property
    def event_fields(self) -> dict[str, EventField]:
        """The kind's own fields of the stored event (besides every event's)."""
        found = {f.name: f for field_ in self.fields for f in field_.stores()}
        found.update((f.name, f) for f in self.made)
        return found

    @cached_property
    def introducing(self) -> tuple[Field, ...]:
        """The fields whose names may bring new bodies into the ledger."""
        return tuple(f for f in self.fields if f.introduces)

    # --- parties ---------------------------------------------------------------------------
    @cached_property
    def _parts(self) -> tuple[tuple[str, EntityType, Role, str | None, Role | None, Stores], ...]:
        assert not callable(self.parties)
        entities = {f.event_field: f.refers for f in self.fields if f.refers is not None}
        entities |= {f.name: f.refers for f in self.made if f.refers is not None}
        return tuple(
            (
                part.field,
                entities[part.field],
                part.role,
                part.when,
                part.then,
                self.event_fields[part.field].stores,
            )
            for part in self.parties
        )

    @cached_property
    def _plain_parts(self) -> tuple[tuple[str, EntityType, Role], ...] | None:
        """The parts, if each is one entity playing one role (most kinds)."""
        if any(kept != "id" or when is not None for _, _, _, when, _, kept in self._parts):
            return None
        return tuple((name, entity, role) for name, entity, role, _, _, _ in self._parts)

    def parties_of(self, get: Get) -> list[Party]:
        """Every entity the change touches, with the part it plays, in declared order. A change
        whose date is observed (`by:`, `as-at:`) shows a body existing then: it attests the body
        rather than establishing it."""
        if callable(self.parties):
            return self.parties(get)
        plain = self._plain_parts
        if plain is not None:
            found = [Party(entity, get(name), role) for name, entity, role in plain]
        else:
            found = self._parties_switched(get)
        if observed(get):
            return [Party(p.entity, p.id, _OBSERVED.get(p.role, p.role)) for p in found]
        return found

    def _parties_switched(self, get: Get) -> list[Party]:
        """The parties where a part may be several entities, or play another role where its
        switch (`when`) holds. The bodies of a part that is relations are those at either end
        of them that no earlier part names (a succession's successor is one end of each)."""
        found: list[Party] = []
        for name, entity, role, when, then, kept in self._parts:
            value = get(name)
            many = kept == "ids"
            if kept == "relations":
                named = {str(p.id) for p in found}
                for subject, _, object_ in value:
                    for one in (subject, object_):
                        if str(one) not in named:
                            named.add(str(one))
                            found.append(Party(entity, one, role))
                continue
            if when is None or then is None:
                if many:
                    found += [Party(entity, one, role) for one in value]
                else:
                    found.append(Party(entity, value, role))
                continue
            switch = get(when)
            for one in value if many else (value,):
                holds = one in switch if isinstance(switch, list | tuple) else switch
                found.append(Party(entity, one, then if holds else role))
        return found

    # --- rows --------------------------------------------------------------------------------
    @cached_property
    def _rows(self) -> tuple[_Compiled, ...]:
        """The declared rows, each with what reading it needs worked out once."""
        assert not callable(self.rows)
        types = self.event_fields

        def reader(source: str | Const | None) -> _Reader:
            if source is None or isinstance(source, Const):
                return None, source.value if source else None, None
            return source, None, types[source].stores

        return tuple(
            (
                row.aspect,
                row.when,
                row.then,
                row.subject,
                types[row.subject].stores == "ids",
                row.other,
                reader(row.value),
                tuple((key, reader(source)) for key, source in row.extra.items()) or None,
            )
            for row in self.rows
        )

    @cached_property
    def _rows_about(self) -> dict[frozenset[str], tuple[_Compiled, ...]]:
        return {}

    def assertions(
        self, get: Get, ident: Ident = _same, aspects: frozenset[str] | None = None
    ) -> list[Assertion]:
        """The rows the change asserts (those of `aspects`, if given), ids passed through `ident`."""
        if callable(self.rows):
            found = self.rows(get, ident)
            if observed(get):  # as below: a body seen by the date, not founded then
                found = [
                    Assertion(r.subject, "attest", r.other, r.value, r.extra)
                    if r.aspect == "start"
                    else r
                    for r in found
                ]
            return found if aspects is None else [r for r in found if r.aspect in aspects]
        rows = self._rows
        if aspects is not None:
            about = self._rows_about.get(aspects)
            if about is None:
                about = self._rows_about[aspects] = tuple(
                    r for r in rows if r[0] in aspects or r[2] in aspects
                )
            rows = about
        found = []
        seen = observed(get)
        for aspect, when, then, subject, many, other, value, extra in rows:
            if when is not None and then is not None and get(when):
                aspect = then
            if seen and aspect == "start":
                aspect = "attest"
            if aspects is not None and aspect not in aspects:
                continue
            said = _read(value, get, ident)
            kept = {key: _read(source, get, ident) for key, source in extra} if extra else None
            other_id = ident(get(other)) if other is not None else None
            given = get(subject)
            for one in given if many else (given,):
                if value[2] == "codes":
                    found += [
                        Assertion(ident(one), aspect, other_id, code, {"scheme": scheme})
                        for scheme, code in sorted(said.items())
                    ]
                else:
                    found.append(Assertion(ident(one), aspect, other_id, said, kept))
        return found

    def named(
        self, get: Get, ident: Ident = _same
    ) -> Iterator[tuple[Any, EntityType, str, Any, list[tuple[str, str | None]]]]:
        """(id, entity type, name, parent, [(name or code, scheme)]) for each entity it names."""
        for names in self.names:
            name = get(names.name)
            labels: list[tuple[str, str | None]] = [(name, None)]
            if names.codes is not None:
                labels += [(code, scheme) for scheme, code in sorted(get(names.codes).items())]
            parent = ident(get(names.parent)) if names.parent is not None else None
            yield ident(get(names.id)), names.entity, name, parent, labels

    def name_given(
        self, get: Get, entity: EntityType, entity_id: Any, ident: Ident = _same
    ) -> str | None:
        """The name the change gives this entity (`entity_id`, as `ident` gives ids), if any."""
        for names in self.names:
            if names.entity == entity and not names.other and ident(get(names.id)) == entity_id:
                return str(get(names.name))
        return None

    # --- summary -----------------------------------------------------------------------------
    def sentence(self, data: Mapping[str, Any], name: Namer) -> str:
        """One line saying what the change did, in words, from its stored fields. A template names
        the ids in its fields; a part in [brackets] shows only where its fields are given."""
        if callable(self.summary):
            return self.summary(data, name)
        said = [self._said(part, data, name) for part in _bracketed(self.summary)]
        return "".join(part for part in said if part is not None)

    def _said(self, template: str, data: Mapping[str, Any], name: Namer) -> str | None:
        optional = template.startswith("[")
        if optional:
            template = template[1:-1]
        values: dict[str, Any] = {}
        for key in _PLACEHOLDER.findall(template):
            given = data[key]
            if optional and (given is None or given == ""):
                return None
            kept = self.event_fields[key].stores
            if kept == "id":
                given = name(given)
            elif kept == "ids":
                given = ", ".join(name(one) for one in given)
            elif kept == "relations":
                given = relations_said(given, name)
            values[key] = given
        return template.format_map(values)

    # --- building the event ------------------------------------------------------------------
    @cached_property
    def _resolution_order(self) -> tuple[Field, ...]:
        """The fields others are named within first (a post's organisation), then the others."""
        first = {f.within for f in self.fields if f.within}
        return tuple(
            [f for f in self.fields if f.key in first]
            + [f for f in self.fields if f.key not in first]
        )

    def make(self, find: Find, request: Any) -> dict[str, Any]:
        """The event's own fields from a command: names resolved to ids in `find`."""
        effective = getattr(request, "effective", None)
        if effective is not None and effective.evidence == "as-at" and not self.observable:
            raise BadChange(
                f"{self.name}: as-at:{effective.day_text()} records a state seen on a date, and a "
                f"{self.name} change is an event: give its date exact, by: or after: "
                "(docs/evidence.md)"
            )
        if self.build is not None:
            return self.build(find, request)
        made: dict[str, Any] = {}
        ids: dict[str, UUID] = {}
        for f in self._resolution_order:
            given = getattr(request, f.attr)
            if not f.stored:
                continue
            entity = f.refers
            if entity is None:
                made[f.event_field] = given
                continue
            if f.keeps:
                made[f.keeps] = given
            if given is None:
                made[f.event_field] = None
            elif f.value == "names":
                made[f.event_field] = tuple(find.known(entity, one) for one in given)
            else:
                within = ids[f.within] if f.within else None
                if f.resolve == "find":
                    found = find.known(entity, given, within=within)
                elif f.resolve == "new":
                    found = find.new(entity, given, within=within)
                else:
                    codes = getattr(request, f.codes) if f.codes else None  # a key, not a keyword
                    found = (
                        find.maybe(entity, given)
                        or (find.by_codes(codes) if codes is not None else None)
                        or find.new(entity, given, within=within, codes=codes)
                    )
                ids[f.key] = made[f.event_field] = found
        if self.apart is not None:
            first, second = (self.field(key) for key in self.apart)
            if made[first.event_field] == made[second.event_field]:
                raise BadChange(
                    f"refused {self.name}: '{first.key}' and '{second.key}' are the same body "
                    f"({getattr(request, first.attr)!r}); it moves from one body to another",
                    refused=True,
                )
        return made

    def field(self, key: str) -> Field:
        return next(f for f in self.fields if f.key == key)


# How a row reads a value: (event field, or None for a constant; the constant; what the field
# holds: ids are passed through the reader's `ident`).
_Reader = tuple[str | None, Any, str | None]
# A declared row worked out: (aspect, when, then, subject, several subjects?, other, value, extra).
_Compiled = tuple[
    str,
    str | None,
    str | None,
    str,
    bool,
    str | None,
    _Reader,
    tuple[tuple[str, _Reader], ...] | None,
]


def _read(reader: _Reader, get: Get, ident: Ident) -> Any:
    """A row's value (or one of its extra values)."""
    source, constant, stores = reader
    if source is None:
        return constant
    given = get(source)
    if stores == "ids":
        return [ident(one) for one in given]
    if stores == "relations":
        return [[ident(subject), relation, ident(object_)] for subject, relation, object_ in given]
    if stores == "id" and given is not None:
        return ident(given)
    return given


def relations_said(relations: Any, name: Namer) -> str:
    """Relationships in words: "A hosts B; C part_of D"."""
    return "; ".join(f"{name(s)} {relation} {name(o)}" for s, relation, o in relations)


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _bracketed(template: str) -> list[str]:
    """A summary template cut into its plain parts and its [optional] parts."""
    parts: list[str] = []
    rest = template
    while "[" in rest:
        before, _, after = rest.partition("[")
        inside, _, rest = after.partition("]")
        parts += [before, f"[{inside}]"]
    parts.append(rest)
    return [p for p in parts if p]
