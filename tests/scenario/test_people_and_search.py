"""A historian looks up a person and searches the bundled ledger by a piece of text, through the CLI
(one store holding the bundled ledger for the module's questions, which only read)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, one_line_error
from tests.support.stores import fresh_store

EVENTS = Path(__file__).resolve().parents[2] / "events"

pytestmark = pytest.mark.postgres(
    reason="slice: person and search read the bundled ledger on each engine"
)


@pytest.fixture(scope="module")
def bundled() -> Iterator[Cli]:
    with fresh_store() as url:
        cli = Cli(url, EVENTS)
        assert "total: appended" in cli.ok("import", str(EVENTS))
        yield cli


def as_json(cli: Cli, *args: str) -> Any:
    return json.loads(cli.ok(*args, "--format", "json"))


def test_the_posts_mairead_mcalinden_held(bundled: Cli) -> None:
    # The STP's update of 24 October 2017 is written by her as its interim lead chief executive
    # (header) and names her the STP lead of the OD steering group (section 3).
    doc = as_json(bundled, "person", "Mairead McAlinden")
    assert doc["person"]["name"] == "Mairead McAlinden"
    held = {(p["title"], p["from"], p["interim"]) for p in doc["posts"]}
    assert held == {("Chief Executive", "2017-10-24", True), ("STP Lead", "2017-10-24", False)}
    [chief] = [p for p in doc["posts"] if p["title"] == "Chief Executive"]
    assert chief["change"] == "devon-chief-executive-interim-mcalinden"
    assert {"source": "devon-stp-update-2017-10-24", "locator": "header: Report Author"} in chief[
        "sources"
    ]
    table = bundled.ok("person", "Mairead McAlinden")
    assert re.search(r"Chief Executive\s+\S.*2017-10-24\s+interim", table), table


def test_a_planned_end_shows_with_plans(bundled: Cli) -> None:
    # Dame Ruth Carnell's contract was to end in March 2018: a plan, shown only when asked for.
    [chair] = as_json(bundled, "person", "Dame Ruth Carnell")["posts"]
    assert chair["title"] == "Independent Chair" and chair["to"] is None
    [planned] = as_json(bundled, "person", "Dame Ruth Carnell", "--include-planned")["posts"]
    assert planned["to"] == "2018-03" and planned["planned"] is True and planned["ended_by"]


def test_a_misspelt_person_is_refused_with_the_close_names(bundled: Cli) -> None:
    line = one_line_error(bundled("person", "Mairead McAlinen"))
    assert (
        line
        == "ledger: error: unknown person 'Mairead McAlinen'; did you mean 'Mairead McAlinden'?"
    )


def test_search_kernow(bundled: Cli) -> None:
    # NHS Kernow CCG, its Chief Officer post and the changes that record them, the body first.
    matches = as_json(bundled, "search", "kernow")["matches"]
    assert (matches[0]["type"], matches[0]["name"]) == ("organisation", "NHS Kernow CCG")
    found = {(m["type"], m["name"]) for m in matches}
    assert ("post", "Chief Officer") in found
    assert ("change", "nhs-kernow-established") in found
    assert [m["score"] for m in matches] == sorted((m["score"] for m in matches), reverse=True)
    # Misspelt, the same body comes first, as a close match.
    [first, *_] = as_json(bundled, "search", "kernwo")["matches"]
    assert first["name"] == "NHS Kernow CCG" and first["score"] < 85
    assert "NHS Kernow CCG" in bundled.ok("search", "kernow", "--format", "csv").splitlines()[1]


def test_search_finds_a_body_by_any_name_a_source_and_a_change_id(bundled: Cli) -> None:
    [alias, *_] = as_json(bundled, "search", "Northern, Eastern and Western")["matches"]
    assert (alias["name"], alias["matched"], alias["score"]) == (
        "NEW Devon CCG", "Northern, Eastern and Western Devon CCG", 95,
    )  # fmt: skip
    [source, *_] = as_json(bundled, "search", "plymouth-hasc-2019-03-20")["matches"]
    assert (source["type"], source["score"]) == ("source", 100)
    change = as_json(bundled, "search", "nhs-kernow-established")["matches"][0]
    by_id = as_json(bundled, "search", change["id"][:8])["matches"]
    assert [(m["type"], m["name"]) for m in by_id] == [("change", "nhs-kernow-established")]
    assert as_json(bundled, "search", "kernow", "--limit", "1")["more"] > 0
