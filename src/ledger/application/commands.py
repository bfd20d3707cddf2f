"""Command models: a change as a user writes it (names, not ids), parsed and validated with pydantic."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ledger.domain.dates import Effective
from ledger.domain.events import RELATIONS, SourceRef

Name = Annotated[
    str, BeforeValidator(lambda v: str(v).strip() if v is not None else v), Field(min_length=1)
]
Text = Annotated[
    str,
    BeforeValidator(lambda v: str(v) if isinstance(v, (int, float)) else v),
    Field(min_length=1),
]
Relation = Literal["hosts", "commissions", "accountable_to", "part_of", "provides_for", "supports"]
assert set(RELATIONS) == set(Relation.__args__)  # type: ignore[attr-defined]


class Request(BaseModel):
    """The envelope every change has."""

    # Built on first use: a command validates one kind of change, not all of them.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, defer_build=True)
    id: str | None = Field(default=None, min_length=1, max_length=200)
    effective: Effective
    status: Literal["happened", "planned"] = "happened"
    recorder: Name
    reason: Text
    sources: tuple[SourceRef, ...] = Field(min_length=1)


class Establish(Request):
    change: Literal["established"]
    organisation: Name
    kind: Name
    codes: dict[str, Name] = Field(default_factory=dict)
    on_or_before: bool = False


class Rename(Request):
    change: Literal["renamed"]
    organisation: Name
    name: Name


class Reclassify(Request):
    change: Literal["reclassified"]
    organisation: Name
    kind: Name


class Close(Request):
    change: Literal["closed"]
    organisation: Name


class Merge(Request):
    change: Literal["merged"]
    predecessors: tuple[Name, ...] = Field(min_length=1)
    successor: Name
    kind: Name | None = None
    codes: dict[str, Name] = Field(default_factory=dict)
    into: Literal["new", "existing"] | None = None


class SplitUp(Request):
    change: Literal["split"]
    source: Name
    successors: tuple[Name, ...] = Field(min_length=1)
    kind: Name | None = None
    source_continues: bool = False


class Succeed(Request):
    change: Literal["succeeded"]
    predecessor: Name
    successor: Name


class Join(Request):
    change: Literal["joined"]
    member: Name
    body: Name
    role: Name | None = None


class Leave(Request):
    change: Literal["left"]
    member: Name
    body: Name


class StartRelationship(Request):
    change: Literal["relationship_started"]
    subject: Name
    relation: Relation
    object: Name


class EndRelationship(Request):
    change: Literal["relationship_ended"]
    subject: Name
    relation: Relation
    object: Name


class MoveFunction(Request):
    change: Literal["function_moved"]
    function: Name
    from_: Name = Field(alias="from")
    to: Name
    headcount: int | None = Field(default=None, ge=0)


class TransferStaff(Request):
    change: Literal["staff_transferred"]
    function: Name
    from_: Name = Field(alias="from")
    to: Name
    headcount: int = Field(ge=1)


class CreatePost(Request):
    change: Literal["post_created"]
    post: Name
    organisation: Name


class AbolishPost(Request):
    change: Literal["post_abolished"]
    post: Name
    organisation: Name


class Appoint(Request):
    change: Literal["appointed"]
    person: Name
    post: Name
    organisation: Name
    interim: bool = False
    acting: bool = False
    shadow: bool = False


class EndAppointment(Request):
    change: Literal["appointment_ended"]
    person: Name
    post: Name
    organisation: Name


class RecordFact(Request):
    change: Literal["fact_recorded"]
    subject: Name
    attribute: Name
    value: Text
    unit: Name | None = None
    function: Name | None = None


class RecordDecision(Request):
    change: Literal["decision_recorded"]
    body: Name
    decision: Text
    about: tuple[Name, ...] = ()


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


ChangeRequest = Annotated[
    Establish
    | Rename
    | Reclassify
    | Close
    | Merge
    | SplitUp
    | Succeed
    | Join
    | Leave
    | StartRelationship
    | EndRelationship
    | MoveFunction
    | TransferStaff
    | CreatePost
    | AbolishPost
    | Appoint
    | EndAppointment
    | RecordFact
    | RecordDecision
    | Correct
    | Retract,
    Field(discriminator="change"),
]

KINDS: tuple[str, ...] = (
    "established",
    "renamed",
    "reclassified",
    "closed",
    "merged",
    "split",
    "succeeded",
    "joined",
    "left",
    "relationship_started",
    "relationship_ended",
    "function_moved",
    "staff_transferred",
    "post_created",
    "post_abolished",
    "appointed",
    "appointment_ended",
    "fact_recorded",
    "decision_recorded",
)
# Entries of a change file that act on a recorded change instead of recording a new kind of change.
AMENDMENTS: tuple[str, ...] = ("corrected", "retracted")

# Each entry is validated by its own kind's model (the union's discriminator, looked up first):
# the same errors, and only that model is built.
_MODELS: dict[str, type[BaseModel]] = {
    get_args(model.model_fields["change"].annotation)[0]: model
    for model in get_args(get_args(ChangeRequest)[0])
}


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
