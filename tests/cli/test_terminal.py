"""Tables fit the terminal: sized to its width (COLUMNS), long cells wrapped, never cut; a pipe gets
one line a row. Colour marks the evidence of a date, and only when asked for (a terminal)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger.cli.render import PRESUMED, View, render
from ledger.cli.views import structure_view
from tests.conftest import ledger_command

COLUMNS = [
    "name",
    "status",
    "kind",
    "codes",
    "established",
    "member of",
    "posts",
    "facts",
    "sources",
]


def ask(store: Path, *args: str, columns: int | None = None) -> str:
    env = {"COLUMNS": str(columns)} if columns else {}
    result = CliRunner().invoke(ledger_command(), ["--db", str(store), *args], env=env)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def rows_of(table: str) -> tuple[list[str], list[list[str]]]:
    """The header lines and each row's lines of a table as printed (rows set apart by blank lines
    when they wrap)."""
    lines = table.splitlines()[1:]  # the title
    dashes = next(i for i, line in enumerate(lines) if line.startswith("---"))
    header, body = lines[: dashes + 1], lines[dashes + 1 :]
    rows: list[list[str]] = [[]]
    for line in body:
        if not line.strip():
            rows.append([])
        elif not line.startswith(("~ approximate", f"{PRESUMED} presumed")):  # the legend
            rows[-1].append(line)
    return header, [r for r in rows if r]


@pytest.mark.parametrize("columns", [80, 200])
def test_the_structure_fits_the_terminal_and_cuts_no_name(bundled_file: Path, columns: int) -> None:
    # A historian asks for the structure on the day NHS Devon CCG began, in a narrow and a wide
    # terminal.
    names = [
        o["name"]
        for o in json.loads(
            ask(bundled_file, "structure", "--on", "2019-04-01", "--format", "json")
        )["organisations"]
    ]
    shown = ask(bundled_file, "structure", "--on", "2019-04-01", columns=columns)
    assert shown.startswith(f"Structure on 2019-04-01: {len(names)} organisations\n")
    # Nothing wider than the terminal, nothing cut short.
    assert max(len(line) for line in shown.splitlines()[1:]) <= columns
    assert "…" not in shown
    # Every column is there, its name whole, above its dashes.
    header, rows = rows_of(shown)
    spans = [m.span() for m in re.finditer(r"-+", header[-1])]
    assert len(spans) == len(COLUMNS)
    titles = [" ".join(line[a:b].strip() for line in header[:-1]).split() for a, b in spans]
    assert [" ".join(t) for t in titles] == COLUMNS
    # Each body's name, read down its column, is whole: wrapped between words, never within one.
    first = spans[0][1]
    assert len(rows) == len(names)
    read = [" ".join(" ".join(line[:first].split()) for line in r).strip() for r in rows]
    assert read == names


def test_a_pipe_gets_one_line_a_row_whatever_its_length(bundled_file: Path) -> None:
    shown = ask(bundled_file, "structure", "--on", "2019-04-01")
    header, rows = rows_of(shown)
    assert len(header) == 2 and len(rows) == 1  # no blank line between rows: none wraps
    organisations = json.loads(
        ask(bundled_file, "structure", "--on", "2019-04-01", "--format", "json")
    )["organisations"]
    assert len(rows[0]) == len(organisations)
    assert max(len(line) for line in shown.splitlines()) > 200
    assert "…" not in shown


def test_colour_marks_evidence_and_changes_nothing_else(bundled_file: Path) -> None:
    data = json.loads(ask(bundled_file, "structure", "--on", "2019-04-01", "--format", "json"))
    view: View = structure_view(data)
    plain = render(view, "table")
    coloured = render(view, "table", colour=True)
    assert "\x1b[33m" in coloured  # approximate dates, in yellow
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_a_cell_cites_each_source_once(bundled_file: Path) -> None:
    shown = ask(bundled_file, "structure", "--on", "2019-04-01", "--format", "csv")
    for line in shown.splitlines()[1:]:
        cited = line.rsplit(",", 1)[-1].strip('"').split("; ")
        assert len(cited) == len(set(cited)), line
