"""Integrity at the way in: what no source could support is refused before anything is written.

Each refusal is one line on stderr, a non-zero exit code, and the log exactly as it was: a merger
naming a body the ledger does not know, a rename onto a name another body holds on the date, a kind
of body that is not one, a change file giving a key twice, staff or a function moving from a body
to itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import SOURCE, Cli

Refuse = Callable[..., str]


@pytest.fixture
def devon(cli: Cli) -> Cli:
    """Two CCGs and a council, each established in 2013."""
    for name, kind in (
        ("NEW Devon CCG", "ccg"),
        ("South Devon and Torbay CCG", "ccg"),
        ("Plymouth City Council", "local_authority"),
    ):
        cli.ok("record", "established", name, "--kind", kind, "--effective", "2013-04-01", *SOURCE)
    return cli


def test_a_merger_naming_a_body_the_ledger_does_not_know_is_refused(
    devon: Cli, refuse: Refuse
) -> None:
    # A typo or a body never recorded: the merger is refused, nothing brought in under that name.
    line = refuse(
        "record", "merged", "--predecessor", "Nonexistent Body", "--predecessor", "NEW Devon CCG",
        "--successor", "NHS Devon CCG", "--kind", "ccg", "--effective", "2019-04-01", *SOURCE,
    )  # fmt: skip
    assert "unknown organisation 'Nonexistent Body'" in line
    # A close name is suggested.
    line = refuse(
        "record", "merged", "--predecessor", "South Devon and Torbay CG",
        "--predecessor", "NEW Devon CCG", "--successor", "NHS Devon CCG", "--kind", "ccg",
        "--effective", "2019-04-01", *SOURCE,
    )  # fmt: skip
    assert "did you mean 'South Devon and Torbay CCG'" in line
    # Merging into an existing body that is not known is refused the same way.
    line = refuse(
        "record", "merged", "--predecessor", "NEW Devon CCG", "--successor", "Devon Wide CCG",
        "--into", "existing", "--effective", "2019-04-01", *SOURCE,
    )  # fmt: skip
    assert "unknown organisation 'Devon Wide CCG'" in line


def test_a_merger_into_a_new_body_and_a_split_into_new_bodies_still_name_them_as_new(
    devon: Cli,
) -> None:
    out = devon.ok(
        "record", "merged", "--predecessor", "NEW Devon CCG",
        "--predecessor", "South Devon and Torbay CCG", "--successor", "NHS Devon CCG",
        "--kind", "ccg", "--effective", "2019-04-01", *SOURCE,
    )  # fmt: skip
    assert out.startswith("recorded: merged 2019-04-01")
    out = devon.ok(
        "record", "split", "NHS Devon CCG", "--successor", "North Kernow CCG",
        "--successor", "South Kernow CCG", "--effective", "2021-04-01", *SOURCE,
    )  # fmt: skip
    assert "introduced North Kernow CCG, South Kernow CCG" in out


def test_a_split_of_a_body_the_ledger_does_not_know_is_refused(devon: Cli, refuse: Refuse) -> None:
    line = refuse(
        "record", "split", "Old Devon CCG", "--successor", "North CCG", "--successor", "South CCG",
        "--effective", "2020-04-01", *SOURCE,
    )  # fmt: skip
    assert "unknown organisation 'Old Devon CCG'" in line


def test_a_merger_in_a_change_file_naming_an_unknown_body_appends_none_of_the_file(
    devon: Cli, refuse: Refuse, tmp_path: Path
) -> None:
    path = tmp_path / "merger.json"
    source = [{"source": "test-paper", "locator": "p. 2"}]
    path.write_text(
        json.dumps(
            [
                {"change": "closed", "organisation": "Plymouth City Council",
                 "effective": "2030-01-01", "reason": "r", "sources": source},
                {"id": "bad-merger", "change": "merged",
                 "predecessors": ["NEW Devon CCG", "Nonexistent Body"],
                 "successor": "NHS Devon CCG", "kind": "ccg", "effective": "2019-04-01",
                 "reason": "r", "sources": source},
            ]
        )
    )  # fmt: skip
    line = refuse("import", str(path))
    assert "entry 2 (bad-merger)" in line and "unknown organisation 'Nonexistent Body'" in line


def test_a_rename_onto_the_name_another_body_holds_on_the_date_is_refused(
    devon: Cli, refuse: Refuse
) -> None:
    line = refuse(
        "record", "renamed", "South Devon and Torbay CCG", "--name", "NEW Devon CCG",
        "--effective", "2018-01-01", *SOURCE,
    )  # fmt: skip
    assert line.startswith(
        "ledger: error: refused renamed: 'NEW Devon CCG' is the name of another body on 2018-01-01"
    )
    # Whatever the case and spacing it is written in: names are compared as the ledger finds them.
    refuse(
        "record", "renamed", "South Devon and Torbay CCG", "--name", "new devon  ccg",
        "--effective", "2018-01", *SOURCE,
    )  # fmt: skip


def test_a_name_held_by_a_body_only_before_or_after_the_date_is_free(devon: Cli) -> None:
    # NEW Devon CCG is renamed in 2015; its old name is free from then on ...
    devon.ok(
        "record", "renamed", "NEW Devon CCG", "--name", "Northern, Eastern and Western Devon CCG",
        "--effective", "2015-01-01", *SOURCE,
    )  # fmt: skip
    devon.ok(
        "record", "renamed", "South Devon and Torbay CCG", "--name", "NEW Devon CCG",
        "--effective", "2016-01-01", *SOURCE,
    )  # fmt: skip
    # ... and a closed body's last name is free after its closing.
    devon.ok("record", "closed", "Plymouth City Council", "--effective", "2017-01-01", *SOURCE)
    devon.ok(
        "record", "established", "Devon Council", "--kind", "local_authority",
        "--effective", "2017-06-01", *SOURCE,
    )  # fmt: skip
    out = devon.ok(
        "record", "renamed", "Devon Council", "--name", "Plymouth City Council",
        "--effective", "2018-01-01", *SOURCE,
    )  # fmt: skip
    assert out.startswith("recorded: renamed 2018-01-01")


@pytest.mark.parametrize(
    "args",
    [
        ["record", "established", "Foo Board", "--kind", "bored", "--effective", "2019"],
        ["record", "reclassified", "NEW Devon CCG", "--kind", "Board", "--effective", "2019"],
        ["record", "merged", "--predecessor", "NEW Devon CCG", "--successor", "NHS Devon CCG",
         "--kind", "bored", "--effective", "2019-04-01"],
        ["record", "split", "NEW Devon CCG", "--successor", "North CCG", "--kind", "bored",
         "--effective", "2019-04-01"],
    ],
    ids=["established", "reclassified", "merged", "split"],
)  # fmt: skip
def test_an_unknown_kind_of_body_is_refused_with_the_close_and_the_valid_kinds(
    devon: Cli, refuse: Refuse, args: list[str]
) -> None:
    line = refuse(*args, *SOURCE)
    assert "unknown kind of body" in line
    assert "did you mean 'board'?" in line
    assert "valid kinds: ccg, nhs_trust," in line


def test_a_correction_to_an_unknown_kind_of_body_is_refused(devon: Cli, refuse: Refuse) -> None:
    devon.ok(
        "record", "established", "Alpha Board", "--kind", "board", "--effective", "2019",
        "--id", "alpha", *SOURCE,
    )  # fmt: skip
    line = refuse("correct", "alpha", "--kind", "bored", "--reason", "typo")
    assert "unknown kind of body 'bored'; did you mean 'board'?" in line


@pytest.mark.parametrize("kind", ["CCG", "bored", "trust"])
def test_a_question_filtered_on_an_unknown_kind_is_refused_not_answered_empty(
    devon: Cli, refuse: Refuse, kind: str
) -> None:
    line = refuse("structure", "--kind", kind, "--on", "2015-01-01")
    assert f"--kind: unknown kind of body {kind!r}" in line
    assert "valid kinds:" in line
    if kind == "CCG":
        assert "did you mean 'ccg'?" in line
    # The kind as it is written answers.
    found = json.loads(devon.ok("structure", "--kind", "ccg", "--on", "2015-01-01", "-f", "json"))
    assert [o["name"] for o in found["organisations"]] == [
        "NEW Devon CCG",
        "South Devon and Torbay CCG",
    ]


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_a_change_file_giving_a_key_twice_is_refused(
    devon: Cli, refuse: Refuse, tmp_path: Path, fmt: str
) -> None:
    # Which date was meant? A parser would keep the last one silently; the ledger asks.
    if fmt == "yaml":
        text = (
            "changes:\n"
            "  - change: closed\n"
            "    organisation: Plymouth City Council\n"
            '    effective: "2019-04-01"\n'
            "    reason: r\n"
            "    sources: [{source: test-paper, locator: p. 1}]\n"
            "  - change: closed\n"
            "    organisation: NEW Devon CCG\n"
            '    effective: "2019-04-01"\n'
            '    effective: "2020-04-01"\n'
            "    reason: r\n"
            "    sources: [{source: test-paper, locator: p. 1}]\n"
        )
    else:
        text = (
            '[{"change": "closed", "organisation": "NEW Devon CCG", "effective": "2019-04-01",'
            ' "effective": "2020-04-01", "reason": "r",'
            ' "sources": [{"source": "test-paper", "locator": "p. 1"}]}]'
        )
    path = tmp_path / f"twice.{fmt}"
    path.write_text(text)
    line = refuse("import", str(path))
    assert "duplicated key 'effective'" in line
    if fmt == "yaml":
        assert "line 10 (entry 2)" in line


@pytest.mark.parametrize("kind", ["staff-transferred", "function-moved"])
def test_staff_or_a_function_moving_from_a_body_to_itself_is_refused(
    devon: Cli, refuse: Refuse, kind: str
) -> None:
    line = refuse(
        "record", kind, "adult social care", "--from", "Plymouth City Council",
        "--to", "plymouth city council", "--headcount", "173", "--effective", "2015-04", *SOURCE,
    )  # fmt: skip
    assert f"refused {kind.replace('-', '_')}: 'from' and 'to' are the same body" in line


def test_a_correction_renaming_onto_the_name_another_body_holds_is_refused(
    devon: Cli, refuse: Refuse
) -> None:
    devon.ok(
        "record", "renamed", "South Devon and Torbay CCG", "--name", "South Devon CCG",
        "--effective", "2018-01-01", "--id", "sdt-renamed", *SOURCE,
    )  # fmt: skip
    line = refuse("correct", "sdt-renamed", "--name", "NEW Devon CCG", "--reason", "typo")
    assert "'NEW Devon CCG' is the name of another body on 2018-01-01" in line
