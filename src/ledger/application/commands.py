"""Command models: a change as a user writes it (names, not ids), parsed and validated with pydantic;
its stable id, and the event it becomes once its names are resolved (`build_event`).

The model of each kind of change is made from its declaration (domain/kinds.py): the envelope
every change has (`Request`), the kind's name in `change`, then its fields in declared order.
The declaration also makes the event's fields from the command (`Kind.make`), asking the
resolver for the ids of the names it uses.
"""

from __future__ import annotations

import functools
import hashlib
import json
import operator
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast
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
from ledger.domain.events import CHANGE_CLASSES, ChangeEvent, SourceRef
from ledger.domain.ids import NAMESPACE, function_id, org_id, person_id, post_id
from ledger.domain.kinds import KINDS as DECLARED
from ledger.domain.kinds import RECORDED

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
    kind: Name | None = None
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


def parse_change(data: dict[str, Any]) -> Any:
    """Validate one change given as a mapping; raise InvalidChange with a one-line message."""
    if not isinstance(data, dict):
        raise InvalidChange(f"a change must be a mapping, not {type(data).__name__}")
    kind = data.get("change")
    if kind is None:
        raise InvalidChange("missing field 'change' (the kind of change)")
    if kind not in KINDS and kind not in AMENDMENTS:
        known = ", ".join((*KINDS, *AMENDMENTS))
        raise InvalidChange(f"unknown kind of change {kind!r}; known kinds: {known}")
    try:
        return _MODELS[kind].model_validate(data)
    except ValidationError as exc:
        raise InvalidChange(explain(exc)) from None


def explain(exc: ValidationError) -> str:
    """One line naming the first bad field."""
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"] if not str(p).startswith(("Establish", "Rename")))
    parts = [str(p) for p in error["loc"]]
    if parts and (parts[0] in KINDS or parts[0] in AMENDMENTS):
        parts = parts[1:]
    where = ".".join(parts).replace("from_", "from")
    message = str(error["msg"])
    if error["type"] == "missing":
        return f"missing field {where!r}"
    if error["type"] == "extra_forbidden":
        return f"unknown field {where!r}"
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return f"{where}: {message}" if where else message


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
