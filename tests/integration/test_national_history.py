"""A national history at smoke-test scale: generated, imported through the CLI, and checked.

benchmarks/generate.py writes a seeded national history (bodies of every kind over thirty years,
every kind of change, corrections, retractions, changes recorded out of effective order) together
with a manifest of what a correct store must answer. This test imports it with `ledger import` on the
engine under test and asks the ledger those questions. 20,000 changes by default, as issue 7 asks;
LEDGER_NATIONAL_SIZE overrides it (e.g. 2000 while developing). Correctness only, never timings.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from benchmarks.generate import generate

from tests.conftest import Cli
from tests.support.stores import fresh_store

SIZE = int(os.environ.get("LEDGER_NATIONAL_SIZE", "20000"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cli, dict[str, Any]]]:
    """One store with the whole generated history imported (shared by the tests of this module)."""
    folder = tmp_path_factory.mktemp("national")
    manifest = generate(SIZE, folder / "changes")
    with fresh_store() as url:
        cli = Cli(url, folder)
        cli.ok("import", str(folder / "changes"))
        yield cli, manifest


def as_json(cli: Cli, *args: str) -> Any:
    return json.loads(cli.ok(*args, "--format", "json"))


def history(cli: Cli, organisation: str, *args: str) -> dict[str, dict[str, Any]]:
    rows = as_json(cli, "history", organisation, *args)["changes"]
    return {row["change"]: row for row in rows}


def test_every_generated_change_is_in_the_ledger(national: tuple[Cli, dict[str, Any]]) -> None:
    cli, manifest = national
    size = manifest["size"]
    assert SIZE <= size < SIZE + 10  # a closure may bring its successor edge with it
    assert sum(manifest["counts"].values()) == size
    # Every kind of change the ledger knows, and corrections and retractions, were generated.
    for kind in (
        "established",
        "merged",
        "split",
        "renamed",
        "closed",
        "joined",
        "appointed",
        "staff_transferred",
        "fact_recorded",
        "corrected",
        "retracted",
    ):
        assert manifest["counts"].get(kind, 0) > 0, kind
    out = cli.ok("init")
    assert re.search(rf"\({size} changes\)", out), out
    # Re-importing the same files appends nothing.
    again = cli.ok("import", str(cli.cwd / "changes"))
    assert "nothing new" in again


def test_the_bodies_in_force_on_each_probe_date(national: tuple[Cli, dict[str, Any]]) -> None:
    cli, manifest = national
    assert manifest["expect"]["in_force"]
    for probe in manifest["expect"]["in_force"]:
        structure = as_json(cli, "structure", "--on", probe["on"])
        names = {o["name"] for o in structure["organisations"]}
        assert len(structure["organisations"]) == probe["count"], probe["on"]
        assert set(probe["names"]) <= names, probe["on"]


def test_merged_bodies_trace_back_to_their_predecessors(
    national: tuple[Cli, dict[str, Any]],
) -> None:
    cli, manifest = national
    assert manifest["expect"]["lineage"]
    for merger in manifest["expect"]["lineage"]:
        edges = as_json(cli, "lineage", merger["successor"])["edges"]
        mine = [e for e in edges if e["change"] == merger["label"]]
        assert {e["kind"] for e in mine} == {"merged"}, merger
        # By id: each predecessor as the ledger finds it by the name it had when it merged.
        ids = {as_json(cli, "show", name)["organisation"]["id"] for name in merger["predecessors"]}
        assert {e["from_id"] for e in mine} == ids, merger


def test_posts_have_their_holders_on_the_probe_dates(national: tuple[Cli, dict[str, Any]]) -> None:
    cli, manifest = national
    assert manifest["expect"]["holders"]
    for expected in manifest["expect"]["holders"]:
        post = f"{expected['post']}, {expected['organisation']}"
        found = as_json(cli, "holders", post, "--on", expected["on"])["holders"]
        substantive = [
            h["person"] for h in found if not (h["interim"] or h["acting"] or h["shadow"])
        ]
        assert substantive == [expected["holder"]], (post, expected["on"], found)


def test_corrections_replace_the_changes_they_correct(
    national: tuple[Cli, dict[str, Any]],
) -> None:
    cli, manifest = national
    assert manifest["expect"]["corrections"]
    for fix in manifest["expect"]["corrections"]:
        rows = history(cli, fix["subject"])
        assert fix["target"] not in rows, fix
        correction = rows[fix["label"]]
        assert correction["corrects"]["change"] == fix["target"]
        assert fix["new"] in correction["summary"], (fix, correction["summary"])
        if fix["kind"] == "fact_recorded":
            assert f"{fix['attribute']} = {fix['new']}" in correction["summary"]
        # Known at the moment before the correction, the original stands.
        before = history(cli, fix["subject"], "--known-at", fix["target"])
        assert fix["old"] in before[fix["target"]]["summary"]


def test_retracted_changes_are_gone(national: tuple[Cli, dict[str, Any]]) -> None:
    cli, manifest = national
    assert manifest["expect"]["retractions"]
    for withdrawn in manifest["expect"]["retractions"]:
        assert withdrawn["target"] not in history(cli, withdrawn["subject"]), withdrawn
        before = history(cli, withdrawn["subject"], "--known-at", withdrawn["target"])
        assert withdrawn["target"] in before, withdrawn


def test_changes_recorded_out_of_order_show_only_once_known(
    national: tuple[Cli, dict[str, Any]],
) -> None:
    cli, manifest = national
    assert manifest["out_of_order"] >= SIZE * 0.03
    assert manifest["expect"]["out_of_order"]
    for late in manifest["expect"]["out_of_order"]:
        if late["recorded_after_effective"]:
            # It really was recorded after a change that took effect later.
            assert late["recorded_after_effective"] > late["effective"], late
        assert late["label"] in history(cli, late["subject"]), late
        known_before = history(cli, late["subject"], "--known-at", late["recorded_after"])
        assert late["label"] not in known_before, late
