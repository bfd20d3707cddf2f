"""A programme office records a small system out of order, through the CLI only: the CCGs and their
merger first, then the partnership they had joined, its posts and the memberships, back-dated. The
answers must be right on every date, in every format."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import Cli

SRC = ["--source", "hasc:section 2", "--reason", "scenario"]


@pytest.fixture
def devon(cli: Cli) -> Cli:
    # The two CCGs are established first.
    cli.ok(
        "record",
        "established",
        "NEW Devon CCG",
        "--kind",
        "ccg",
        "--code",
        "ods:99P",
        "-e",
        "2013-04-01",
        "--id",
        "est-99p",
        *SRC,
    )
    cli.ok(
        "record",
        "established",
        "South Devon and Torbay CCG",
        "--kind",
        "ccg",
        "--code",
        "ods:99Q",
        "-e",
        "2013-04-01",
        "--id",
        "est-99q",
        *SRC,
    )
    # Then the merger, before anything else is known of them (a merger's predecessors must be
    # bodies the ledger knows: their establishment comes first).
    cli.ok(
        "record",
        "merged",
        "--predecessor",
        "NEW Devon CCG",
        "--predecessor",
        "South Devon and Torbay CCG",
        "--successor",
        "NHS Devon CCG",
        "--kind",
        "ccg",
        "--code",
        "ods:15N",
        "-e",
        "2019-04-01",
        "--id",
        "merger",
        *SRC,
    )
    cli.ok(
        "record",
        "established",
        "Devon STP",
        "--kind",
        "partnership",
        "-e",
        "2016-03",
        "--id",
        "est-stp",
        *SRC,
    )
    cli.ok(
        "record", "joined", "NEW Devon CCG", "Devon STP", "-e", "2016-04", "--id", "join-99p", *SRC
    )
    cli.ok(
        "record",
        "joined",
        "South Devon and Torbay CCG",
        "Devon STP",
        "-e",
        "2016-04",
        "--id",
        "join-99q",
        *SRC,
    )
    cli.ok(
        "record",
        "renamed",
        "Devon STP",
        "--name",
        "Devon ACS",
        "-e",
        "2017-09",
        "--id",
        "stp-to-acs",
        *SRC,
    )
    cli.ok(
        "record",
        "post-created",
        "Chief Executive",
        "--organisation",
        "Devon STP",
        "-e",
        "2017-06",
        "--id",
        "ceo-post",
        *SRC,
    )
    cli.ok(
        "record",
        "appointed",
        "Jane Doe",
        "--post",
        "Chief Executive",
        "--organisation",
        "Devon ACS",
        "--interim",
        "-e",
        "2017-10-01",
        "--id",
        "jane",
        *SRC,
    )
    cli.ok(
        "record",
        "appointed",
        "John Roe",
        "--post",
        "Chief Executive",
        "--organisation",
        "Devon ACS",
        "-e",
        "2018-01-15",
        "--id",
        "john",
        *SRC,
    )
    cli.ok(
        "record",
        "appointment-ended",
        "Jane Doe",
        "--post",
        "Chief Executive",
        "--organisation",
        "Devon ACS",
        "-e",
        "2018-03-31",
        "--id",
        "jane-ends",
        *SRC,
    )
    cli.ok(
        "record",
        "joined",
        "NHS Devon CCG",
        "Devon ACS",
        "-e",
        "2019-04-01",
        "--id",
        "join-15n",
        *SRC,
    )
    return cli


def structure(cli: Cli, on: str) -> dict:
    return json.loads(cli.ok("structure", "--on", on, "--format", "json"))


def names(doc: dict) -> list[str]:
    return [o["name"] for o in doc["organisations"]]


def test_structure_before_on_and_after_each_change(devon: Cli) -> None:
    # Before anything: nothing existed.
    assert names(structure(devon, "2013-03-31")) == []
    # The day the CCGs were established.
    assert names(structure(devon, "2013-04-01")) == ["NEW Devon CCG", "South Devon and Torbay CCG"]
    # The STP exists from March 2016 (month precision), its members from April.
    march = structure(devon, "2016-03-15")
    assert names(march) == ["NEW Devon CCG", "South Devon and Torbay CCG", "Devon STP"]
    assert all(o["member_of"] == [] for o in march["organisations"])
    april = structure(devon, "2016-04-01")
    ccg = next(o for o in april["organisations"] if o["name"] == "NEW Devon CCG")
    assert [m["name"] for m in ccg["member_of"]] == ["Devon STP"] and ccg["member_of"][0][
        "since"
    ] == "2016-04"
    assert ccg["codes"] == {"ods": "99P"} and ccg["established"] == "2013-04-01"
    # The rename shows the name in force on each date.
    assert "Devon STP" in names(structure(devon, "2017-08-31"))
    assert "Devon ACS" in names(structure(devon, "2017-09-01"))

    # The interim chief executive in October 2017, both holders in February 2018, one in April 2018.
    def holders(on: str) -> list[tuple[str, bool]]:
        acs = next(o for o in structure(devon, on)["organisations"] if o["kind"] == "partnership")
        return [(h["person"], h["interim"]) for h in acs["posts"][0]["holders"]]

    assert holders("2017-09-30") == []
    assert holders("2017-10-01") == [("Jane Doe", True)]
    assert holders("2018-02-01") == [("Jane Doe", True), ("John Roe", False)]
    assert holders("2018-03-31") == [("John Roe", False)]
    # The day before the merger: the two CCGs, members of the ACS. The day of it: only NHS Devon CCG.
    eve = structure(devon, "2019-03-31")
    assert names(eve) == ["NEW Devon CCG", "South Devon and Torbay CCG", "Devon ACS"]
    day = structure(devon, "2019-04-01")
    assert names(day) == ["NHS Devon CCG", "Devon ACS"]
    new = day["organisations"][0]
    assert new["codes"] == {"ods": "15N"} and new["established"] == "2019-04-01"
    assert [m["name"] for m in new["member_of"]] == ["Devon ACS"]
    assert {s["change"] for s in new["sources"]} == {"merger", "join-15n"}


def test_lineage_history_and_holders(devon: Cli) -> None:
    lineage = json.loads(devon.ok("lineage", "99P", "--format", "json"))
    assert [(e["from"], e["to"], e["kind"], e["effective"]) for e in lineage["edges"]] == [
        ("NEW Devon CCG", "NHS Devon CCG", "merged", "2019-04-01"),
        ("South Devon and Torbay CCG", "NHS Devon CCG", "merged", "2019-04-01"),
    ]
    assert lineage["edges"][0]["sources"] == [{"source": "hasc", "locator": "section 2"}]
    # History is in effective order, though the merger was recorded before the membership.
    history = json.loads(devon.ok("history", "NEW Devon CCG", "--format", "json"))
    assert [c["change"] for c in history["changes"]] == ["est-99p", "join-99p", "merger"]
    assert [c["position"] for c in history["changes"]] == [1, 5, 3]
    # Holders over time, and on a date.
    every = json.loads(
        devon.ok("holders", "Chief Executive, Devon ACS", "--all", "--format", "json")
    )
    assert [(h["person"], h["from"], h["to"], h["interim"]) for h in every["holders"]] == [
        ("Jane Doe", "2017-10-01", "2018-03-31", True),
        ("John Roe", "2018-01-15", None, False),
    ]
    # Over time means over all time, whatever --on says; the post is named as on that date.
    early = json.loads(
        devon.ok("holders", "Chief Executive", "--all", "--on", "2017-07-01", "--format", "json")
    )
    assert [h["person"] for h in early["holders"]] == ["Jane Doe", "John Roe"]
    assert early["post"]["organisation"] == "Devon STP"
    on = json.loads(
        devon.ok("holders", "Chief Executive", "--on", "2017-12-01", "--format", "json")
    )
    assert [h["person"] for h in on["holders"]] == ["Jane Doe"]
    assert (
        json.loads(
            devon.ok("holders", "Chief Executive", "--on", "2017-09-01", "--format", "json")
        )["holders"]
        == []
    )


def test_every_format(devon: Cli) -> None:
    # CSV: one row per body, with its memberships.
    rows = list(
        csv.DictReader(io.StringIO(devon.ok("structure", "--on", "2019-03-31", "--format", "csv")))
    )
    # (Each membership joined in 2016-04 and seen no later: presumed, marked with that month's end.)
    assert [(r["name"], r["kind"], r["member of"]) for r in rows] == [
        ("NEW Devon CCG", "ccg", "Devon ACS ◐ 2016-04-30"),
        ("South Devon and Torbay CCG", "ccg", "Devon ACS ◐ 2016-04-30"),
        ("Devon ACS", "partnership", ""),
    ]
    # Table: the same bodies, month-precision dates marked approximate.
    table = devon.ok("structure", "--on", "2019-03-31")
    assert table.splitlines()[0] == "Structure on 2019-03-31: 3 organisations"
    assert "2016-03 ~" in table and "~ approximate" in table
    # Mermaid and dot: every body a node, every membership an edge.
    mermaid = devon.ok("structure", "--on", "2019-03-31", "--format", "mermaid")
    assert mermaid.startswith("flowchart LR")
    assert mermaid.count('-->|"member of"|') == 2 and '["Devon ACS"]' in mermaid
    dot = devon.ok("structure", "--on", "2019-04-01", "--format", "dot")
    assert dot.startswith("digraph ledger {") and dot.rstrip().endswith("}")
    assert dot.count('[label="member of"]') == 1 and '"NHS Devon CCG"' in dot
    # Lineage, history and holders in every format.
    for fmt in ("table", "csv", "mermaid", "dot"):
        lineage = devon.ok("lineage", "NHS Devon CCG", "--format", fmt)
        assert "NEW Devon CCG" in lineage and "South Devon and Torbay CCG" in lineage
        history = devon.ok("history", "NHS Devon CCG", "--format", fmt)
        assert "merged" in history or "merged into" in history
        holders = devon.ok("holders", "Chief Executive", "--all", "--format", fmt)
        assert "Jane Doe" in holders and "John Roe" in holders
    assert devon.ok("lineage", "15N", "--format", "mermaid").count("merged 2019-04-01") == 2
    assert "2019-04-01" in devon.ok("lineage", "15N", "--format", "csv").splitlines()[1]
