"""What a programme office meets in its first hour, each in the user's words: one line on stderr,
the documented exit code, and nothing written. Each test is one of the rough edges a first use
found (the "Why" of the issue that asked for these messages), with the text it now gets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger import __version__
from tests.conftest import SOURCE, Cli, ledger_command, one_line_error

Fingerprint = Callable[[], tuple[int, str, int]]


def bare(*args: str) -> tuple[int, str, str]:
    """`ledger ARGS` without a store."""
    result = CliRunner().invoke(ledger_command(), list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def history(cli: Cli) -> Cli:
    """A trust founded in April 2015 (change 'alpha-est') and a partnership seen only from March
    2021 (change 'beta-est')."""
    cli.ok("record", "established", "Alpha NHS Trust", "--kind", "nhs_trust",
           "--effective", "2015-04", "--id", "alpha-est", *SOURCE)  # fmt: skip
    cli.ok("record", "established", "Beta Partnership", "--kind", "partnership",
           "--effective", "2021-03", "--id", "beta-est", *SOURCE)  # fmt: skip
    return cli


def change_file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


RENAME = (
    "- change: renamed\n  organisation: Alpha NHS Trust\n  name: Alpha Trust\n"
    "  effective: 2016-01-01\n  reason: board minutes\n"
    "  sources: [{source: board-2016, locator: item 3}]\n"
)

# --- the command itself -------------------------------------------------------------------------


def test_the_version_is_an_option_and_a_command_named_version_points_to_it() -> None:
    assert bare("--version") == (0, f"ledger {__version__}\n", "")
    code, out, err = bare("version")
    assert (code, out) == (2, "")
    assert err == (
        "ledger: error: no command 'version'; the version is `ledger --version` "
        "(see 'ledger --help')\n"
    )


def test_a_mistyped_command_gets_one_suggestion() -> None:
    code, _, err = bare("strucure")
    assert code == 2
    assert (
        err
        == "ledger: error: no command 'strucure'; did you mean 'structure'? (see 'ledger --help')\n"
    )
    # A hidden alias (post_abolished beside post-abolished) is never offered.
    code, _, err = bare("record", "establishd")
    assert code == 2 and err.count("did you mean") == 1
    assert "did you mean 'established'?" in err


def test_record_help_shows_the_example_on_a_line_of_its_own() -> None:
    code, out, _ = bare("record", "established", "--help")
    assert code == 0
    assert "\\b" not in out
    assert "  [required]" in out and "\\[" not in out  # plain text, not escaped for markup
    example = next(line for line in out.splitlines() if 'ledger record established "' in line)
    assert example.strip().startswith("ledger record established ")
    assert example.rstrip().endswith('--reason "integrated care boards replaced CCGs"')


# --- questions never make a store ---------------------------------------------------------------


def test_a_question_with_a_mistyped_store_path_names_it_and_makes_nothing(tmp_path: Path) -> None:
    typo = tmp_path / "ledgr.db"
    code, out, err = bare("--db", str(typo), "structure", "--on", "2019-04-01")
    assert (code, out) == (6, "")
    assert err == (
        f"ledger: error: no ledger at {typo}: create one with `ledger init`, "
        "or `ledger import FILE...`\n"
    )
    assert not typo.exists()


# --- refusals of a change, in the words of a change file or of the command line -----------------


def test_an_empty_reason_says_what_a_reason_is_for(history: Cli, refuse) -> None:
    line = refuse("record", "renamed", "Alpha NHS Trust", "--name", "Alpha Trust",
                  "--effective", "2016", "--source", "board-2016:item 3", "--reason", "")  # fmt: skip
    assert line == "ledger: error: --reason is empty: say why the change is recorded"


def test_a_reason_given_as_a_list_is_named(history: Cli, refuse, tmp_path: Path) -> None:
    path = change_file(
        tmp_path, "reason.yaml", RENAME.replace("reason: board minutes", "reason: []")
    )
    line = refuse("import", path)
    assert line == f"ledger: error: {path}: entry 1: reason must be text, not a list ([])"


def test_a_source_without_an_id_is_named(history: Cli, refuse, tmp_path: Path) -> None:
    path = change_file(tmp_path, "source.yaml", RENAME.replace("source: board-2016", "source: ''"))
    assert refuse("import", path) == (
        f"ledger: error: {path}: entry 1: source (sources entry 1) is empty: "
        "give the source's id (as in events/sources.yaml)"
    )
    line = refuse("record", "renamed", "Alpha NHS Trust", "--name", "Alpha Trust",
                  "--effective", "2016", "--source", ":item 3", "--reason", "r")  # fmt: skip
    assert line == (
        "ledger: error: --source ':item 3' has no SOURCE_ID: write SOURCE_ID:LOCATOR, "
        'e.g. devon-pdeg-2017-09-15:"section 3"'
    )


def test_no_sources_at_all_says_a_change_needs_one(history: Cli, refuse, tmp_path: Path) -> None:
    text = RENAME.replace("[{source: board-2016, locator: item 3}]", "[]")
    path = change_file(tmp_path, "none.yaml", text)
    assert refuse("import", path) == (
        f"ledger: error: {path}: entry 1: sources is empty: a change needs at least one source "
        "(a source id and where in it: {source: ID, locator: WHERE})"
    )


def test_a_headcount_of_nobody_is_named_with_its_value(history: Cli, refuse) -> None:
    history.ok("record", "established", "Gamma Council", "--kind", "local_authority",
               "--effective", "2001", *SOURCE)  # fmt: skip
    line = refuse("record", "staff-transferred", "payroll", "--from", "Gamma Council",
                  "--to", "Alpha NHS Trust", "--headcount", "0", "--effective", "2017", *SOURCE)  # fmt: skip
    assert line == "ledger: error: --headcount is 0: it must be a whole number of at least 1"


def test_an_unquoted_year_in_yaml_gets_a_hint_to_quote_it(
    history: Cli, refuse, tmp_path: Path
) -> None:
    path = change_file(tmp_path, "year.yaml", RENAME.replace("2016-01-01", "2016"))
    assert refuse("import", path) == (
        f"ledger: error: {path}: entry 1: effective is the number 2016, not a date: in a YAML "
        'file write it in quotes (effective: "2016") to mean the year or period'
    )


def test_a_misspelt_field_is_unknown_with_the_field_it_was_meant_to_be(
    history: Cli, refuse, tmp_path: Path
) -> None:
    path = change_file(tmp_path, "typo.yaml", RENAME.replace("effective:", "effectve:"))
    assert refuse("import", path) == (
        f"ledger: error: {path}: entry 1: unknown field 'effectve'; did you mean 'effective'?"
    )
    # A field like nothing the change has is unknown, plainly.
    path = change_file(tmp_path, "colour.yaml", RENAME + "  colour: red\n")
    assert refuse("import", path) == f"ledger: error: {path}: entry 1: unknown field 'colour'"


def test_an_id_given_twice_in_one_file_is_named_as_such(
    history: Cli, refuse, tmp_path: Path
) -> None:
    twice = RENAME.replace("- change:", "- id: alpha-renamed\n  change:")
    path = change_file(tmp_path, "twice.yaml", twice + twice.replace("2016-01-01", "2017-01-01"))
    assert refuse("import", path) == (
        f"ledger: error: {path}: entry 2 (alpha-renamed): the id 'alpha-renamed' is also the id "
        "of entry 1 of this file; give each change an id of its own"
    )


def test_establishing_a_body_again_says_when_and_by_which_change(history: Cli, refuse) -> None:
    line = refuse("record", "established", "Alpha NHS Trust", "--kind", "nhs_trust",
                  "--effective", "2016-01-01", *SOURCE)  # fmt: skip
    assert line == (
        "ledger: error: refused established 2016-01-01: Alpha NHS Trust: organisation already "
        "established on 2015-04 (conflicts with change 'alpha-est', established effective 2015-04)"
    )


def test_merging_a_body_before_its_establishment_says_it_was_not_yet_established(
    history: Cli, refuse
) -> None:
    line = refuse("record", "merged", "--predecessor", "Beta Partnership",
                  "--predecessor", "Alpha NHS Trust", "--successor", "Gamma Alliance",
                  "--kind", "partnership", "--effective", "2020-01-01", *SOURCE)  # fmt: skip
    assert line == (
        "ledger: error: refused merged 2020-01-01: Beta Partnership: not yet established on "
        "2020-01-01: established 2021-03 (conflicts with change 'beta-est', established "
        "effective 2021-03)"
    )


# --- the log's end, empty files and sets of files -----------------------------------------------


def test_known_at_past_the_end_of_the_log_names_the_end(history: Cli, refuse) -> None:
    line = refuse("structure", "--known-at", "99999")
    assert line.startswith(
        "ledger: error: --known-at 99999 is past the end of the log: its last position is 2, "
        "recorded "
    )
    assert line.endswith("Z")
    assert history("structure", "--known-at", "99999").exit_code == 2


def test_an_empty_change_file_is_reported_as_holding_nothing(
    history: Cli, tmp_path: Path, store_fingerprint: Fingerprint
) -> None:
    before = store_fingerprint()
    path = change_file(tmp_path, "empty.yaml", "changes: []\n")
    assert history.ok("import", path) == (
        f"{path}: holds no changes (nothing to append)\n"
        "nothing appended: the files hold no changes\n"
    )
    assert store_fingerprint() == before


def test_a_set_of_files_says_what_was_kept_when_one_is_refused(
    history: Cli, tmp_path: Path, store_fingerprint: Fingerprint
) -> None:
    good = change_file(tmp_path, "a.yaml", RENAME)
    bad = change_file(tmp_path, "b.yaml", RENAME.replace("Alpha NHS Trust", "Alpha Trust")
                      .replace("2016-01-01", "2014-01-01"))  # fmt: skip
    # As one set, nothing is appended: the refusal of b.yaml takes a.yaml with it.
    before = store_fingerprint()
    result = history("import", good, bad, "--all-or-nothing")
    line = one_line_error(result)
    assert result.exit_code == 4
    assert line.startswith(f"ledger: error: {bad}: entry 1: refused renamed 2014-01-01:")
    assert "kept" not in line
    assert store_fingerprint() == before
    # File by file, a.yaml is kept, and the refusal says so.
    result = history("import", good, bad)
    line = one_line_error(result)
    assert result.exit_code == 4
    assert line.endswith("[kept: a.yaml were appended before it; nothing of b.yaml or after it]")
    assert result.stdout == f"{good}: appended 1 changes\n"


# --- a checkpoint is never overwritten by accident ----------------------------------------------


def test_a_checkpoint_file_is_not_overwritten_without_force(
    history: Cli, tmp_path: Path, refuse
) -> None:
    out = tmp_path / "checkpoint.txt"
    history.ok("checkpoint", "--out", str(out))
    kept = out.read_text()
    line = refuse("checkpoint", "--out", str(out))
    assert line == f"ledger: error: {out} exists; give --force to overwrite it, or another --out"
    assert out.read_text() == kept
    history.ok("checkpoint", "--out", str(out), "--force")
