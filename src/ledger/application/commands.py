"""Command models: a change as a user writes it (names, not ids), parsed and validated with pydantic;
its stable id, and the event it becomes once its names are resolved (`build_event`).

The model of each kind of change is made from its declaration (domain/kinds.py): the envelope
every change has (`Request`), the kind's name in `change`, then its fields in declared order.
The declaration also makes the event's fields from the command (`Kind.make`), asking the
resolver for the ids of the names it uses.

Over 400 lines: the envelope, the models built from the declarations, the amendments' and the
registry's commands and `build_event` share the validation messages written here (the user's
words for pydantic's), which a split would have to export.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import operator
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, cast
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
)

from ledger.application.errors import InvalidInput, Refused
from ledger.domain.dates import Effective
from ledger.domain.declaration import BadChange, EntityType, Kind
from ledger.domain.declaration import Field as Declared
from ledger.domain.events import CHANGE_CLASSES, ChangeEvent, SourceRef, SourceRegistered
from ledger.domain.ids import NAMESPACE, function_id, org_id, person_id, post_id
from ledger.domain.kinds import BODY_KINDS, RECORDED
from ledger.domain.kinds import KINDS as DECLARED
from ledger.domain.matching import not_one_of

if TYPE_CHECKING:
    from ledger.application.resolver import Resolver


def _no_nul(value: Any) -> Any:
    """Text a change holds may not contain NUL, which PostgreSQL cannot store and SQLite can: a
    change must read the same on either (the event store refuses what gets past the models)."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text may not contain a NUL character (\\0)")
    return value


Name = Annotated[
    str,
    BeforeValidator(lambda v: str(v).strip() if v is not None else v),
    AfterValidator(_no_nul),
    Field(min_length=1),
]
Text = Annotated[
    str,
    BeforeValidator(lambda v: str(v) if isinstance(v, (int, float)) else v),
    AfterValidator(_no_nul),
    Field(min_length=1),
]


class Request(BaseModel):
    """The envelope every change has."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, defer_build=True)
    id: str | None = Field(default=None, min_length=1, max_length=200)
    effective: Effective
    status: Literal["happened", "planned"] = "happened"
    recorder: Name
    reason: Text
    sources: tuple[SourceRef, ...] = Field(min_length=1)


def _field(declared: Declared) -> tuple[Any, Any]:
    """A declared field as pydantic's (type, default or FieldInfo)."""
    alias = declared.key if declared.attr != declared.key else None
    typ: Any
    match declared.value:
        case "name" | "text":
            typ = Name if declared.value == "name" else Text
            if declared.choices:
                typ = Annotated[typ, AfterValidator(_one_of(declared.choices))]
        case "names":
            if declared.required:
                return tuple[Name, ...], Field(min_length=1, alias=alias)
            return tuple[Name, ...], Field(default=(), alias=alias)
        case "choice":
            typ = cast(Any, Literal)[declared.choices]
        case "flag":
            return bool, Field(default=False, alias=alias)
        case "count":
            if declared.required:
                return int, Field(ge=declared.minimum, alias=alias)
            return int | None, Field(default=None, ge=declared.minimum, alias=alias)
        case "codes":
            return dict[str, Name], Field(default_factory=dict, alias=alias)
    if declared.required:
        return typ, Field(alias=alias)
    return typ | None, Field(default=None, alias=alias)


def _one_of(choices: tuple[str, ...]) -> Any:
    """A name that must be one of a declared vocabulary (the kinds of body)."""

    def check(value: str) -> str:
        if value not in choices:
            what, listing = (
                ("kind of body", "valid kinds") if choices == BODY_KINDS else ("word", "expected")
            )
            raise ValueError(not_one_of(value, choices, what, listing))
        return value

    return check


def _model(kind: Kind) -> type[Request]:
    fields: dict[str, Any] = {"change": (cast(Any, Literal)[kind.name], ...)}
    fields.update((f.attr, _field(f)) for f in kind.fields)
    assert kind.command is not None
    return create_model(kind.command, __base__=Request, __module__=__name__, **fields)


# The command model of each kind a user records, by kind.
COMMANDS: dict[str, type[Request]] = {kind.name: _model(kind) for kind in RECORDED}


class Amendment(BaseModel):
    """An entry that acts on a change already recorded (by its label or id) rather than on bodies."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, defer_build=True)
    id: str | None = Field(default=None, min_length=1, max_length=200)
    recorder: Name
    reason: Text
    sources: tuple[SourceRef, ...] = ()  # default: the original's


class Correct(Amendment):
    """A corrected copy of a recorded change supersedes it; only the fields given change."""

    change: Literal["corrected"]
    corrects: Name
    effective: Effective | None = None
    name: Name | None = None
    kind: Annotated[Name, AfterValidator(_one_of(BODY_KINDS))] | None = None
    headcount: int | None = Field(default=None, ge=0)
    value: Text | None = None

    @property
    def target(self) -> str:
        """The change it amends (as `Amend.target`)."""
        return self.corrects

    def updates(self) -> dict[str, Any]:
        """The corrected fields, named as the change's event names them."""
        fields = {
            "effective": self.effective,
            "name": self.name,
            "org_kind": self.kind,
            "headcount": self.headcount,
            "value": self.value,
        }
        return {k: v for k, v in fields.items() if v is not None}


class Retract(Amendment):
    """Withdraws a recorded change; queries stop showing it, the log keeps both."""

    change: Literal["retracted"]
    retracts: Name

    @property
    def target(self) -> str:
        """The change it amends (as `Amend.target`)."""
        return self.retracts


@dataclass(frozen=True)
class Amend:
    """A correction, confirmation, retraction or cancellation asked for by a command (`ledger
    correct`, `confirm`, `retract`, `cancel`): the change it acts on and what it does to it. It is
    recorded through the same write path as a change file's entries; unlike them it has no stable
    id, so the same command given twice is asked twice (and the second refused: the change it acts
    on is then already superseded)."""

    target: str
    recorder: str
    reason: str
    sources: tuple[Any, ...] = ()
    id: str | None = None  # a label for the amendment
    updates: Mapping[str, Any] = field(default_factory=dict)
    confirm: bool = False  # a plan happened
    withdraw: bool = False  # a retraction (or, with `cancel`, a cancellation)
    cancel: bool = False

    @property
    def change(self) -> str:
        return "retracted" if self.withdraw else "corrected"


class RegisterSource(BaseModel):
    """A source entered in the store's registry (`ledger source add`, a sources file): once a store
    has a registry, every change cites sources registered in it. Its publication date is when the
    source became known to the world, which `--published-by` asks about."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, defer_build=True)
    source: Name = Field(alias="id", max_length=190)
    title: Text
    published: Effective = Field(alias="date")
    issued_by: Text = Field(alias="body")
    author: Text | None = None
    document: Text | None = Field(default=None, alias="kind")
    file: Text | None = None
    recorder: Name
    reason: Text = "source registered"

    change: ClassVar[str] = "source_registered"

    @property
    def id(self) -> str:
        """The registration's label, which makes registering the same source twice idempotent."""
        return f"source:{self.source}"

    def event(self, change_id: UUID, digest: str) -> ChangeEvent:
        return SourceRegistered(
            timestamp=datetime.now(UTC),
            change_id=change_id,
            label=self.id,
            effective=self.published,
            recorder=self.recorder,
            reason=self.reason,
            sources=(SourceRef(source=self.source, locator="the source itself"),),
            digest=digest,
            source_id=self.source,
            title=self.title,
            issued_by=self.issued_by,
            author=self.author,
            document=self.document,
            file=self.file,
        )


def parse_source(data: Any) -> RegisterSource:
    """Validate one registry entry given as a mapping; raise InvalidChange with a one-line message."""
    if not isinstance(data, dict):
        raise InvalidChange(f"a source must be a mapping, not {type(data).__name__}")
    try:
        return RegisterSource.model_validate(data)
    except ValidationError as exc:
        raise InvalidChange(explain(exc)) from None


ChangeRequest: Any = Annotated[
    functools.reduce(operator.or_, [*COMMANDS.values(), Correct, Retract]),
    Field(discriminator="change"),
]

KINDS: tuple[str, ...] = tuple(COMMANDS)
# Entries of a change file that act on a recorded change instead of recording a new kind of change.
AMENDMENTS: tuple[str, ...] = ("corrected", "retracted")

# Each entry is validated by its own kind's model (the union's discriminator, looked up first):
# the same errors, and only that model is built.
_MODELS: dict[str, type[BaseModel]] = {**COMMANDS, "corrected": Correct, "retracted": Retract}


class InvalidChange(ValueError):
    """A change that cannot be parsed: the message says which field and why, in one line."""


def parse_change(data: dict[str, Any], spell: Mapping[str, str] | None = None) -> Any:
    """Validate one change given as a mapping; raise InvalidChange with a one-line message.
    `spell` says how the user names a field where it is not its key (`--from` on the command
    line for `from`)."""
    if not isinstance(data, dict):
        raise InvalidChange(f"a change must be a mapping, not {type(data).__name__}")
    kind = data.get("change")
    if kind is None:
        raise InvalidChange("missing field 'change' (the kind of change)")
    if kind not in KINDS and kind not in AMENDMENTS:
        known = ", ".join((*KINDS, *AMENDMENTS))
        close = difflib.get_close_matches(str(kind), (*KINDS, *AMENDMENTS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known kinds: {known}"
        raise InvalidChange(f"unknown kind of change {kind!r}{hint}")
    model = _MODELS[kind]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidChange(explain(exc, _keys(model), spell or {})) from None


def _keys(model: type[BaseModel]) -> list[str]:
    """The keys a change file may give for a model: each field's alias, else its name."""
    return [info.alias or name for name, info in model.model_fields.items()]


# Why a field cannot be empty, in the words of a change file.
_NEEDED = {
    "reason": "say why the change is recorded",
    "source": "give the source's id (as in events/sources.yaml)",
    "locator": "say where in the source (a section, page or item)",
    "recorder": "say who records it",
}


def explain(
    exc: ValidationError, keys: list[str] | None = None, spell: Mapping[str, str] | None = None
) -> str:
    """One line naming the first bad field, its value and the fix, in the words of a change file
    (or, given `spell`, of the command line)."""
    errors = exc.errors()
    keys = keys or []
    spell = spell or {}

    def name(loc: tuple[Any, ...]) -> str:
        parts = [str(p) for p in loc]
        if parts and (parts[0] in KINDS or parts[0] in AMENDMENTS):
            parts = parts[1:]
        parts = [p.replace("from_", "from") for p in parts]
        if parts and parts[0] in spell:
            return spell[parts[0]]
        # sources.0.source -> "source (sources entry 1)"
        if len(parts) == 3 and parts[1].isdigit():
            return f"{parts[2]} ({parts[0]} entry {int(parts[1]) + 1})"
        if len(parts) == 2 and parts[1].isdigit():
            return f"{parts[0]} entry {int(parts[1]) + 1}"
        return ".".join(parts)

    unknown = [e for e in errors if e["type"] == "extra_forbidden"]
    missing = {name(e["loc"]) for e in errors if e["type"] == "missing"}
    for error in unknown:
        field = name(error["loc"])
        close = difflib.get_close_matches(field, [k for k in keys if k in missing] or keys, n=1)
        if close:
            return f"unknown field {field!r}; did you mean {close[0]!r}?"
    if unknown:
        return f"unknown field {name(unknown[0]['loc'])!r}"
    error = errors[0]
    where, kind, value = name(error["loc"]), error["type"], error.get("input")
    last = str(error["loc"][-1]) if error["loc"] else ""
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return f"missing field {where!r}" if where not in spell.values() else f"missing {where}"
    if kind in ("too_short", "string_too_short"):
        if isinstance(value, (list, tuple)):
            if last == "sources":
                return (
                    f"{where} is empty: a change needs at least one source "
                    "(a source id and where in it: {source: ID, locator: WHERE})"
                )
            return f"{where} is empty: give at least one"
        need = _NEEDED.get(last, "give a value")
        return f"{where} is empty: {need}"
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        return f"{where} is {value!r}: it must be a whole number of at least {bound}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{where} is {value!r}: give a whole number"
    if kind == "string_type":
        return f"{where} must be text, not {_noun(value)} ({value!r})"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{where} must be a mapping, not {_noun(value)} ({value!r})"
    if kind in ("tuple_type", "list_type"):
        return f"{where} must be a list, not {_noun(value)} ({value!r})"
    if kind == "literal_error":
        return f"{where} is {value!r}: expected {ctx.get('expected', 'one of the listed values')}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if last in ("effective",) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return (
            f"{where} is the number {value!r}, not a date: in a YAML file write it in quotes "
            f'({where}: "{value}") to mean the year or period'
        )
    return f"{where}: {message}" if where else message


def _noun(value: Any) -> str:
    return {
        list: "a list",
        tuple: "a list",
        dict: "a mapping",
        int: "a number",
        float: "a number",
        bool: "true or false",
        type(None): "nothing",
    }.get(type(value), type(value).__name__)


def change_id_for(request: Any) -> UUID:
    """Stable ids make re-imports idempotent: the label if given, else the request's content."""
    if request.id:
        return uuid.uuid5(NAMESPACE, f"change:{request.id}")
    return uuid.uuid5(NAMESPACE, "change:" + request_digest(request))


def request_digest(request: Any) -> str:
    data = request.model_dump(mode="json", by_alias=True, exclude={"recorder"})
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def build_event(r: Any, change_id: UUID, digest: str, find: Resolver) -> ChangeEvent:
    """The event of a command, as its kind declares it (domain/kinds.py), its names found by
    `find`."""
    kind = DECLARED.get(getattr(r, "change", ""))
    if kind is None or kind.command is None:
        raise InvalidInput(f"cannot record a change of type {type(r).__name__}")
    try:
        fields = kind.make(_Names(find), r)
    except BadChange as exc:
        raise (Refused if exc.refused else InvalidInput)(str(exc)) from None
    return CHANGE_CLASSES[kind.name](
        timestamp=datetime.now(UTC),
        change_id=change_id,
        label=r.id,
        effective=r.effective,
        status=r.status,
        recorder=r.recorder,
        reason=r.reason,
        sources=r.sources,
        digest=digest,
        **fields,
    )


class _Names:
    """The resolver as a kind's declaration asks it for ids (`domain.declaration.Find`): a name
    found among the known ones, or the stable id of a new entity."""

    def __init__(self, find: Resolver) -> None:
        self.find = find

    def known(self, entity: EntityType, text: str, *, within: UUID | None = None) -> UUID:
        if entity == "post":
            assert within is not None
            return self.find.post(text, within)
        found = self.find.find(text, entity)
        assert found is not None
        return found

    def maybe(self, entity: EntityType, text: str, *, introducing: bool = False) -> UUID | None:
        return self.find.find(text, entity, missing_ok=True, introducing=introducing)

    def by_codes(self, codes: Mapping[str, str]) -> UUID | None:
        return self.find.organisation_by_codes(dict(codes))

    def new(
        self,
        entity: EntityType,
        text: str,
        *,
        within: UUID | None = None,
        codes: Mapping[str, str] | None = None,
    ) -> UUID:
        if entity == "organisation":
            return org_id(text, dict(codes) if codes else None)
        if entity == "post":
            assert within is not None
            return post_id(within, text)
        return person_id(text) if entity == "person" else function_id(text)

    def kind_of(self, organisation: UUID) -> str | None:
        return self.find.kind_of(organisation)

    def member_of(self, organisation: UUID, day: date) -> list[UUID]:
        return self.find.member_of(organisation, day)

    def related(self, organisation: UUID, day: date) -> list[tuple[UUID, str, UUID]]:
        return self.find.related(organisation, day)

    def in_force(self, organisation: UUID, day: date) -> bool:
        return self.find.in_force(organisation, day)
