"""A merger's successor takes over the memberships and relationships its predecessors held on the
day (it joins each of those bodies, and holds each relationship, in their place) unless the change
says `--no-carry`; a split carries nothing unless `--carry-to` names the successor that takes over.
Closing the predecessors still ends theirs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ledger.adapters.audit import stored_records
from ledger.adapters.readmodel import ChangeReader
from ledger.bootstrap import open_ledger
from ledger.domain.kinds import KINDS
from tests.conftest import SOURCE, Cli, one_line_error

EVENTS = Path(__file__).resolve().parents[2] / "events"


def as_json(cli: Cli, *args: str) -> Any:
    return json.loads(cli.ok(*args, "--format", "json"))


def member_of(cli: Cli, body: str, on: str) -> list[str]:
    organisation = as_json(cli, "show", body, "--on", on)["organisation"]
    return [m["name"] for m in organisation["member_of"]]


def _setting(cli: Cli) -> None:
    for name, kind in (("North CCG", "ccg"), ("South CCG", "ccg"), ("West CCG", "ccg"),
                       ("County Partnership", "partnership"), ("City Board", "board"),
                       ("Old Forum", "partnership")):  # fmt: skip
        cli.ok("record", "established", name, "--kind", kind, "--effective", "2013-04-01", *SOURCE)
    cli.ok("record", "joined", "North CCG", "County Partnership", "--effective", "2016", *SOURCE)
    cli.ok("record", "joined", "South CCG", "County Partnership", "--effective", "2016", *SOURCE)
    cli.ok("record", "joined", "South CCG", "City Board", "--effective", "2017-06", *SOURCE)
    cli.ok("record", "joined", "North CCG", "Old Forum", "--effective", "2014", *SOURCE)
    cli.ok("record", "left", "North CCG", "Old Forum", "--effective", "2018", *SOURCE)


def test_a_new_successor_joins_what_its_predecessors_were_members_of(cli: Cli) -> None:
    _setting(cli)
    cli.ok("record", "merged", "--predecessor", "North CCG", "--predecessor", "South CCG",
           "--successor", "Shire CCG", "--kind", "ccg", "--effective", "2019-04-01", *SOURCE)  # fmt: skip
    # Each body a predecessor belonged to on the day, once; not the forum North CCG had left.
    assert member_of(cli, "Shire CCG", "2019-04-01") == ["City Board", "County Partnership"]
    members = as_json(cli, "show", "County Partnership", "--on", "2019-04-01")["organisation"]
    assert [m["name"] for m in members["members"]] == ["Shire CCG"]
    assert [m["since"] for m in members["members"]] == ["2019-04-01"]
    # The day before, the predecessors were the members.
    before = as_json(cli, "show", "County Partnership", "--on", "2019-03-31")["organisation"]
    assert [m["name"] for m in before["members"]] == ["North CCG", "South CCG"]
    # The change says so, and the read model is what a rebuild makes of it.
    (merger,) = [
        c for c in as_json(cli, "history", "Shire CCG")["changes"] if c["kind"] == "merged"
    ]
    assert "which joins County Partnership, City Board in their place" in merger["summary"]
    assert "the read model equals a rebuild" in cli.ok("verify")


def test_an_existing_successor_keeps_what_it_held_and_takes_over_the_rest(cli: Cli) -> None:
    _setting(cli)
    cli.ok("record", "joined", "West CCG", "County Partnership", "--effective", "2016", *SOURCE)
    cli.ok("record", "merged", "--predecessor", "South CCG", "--successor", "West CCG",
           "--effective", "2019-04-01", *SOURCE)  # fmt: skip
    assert member_of(cli, "West CCG", "2019-04-01") == ["City Board", "County Partnership"]
    partnership = as_json(cli, "show", "County Partnership", "--on", "2019-04-01")
    # West CCG's own membership since 2016 stands; North CCG did not merge.
    since = {m["name"]: m["since"] for m in partnership["organisation"]["members"]}
    assert since == {"North CCG": "2016", "West CCG": "2016"}


def test_no_carry_leaves_the_memberships_to_end_with_the_predecessors(cli: Cli) -> None:
    _setting(cli)
    cli.ok("record", "merged", "--predecessor", "North CCG", "--predecessor", "South CCG",
           "--successor", "Shire CCG", "--kind", "ccg", "--no-carry",
           "--effective", "2019-04-01", *SOURCE)  # fmt: skip
    assert member_of(cli, "Shire CCG", "2019-04-01") == []
    partnership = as_json(cli, "show", "County Partnership", "--on", "2019-04-01")
    assert partnership["organisation"]["members"] == []


def test_the_bundled_ccg_merger_carries_the_ccgs_memberships(cli: Cli) -> None:
    # NEW Devon CCG and South Devon and Torbay CCG merged into NHS Devon CCG on 1 April 2019
    # (plymouth-hasc-2019-03-20, section 2): the Devon system and Plymouth's integrated
    # commissioning keep a CCG among their members.
    cli.ok("import", str(EVENTS))
    assert member_of(cli, "NHS Devon CCG", "2019-04-01") == [
        "Devon STP",
        "Plymouth integrated commissioning function",
    ]


def relationships(cli: Cli, body: str, on: str) -> list[tuple[str, str, str]]:
    organisation = as_json(cli, "show", body, "--on", on)["organisation"]
    return sorted((r["subject"], r["relation"], r["object"]) for r in organisation["relationships"])


def _related(cli: Cli) -> None:
    """The CCGs' relationships, both ways, besides their memberships."""
    _setting(cli)
    for name in ("Joint Unit", "Care Trust", "Old Unit"):
        cli.ok(
            "record", "established", name, "--kind", "board", "--effective", "2013-04-01", *SOURCE
        )
    for subject, relation, object_, effective in (
        ("North CCG", "hosts", "Joint Unit", "2015"),
        ("Care Trust", "provides_for", "South CCG", "2016-04"),
        ("South CCG", "accountable_to", "County Partnership", "2017"),
        ("North CCG", "commissions", "South CCG", "2017"),  # between predecessors: not carried
        ("North CCG", "hosts", "Old Unit", "2014"),
    ):
        cli.ok("record", "relationship-started", subject, relation, object_, "--effective", effective, *SOURCE)  # fmt: skip
    cli.ok("record", "relationship-ended", "North CCG", "hosts", "Old Unit", "--effective", "2018", *SOURCE)  # fmt: skip


def test_a_merger_carries_the_predecessors_relationships_both_ways(cli: Cli) -> None:
    _related(cli)
    cli.ok("record", "merged", "--predecessor", "North CCG", "--predecessor", "South CCG",
           "--successor", "Shire CCG", "--kind", "ccg", "--effective", "2019-04-01", *SOURCE)  # fmt: skip
    # (North CCG, hosts, Joint Unit) becomes (Shire CCG, hosts, Joint Unit); (Care Trust,
    # provides_for, South CCG) becomes (Care Trust, provides_for, Shire CCG); not the hosting
    # North CCG had ended, nor the commissioning between the two predecessors.
    assert relationships(cli, "Shire CCG", "2019-04-01") == [
        ("Care Trust", "provides_for", "Shire CCG"),
        ("Shire CCG", "accountable_to", "County Partnership"),
        ("Shire CCG", "hosts", "Joint Unit"),
    ]
    # Closing the predecessors ended theirs: the unit is hosted by the successor alone.
    assert relationships(cli, "Joint Unit", "2019-04-01") == [("Shire CCG", "hosts", "Joint Unit")]
    assert relationships(cli, "Joint Unit", "2019-03-31") == [("North CCG", "hosts", "Joint Unit")]
    assert relationships(cli, "Old Unit", "2019-04-01") == []
    (merger,) = [
        c for c in as_json(cli, "history", "Shire CCG")["changes"] if c["kind"] == "merged"
    ]
    assert merger["summary"] == (
        "North CCG, South CCG merged into Shire CCG (new body), which joins County Partnership, "
        "City Board in their place and takes over Shire CCG hosts Joint Unit; Care Trust "
        "provides_for Shire CCG; Shire CCG accountable_to County Partnership"
    )
    # The other end's history has the change too.
    assert "merged" in [c["kind"] for c in as_json(cli, "history", "Care Trust")["changes"]]
    # The successor can end what it took over.
    cli.ok("record", "relationship-ended", "Shire CCG", "hosts", "Joint Unit", "--effective", "2020", *SOURCE)  # fmt: skip
    assert relationships(cli, "Joint Unit", "2020-06-01") == []
    assert "the read model equals a rebuild" in cli.ok("verify")


def test_an_existing_successor_keeps_the_relationships_it_holds(cli: Cli) -> None:
    _related(cli)
    cli.ok("record", "relationship-started", "West CCG", "hosts", "Joint Unit", "--effective", "2016", *SOURCE)  # fmt: skip
    cli.ok("record", "merged", "--predecessor", "North CCG", "--successor", "West CCG",
           "--effective", "2019-04-01", *SOURCE)  # fmt: skip
    joint = as_json(cli, "show", "Joint Unit", "--on", "2019-04-01")["organisation"]
    assert [(r["subject"], r["since"]) for r in joint["relationships"]] == [("West CCG", "2016")]
    # South CCG did not merge: North CCG's commissioning of it is West CCG's now.
    assert relationships(cli, "West CCG", "2019-04-01") == [
        ("West CCG", "commissions", "South CCG"),
        ("West CCG", "hosts", "Joint Unit"),
    ]


def test_no_carry_carries_neither_memberships_nor_relationships(cli: Cli) -> None:
    _related(cli)
    cli.ok("record", "merged", "--predecessor", "North CCG", "--predecessor", "South CCG",
           "--successor", "Shire CCG", "--kind", "ccg", "--no-carry",
           "--effective", "2019-04-01", *SOURCE)  # fmt: skip
    assert member_of(cli, "Shire CCG", "2019-04-01") == []
    assert relationships(cli, "Shire CCG", "2019-04-01") == []
    assert relationships(cli, "Joint Unit", "2019-04-01") == []
    (merger,) = [
        c for c in as_json(cli, "history", "Shire CCG")["changes"] if c["kind"] == "merged"
    ]
    assert merger["summary"] == "North CCG, South CCG merged into Shire CCG (new body)"


def test_a_split_carries_nothing_unless_a_successor_is_named(cli: Cli) -> None:
    _related(cli)
    cli.ok("record", "split", "North CCG", "--successor", "North East CCG",
           "--successor", "North West CCG", "--effective", "2019-04-01", *SOURCE)  # fmt: skip
    assert member_of(cli, "North East CCG", "2019-04-01") == []
    assert relationships(cli, "Joint Unit", "2019-04-01") == []


def test_a_split_carries_to_the_successor_it_names(cli: Cli) -> None:
    _related(cli)
    cli.ok("record", "split", "South CCG", "--successor", "South East CCG",
           "--successor", "South West CCG", "--carry-to", "south west ccg",
           "--effective", "2019-04-01", *SOURCE)  # fmt: skip
    assert member_of(cli, "South West CCG", "2019-04-01") == ["City Board", "County Partnership"]
    assert member_of(cli, "South East CCG", "2019-04-01") == []
    # North CCG commissioned South CCG: it commissions the successor that took over.
    assert relationships(cli, "South West CCG", "2019-04-01") == [
        ("Care Trust", "provides_for", "South West CCG"),
        ("North CCG", "commissions", "South West CCG"),
        ("South West CCG", "accountable_to", "County Partnership"),
    ]
    (split,) = [c for c in as_json(cli, "history", "South CCG")["changes"] if c["kind"] == "split"]
    assert split["summary"] == (
        "South CCG split into South East CCG, South West CCG; South West CCG joins "
        "County Partnership, City Board in its place and takes over Care Trust provides_for "
        "South West CCG; South West CCG accountable_to County Partnership; North CCG "
        "commissions South West CCG"
    )
    assert "the read model equals a rebuild" in cli.ok("verify")


def test_a_split_refuses_to_carry_to_a_body_that_is_not_a_successor(cli: Cli) -> None:
    _related(cli)
    before = cli.ok("log", "--format", "json")
    line = one_line_error(
        cli(
            "record",
            "split",
            "South CCG",
            "--successor",
            "South East CCG",
            "--successor",
            "South West CCG",
            "--carry-to",
            "West CCG",
            "--effective",
            "2019-04-01",
            *SOURCE,
        )
    )
    assert line == (
        "ledger: error: refused split: carry_to 'West CCG' is not one of the successors "
        "('South East CCG', 'South West CCG')"
    )
    assert cli.ok("log", "--format", "json") == before


def test_a_merger_stored_before_relationships_were_carried_reads_as_it_was(cli: Cli) -> None:
    _related(cli)
    cli.ok("record", "merged", "--predecessor", "North CCG", "--predecessor", "South CCG",
           "--successor", "Shire CCG", "--kind", "ccg", "--effective", "2019-04-01", *SOURCE)  # fmt: skip
    ledger = open_ledger(cli.url)
    try:
        with ledger.app.engine.connect() as conn:
            (record,) = [r for r in stored_records(conn) if r.topic.endswith(":Merged")]
        # The merger as a ledger wrote it before relationships were carried.
        old = json.loads(record.state)
        del old["carried_relations"]
        reader = ChangeReader(ledger.app.mapper.decode)
        change = reader.read(
            record.topic, record.originator_id, record.originator_version,
            json.dumps(old).encode(),
        )  # fmt: skip
    finally:
        ledger.close()
    assert change.absent == {"carried_relations"}
    kind = KINDS["merged"]
    rows = kind.assertions(change.data.__getitem__)
    assert [r.aspect for r in rows if r.aspect.startswith(("member_", "rel_"))] == [
        "member_start"
    ] * 2
    said = kind.sentence(change.data, lambda i: str(i)[:4])
    assert "takes over" not in said and "in their place" in said


def test_a_merger_carries_no_tie_to_a_body_closed_by_then(cli: Cli) -> None:
    # A body closed before the merger: its closing ended what the predecessors had with it,
    # though no change said so, and the merger is not refused for it.
    _related(cli)
    cli.ok("record", "closed", "Joint Unit", "--effective", "2018", *SOURCE)
    cli.ok("record", "closed", "City Board", "--effective", "2018", *SOURCE)
    cli.ok("record", "merged", "--predecessor", "North CCG", "--predecessor", "South CCG",
           "--successor", "Shire CCG", "--kind", "ccg", "--effective", "2019-04-01", *SOURCE)  # fmt: skip
    assert member_of(cli, "Shire CCG", "2019-04-01") == ["County Partnership"]
    assert ("Shire CCG", "hosts", "Joint Unit") not in relationships(cli, "Shire CCG", "2019-04-01")
