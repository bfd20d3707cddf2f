"""Every command explains itself with an example, and the README's reference is the CLI's own help."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
import typer
from typer.testing import CliRunner

from ledger.cli.main import app
from ledger.cli.reference import BEGIN, END, reference

ROOT = Path(__file__).resolve().parents[2]


def all_commands() -> list[list[str]]:
    root = typer.main.get_command(app)
    assert isinstance(root, click.Group)
    ctx = click.Context(root)
    found: list[list[str]] = [[]]
    for name in root.list_commands(ctx):
        command = root.get_command(ctx, name)
        assert command is not None
        found.append([name])
        if isinstance(command, click.Group):
            sub = click.Context(command, parent=ctx)
            found.extend(
                [name, child]
                for child in command.list_commands(sub)
                if not command.get_command(sub, child).hidden
            )  # type: ignore[union-attr]
    return found


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p) or "ledger")
def test_every_command_help_shows_an_example(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.stdout
    assert "ledger " in result.stdout.split("Example", 1)[1]


def test_readme_reference_is_generated_from_the_help() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    inside = readme.split(BEGIN, 1)[1].split(END, 1)[0]
    assert inside.strip() == reference().strip(), "README reference is stale: run `make reference`"


def test_the_readme_starts_with_the_two_commands() -> None:
    first_screen = "\n".join((ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:15])
    assert "make demo" in first_screen and "make test" in first_screen
