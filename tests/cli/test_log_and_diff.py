"""The log filtered as an auditor asks it (who recorded what, of which kind, touching which body,
effective or recorded when), and `diff` answering what a reader asks of two dates: which bodies
appeared, ended, were renamed, joined or left, who took up a post, and the changes that did it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import ledger_command, one_line_error


def ask(store: Path, *args: str) -> Any:
    result = CliRunner().invoke(ledger_command(), ["--db", str(store), *args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def labels(store: Path, *args: str) -> list[str]:
    return [c["change"] for c in ask(store, "log", *args)["changes"]]


def test_the_log_by_kind_and_effective_dates(bundled_file: Path) -> None:
    # Which mergers took effect in 2019? The Devon CCGs', and nothing else.
    assert labels(bundled_file, "--kind", "merged", "--since", "2019", "--until", "2019") == [
        "devon-ccgs-merge-2019-04"
    ]
    # A kind may be given as the command line names it.
    transfers = labels(bundled_file, "--kind", "staff-transferred")
    assert transfers == ["plymouth-adult-social-care-staff-2015-04"]
    # --until a month takes the whole month: the merger on 1 April 2019 is in April 2019.
    assert "devon-ccgs-merge-2019-04" in labels(
        bundled_file, "--since", "2019-04", "--until", "2019-04"
    )
    assert "devon-ccgs-merge-2019-04" not in labels(bundled_file, "--until", "2019-03")


def test_the_log_by_body_and_recorder(bundled_file: Path) -> None:
    history = [c["change"] for c in ask(bundled_file, "history", "Livewell Southwest")["changes"]]
    touching = labels(bundled_file, "--body", "Livewell Southwest")
    assert sorted(touching) == sorted(history) and touching
    assert labels(bundled_file, "--body", "Livewell Southwest", "--recorder", "nobody") == []
    every = labels(bundled_file)
    assert labels(bundled_file, "--recorder", "ledger-curators") == every


def test_the_log_by_recorded_position_and_change(bundled_file: Path) -> None:
    merger = next(
        c for c in ask(bundled_file, "log")["changes"] if c["change"] == "devon-ccgs-merge-2019-04"
    )
    since = ask(bundled_file, "log", "--recorded-since", "devon-ccgs-merge-2019-04", "--limit", "2")
    assert [c["position"] for c in since["changes"]] == [merger["position"], merger["position"] + 1]
    until = ask(bundled_file, "log", "--recorded-until", str(merger["position"]))["changes"]
    assert until[-1]["change"] == "devon-ccgs-merge-2019-04"
    stamp = ask(bundled_file, "log", "--recorded-since", merger["recorded_at"])["changes"]
    assert stamp and all(c["recorded_at"] >= merger["recorded_at"] for c in stamp)


def test_an_unknown_kind_gets_the_closest(bundled_file: Path) -> None:
    result = CliRunner().invoke(
        ledger_command(), ["--db", str(bundled_file), "log", "--kind", "mergd"]
    )
    assert (
        one_line_error(result)
        == "ledger: error: --kind 'mergd' is not a kind of change; did you mean 'merged'?"
    )
    assert result.exit_code == 2


def test_diff_says_which_bodies_appeared_and_ended_and_why(bundled_file: Path) -> None:
    # Around the Devon merger: NHS Devon CCG appears, the two CCGs end, all by the merger.
    found = ask(bundled_file, "diff", "2019-03-31", "2019-04-01")
    assert [(d["body"], d["what"], d["changes"]) for d in found["bodies"]] == [
        ("NHS Devon CCG", "appeared", ["devon-ccgs-merge-2019-04"]),
        ("NEW Devon CCG", "ended", ["devon-ccgs-merge-2019-04"]),
        ("South Devon and Torbay CCG", "ended", ["devon-ccgs-merge-2019-04"]),
    ]
    # The changes themselves are still listed.
    assert "devon-ccgs-merge-2019-04" in [c["change"] for c in found["changes"]]


def test_diff_says_who_took_up_a_post_and_what_was_renamed(bundled_file: Path) -> None:
    found = ask(bundled_file, "diff", "2017-10-01", "2018-03-31")["bodies"]
    posts = [(d["detail"], d["changes"]) for d in found if d["what"] == "took up a post"]
    assert (
        "Mairead McAlinden as Chief Executive",
        ["devon-chief-executive-interim-mcalinden"],
    ) in posts
    # The papers rename nothing in these months: the STP is only described as an emerging ICS
    # (a designation, sdt-lcp-2018-03-09 Introduction), not renamed.
    assert [d for d in found if d["what"] == "renamed"] == []
    later = ask(bundled_file, "diff", "2018-12-31", "2019-03-31")["bodies"]
    renamed = [(d["body"], d["detail"], d["changes"]) for d in later if d["what"] == "renamed"]
    assert renamed == [
        (
            "University Hospitals Plymouth NHS Trust",
            "was Plymouth Hospitals NHS Trust",
            ["plymouth-hospitals-renamed-uhp"],
        )
    ]


@pytest.mark.parametrize("fmt", ["table", "csv", "mermaid", "dot"])
def test_diff_in_every_format_names_the_differences_and_their_changes(
    bundled_file: Path, fmt: str
) -> None:
    result = CliRunner().invoke(
        ledger_command(),
        ["--db", str(bundled_file), "diff", "2019-03-31", "2019-04-01", "--format", fmt],
    )
    assert result.exit_code == 0, result.stderr
    assert "NHS Devon CCG" in result.stdout and "appeared" in result.stdout
    assert "devon-ccgs-merge-2019-04" in result.stdout
