"""A command loads only what it uses: each runs in a fresh interpreter, which then names the modules
it loaded. Questions answer from the read model without the application, eventsourcing, pydantic or
the ORM; recording a change needs no ORM and no sqlalchemy-utils; `--help` needs no database at all."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import SOURCE, Cli

# Runs `ledger ARGS...` in this interpreter, then prints the top modules it loaded and those of ours.
PROBE = """
import json, sys
sys.argv = ["ledger", *sys.argv[1:]]
from ledger.cli.main import run
try:
    run()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"exit": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""

QUESTIONS = [
    ("structure", "--on", "2019-04-01"),
    ("show", "NHS Devon CCG", "--on", "2019-04-01"),
    ("history", "NHS Devon CCG"),
    ("lineage", "NHS Devon CCG"),
    ("holders", "Chair, NHS Devon CCG", "--all"),
    ("log",),
]
# What a question has no use for: the write path and what only it loads.
NOT_FOR_QUESTIONS = (
    "sqlalchemy.orm",
    "sqlalchemy_utils",
    "eventsourcing",
    "eventsourcing_sqlalchemy",
    "pydantic",
    "ledger.domain.events",
    "ledger.application.commands",
    "ledger.application.service",
)


def loaded(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["exit"] in (0, None), f"ledger {' '.join(args)} failed: {done.stderr}"
    return set(report["modules"])


def under(modules: set[str], package: str) -> list[str]:
    return sorted(m for m in modules if m == package or m.startswith(package + "."))


@pytest.fixture
def devon(cli: Cli) -> Cli:
    cli.ok("record", "established", "NHS Devon CCG", "--kind", "ccg", "--effective", "2019-04-01", *SOURCE)  # fmt: skip
    cli.ok("record", "post-created", "Chair", "--organisation", "NHS Devon CCG", "--effective", "2019-04-01", *SOURCE)  # fmt: skip
    return cli


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q[0])
def test_a_question_loads_no_event_models_no_application_and_no_orm(
    devon: Cli, question: tuple[str, ...]
) -> None:
    modules = loaded("--db", devon.url, *question)
    assert "ledger.views.questions" in modules  # it did answer from the read model
    for package in NOT_FOR_QUESTIONS:
        assert not under(modules, package), f"`ledger {question[0]}` loaded {package}"


def test_recording_a_change_loads_neither_the_orm_nor_sqlalchemy_utils(devon: Cli) -> None:
    modules = loaded(
        "--db", devon.url, "record", "fact-recorded", "NHS Devon CCG", "budget", "1.8", "--effective", "2019-04", *SOURCE
    )  # fmt: skip
    assert "ledger.adapters.recorder" in modules  # it did append through the event store
    for package in ("sqlalchemy.orm", "sqlalchemy_utils", "eventsourcing_sqlalchemy"):
        assert not under(modules, package), f"`ledger record` loaded {package}"
    assert "ledger.views.questions" not in modules  # nothing asked a question


def test_help_loads_no_database_and_no_models() -> None:
    modules = loaded("--help")
    for package in ("sqlalchemy", "pydantic", "eventsourcing", "ledger.bootstrap"):
        assert not under(modules, package), f"`ledger --help` loaded {package}"


@pytest.mark.parametrize(
    "args",
    [("--help",), ("record", "established", "--help"), ("structure", "--on", "2019-04-01")],
    ids=["help", "a command's help", "a question"],
)
def test_the_terminal_layout_is_loaded_only_for_a_terminal(cli: Cli, args: tuple[str, ...]) -> None:
    # `rich` lays out a table fitted to a terminal; `--help`, and a question whose answer goes to
    # a pipe, never load it.
    cli.ok("record", "established", "NHS Devon CCG", "--kind", "ccg", "-e", "2019-04-01", *SOURCE)
    modules = loaded("--db", cli.url, *args) if "--help" not in args else loaded(*args)
    assert under(modules, "rich") == []
