"""A historian asks the bundled ledger what its papers attest on a date, and the ledger says which
answers are recorded in force, which only presumed past their last evidence, and which unknown
(issue 18, item 2; docs/evidence.md). Each comment cites the paper and place the answer rests on.
The store is imported once for the module: the questions only read it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.cli.render import PRESUMED
from tests.conftest import Cli
from tests.support.stores import fresh_store

pytestmark = pytest.mark.postgres(
    reason="slice: in force, presumed and unknown, as the periods of PostgreSQL answer them"
)

EVENTS = Path(__file__).resolve().parents[2] / "events"
CHAIR = "Independent Chair, Devon STP"
CHIEF = "Chief Executive, Devon STP"


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    with fresh_store() as url:
        cli = Cli(url, tmp_path_factory.mktemp("bundled"))
        assert "total: appended" in cli.ok("import", str(EVENTS))
        yield cli


def as_json(cli: Cli, *args: str) -> Any:
    return json.loads(cli.ok(*args, "--format", "json"))


def holders(cli: Cli, post: str, on: str, *extra: str) -> dict[str, dict[str, Any]]:
    return {h["person"]: h for h in as_json(cli, "holders", post, "--on", on, *extra)["holders"]}


def test_the_leaders_of_2017_are_presumed_in_2019_not_recorded(bundled: Cli) -> None:
    # The paper of 24 October 2017 (devon-stp-update-2017-10-24, header and section 1) names
    # Mairead McAlinden interim lead chief executive and Dame Ruth Carnell interim chair, her term
    # planned to end in March 2018; no later paper names either.
    on_the_day = holders(bundled, CHIEF, "2017-10-24")
    assert on_the_day["Mairead McAlinden"]["status"] == "in force"
    assert on_the_day["Mairead McAlinden"]["interim"] is True
    # Over the month of October 2017: she is in force in it (attested on the 24th).
    assert holders(bundled, CHIEF, "2017-10")["Mairead McAlinden"]["status"] == "in force"

    chief = holders(bundled, CHIEF, "2019-04-01")["Mairead McAlinden"]
    assert (chief["status"], chief["last_evidence"]) == ("presumed", "2017-10-24")
    chair = holders(bundled, CHAIR, "2019-04-01")["Dame Ruth Carnell"]
    assert (chair["status"], chair["last_evidence"]) == ("presumed", "2017-10-24")
    assert chair["planned_end"] == "2018-03"  # the plan, never confirmed, shown beside her

    # Only what the sources attest on the day: neither.
    assert holders(bundled, CHIEF, "2019-04-01", "--attested") == {}
    assert holders(bundled, CHAIR, "2019-04-01", "--attested") == {}

    # The table marks them and says what the mark means.
    table = bundled.ok("holders", CHAIR, "--on", "2019-04-01")
    assert f"{PRESUMED} 2017-10-24" in table and "(planned 2018-03 ~)" in table
    assert f"{PRESUMED} presumed: no end recorded" in table


def test_a_body_before_its_first_bounded_evidence_is_unknown_not_absent(bundled: Cli) -> None:
    # devon-pdeg-2017-09-15, Appendix 1 section 1: Devon County Council an STP partner from
    # December 2016, its founding not given. Before then the papers are silent.
    before = as_json(bundled, "show", "Devon County Council", "--on", "2016-01-01")["organisation"]
    assert before["in_force"] is False
    assert (before["status"], before["first_evidence"]) == ("unknown", "2016-12")
    assert "status       unknown" in bundled.ok("show", "Devon County Council", "--on", "2016-01")

    # A body founded on a recorded date is not in force before it, and that is known.
    nhs_devon = as_json(bundled, "show", "NHS Devon CCG", "--on", "2019-03-31")["organisation"]
    assert nhs_devon["status"] == "not in force"
    # On its first day it is in force, and so are the memberships it carried from its
    # predecessors (plymouth-hasc-2019-03-20).
    founded = as_json(bundled, "show", "NHS Devon CCG", "--on", "2019-04-01")["organisation"]
    assert founded["status"] == "in force" and founded["last_evidence"] is None


def test_the_structure_marks_each_item_and_attested_keeps_only_the_attested(bundled: Cli) -> None:
    everything = as_json(bundled, "structure", "--on", "2019-04-01")["organisations"]
    attested = as_json(bundled, "structure", "--on", "2019-04-01", "--attested")["organisations"]
    statuses = {o["name"]: o["status"] for o in everything}
    assert statuses["NHS Devon CCG"] == "in force"
    # NHS Kernow CCG: last shown by the Cornwall paper of 19 December 2017.
    kernow = next(o for o in everything if o["name"] == "NHS Kernow CCG")
    assert (kernow["status"], kernow["last_evidence"]) == ("presumed", "2017-12-19")
    assert {o["name"] for o in attested} == {n for n, s in statuses.items() if s == "in force"}
    # Within what is attested, no item is only presumed.
    for body in attested:
        items = [
            *body["member_of"],
            *body["relationships"],
            *body["facts"],
            *(h for p in body["posts"] for h in p["holders"]),
        ]
        assert all(item["status"] == "in force" for item in items), body["name"]
    # Every item of every body carries its status and, when presumed, its last evidence.
    for body in everything:
        for item in [body, *body["member_of"], *body["relationships"], *body["facts"]]:
            assert item["status"] in ("in force", "presumed")
            assert (item["last_evidence"] is not None) == (item["status"] == "presumed")
