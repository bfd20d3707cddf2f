"""The vocabulary of change: one immutable pydantic event class per kind of change.

A change is recorded once and stored as one event on every aggregate it touches (a merger on each
predecessor and on the successor); all of them carry the same `change_id` and the same content.
A correction is a new event of the same class whose `supersedes` names the change it replaces;
a retraction or a cancelled plan is a `Retracted` event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ledger.domain.dates import Effective

if TYPE_CHECKING:
    from ledger.domain.model import Entity

NIL = UUID(int=0)

EntityType = Literal["organisation", "post", "person", "function"]

# How a change bears on one aggregate's lifetime.
Role = Literal["establishes", "attests", "closes", "acts", "ends", "mentions"]
# establishes: the aggregate begins on the date; attests: it existed on the date (founding unknown);
# closes: it ends on the date (not in force from then on); acts: something happens to it while in force;
# ends: something of it ends, allowed up to and on its closing date; mentions: no bearing on its lifetime.

RELATIONS = ("hosts", "commissions", "accountable_to", "part_of", "provides_for", "supports")


@dataclass(frozen=True)
class Party:
    entity: EntityType
    id: UUID
    role: Role


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
        raise NotImplementedError

    def details(self) -> dict[str, Any]:
        """The kind-specific fields, as stored."""
        return self.model_dump(mode="json", exclude=_COMMON_FIELDS)

    def for_aggregate(self, entity: EntityType, aggregate_id: UUID, version: int) -> ChangeEvent:
        return self.model_copy(
            update={"entity": entity, "originator_id": aggregate_id, "originator_version": version}
        )

    def mutate(self, aggregate: Entity | None) -> Entity:
        from ledger.domain.model import new_entity

        if aggregate is None:
            aggregate = new_entity(self.entity, self.originator_id)
        aggregate.apply(self)
        return aggregate


_COMMON_FIELDS: set[str] = set(ChangeEvent.model_fields)


def _org(id_: UUID, role: Role) -> Party:
    return Party("organisation", id_, role)


class Established(ChangeEvent):
    kind: ClassVar[str] = "established"
    organisation: UUID
    name: str = Field(min_length=1)
    org_kind: str = Field(min_length=1)
    codes: dict[str, str] = Field(default_factory=dict)
    on_or_before: bool = False

    def parties(self) -> list[Party]:
        return [_org(self.organisation, "attests" if self.on_or_before else "establishes")]


class Renamed(ChangeEvent):
    kind: ClassVar[str] = "renamed"
    organisation: UUID
    name: str = Field(min_length=1)

    def parties(self) -> list[Party]:
        return [_org(self.organisation, "acts")]


class Reclassified(ChangeEvent):
    kind: ClassVar[str] = "reclassified"
    organisation: UUID
    org_kind: str = Field(min_length=1)

    def parties(self) -> list[Party]:
        return [_org(self.organisation, "acts")]


class Closed(ChangeEvent):
    kind: ClassVar[str] = "closed"
    organisation: UUID

    def parties(self) -> list[Party]:
        return [_org(self.organisation, "closes")]


class Merged(ChangeEvent):
    kind: ClassVar[str] = "merged"
    predecessors: tuple[UUID, ...] = Field(min_length=1)
    successor: UUID
    into_new: bool

    def parties(self) -> list[Party]:
        parties = [_org(p, "closes") for p in self.predecessors]
        parties.append(_org(self.successor, "establishes" if self.into_new else "acts"))
        return parties


class Split(ChangeEvent):
    kind: ClassVar[str] = "split"
    source: UUID
    successors: tuple[UUID, ...] = Field(min_length=1)
    new_successors: tuple[UUID, ...] = ()
    source_continues: bool = False

    def parties(self) -> list[Party]:
        parties = [_org(self.source, "acts" if self.source_continues else "closes")]
        for s in self.successors:
            parties.append(_org(s, "establishes" if s in self.new_successors else "acts"))
        return parties


class Succeeded(ChangeEvent):
    kind: ClassVar[str] = "succeeded"
    predecessor: UUID
    successor: UUID

    def parties(self) -> list[Party]:
        return [_org(self.predecessor, "ends"), _org(self.successor, "acts")]


class Joined(ChangeEvent):
    kind: ClassVar[str] = "joined"
    member: UUID
    body: UUID
    role: str | None = None

    def parties(self) -> list[Party]:
        return [_org(self.member, "acts"), _org(self.body, "acts")]


class Left(ChangeEvent):
    kind: ClassVar[str] = "left"
    member: UUID
    body: UUID

    def parties(self) -> list[Party]:
        return [_org(self.member, "ends"), _org(self.body, "ends")]


class RelationshipStarted(ChangeEvent):
    kind: ClassVar[str] = "relationship_started"
    subject: UUID
    relation: str
    object: UUID

    def parties(self) -> list[Party]:
        return [_org(self.subject, "acts"), _org(self.object, "acts")]


class RelationshipEnded(ChangeEvent):
    kind: ClassVar[str] = "relationship_ended"
    subject: UUID
    relation: str
    object: UUID

    def parties(self) -> list[Party]:
        return [_org(self.subject, "ends"), _org(self.object, "ends")]


class FunctionMoved(ChangeEvent):
    kind: ClassVar[str] = "function_moved"
    function: UUID
    function_name: str
    from_body: UUID
    to_body: UUID
    headcount: int | None = Field(default=None, ge=0)

    def parties(self) -> list[Party]:
        return [
            Party("function", self.function, "acts"),
            _org(self.from_body, "ends"),
            _org(self.to_body, "acts"),
        ]


class StaffTransferred(ChangeEvent):
    kind: ClassVar[str] = "staff_transferred"
    function: UUID
    function_name: str
    from_body: UUID
    to_body: UUID
    headcount: int = Field(ge=1)

    def parties(self) -> list[Party]:
        return [
            Party("function", self.function, "acts"),
            _org(self.from_body, "ends"),
            _org(self.to_body, "acts"),
        ]


class PostCreated(ChangeEvent):
    kind: ClassVar[str] = "post_created"
    post: UUID
    title: str = Field(min_length=1)
    organisation: UUID

    def parties(self) -> list[Party]:
        return [Party("post", self.post, "establishes"), _org(self.organisation, "acts")]


class PostAbolished(ChangeEvent):
    kind: ClassVar[str] = "post_abolished"
    post: UUID
    organisation: UUID

    def parties(self) -> list[Party]:
        return [Party("post", self.post, "closes"), _org(self.organisation, "ends")]


class Appointed(ChangeEvent):
    kind: ClassVar[str] = "appointed"
    post: UUID
    organisation: UUID
    person: UUID
    person_name: str = Field(min_length=1)
    interim: bool = False
    acting: bool = False
    shadow: bool = False

    @property
    def substantive(self) -> bool:
        return not (self.interim or self.acting or self.shadow)

    def parties(self) -> list[Party]:
        return [
            Party("post", self.post, "acts"),
            Party("person", self.person, "acts"),
            _org(self.organisation, "acts"),
        ]


class AppointmentEnded(ChangeEvent):
    kind: ClassVar[str] = "appointment_ended"
    post: UUID
    organisation: UUID
    person: UUID

    def parties(self) -> list[Party]:
        return [
            Party("post", self.post, "ends"),
            Party("person", self.person, "ends"),
            _org(self.organisation, "ends"),
        ]


class FactRecorded(ChangeEvent):
    kind: ClassVar[str] = "fact_recorded"
    subject: UUID
    attribute: str = Field(min_length=1)
    value: str = Field(min_length=1)
    unit: str | None = None
    function: UUID | None = None
    function_name: str | None = None

    def parties(self) -> list[Party]:
        return [_org(self.subject, "acts")]


class DecisionRecorded(ChangeEvent):
    kind: ClassVar[str] = "decision_recorded"
    body: UUID
    decision: str = Field(min_length=1)
    about: tuple[UUID, ...] = ()

    def parties(self) -> list[Party]:
        return [_org(self.body, "acts")]


class Retracted(ChangeEvent):
    """Withdraws an earlier change (a mistake, or a plan that was cancelled); the original stays in the log."""

    kind: ClassVar[str] = "retracted"
    retracts: UUID
    cancelled: bool = False
    touched: tuple[Party, ...] = ()

    def parties(self) -> list[Party]:
        return [Party(p.entity, p.id, "mentions") for p in self.touched]


CHANGE_CLASSES: dict[str, type[ChangeEvent]] = {
    cls.kind: cls
    for cls in (
        Established,
        Renamed,
        Reclassified,
        Closed,
        Merged,
        Split,
        Succeeded,
        Joined,
        Left,
        RelationshipStarted,
        RelationshipEnded,
        FunctionMoved,
        StaffTransferred,
        PostCreated,
        PostAbolished,
        Appointed,
        AppointmentEnded,
        FactRecorded,
        DecisionRecorded,
        Retracted,
    )
}
