"""Corrections and retractions written in change files, imported like any other entry.

A programme office reviews a file that fixes a mistyped figure and withdraws a fact recorded against
the wrong body; `ledger import` applies both through the same logic as `ledger correct` and
`ledger retract`, all-or-nothing with the rest of the file, and re-importing the file appends nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, one_line_error

Fingerprint = Callable[[], tuple[int, str, int]]
PAPER = [{"source": "board-paper-2019", "locator": "section 2"}]


def entry(label: str, change: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": label,
        "change": change,
        "reason": "from the board paper",
        "sources": PAPER,
        **fields,
    }


def write(path: Path, *entries: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"recorder": "pmo", "changes": list(entries)}))
    return path


def history(cli: Cli, organisation: str, *args: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(cli.ok("history", organisation, "-f", "json", *args))[
        "changes"
    ]
    return rows


def base(tmp_path: Path) -> Path:
    return write(
        tmp_path / "01-base.json",
        entry(
            "trust",
            "established",
            effective="2015-04-01",
            organisation="Moor Trust",
            kind="nhs_trust",
        ),
        entry(
            "budget",
            "fact_recorded",
            effective="2016-04-01",
            subject="Moor Trust",
            attribute="budget",
            value="120",
            unit="GBP million",
        ),
        entry(
            "beds",
            "fact_recorded",
            effective="2016-04-01",
            subject="Moor Trust",
            attribute="beds",
            value="300",
        ),
    )


@pytest.mark.postgres(
    reason="slice: corrections and retractions imported from a file on PostgreSQL"
)
def test_a_file_corrects_and_retracts_recorded_changes(cli: Cli, tmp_path: Path) -> None:
    cli.ok("import", str(base(tmp_path)))
    fixes = write(
        tmp_path / "02-fixes.json",
        {
            "id": "budget-fix",
            "change": "corrected",
            "corrects": "budget",
            "value": "125",
            "reason": "figure from the published accounts",
            "sources": [{"source": "accounts-2016", "locator": "p. 4"}],
        },
        {"id": "beds-withdrawn", "change": "retracted", "retracts": "beds", "reason": "wrong body"},
    )
    out = cli.ok("import", str(fixes))
    assert "appended 2 changes" in out

    # The corrected figure is the one in force; the withdrawn one is gone; the log keeps all four.
    rows = history(cli, "Moor Trust")
    by_label = {r["change"]: r for r in rows}
    assert "Moor Trust: budget = 125 GBP million" in by_label["budget-fix"]["summary"]
    assert by_label["budget-fix"]["corrects"]["change"] == "budget"
    assert "budget" not in by_label
    assert "beds" not in by_label
    # Before the fixes were recorded, the ledger showed the originals.
    before = {r["change"]: r for r in history(cli, "Moor Trust", "--known-at", "beds")}
    assert "budget = 120" in before["budget"]["summary"]
    assert "beds" in before

    # Re-importing the fixes appends nothing (their labels are their identity).
    again = cli.ok("import", str(fixes))
    assert "appended 0 changes, 2 already recorded" in again


def test_a_bad_target_is_refused_naming_the_entry(
    cli: Cli, tmp_path: Path, store_fingerprint: Fingerprint
) -> None:
    cli.ok("import", str(base(tmp_path)))
    before = store_fingerprint()
    bad = write(
        tmp_path / "02-bad.json",
        entry(
            "beds-2017",
            "fact_recorded",
            effective="2017-04-01",
            subject="Moor Trust",
            attribute="beds",
            value="310",
        ),
        {
            "id": "typo-fix",
            "change": "corrected",
            "corrects": "budgte",
            "value": "125",
            "reason": "typo",
        },
    )
    line = one_line_error(cli("import", str(bad)))
    assert f"{bad}: entry 2 (typo-fix): unknown change 'budgte'" in line
    # All or nothing: the valid first entry was not appended either.
    assert store_fingerprint() == before


def test_a_retraction_and_a_correction_of_the_same_change_in_one_file_is_refused_whole(
    cli: Cli, tmp_path: Path, store_fingerprint: Fingerprint
) -> None:
    cli.ok("import", str(base(tmp_path)))
    before = store_fingerprint()
    clash = write(
        tmp_path / "02-clash.json",
        {"id": "beds-gone", "change": "retracted", "retracts": "beds", "reason": "wrong body"},
        {
            "id": "beds-fix",
            "change": "corrected",
            "corrects": "beds",
            "value": "301",
            "reason": "typo",
        },
    )
    line = one_line_error(cli("import", str(clash)))
    assert f"{clash}: entry 2 (beds-fix):" in line
    assert "already superseded" in line
    assert store_fingerprint() == before
    assert "beds" in {r["change"] for r in history(cli, "Moor Trust")}


def test_a_correction_is_checked_against_the_history(
    cli: Cli, tmp_path: Path, store_fingerprint: Fingerprint
) -> None:
    cli.ok("import", str(base(tmp_path)))
    before = store_fingerprint()
    early = write(
        tmp_path / "02-early.json",
        {"change": "corrected", "corrects": "beds", "effective": "2014-01-01", "reason": "date"},
    )
    line = one_line_error(cli("import", str(early)))
    assert f"{early}: entry 1:" in line
    assert "before it was established" in line
    assert store_fingerprint() == before


def test_an_unknown_field_of_a_correction_is_named(cli: Cli, tmp_path: Path) -> None:
    bad = write(
        tmp_path / "bad.json",
        {"id": "x", "change": "corrected", "corrects": "beds", "colour": "red", "reason": "r"},
    )
    line = one_line_error(cli("import", str(bad)))
    assert line.endswith(f"{bad}: entry 1 (x): unknown field 'colour'")


def test_a_changed_correction_under_the_same_label_is_refused(
    cli: Cli, tmp_path: Path, store_fingerprint: Fingerprint
) -> None:
    cli.ok("import", str(base(tmp_path)))
    fix = {"id": "budget-fix", "change": "corrected", "corrects": "budget", "reason": "accounts"}
    cli.ok("import", str(write(tmp_path / "02.json", {**fix, "value": "125"})))
    before = store_fingerprint()
    line = one_line_error(cli("import", str(write(tmp_path / "03.json", {**fix, "value": "126"}))))
    assert "change 'budget-fix' is already recorded with different content" in line
    assert store_fingerprint() == before


def test_a_file_corrects_its_own_earlier_entries(cli: Cli, tmp_path: Path) -> None:
    # The changes a correction names are found in the read model; one still pending in the same
    # file is projected first, and a correction of that correction then sees it superseded.
    one_file = write(
        tmp_path / "01-all.json",
        *json.loads(base(tmp_path).read_text())["changes"],
        {
            "id": "budget-fix",
            "change": "corrected",
            "corrects": "budget",
            "value": "125",
            "reason": "typo",
        },
        {
            "id": "budget-fix-2",
            "change": "corrected",
            "corrects": "budget-fix",
            "value": "126",
            "reason": "typo",
        },
        {"id": "beds-gone", "change": "retracted", "retracts": "beds", "reason": "wrong body"},
    )
    assert "appended 6 changes" in cli.ok("import", str(one_file))
    by_label = {r["change"]: r for r in history(cli, "Moor Trust")}
    assert "Moor Trust: budget = 126 GBP million" in by_label["budget-fix-2"]["summary"]
    assert not {"budget", "budget-fix", "beds"} & set(by_label)
