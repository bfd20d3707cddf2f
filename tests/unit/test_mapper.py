"""Every kind of event survives storage exactly: dates, precisions, ids and flags."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from ledger.adapters.mapper import PydanticMapper
from ledger.domain import events as ev
from ledger.domain.dates import Effective

A, B, C, D = uuid4(), uuid4(), uuid4(), uuid4()
COMMON = {
    "timestamp": datetime(2026, 11, 23, 9, 30, 1, 123456, tzinfo=UTC),
    "change_id": uuid4(),
    "label": "a-change",
    "effective": Effective.parse("2018/19-Q1"),
    "status": "planned",
    "recorder": "pmo",
    "reason": "why",
    "sources": (ev.SourceRef(source="paper", locator="section 2"),),
    "introduced": (ev.IntroducedBody(id=C, name="New Body", kind="ccg", codes={"ods": "15N"}),),
}
SPECIFIC = {
    "established": {
        "organisation": A,
        "name": "X",
        "org_kind": "ccg",
        "codes": {"ods": "99P"},
        "on_or_before": True,
    },
    "renamed": {"organisation": A, "name": "Y"},
    "reclassified": {"organisation": A, "org_kind": "ics"},
    "alias_recorded": {"organisation": A, "alias": "Z", "note": "full name"},
    "alias_ended": {"organisation": A, "alias": "Z"},
    "designated": {"organisation": A, "designation": "Z", "qualifier": "emerging"},
    "designation_ended": {"organisation": A, "designation": "Z"},
    "closed": {"organisation": A},
    "merged": {
        "predecessors": (A, B),
        "successor": C,
        "into_new": True,
        "carried_into": (D,),
        "carried_relations": ((C, "hosts", D), (D, "part_of", C)),
    },
    "split": {
        "source": A,
        "successors": (B, C),
        "new_successors": (C,),
        "source_continues": True,
        "carried_to": C,
        "carried_into": (D,),
        "carried_relations": ((C, "hosts", D),),
    },
    "succeeded": {"predecessor": A, "successor": B},
    "joined": {"member": A, "body": B, "role": "partner"},
    "left": {"member": A, "body": B},
    "relationship_started": {"subject": A, "relation": "hosts", "object": B},
    "relationship_ended": {"subject": A, "relation": "hosts", "object": B},
    "function_moved": {
        "function": C,
        "function_name": "HR",
        "from_body": A,
        "to_body": B,
        "headcount": 3,
    },
    "staff_transferred": {
        "function": C,
        "function_name": "HR",
        "from_body": A,
        "to_body": B,
        "headcount": 173,
    },
    "post_created": {"post": C, "title": "Chief Executive", "organisation": A},
    "post_abolished": {"post": C, "organisation": A},
    "appointed": {
        "post": C,
        "organisation": A,
        "person": B,
        "person_name": "P",
        "interim": True,
        "shadow": True,
    },
    "appointment_ended": {"post": C, "organisation": A, "person": B},
    "fact_recorded": {
        "subject": A,
        "attribute": "budget",
        "value": "1.5",
        "unit": "GBP bn",
        "function": None,
    },
    "listed": {"organisation": A, "listing": "ods:ccg", "state": "active", "member_of": "15N"},
    "decision_recorded": {"body": A, "decision": "endorsed", "about": (B,)},
    "retracted": {
        "retracts": uuid4(),
        "cancelled": True,
        "touched": (ev.Party("organisation", A, "mentions"),),
    },
    "source_registered": {
        "source_id": "plymouth-hasc-2019-03-20",
        "title": "Integrated Commissioning and Integrated Delivery – Next Steps",
        "issued_by": "Plymouth City Council",
        "author": "Anna Coles",
        "document": "scrutiny report",
        "file": None,
    },
}


def test_every_kind_has_a_round_trip_case() -> None:
    assert set(SPECIFIC) == set(ev.CHANGE_CLASSES)


@pytest.mark.parametrize("kind", sorted(SPECIFIC))
def test_round_trips_exactly(kind: str) -> None:
    cls = ev.CHANGE_CLASSES[kind]
    event = cls(**COMMON, **SPECIFIC[kind]).stored()
    assert (event.originator_id, event.originator_version) == (event.change_id, 1)
    mapper = PydanticMapper()
    stored = mapper.to_stored_event(event)
    back = mapper.to_domain_event(stored)
    assert back == event
    assert type(back) is cls
    assert str(back.effective) == "2018-Q2" and back.effective.precision == "quarter"  # type: ignore[attr-defined]
    assert back.timestamp == COMMON["timestamp"]  # type: ignore[attr-defined]


def test_a_change_without_sources_cannot_exist() -> None:
    with pytest.raises(ValueError, match="at least one source"):
        ev.Closed(**{**COMMON, "sources": ()}, organisation=A)


class Renamed2(ev.Renamed):
    """A later version of `renamed` that split `name` into `name` and `short_name`."""

    class_version = 2
    short_name: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, object]) -> None:
        state["short_name"] = str(state["name"])[:3]


def renamed_v1(topic: str | None = None, state: bytes | None = None) -> StoredEvent:
    """A stored version-1 `renamed` event, read back as `topic`'s class or with another payload."""
    event = ev.Renamed(**COMMON, **SPECIFIC["renamed"]).stored()
    stored = PydanticMapper().to_stored_event(event)
    return StoredEvent(
        stored.originator_id,
        stored.originator_version,
        topic or stored.topic,
        stored.state if state is None else state,
    )


def test_old_events_are_upcast_when_read() -> None:
    upgraded = PydanticMapper().to_domain_event(renamed_v1(f"{__name__}:Renamed2"))
    assert isinstance(upgraded, Renamed2) and upgraded.short_name == "Y"


class Renamed3(ev.Renamed):
    """A later version whose new field has a default: reading a v1 event must still upcast it."""

    class_version = 2
    short_name: str = "unset"

    @staticmethod
    def upcast_v1_v2(state: dict[str, object]) -> None:
        state["short_name"] = str(state["name"]).upper()


def test_an_old_event_is_upcast_even_when_it_would_validate_as_it_is() -> None:
    upgraded = PydanticMapper().to_domain_event(renamed_v1(f"{__name__}:Renamed3"))
    assert isinstance(upgraded, Renamed3) and upgraded.short_name == "Y"


def test_a_payload_that_does_not_validate_is_named() -> None:
    mapper = PydanticMapper()
    broken = renamed_v1(state=renamed_v1().state.replace(b'"name":"Y"', b'"name":""'))
    with pytest.raises(ValueError, match="name"):
        mapper.to_domain_event(broken)
