"""A merger's successor takes over the memberships its predecessors held on the day (it joins each
of those bodies in their place) unless the change says `--no-carry`; closing the predecessors still
ends theirs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import SOURCE, Cli

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
