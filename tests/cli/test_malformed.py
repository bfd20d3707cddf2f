"""Malformed input, typed or imported, is refused with one line on stderr and appends nothing.

Change files are all-or-nothing: a problem in the 40th of 45 entries names the file and the entry,
and not one of the 45 is appended.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SOURCE, Cli

Fingerprint = Callable[[], tuple[int, str, int]]


@pytest.fixture
def alpha(cli: Cli) -> Cli:
    """A ledger holding one trust, so that 'nothing appended' is not trivially true."""
    cli.ok("record", "established", "Alpha NHS Trust", "--kind", "nhs_trust",
           "--effective", "2017-04-01", *SOURCE)  # fmt: skip
    return cli


def logged(cli: Cli) -> list[dict[str, Any]]:
    return json.loads(cli.ok("log", "--format", "json"))["changes"]


def entry(number: int, **overrides: str) -> dict[str, Any]:
    """One change-file entry: the establishment of 'Body NN'."""
    data: dict[str, Any] = {
        "change": "established",
        "organisation": f"Body {number:02d}",
        "kind": "nhs_trust",
        "effective": "2015-04-01",
        "reason": "test",
        "sources": [{"source": "test-paper", "locator": f"row {number}"}],
    }
    data.update(overrides)
    return data


def yaml_entry(data: dict[str, Any]) -> str:
    """An entry as a curator would write it in YAML (dates quoted, sources as a block list)."""
    lines = []
    for key, value in data.items():
        if key == "sources":
            lines.append("sources:")
            for source in value:
                lines.append(f"  - source: {source['source']}")
                lines.append(f'    locator: "{source["locator"]}"')
        elif key == "effective":
            lines.append(f'effective: "{value}"')
        else:
            lines.append(f"{key}: {value}")
    return "  - " + "\n    ".join(lines) + "\n"


def write_yaml(path: Path, entries: list[str]) -> Path:
    path.write_text("changes:\n" + "".join(entries), encoding="utf-8")
    return path


# --- bad values on the command line -----------------------------------------------------------


@pytest.mark.parametrize(
    "effective",
    ["2019-02-30", "2019-13", "13/04/2019"],
    ids=["no-30-february", "no-13th-month", "day-first"],
)
def test_a_bad_effective_date_is_refused(alpha: Cli, refuse, effective: str) -> None:
    # A rename dated with something that is not a date the ledger accepts.
    line = refuse(
        "record", "renamed", "Alpha NHS Trust", "--name", "Alpha Trust",
        "--effective", effective, *SOURCE,
    )  # fmt: skip
    # The message quotes the bad value.
    assert effective in line
    assert "effective" in line


def test_an_unknown_record_subcommand_is_refused(alpha: Cli, refuse) -> None:
    # "dissolved" is not a kind of change (the ledger calls it "closed").
    line = refuse("record", "dissolved", "Alpha NHS Trust", "--effective", "2019", *SOURCE)
    assert "dissolved" in line


def test_a_missing_required_option_is_refused(alpha: Cli, refuse) -> None:
    # A rename without the new --name.
    line = refuse("record", "renamed", "Alpha NHS Trust", "--effective", "2019", *SOURCE)
    assert "--name" in line


def test_a_missing_reason_is_refused(alpha: Cli, refuse) -> None:
    # A rename with a source but no --reason.
    line = refuse(
        "record", "renamed", "Alpha NHS Trust", "--name", "Alpha Trust", "--effective", "2019",
        "--source", "board-minutes:item 3",
    )  # fmt: skip
    assert "--reason" in line


def test_an_unknown_organisation_is_refused_with_close_candidates(alpha: Cli, refuse) -> None:
    # A typo in the trust's name.
    line = refuse(
        "record", "renamed", "Alpha NHS Trsut", "--name", "Alpha Trust", "--effective", "2019",
        *SOURCE,
    )  # fmt: skip
    # The message says it is unknown and suggests the trust that was meant.
    assert "Alpha NHS Trsut" in line
    assert "did you mean" in line
    assert "Alpha NHS Trust" in line.split("did you mean", 1)[1]


def test_an_ambiguous_name_is_refused(cli: Cli, refuse) -> None:
    # One trust is renamed away from "Northern Trust" ...
    cli.ok("record", "established", "Northern Trust", "--kind", "nhs_trust", "--effective", "2001",
           *SOURCE)  # fmt: skip
    cli.ok("record", "renamed", "Northern Trust", "--name", "Coastal Trust", "--effective", "2010",
           *SOURCE)  # fmt: skip
    # ... and later another trust takes that name.
    cli.ok("record", "established", "Riverside Trust", "--kind", "nhs_trust", "--effective",
           "2012", *SOURCE)  # fmt: skip
    cli.ok("record", "renamed", "Riverside Trust", "--name", "Northern Trust", "--effective",
           "2015", *SOURCE)  # fmt: skip
    # "Northern Trust" now names two bodies, so closing "Northern Trust" is refused.
    line = refuse("record", "closed", "Northern Trust", "--effective", "2020", *SOURCE)
    assert "ambiguous" in line
    # Both candidates are listed with their ids ...
    ids = re.findall(r"\b[0-9a-f]{8}\b", line)
    assert len(set(ids)) == 2, line
    # ... and the user can pick one by its id.
    assert "recorded: closed" in cli.ok("record", "closed", ids[1], "--effective", "2020", *SOURCE)


# --- bad change files -------------------------------------------------------------------------


def test_an_unknown_kind_of_change_in_a_file_is_refused(alpha: Cli, refuse, tmp_path: Path) -> None:
    # A file whose second entry is of a kind the ledger does not know.
    path = write_yaml(
        tmp_path / "unknown-kind.yaml",
        [yaml_entry(entry(1)), yaml_entry(entry(2, change="dissolved"))],
    )
    line = refuse("import", str(path))
    # The message names the file, the entry and the unknown kind.
    assert path.name in line
    assert "entry 2" in line
    assert "dissolved" in line
    # Entry 1 was fine, but nothing from the file was appended.
    assert len(logged(alpha)) == 1


def test_a_missing_field_in_a_file_is_refused(alpha: Cli, refuse, tmp_path: Path) -> None:
    # A rename entry without the new `name`.
    path = write_yaml(
        tmp_path / "missing-name.yaml",
        [
            "  - change: renamed\n"
            "    organisation: Alpha NHS Trust\n"
            '    effective: "2019"\n'
            "    reason: board minutes\n"
            "    sources: [{source: board-minutes, locator: item 3}]\n"
        ],
    )
    line = refuse("import", str(path))
    assert path.name in line
    assert "entry 1" in line
    assert "'name'" in line


def test_a_yaml_syntax_error_in_entry_40_appends_nothing(cli: Cli, refuse, tmp_path: Path) -> None:
    # 45 establishments; the 40th has a stray colon that breaks the YAML.
    entries = [yaml_entry(entry(n)) for n in range(1, 46)]
    entries[39] = yaml_entry(entry(40, reason="test: broken"))
    path = write_yaml(tmp_path / "broken-syntax.yaml", entries)
    # The import is refused, naming the file and entry 40.
    line = refuse("import", str(path))
    assert path.name in line
    assert "entry 40" in line
    # Not one of the 45 entries was appended.
    assert logged(cli) == []


def test_an_invalid_date_in_entry_40_appends_nothing(cli: Cli, refuse, tmp_path: Path) -> None:
    # 45 well-formed entries; the 40th is dated 30 February.
    entries = [yaml_entry(entry(n)) for n in range(1, 46)]
    entries[39] = yaml_entry(entry(40, effective="2019-02-30"))
    path = write_yaml(tmp_path / "bad-date.yaml", entries)
    line = refuse("import", str(path))
    assert path.name in line
    assert "entry 40" in line
    assert "2019-02-30" in line
    assert logged(cli) == []


@pytest.mark.postgres(
    reason="slice: a file refused at its 40th entry leaves the PostgreSQL store as it was"
)
def test_a_change_refused_by_the_history_in_entry_40_appends_nothing(
    cli: Cli, refuse, tmp_path: Path
) -> None:
    # Entries 1-38 establish bodies, 39 closes Body 01, 40 closes it again, 41-45 establish more.
    entries = [yaml_entry(entry(n)) for n in range(1, 46)]
    close = {"change": "closed", "organisation": "Body 01", "reason": "test"}
    sources = {"sources": [{"source": "test-paper", "locator": "closure"}]}
    entries[38] = yaml_entry(
        {"id": "body-01-closed", **close, "effective": "2019-03-31", **sources}
    )
    entries[39] = yaml_entry({**close, "effective": "2020-03-31", **sources})
    path = write_yaml(tmp_path / "closes-twice.yaml", entries)
    # The whole file is refused at entry 40, naming the closure it repeats.
    line = refuse("import", str(path))
    assert path.name in line
    assert "entry 40" in line
    assert "conflicts with change 'body-01-closed'" in line
    # Nothing from the file was appended, not even the 39 good entries before it.
    assert logged(cli) == []


def test_a_json_file_with_a_syntax_error_is_refused(alpha: Cli, refuse, tmp_path: Path) -> None:
    # Two entries with the comma between them missing.
    first, second = json.dumps(entry(1)), json.dumps(entry(2))
    path = tmp_path / "broken.json"
    path.write_text('{"changes": [\n  ' + first + "\n  " + second + "\n]}\n", encoding="utf-8")
    line = refuse("import", str(path))
    assert path.name in line
    assert "JSON" in line
    assert len(logged(alpha)) == 1


def test_re_importing_a_good_file_appends_nothing_and_says_so(
    cli: Cli, store_fingerprint: Fingerprint, tmp_path: Path
) -> None:
    # A good file: two establishments and a labelled rename.
    entries = [
        yaml_entry(entry(1)),
        yaml_entry(entry(2)),
        yaml_entry(
            {
                "id": "body-01-renamed",
                "change": "renamed",
                "organisation": "Body 01",
                "name": "Body One",
                "effective": "2016",
                "reason": "test",
                "sources": [{"source": "test-paper", "locator": "rename"}],
            }
        ),
    ]
    path = write_yaml(tmp_path / "good.yaml", entries)
    # The first import appends all three.
    assert "appended 3 changes" in cli.ok("import", str(path))
    assert len(logged(cli)) == 3
    # The second appends nothing, says so, and leaves the store exactly as it was.
    before = store_fingerprint()
    result = cli("import", str(path))
    assert result.exit_code == 0, result.stderr
    assert "appended 0 changes" in result.stdout
    assert "3 already recorded" in result.stdout
    assert "nothing new" in result.stdout
    assert store_fingerprint() == before
    assert len(logged(cli)) == 3
