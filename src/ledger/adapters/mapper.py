"""Stores pydantic change events as JSON, and reads them back through their class's upcasters."""

from __future__ import annotations

import json
from typing import Any, cast

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent, Transcoder
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel


class NoTranscoder(Transcoder):
    """The pydantic mapper serialises by itself; this satisfies the Mapper constructor."""

    def encode(self, obj: Any) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError


class PydanticMapper(Mapper[Any]):
    """Serialises events with pydantic (dates, uuids and precisions round-trip exactly).

    The stored state carries `class_version` when a class is past version 1; reading applies the
    class's `upcast_vN_vN+1` methods in turn, so old events keep loading after a schema change.
    """

    def __init__(self) -> None:
        super().__init__(transcoder=NoTranscoder())

    def to_stored_event(self, domain_event: DomainEventProtocol[Any]) -> StoredEvent:
        event = cast(BaseModel, domain_event)
        state = event.model_dump(mode="json", exclude={"originator_id", "originator_version"})
        class_version = getattr(type(event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(event)),
            state=json.dumps(state, separators=(",", ":"), sort_keys=True).encode(),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[Any]:
        cls = resolve_topic(stored_event.topic)
        try:
            state: dict[str, Any] = json.loads(stored_event.state)
        except ValueError as exc:
            raise MapperDeserialisationError(
                f"stored event {stored_event.originator_id} v{stored_event.originator_version} "
                f"is not valid JSON: {exc}"
            ) from exc
        version = state.pop("class_version", 1)
        while version < getattr(cls, "class_version", 1):
            getattr(cls, f"upcast_v{version}_v{version + 1}")(state)
            version += 1
        state["originator_id"] = stored_event.originator_id
        state["originator_version"] = stored_event.originator_version
        return cast(DomainEventProtocol[Any], cls.model_validate(state))
