"""The examples the documentation shows: every `Example:` of every `--help`, and the `ledger` lines of
the shell blocks in the README and docs/. Each is a block of commands, run in order, as a user would
paste them.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import click
import typer
from click.testing import CliRunner

from ledger.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# The README's reference repeats every `--help`; the help itself is what is run.
REFERENCE = "<!-- reference:begin"
# A block after this marker is a recipe another test runs as it stands (tests/integration).
RECIPE = "<!-- recipe:"


@dataclass(frozen=True)
class Command:
    """One `ledger ...` line: its arguments and the variables set in front of it."""

    text: str
    args: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Block:
    where: str  # "ledger import --help", "README.md:42"
    commands: tuple[Command, ...]

    @property
    def needs_postgresql(self) -> bool:
        """A block about PostgreSQL (roles, a server's URL) runs against the PostgreSQL under test."""
        return any(c.args[:1] == ("grant",) or "postgresql://" in c.text for c in self.commands)


def commands(text: str) -> tuple[Command, ...]:
    """The `ledger` commands of a shell snippet, continuation lines joined, comments dropped;
    `export VAR=value` lines and `VAR=value ledger ...` prefixes give their variables."""
    found = []
    exported: dict[str, str] = {}
    for line in text.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] == ["export"]:
            exported.update(word.split("=", 1) for word in words[1:] if "=" in word)  # type: ignore[misc]
            continue
        env = dict(exported)
        while words and re.match(r"^[A-Z_]+=", words[0]):
            name, value = words.pop(0).split("=", 1)
            env[name] = value
        if words[:1] == ["ledger"]:
            found.append(Command(line.strip(), tuple(words[1:]), tuple(env.items())))
    return tuple(found)


def help_blocks() -> list[Block]:
    """Each command's `Example:` section, as its `--help` prints it."""
    root = typer.main.get_command(app)
    assert isinstance(root, click.Group)
    blocks = []
    for path in _paths(root):
        shown = CliRunner().invoke(root, [*path, "--help"]).stdout
        section = re.search(r"\n  Examples?:\n(.*?)(?:\n\n|\Z)", shown, re.S)
        assert section, f"`ledger {' '.join(path)} --help` shows no example"
        where = " ".join(["ledger", *path, "--help"])
        blocks.append(Block(where, commands(section.group(1))))
    return blocks


def _paths(root: click.Group) -> list[list[str]]:
    ctx = click.Context(root)
    found: list[list[str]] = [[]]
    for name in root.list_commands(ctx):
        command = root.get_command(ctx, name)
        assert command is not None
        found.append([name])
        if isinstance(command, click.Group):
            sub = click.Context(command, parent=ctx)
            for child in command.list_commands(sub):
                subcommand = command.get_command(sub, child)
                if subcommand is not None and not subcommand.hidden:
                    found.append([name, child])
    return found


def document_blocks() -> list[Block]:
    """The shell blocks of the README (but its generated reference) and of docs/."""
    blocks = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8").split(REFERENCE, 1)[0]
        for match in re.finditer(r"([^\n]*)\n```(?:sh|bash|console)\n(.*?)```", text, re.S):
            if match.group(1).startswith(RECIPE):
                continue
            found = commands(match.group(2))
            if found:
                line = text[: match.start(2)].count("\n") + 1
                blocks.append(Block(f"{document.relative_to(ROOT)}:{line}", found))
    return blocks
