"""Each kind of change is declared once (domain/kinds.py): the event classes, the change-file schema,
the `ledger record` commands and the change-file documentation all agree with the declarations."""

from __future__ import annotations

import re
import types
import typing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import click
import pytest
import typer
from annotated_types import Ge

from ledger.adapters.readmodel import assertions, named_entities
from ledger.application.commands import COMMANDS, parse_change
from ledger.application.commands import KINDS as COMMAND_KINDS
from ledger.cli.record import _record_app
from ledger.domain import events
from ledger.domain.dates import Effective
from ledger.domain.declaration import Kind, Party
from ledger.domain.events import CHANGE_CLASSES, ChangeEvent, SourceRef
from ledger.domain.kinds import KINDS, RECORDED
from ledger.domain.stored import StoredChange

ROOT = Path(__file__).resolve().parents[2]
EVERY = sorted(KINDS)
RECORDS = [kind.name for kind in RECORDED]
COMMON = {
    "timestamp": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    "change_id": uuid4(),
    "effective": Effective.parse("2019-04"),
    "recorder": "pmo",
    "reason": "why",
    "sources": (SourceRef(source="paper", locator="p. 1"),),
}


def stores(annotation: Any) -> str:
    """What an event class's field holds, in the declarations' words."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        assert len(args) == 1, annotation
        return stores(args[0])
    if typing.get_origin(annotation) is tuple:
        return {UUID: "ids", Party: "parties", tuple[UUID, str, UUID]: "relations"}[args[0]]
    if typing.get_origin(annotation) is dict:
        return "codes"
    return {UUID: "id", str: "text", bool: "flag", int: "count"}[annotation]


def test_every_event_class_has_a_declaration_and_every_declaration_a_class() -> None:
    classes = {
        cls
        for cls in vars(events).values()
        if isinstance(cls, type) and issubclass(cls, ChangeEvent) and cls is not ChangeEvent
    }
    assert set(CHANGE_CLASSES) == set(KINDS)
    assert set(CHANGE_CLASSES.values()) == classes
    for name, kind in KINDS.items():
        cls = CHANGE_CLASSES[name]
        assert (cls.__name__, cls.kind) == (kind.event, name)
        # The stored event's topic names the module and the class: it must never move.
        assert f"{cls.__module__}:{cls.__qualname__}" == f"ledger.domain.events:{kind.event}"


@pytest.mark.parametrize("name", EVERY)
def test_the_event_class_stores_what_the_declaration_says(name: str) -> None:
    kind = KINDS[name]
    own = {
        field: (stores(info.annotation), info.is_required())
        for field, info in CHANGE_CLASSES[name].model_fields.items()
        if field not in ChangeEvent.model_fields
    }
    declared = {f.name: (f.stores, f.required) for f in kind.event_fields.values()}
    assert own == declared, f"events.py should declare (constraints aside):\n{expected(kind)}"
    for field in kind.event_fields.values():
        info = CHANGE_CLASSES[name].model_fields[field.name]
        # An optional id, text or count is None when not given; the others have empty defaults.
        nullable = not field.required and field.stores in ("id", "text", "count")
        assert (type(None) in typing.get_args(info.annotation)) is nullable, field.name
        if nullable:
            assert info.default is None, field.name
    for field in kind.fields:
        if field.value == "count":
            info = CHANGE_CLASSES[name].model_fields[field.event_field]
            assert Ge(field.minimum) in info.metadata, field.key


def expected(kind: Kind) -> str:
    """The event class a declaration calls for, as events.py would write it."""
    lines = [f"class {kind.event}(ChangeEvent):", f'    kind: ClassVar[str] = "{kind.name}"']
    for field in kind.event_fields.values():
        typ = {
            "id": "UUID",
            "ids": "tuple[UUID, ...]",
            "text": "str",
            "flag": "bool",
            "count": "int",
            "codes": "dict[str, str]",
            "parties": "tuple[Party, ...]",
            "relations": "tuple[tuple[UUID, str, UUID], ...]",
        }[field.stores]
        if not field.required:
            typ += {
                "ids": " = ()",
                "flag": " = False",
                "codes": " = Field(default_factory=dict)",
                "parties": " = ()",
                "relations": " = ()",
            }.get(field.stores, " | None = None")
        lines.append(f"    {field.name}: {typ}")
    return "\n".join(lines)


def sample(kind: Kind, **given: Any) -> ChangeEvent:
    """An event of the kind with a value in each of its fields."""
    values: dict[str, Any] = {}
    for field in kind.event_fields.values():
        values[field.name] = {
            "id": uuid4,
            "ids": lambda: (uuid4(), uuid4()),
            "text": lambda: "words",
            "flag": lambda: False,
            "count": lambda: 3,
            "codes": lambda: {"ods": "X1"},
            "parties": lambda: (Party("organisation", uuid4(), "acts"),),
            "relations": lambda: ((uuid4(), "hosts", uuid4()),),
        }[field.stores]()
    values.update(given)
    return CHANGE_CLASSES[kind.name](**COMMON, **values)


def variants(kind: Kind) -> list[ChangeEvent]:
    """Samples of the kind with each switch of a party's part both ways."""
    found = [sample(kind)]
    for part in kind.parties if isinstance(kind.parties, tuple) else ():
        if part.when is None:
            continue
        if kind.event_fields[part.when].stores == "flag":
            found.append(sample(kind, **{part.when: True}))
        else:  # a field of ids: the switch holds for the ids it holds
            event = sample(kind)
            ids = getattr(event, part.field)
            found.append(sample(kind, **{part.field: ids, part.when: ids[:1]}))
    return found


@pytest.mark.parametrize("name", EVERY)
def test_the_parties_are_those_the_declaration_names(name: str) -> None:
    kind = KINDS[name]
    entity = {f.event_field: f.refers for f in kind.fields}
    entity |= {f.name: f.refers for f in kind.made}  # what a hook makes may name bodies too
    for event in variants(kind):
        expected = []
        if not isinstance(kind.parties, tuple):  # a retraction mentions what it withdrew
            expected = [Party(p.entity, p.id, "mentions") for p in event.touched]
        for part in kind.parties if isinstance(kind.parties, tuple) else ():
            value = getattr(event, part.field)
            switch = getattr(event, part.when) if part.when else None
            if kind.event_fields[part.field].stores == "relations":
                # Either end of each relationship, once, unless an earlier part names it.
                named = [p.id for p in expected]
                value = tuple(b for r in value for b in (r[0], r[2]) if b not in named)
                value = tuple(dict.fromkeys(value))
            for one in value if isinstance(value, tuple) else (value,):
                holds = one in switch if isinstance(switch, tuple) else bool(switch)
                role = part.then if part.then and holds else part.role
                expected.append(Party(entity[part.field], one, role))  # type: ignore[arg-type]
        assert event.parties() == expected
        # The read model reads the same parties off the stored JSON, ids as strings.
        stored = StoredChange.of(event).parties()
        assert [(p.entity, UUID(str(p.id)), p.role) for p in stored] == [
            (p.entity, p.id, p.role) for p in expected
        ]


@pytest.mark.parametrize("name", EVERY)
def test_rows_names_and_summary_read_fields_the_event_has(name: str) -> None:
    kind = KINDS[name]
    for event in variants(kind):
        stored = StoredChange.of(event)
        rows = assertions(stored)
        own = kind.assertions(event.__getattribute__, lambda i: i.hex)
        assert [(r.subject, r.aspect, r.other) for r in own] == [
            (r.subject, r.aspect, r.other) for r in rows[len(rows) - len(own) :]
        ]
        assert all(isinstance(r.subject, str) and len(r.subject) == 32 for r in rows)
        for entity_id, entity, label, _parent, _labels in named_entities(stored):
            assert any(n.entity == entity for n in kind.names)
            assert (entity_id, label) in [
                (getattr(event, n.id).hex, getattr(event, n.name)) for n in kind.names
            ]
        assert kind.sentence(event.details(), lambda i: f"<{i}>")


@pytest.mark.parametrize("name", RECORDS)
def test_the_change_file_schema_is_the_declared_fields(name: str) -> None:
    kind = KINDS[name]
    model = COMMANDS[name]
    assert (model.__name__, model.__module__) == (kind.command, "ledger.application.commands")
    own = [f for f in model.model_fields if f not in ("id", "effective", "status", "recorder")]
    own = [f for f in own if f not in ("reason", "sources")]
    assert own == ["change", *(f.attr for f in kind.fields)]
    for field in kind.fields:
        info = model.model_fields[field.attr]
        assert (info.alias or field.attr) == field.key
        optional = field.value in ("flag", "codes") or not field.required
        assert info.is_required() is not optional, field.key
    assert tuple(RECORDS) == COMMAND_KINDS


def entry(kind: Kind) -> dict[str, Any]:
    """A change-file entry of the kind, every field given."""
    data: dict[str, Any] = {
        "change": kind.name,
        "effective": "2019-04-01",
        "recorder": "pmo",
        "reason": "why",
        "sources": [{"source": "paper", "locator": "p. 1"}],
    }
    given = {
        "name": "Some Body",
        "text": "said",
        "names": ["One Body", "Another Body"],
        "flag": True,
        "count": 7,
        "codes": {"ods": "X1"},
    }
    for field in kind.fields:
        if field.choices:  # a choice, or a name from a vocabulary (a kind of body)
            data[field.key] = field.choices[-1]
        elif field.value == "name":  # each a body of its own (a move is between two bodies)
            data[field.key] = f"Some Body ({field.key})"
        else:
            data[field.key] = given[field.value]
    if "carry_to" in data:  # the successor that takes over: one of those the entry names
        data["carry_to"] = data["successors"][-1]
    return data


class FakeNames:
    """Every name resolves to an id of its own (a post within its organisation)."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str, UUID | None], UUID] = {}

    def known(self, entity: str, text: str, *, within: UUID | None = None) -> UUID:
        return self.ids.setdefault((entity, text, within), uuid4())

    def maybe(self, entity: str, text: str, *, introducing: bool = False) -> UUID | None:
        return None if introducing else self.known(entity, text)

    def by_codes(self, codes: Any) -> UUID | None:
        return None

    def new(self, entity: str, text: str, *, within: UUID | None = None, codes: Any = None) -> UUID:
        return self.known(entity, text, within=within)

    def kind_of(self, organisation: UUID) -> str | None:
        return "ccg"

    def member_of(self, organisation: UUID, day: Any) -> list[UUID]:
        return []

    def related(self, organisation: UUID, day: Any) -> list[tuple[UUID, str, UUID]]:
        return []

    def in_force(self, organisation: UUID, day: Any) -> bool:
        return True


@pytest.mark.parametrize("name", RECORDS)
def test_a_change_file_entry_builds_the_event_of_its_kind(name: str) -> None:
    kind = KINDS[name]
    request = parse_change(entry(kind))
    made = kind.make(FakeNames(), request)  # type: ignore[arg-type]
    event = CHANGE_CLASSES[name](**COMMON, **made)
    assert set(made) - {"introduced"} == set(kind.event_fields)
    for field in kind.fields:
        if field.stored and field.refers is None:
            assert getattr(event, field.event_field) == getattr(request, field.attr), field.key
        if field.keeps:
            assert getattr(event, field.keeps) == getattr(request, field.attr), field.key


def record_commands() -> dict[str, click.Command]:
    group = typer.main.get_group(_record_app())
    return dict(group.commands)


@pytest.mark.parametrize("name", RECORDS)
def test_the_record_command_takes_what_the_declaration_says(name: str) -> None:
    kind = KINDS[name]
    commands = record_commands()
    command = commands[kind.cli_name]
    if kind.cli_name != kind.name:  # also under the kind's own name, unlisted
        alias = commands[kind.name]
        assert alias.hidden and [p.name for p in alias.params] == [p.name for p in command.params]
    assert command.help is not None
    example = "\n  ".join(kind.example.splitlines())  # one command a line
    assert command.help.startswith(kind.blurb) and f"Example:\n  {example}" in command.help
    params = {p.name: p for p in command.params}
    declared = [f.param for f in kind.fields]
    assert [p.name for p in command.params][: len(declared)] == declared
    for field in kind.fields:
        param = params[field.param]
        if field.flag is None:  # (typer shows no help for an argument, without rich)
            assert isinstance(param, click.Argument) and param.required, field.key
            continue
        assert isinstance(param, click.Option)
        assert param.opts == [field.flag]
        assert param.help == field.help + (" Required." if field.many and field.required else "")
        assert param.multiple is field.many
        assert param.is_flag is (field.value == "flag")
        assert param.required is (field.required and not field.many and field.value != "flag")
        if field.value == "count":
            assert isinstance(param.type, click.types.IntParamType)
    rest = [p.name for p in command.params][len(declared) :]
    assert rest == ["effective", "sources", "reason", "by", "id", "planned", "dry_run", "no_retry"]


def test_every_recorded_kind_has_a_record_command_and_no_other() -> None:
    shown = {n for n, c in record_commands().items() if not c.hidden}
    assert shown == {kind.cli_name for kind in RECORDED}


@pytest.mark.parametrize("name", RECORDS)
def test_the_change_file_documentation_lists_the_fields(name: str) -> None:
    kind = KINDS[name]
    text = (ROOT / "docs" / "change-files.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith(f"| `{kind.name}`")]
    rows += [line for line in text.splitlines() if f"/ `{kind.name}` |" in line]
    assert len(rows) == 1, f"docs/change-files.md has no row for {kind.name}"
    missing = [f.key for f in kind.fields if not re.search(f"`{f.key}[`:]", rows[0])]
    assert not missing, f"docs/change-files.md does not list {missing} for {kind.name}"


@pytest.mark.parametrize("name", [k.name for k in KINDS.values() if not callable(k.rows)])
def test_every_aspect_a_kind_asserts_fits_the_read_models_column(name: str) -> None:
    # PostgreSQL refuses a value longer than the column; SQLite would keep it.
    from ledger.adapters.tables import facts

    width = facts.c.aspect.type.length
    for row in KINDS[name].rows:
        assert not callable(row)
        for aspect in (row.aspect, row.then):
            assert aspect is None or len(aspect) <= width, (name, aspect)
