"""Input that once ended in "unexpected" (exit 70) ends with one line and a documented exit code,
the same on both engines: a NUL character, an ODS date at the calendar's edge, a change file nested
thousands of levels deep, a reader that closes the pipe, and `--known-at` text that looks like a
pattern. README's table of exit codes lists every code the command can return."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ledger.application import errors
from tests.conftest import SOURCE, Cli, one_line_error

ROOT = Path(__file__).resolve().parents[2]
Refuse = Callable[..., str]

pytestmark = pytest.mark.postgres(
    reason="each input must end alike on both engines (PostgreSQL's text cannot hold a NUL that "
    "SQLite stores)"
)


@pytest.fixture
def trust(cli: Cli) -> Cli:
    cli.ok("record", "established", "Alpha NHS Trust", "--kind", "nhs_trust", "-e", "2017",
           "--id", "alpha", *SOURCE)  # fmt: skip
    return cli


@pytest.mark.parametrize(
    "field, value",
    [("organisation", "Beta\\0 Trust"), ("reason", "a\\0b"), ("source", "paper\\0")],
)
def test_a_nul_character_is_refused_on_both_engines(
    trust: Cli, refuse: Refuse, tmp_path: Path, field: str, value: str
) -> None:
    entry = {
        "organisation": '"Beta Trust"',
        "reason": "test",
        "source": "test-paper",
    } | {field: f'"{value}"'}
    path = tmp_path / "nul.yaml"
    path.write_text(
        "changes:\n- change: established\n"
        f"  organisation: {entry['organisation']}\n  kind: nhs_trust\n  effective: '2018'\n"
        f"  reason: {entry['reason']}\n  sources: [{{source: {entry['source']}, locator: p1}}]\n"
    )
    line = refuse("import", str(path))
    field_named = f"{field}: " if field != "source" else ""
    assert line == (
        f"ledger: error: {path}: entry 1: {field_named}text may not contain a NUL character (\\0)"
    ), line
    assert trust("import", str(path)).exit_code == errors.InvalidInput.exit_code


def test_a_correction_or_a_question_with_a_nul_character_is_refused(
    trust: Cli, refuse: Refuse
) -> None:
    line = refuse("correct", "alpha", "--name", "Alpha\x00Trust", "--reason", "typo")
    assert line == "ledger: error: text may not contain a NUL character (\\0)"
    result = trust("show", "Alpha\x00Trust")
    assert result.exit_code in (2, 3)  # PostgreSQL refuses the value; SQLite knows no such name
    assert "unexpected" not in one_line_error(result)
    assert "unexpected" not in refuse("retract", "alpha\x00", "--reason", "x")


@pytest.mark.parametrize("suffix, text", [(".yaml", "changes: "), (".json", "")])
def test_a_change_file_nested_thousands_deep_is_refused(
    trust: Cli, refuse: Refuse, tmp_path: Path, suffix: str, text: str
) -> None:
    path = tmp_path / f"deep{suffix}"
    path.write_text(text + "[" * 5000 + "]" * 5000 + "\n")
    assert refuse("import", str(path)) == (
        f"ledger: error: {path}: nested too deeply to be a change file"
    )
    shallow = tmp_path / f"shallow{suffix}"
    shallow.write_text(text + "[" * 20 + "]" * 20 + "\n")
    assert refuse("import", str(shallow)) == (
        f"ledger: error: {shallow}: nested more than 16 levels deep; a change file is a list of "
        "mappings of plain values"
    )


def test_an_ods_close_date_of_99991231_means_open(cli: Cli, tmp_path: Path) -> None:
    row = [""] * 27
    row[0], row[1], row[10], row[11] = "RX1", "OPEN ENDED NHS TRUST", "20100401", "99991231"
    path = tmp_path / "etr.csv"
    with path.open("w", newline="") as out:
        csv.writer(out, quoting=csv.QUOTE_ALL).writerow(row)
    cli.ok("import-ods", str(path), "--released", "2025-06-01")
    kinds = [c["kind"] for c in json.loads(cli.ok("log", "--format", "json"))["changes"]]
    assert "closed" not in kinds and kinds[0] == "established"
    assert "Open Ended NHS Trust" in cli.ok("structure", "--on", "9999-12-30")


def test_known_at_is_matched_literally(trust: Cli) -> None:
    for year in ("2018", "2019", "2020"):
        trust.ok("record", "renamed", "Alpha NHS Trust", "--name", f"Alpha {year}", "-e", year,
                 *SOURCE)  # fmt: skip
    result = trust("structure", "--known-at", "%3")
    assert result.exit_code == errors.InvalidInput.exit_code
    assert result.stderr.strip() == (
        "ledger: error: --known-at '%3' is not a position, a change id or a timestamp "
        "(e.g. 2019-01-01T00:00)"
    )
    result = trust("structure", "--known-at", "_")
    assert result.exit_code == errors.InvalidInput.exit_code


@pytest.mark.parametrize("command", [["export"], ["replay", "--format", "json"]])
def test_a_reader_that_closes_the_pipe_ends_the_output_quietly(
    trust: Cli, command: list[str], tmp_path: Path
) -> None:
    # Enough output to outgrow the pipe: the reader has gone before the ledger writes the rest.
    changes = tmp_path / "many.yaml"
    changes.write_text(
        "changes:\n"
        + "".join(
            f"- {{change: renamed, organisation: Alpha NHS Trust, name: 'Alpha {n} {'x' * 400}', "
            f"effective: '2018-{1 + n % 12:02d}-{1 + n // 12:02d}', reason: {'r' * 400}, "
            f"sources: [{{source: s, locator: l}}]}}\n"
            for n in range(300)
        )
    )
    trust.ok("import", str(changes))
    ledger = [sys.executable, "-c", "from ledger.cli.main import run; run()"]
    child = subprocess.Popen(
        [*ledger, "--db", trust.url, *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.readline()
    child.stdout.close()  # as `| head -1` does
    status = child.wait(timeout=120)
    stderr = child.stderr.read().decode()
    assert stderr == ""
    assert status in (0, 141)  # 141 when a write found the pipe closed; 0 if all was written first


def test_the_readme_lists_every_exit_code() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("| exit code |") :].split("\n\n", 1)[0]
    listed = {int(m) for m in re.findall(r"^\| (\d+) \|", table, flags=re.M)}
    raised = {
        cls.exit_code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.LedgerError)
    }
    # 0 success; 2 also a usage error; 70 a bug (still one line); 130 interrupted; 141 closed pipe.
    assert listed == raised | {0, 2, 70, 130, 141}
