"""The vocabulary of change: one immutable pydantic event class per kind of change.

A change is stored as one event, its originator the change itself (`originator_id` is the change
id, `originator_version` 1), whatever it touches: `parties()` says which bodies, posts, people and
functions those are. Logs written before this design stored a change once on every aggregate it
touched (originator: the aggregate), each copy with the same `change_id` and content; they stay
readable as they are, and everything that reads the log takes a change where it is first stored.
A correction is a new event of the same class whose `supersedes` names the change it replaces;
a retraction or a cancelled plan is a `Retracted` event.

Each kind is declared in `kinds.py`; its event's `parties()` come from there. The classes below
are written out, field by field, rather than made from the declarations: mypy then checks every
use of an event's fields, and a stored event's topic (`ledger.domain.events:Established`) stays
what it has always been. tests/unit/test_kinds.py checks each class against its declaration.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ledger.domain.dates import Effective
from ledger.domain.declaration import EntityType as EntityType
from ledger.domain.declaration import Party as Party
from ledger.domain.declaration import Role as Role
from ledger.domain.kinds import KINDS
from ledger.domain.kinds import RELATIONS as RELATIONS

NIL = UUID(int=0)


class SourceRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    source: str = Field(min_length=1)
    locator: str = Field(min_length=1)

    def __str__(self) -> str:
        return f"{self.source} ({self.locator})"


class IntroducedBody(BaseModel):
    """A body a change brings into the ledger without an `established` record of its own."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    id: UUID
    name: str
    kind: str
    codes: dict[str, str] = Field(default_factory=dict)


class ChangeEvent(BaseModel):
    """What every event carries: the change it belongs to, when it took effect, who recorded it and why."""

    # Each class's validator is built when it is first used: a process that records or reads a
    # few kinds of change does not build all of them at import.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    kind: ClassVar[str] = "change"
    class_version: ClassVar[int] = 1

    originator_id: UUID = NIL
    originator_version: int = 0
    entity: EntityType = "organisation"
    timestamp: datetime
    change_id: UUID
    label: str | None = None
    effective: Effective
    status: Literal["happened", "planned"] = "happened"
    recorder: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    sources: tuple[SourceRef, ...]
    supersedes: UUID | None = None
    introduced: tuple[IntroducedBody, ...] = ()
    digest: str | None = None

    @field_validator("sources")
    @classmethod
    def _at_least_one_source(cls, value: tuple[SourceRef, ...]) -> tuple[SourceRef, ...]:
        if not value:
            raise ValueError("a change needs at least one source")
        return value

    @property
    def planned(self) -> bool:
        return self.status == "planned"

    @property
    def handle(self) -> str:
        """How people refer to the change: its label, else the first 8 hex digits of its id."""
        return self.label or self.change_id.hex[:8]

    def parties(self) -> list[Party]:
        """Every entity the change touches and the part it plays, as its kind declares."""
        return KINDS[self.kind].parties_of(self.__getattribute__)

    def details(self) -> dict[str, Any]:
        """The kind-specific fields, as stored."""
        return self.model_dump(mode="json", exclude=_COMMON_FIELDS)

    def stored(self) -> ChangeEvent:
        """The event as the log stores it: once, its originator the change itself."""
        return self.model_copy(update={"originator_id": self.change_id, "originator_version": 1})


_COMMON_FIELDS: set[str] = set(ChangeEvent.model_fields)


class Established(ChangeEvent):
    kind: ClassVar[str] = "established"
    organisation: UUID
    name: str = Field(min_length=1)
    org_kind: str = Field(min_length=1)
    codes: dict[str, str] = Field(default_factory=dict)
    on_or_before: bool = False


class Renamed(ChangeEvent):
    kind: ClassVar[str] = "renamed"
    organisation: UUID
    name: str = Field(min_length=1)


class AliasRecorded(ChangeEvent):
    kind: ClassVar[str] = "alias_recorded"
    organisation: UUID
    alias: str = Field(min_length=1)
    note: str | None = None


class AliasEnded(ChangeEvent):
    kind: ClassVar[str] = "alias_ended"
    organisation: UUID
    alias: str = Field(min_length=1)


class Designated(ChangeEvent):
    kind: ClassVar[str] = "designated"
    organisation: UUID
    designation: str = Field(min_length=1)
    qualifier: str | None = None


class DesignationEnded(ChangeEvent):
    kind: ClassVar[str] = "designation_ended"
    organisation: UUID
    designation: str = Field(min_length=1)


class Reclassified(ChangeEvent):
    kind: ClassVar[str] = "reclassified"
    organisation: UUID
    org_kind: str = Field(min_length=1)


class Closed(ChangeEvent):
    kind: ClassVar[str] = "closed"
    organisation: UUID


class Merged(ChangeEvent):
    kind: ClassVar[str] = "merged"
    predecessors: tuple[UUID, ...] = Field(min_length=1)
    successor: UUID
    into_new: bool
    carried_into: tuple[UUID, ...] = ()  # bodies the successor joins in the predecessors' place
    # The relationships the successor takes over, as (subject, relation, object) with it at one end.
    carried_relations: tuple[tuple[UUID, str, UUID], ...] = ()


class Split(ChangeEvent):
    kind: ClassVar[str] = "split"
    source: UUID
    successors: tuple[UUID, ...] = Field(min_length=1)
    new_successors: tuple[UUID, ...] = ()
    source_continues: bool = False
    carried_to: UUID | None = None  # the successor that takes over the source's ties (--carry-to)
    carried_into: tuple[UUID, ...] = ()  # bodies it joins in the source's place
    carried_relations: tuple[tuple[UUID, str, UUID], ...] = ()  # relationships it takes over


class Succeeded(ChangeEvent):
    kind: ClassVar[str] = "succeeded"
    predecessor: UUID
    successor: UUID


class Joined(ChangeEvent):
    kind: ClassVar[str] = "joined"
    member: UUID
    body: UUID
    role: str | None = None


class Left(ChangeEvent):
    kind: ClassVar[str] = "left"
    member: UUID
    body: UUID


class RelationshipStarted(ChangeEvent):
    kind: ClassVar[str] = "relationship_started"
    subject: UUID
    relation: str
    object: UUID


class RelationshipEnded(ChangeEvent):
    kind: ClassVar[str] = "relationship_ended"
    subject: UUID
    relation: str
    object: UUID


class FunctionMoved(ChangeEvent):
    kind: ClassVar[str] = "function_moved"
    function: UUID
    function_name: str
    from_body: UUID
    to_body: UUID
    headcount: int | None = Field(default=None, ge=0)


class StaffTransferred(ChangeEvent):
    kind: ClassVar[str] = "staff_transferred"
    function: UUID
    function_name: str
    from_body: UUID
    to_body: UUID
    headcount: int = Field(ge=1)


class PostCreated(ChangeEvent):
    kind: ClassVar[str] = "post_created"
    post: UUID
    title: str = Field(min_length=1)
    organisation: UUID


class PostAbolished(ChangeEvent):
    kind: ClassVar[str] = "post_abolished"
    post: UUID
    organisation: UUID


class Appointed(ChangeEvent):
    kind: ClassVar[str] = "appointed"
    post: UUID
    organisation: UUID
    person: UUID
    person_name: str = Field(min_length=1)
    interim: bool = False
    acting: bool = False
    shadow: bool = False


class AppointmentEnded(ChangeEvent):
    kind: ClassVar[str] = "appointment_ended"
    post: UUID
    organisation: UUID
    person: UUID


class FactRecorded(ChangeEvent):
    kind: ClassVar[str] = "fact_recorded"
    subject: UUID
    attribute: str = Field(min_length=1)
    value: str = Field(min_length=1)
    unit: str | None = None
    function: UUID | None = None
    function_name: str | None = None


class Listed(ChangeEvent):
    kind: ClassVar[str] = "listed"
    organisation: UUID
    listing: str = Field(min_length=1)
    state: str | None = None
    member_of: str | None = None


class DecisionRecorded(ChangeEvent):
    kind: ClassVar[str] = "decision_recorded"
    body: UUID
    decision: str = Field(min_length=1)
    about: tuple[UUID, ...] = ()


class Retracted(ChangeEvent):
    """Withdraws an earlier change (a mistake, or a plan that was cancelled); the original stays in the log."""

    kind: ClassVar[str] = "retracted"
    retracts: UUID
    cancelled: bool = False
    touched: tuple[Party, ...] = ()


class SourceRegistered(ChangeEvent):
    """A source (a paper, a register's release) enters the registry the changes cite: its
    publication date is the change's effective date, and it cites itself."""

    kind: ClassVar[str] = "source_registered"
    source_id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    issued_by: str = Field(min_length=1)
    author: str | None = None
    document: str | None = None  # what it is: board paper, scrutiny report, register release ...
    file: str | None = None


# Every kind's event class, by the name its declaration gives it.
CHANGE_CLASSES: dict[str, type[ChangeEvent]] = {
    name: globals()[kind.event] for name, kind in KINDS.items()
}
