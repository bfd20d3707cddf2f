"""A body's names over time: its formal names (renamed), the other names it is known by (aliases) and
what it is described as without being renamed (designations), each dated and cited; every one of them
finds the body. First on a small system recorded through the CLI, then on the bundled ledger (one
store imported for the module).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, one_line_error
from tests.support.stores import fresh_store

EVENTS = Path(__file__).resolve().parents[2] / "events"

pytestmark = pytest.mark.postgres(
    reason="slice: the new kinds' rows stored and read back on each engine (column widths differ)"
)
SRC = ["--source", "paper:section 1", "--reason", "scenario"]


def as_json(cli: Cli, *args: str) -> Any:
    return json.loads(cli.ok(*args, "--format", "json"))


@pytest.fixture
def devon(cli: Cli) -> Cli:
    cli.ok("record", "established", "Devon STP", "--kind", "partnership", "-e", "2016-12", *SRC)
    cli.ok("record", "renamed", "Devon STP", "--name", "Devon ACS", "-e", "2017-09", "--id", "to-acs", *SRC)  # fmt: skip
    cli.ok("record", "renamed", "Devon ACS", "--name", "Devon ICS", "-e", "2018-03-09", "--id", "to-ics", *SRC)  # fmt: skip
    cli.ok("record", "designated", "Devon STP", "Devon Shadow ICS", "--qualifier", "shadow", "-e", "2017-12", "--id", "shadow", *SRC)  # fmt: skip
    cli.ok("record", "designation-ended", "Devon ICS", "devon shadow ics", "-e", "2018-03-09", *SRC)  # fmt: skip
    cli.ok("record", "alias-recorded", "Devon ICS", "One Devon", "--note", "short form", "-e", "2019", "--id", "one", *SRC)  # fmt: skip
    return cli


def test_a_rename_says_what_the_body_was_called_just_before(devon: Cli) -> None:
    # The 2018 rename renamed the ACS, not the STP the body was first recorded as.
    history = as_json(devon, "history", "Devon ICS")["changes"]
    summaries = {c["change"]: c["summary"] for c in history}
    assert summaries["to-acs"] == "Devon STP renamed Devon ACS"
    assert summaries["to-ics"] == "Devon ACS renamed Devon ICS"
    assert summaries["shadow"] == "Devon STP designated Devon Shadow ICS (shadow)"
    assert summaries["one"] == "Devon STP also known as One Devon (short form)"
    # The log says the same.
    log = {c["change"]: c["summary"] for c in as_json(devon, "log")["changes"]}
    assert log["to-ics"] == "Devon ACS renamed Devon ICS"


def test_every_name_finds_the_body(devon: Cli) -> None:
    ids = {
        as_json(devon, "show", name)["organisation"]["id"]
        for name in ("Devon STP", "Devon ACS", "devon ics", "Devon Shadow ICS", "One Devon")
    }
    assert len(ids) == 1


def test_show_lists_the_names_with_their_periods_as_of_the_date(devon: Cli) -> None:
    # On 1 January 2018 the body was the Devon ACS, described as a shadow ICS.
    org = as_json(devon, "show", "One Devon", "--on", "2018-01-01")["organisation"]
    assert org["name"] == "Devon ACS"
    names = [(n["name"], n["type"], n["note"], n["from"], n["to"], n["in_force"]) for n in org["names"]]  # fmt: skip
    assert names == [
        ("Devon STP", "former", None, "2016-12", "2017-09", False),
        ("Devon ACS", "formal", None, "2017-09", "2018-03-09", True),
        ("Devon ICS", "later", None, "2018-03-09", None, False),
        ("Devon Shadow ICS", "designation", "shadow", "2017-12", "2018-03-09", True),
        ("One Devon", "alias", "short form", "2019", None, False),
    ]
    assert org["names"][3]["change"] == "shadow"
    assert org["names"][3]["sources"] == [{"source": "paper", "locator": "section 1"}]
    table = devon.ok("show", "Devon STP", "--on", "2018-01-01")
    assert "former name    Devon STP from 2016-12 ~ to 2017-09 ~" in table
    assert "designation    Devon Shadow ICS (shadow) from 2017-12 ~ to 2018-03-09" in table
    assert "also known as  One Devon (short form) from 2019 ~" in table


def test_closing_ends_every_name(devon: Cli) -> None:
    devon.ok("record", "closed", "Devon ICS", "-e", "2022-07-01", *SRC)
    names = as_json(devon, "show", "Devon ICS")["organisation"]["names"]
    assert {(n["name"], n["to"]) for n in names if n["type"] in ("formal", "alias")} == {
        ("Devon ICS", "2022-07-01"),
        ("One Devon", "2022-07-01"),
    }


def test_lineage_includes_the_renames_and_the_other_names(devon: Cli) -> None:
    doc = as_json(devon, "lineage", "Devon ICS")
    assert doc["edges"] == []
    assert [(r["from"], r["to"], r["effective"], r["change"]) for r in doc["renames"]] == [
        ("Devon STP", "Devon ACS", "2017-09", "to-acs"),
        ("Devon ACS", "Devon ICS", "2018-03-09", "to-ics"),
    ]
    assert [n["name"] for n in doc["names"]] == [
        "Devon STP", "Devon ACS", "Devon ICS", "Devon Shadow ICS", "One Devon",
    ]  # fmt: skip
    table = devon.ok("lineage", "Devon ICS").splitlines()
    assert [re.split(r"\s{2,}", line)[:3] for line in table[3:7]] == [
        ["Devon STP", "renamed", "Devon ACS"],
        ["Devon ACS", "designated", "Devon Shadow ICS (shadow)"],
        ["Devon ACS", "renamed", "Devon ICS"],
        ["Devon ICS", "also known as", "One Devon (short form)"],
    ]
    mermaid = devon.ok("lineage", "Devon ICS", "--format", "mermaid")
    assert '|"renamed Devon ICS 2018-03-09"|' in mermaid


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ("designation-ended", "Devon ICS", "Devon Accountable Care System", "-e", "2019"),
            "no designation 'devon accountable care system' to end on 2019",
        ),
        (
            ("alias-ended", "Devon ICS", "One Devon", "-e", "2018-06"),
            "alias 'one devon' cannot end on 2018-06, before it starts on 2019",
        ),
        (
            ("designated", "Devon ICS", "Devon Shadow ICS", "-e", "2018-01"),
            "designation 'devon shadow ics' already began on 2017-12",
        ),
        (
            ("alias-recorded", "Devon ICS", "Devon One", "-e", "2015"),
            "alias_recorded on 2015, before it was established on 2016-12",
        ),
    ],
)
def test_an_other_name_that_contradicts_the_history_is_refused(
    devon: Cli,
    store_fingerprint: Callable[[], tuple[int, str, int]],
    args: tuple[str, ...],
    says: str,
) -> None:
    before = store_fingerprint()
    line = one_line_error(devon("record", *args, *SRC))
    assert says in line, line
    assert store_fingerprint() == before


# --- the bundled ledger ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled() -> Iterator[Cli]:
    """One store holding the bundled ledger for the module's questions (they only read)."""
    with fresh_store() as url:
        cli = Cli(url, EVENTS)
        assert "total: appended" in cli.ok("import", str(EVENTS))
        yield cli


def test_new_devon_ccg_is_found_by_its_full_and_its_nhs_names(bundled: Cli) -> None:
    # The 2019 Plymouth paper calls the CCG by its full name (Section One, 3) and, of 2018, "NHS
    # NEW Devon CCG" (Section Two, 1).
    for name in ("Northern, Eastern and Western Devon CCG", "NHS NEW Devon CCG"):
        org = as_json(bundled, "show", name, "--on", "2019-03-20")["organisation"]
        assert org["name"] == "NEW Devon CCG"
    aliases = {n["name"]: n for n in org["names"] if n["type"] == "alias"}
    full = aliases["Northern, Eastern and Western Devon CCG"]
    assert (full["from"], full["to"], full["in_force"]) == ("2019-03-20", "2019-04-01", True)
    assert full["sources"] == [
        {"source": "plymouth-hasc-2019-03-20", "locator": "Section One, 3 Merger of the Devon CCGs"}
    ]
    assert aliases["NHS NEW Devon CCG"]["from"] == "2018"
    assert aliases["NHS NEW Devon CCG"]["sources"][0]["locator"] == "Section Two, 1 Introduction"


def test_the_stp_developing_as_an_acs_in_october_2017(bundled: Cli) -> None:
    # The STP's own update of 24 October 2017 speaks of the STP and its transition into the ACS
    # (header, section 1): on that date it is described as developing as the Devon ACS.
    org = as_json(bundled, "show", "Devon STP", "--on", "2017-10-24")["organisation"]
    # Its name is still the Devon STP: that paper, and the 2019 report, call it so throughout.
    assert org["name"] == "Devon STP"
    assert [n["name"] for n in org["names"] if n["type"] == "formal"] == ["Devon STP"]
    [acs] = [n for n in org["names"] if n["type"] == "designation" and n["in_force"]]
    assert (acs["name"], acs["note"], acs["from"], acs["to"]) == (
        "Devon Accountable Care System", "developing as", "2017-09", "2018-03-09",
    )  # fmt: skip
    assert {s["source"] for s in acs["sources"]} == {
        "devon-pdeg-2017-09-15",
        "devon-stp-update-2017-10-24",
    }
    table = bundled.ok("show", "Devon STP", "--on", "2017-10-24")
    assert re.search(r"designation\s+Devon Accountable Care System \(developing as\)", table)


def test_the_lineage_of_the_devon_stp_lists_its_names_over_time(bundled: Cli) -> None:
    # From 9 March 2018 the 2018 paper describes an emerging Devon ICS (Introduction, 1.2).
    doc = as_json(bundled, "lineage", "Devon STP")
    designations = [(n["name"], n["note"], n["from"]) for n in doc["names"] if n["type"] == "designation"]  # fmt: skip
    assert designations == [
        ("Devon Accountable Care System", "developing as", "2017-09"),
        ("Devon Integrated Care System", "emerging", "2018-03-09"),
    ]
    assert all(r["from"] != r["to"] for r in doc["renames"])
    table = bundled.ok("lineage", "Devon STP")
    assert "Devon Integrated Care System (emerging)" in table
