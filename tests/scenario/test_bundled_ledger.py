"""A historian's questions, answered from the bundled ledger (events/) through the CLI only.

Each test imports events/ into its own store and asks one question in JSON; the comments say what a
historian asks and what the papers say the answer is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Cli

pytestmark = pytest.mark.postgres(
    reason="slice: the bundled ledger imported and a historian's questions asked through the CLI"
)

EVENTS = Path(__file__).resolve().parents[2] / "events"
CIOS = "Cornwall and the Isles of Scilly Health and Social Care Partnership"


@pytest.fixture
def bundled(cli: Cli) -> Cli:
    """A store holding the bundled ledger, imported as a user would."""
    out = cli.ok("import", str(EVENTS))
    assert "total: appended" in out
    return cli


def as_json(cli: Cli, *args: str) -> Any:
    return json.loads(cli.ok(*args, "--format", "json"))


def organisations(cli: Cli, on: str, *extra: str) -> dict[str, dict[str, Any]]:
    doc = as_json(cli, "structure", "--on", on, *extra)
    assert doc["on"] == on
    return {o["name"]: o for o in doc["organisations"]}


def paper_dates() -> dict[str, str]:
    sources = yaml.safe_load((EVENTS / "sources.yaml").read_text())["sources"]
    return {s["id"]: s["date"] for s in sources}


def test_ccgs_either_side_of_the_devon_merger(bundled: Cli) -> None:
    # Which CCGs existed on 31 March 2019? The two Devon CCGs (NEW Devon, and South Devon and
    # Torbay) and NHS Kernow in Cornwall.
    before = organisations(bundled, "2019-03-31", "--kind", "ccg")
    assert set(before) == {"NEW Devon CCG", "South Devon and Torbay CCG", "NHS Kernow CCG"}
    assert all(o["kind"] == "ccg" for o in before.values())

    # And on 1 April 2019? The Devon CCGs had merged into NHS Devon CCG; NHS Kernow is unchanged.
    after = organisations(bundled, "2019-04-01", "--kind", "ccg")
    assert set(after) == {"NHS Devon CCG", "NHS Kernow CCG"}
    assert after["NHS Devon CCG"]["established"] == "2019-04-01"


def test_nhs_devon_ccg_predecessors(bundled: Cli) -> None:
    # Where did NHS Devon CCG come from? The two Devon CCGs merged into it on 1 April 2019, as the
    # Plymouth scrutiny report of 20 March 2019 says.
    doc = as_json(bundled, "lineage", "NHS Devon CCG")
    assert doc["organisation"]["name"] == "NHS Devon CCG"
    edges = doc["edges"]
    assert {(e["from"], e["to"]) for e in edges} == {
        ("NEW Devon CCG", "NHS Devon CCG"),
        ("South Devon and Torbay CCG", "NHS Devon CCG"),
    }
    for edge in edges:
        assert edge["kind"] == "merged"
        assert edge["effective"] == "2019-04-01"
        assert edge["change"] == "devon-ccgs-merge-2019-04"
        assert "plymouth-hasc-2019-03-20" in {s["source"] for s in edge["sources"]}
        assert all(s["locator"] for s in edge["sources"])

    # Asked the other way round, NEW Devon CCG's successor is the same body.
    successors = as_json(bundled, "lineage", "NEW Devon CCG")["edges"]
    assert ("NEW Devon CCG", "NHS Devon CCG") in {(e["from"], e["to"]) for e in successors}


def test_plymouth_adult_social_care_staff_in_may_2015(bundled: Cli) -> None:
    # Who employed Plymouth's adult social care staff in May 2015, and how many moved? In April
    # 2015 the service moved from Plymouth City Council to Livewell Southwest, and 173 staff
    # transferred with it (recorded to the month, so shown as approximate).
    history = as_json(bundled, "history", "Livewell Southwest")
    assert history["organisation"]["name"] == "Livewell Southwest"
    by_kind = {c["kind"]: c for c in history["changes"]}

    moved = by_kind["function_moved"]
    assert moved["effective"] == "2015-04" and moved["approximate"] is True
    assert moved["status"] == "happened"
    assert (
        moved["summary"]
        == "adult social care (Plymouth) moved from Plymouth City Council to Livewell Southwest"
    )

    staff = by_kind["staff_transferred"]
    assert staff["change"] == "plymouth-adult-social-care-staff-2015-04"
    assert staff["effective"] == "2015-04" and staff["status"] == "happened"
    assert staff["summary"] == (
        "173 adult social care (Plymouth) staff transferred from Plymouth City Council"
        " to Livewell Southwest"
    )
    assert {s["source"] for s in staff["sources"]} == {"plymouth-hasc-2019-03-20"}

    # In May 2015 Livewell Southwest was in force. No paper says it "provides for" the council
    # (plymouth-hasc-2019-03-20, Section Two, 3: its services run under two contracts, their
    # parties not named), so no relationship is recorded: the move and the staff are.
    show = as_json(bundled, "show", "Livewell Southwest", "--on", "2015-05-15")["organisation"]
    assert show["in_force"] is True
    assert show["relationships"] == []


def test_devon_stp_lead_in_october_2017(bundled: Cli) -> None:
    # Who led the Devon STP at the end of October 2017? Mairead McAlinden, the interim lead chief
    # executive, while the substantive system chief executive was being recruited.
    doc = as_json(bundled, "holders", "Chief Executive, Devon STP", "--on", "2017-10-31")
    assert doc["post"]["title"] == "Chief Executive"
    holders = doc["holders"]
    assert [h["person"] for h in holders] == ["Mairead McAlinden"]
    (holder,) = holders
    assert holder["interim"] is True
    assert holder["acting"] is False and holder["shadow"] is False
    assert holder["from"] == "2017-10-24" and holder["to"] is None
    assert "devon-stp-update-2017-10-24" in {s["source"] for s in holder["sources"]}

    # Before the October update the post had no recorded holder.
    earlier = as_json(bundled, "holders", "Chief Executive, Devon STP", "--on", "2017-10-20")
    assert earlier["holders"] == []


def test_a_month_asks_about_the_whole_month(bundled: Cli) -> None:
    # Who led the Devon STP in October 2017? A month is the whole month, not its first day: the
    # interim lead chief executive named in the paper of 24 October 2017
    # (devon-stp-update-2017-10-24, header: Report Author), though nobody held the post on the 1st.
    doc = as_json(bundled, "holders", "Chief Executive, Devon STP", "--on", "2017-10")
    assert (doc["on"], doc["until"]) == ("2017-10-01", "2017-10-31")
    assert [(h["person"], h["interim"]) for h in doc["holders"]] == [("Mairead McAlinden", True)]
    first_day = as_json(bundled, "holders", "Chief Executive, Devon STP", "--on", "2017-10-01")
    assert first_day["holders"] == [] and "until" not in first_day
    table = bundled.ok("holders", "Chief Executive, Devon STP", "--on", "2017-10")
    assert "from 2017-10-01 to 2017-10-31" in table.splitlines()[0]
    # A year is the whole year: the structure of 2018 holds every body in force on any day of it.
    # (A body renamed in the year is named as it was at the end of it.)
    year = ids_in(bundled, "2018")
    for day in ("2018-01-01", "2018-06-30", "2018-12-31"):
        assert ids_in(bundled, day) <= year


def ids_in(cli: Cli, on: str) -> set[str]:
    return {o["id"] for o in as_json(cli, "structure", "--on", on)["organisations"]}


def test_cornwall_system_leadership_in_december_2017(bundled: Cli) -> None:
    # Who held the Cornwall system leadership roles at the end of 2017? The chief officers agreed
    # five system CEO leads (Kathy Byrne took two), alongside the transformation director and the
    # head of PMO, all shown in post in the Transformation Board paper of 19 December 2017.
    orgs = organisations(bundled, "2017-12-31")
    partnership = orgs[CIOS]
    held = {
        p["title"]: [(h["person"], h["interim"], h["acting"]) for h in p["holders"]]
        for p in partnership["posts"]
    }
    assert held == {
        "System CEO Lead, Accountable Care System": [("Kathy Byrne", False, False)],
        "System CEO Lead, Strategic Commissioning Function": [("Kate Kennally", False, False)],
        "System CEO Lead, Accountable Care Partnership": [("Kathy Byrne", False, False)],
        "System CEO Lead, Integrated Community Services": [("Jackie Pendleton", False, False)],
        "System CEO Lead, Cornwall-wide Services": [("Phil Confue", False, False)],
        "System Transformation Director": [("Judith Dean", False, False)],
        "Head of PMO": [("Nick Hayden", False, False)],
        # Reported for December 2017 under the ACP element, no holder named; a post of the
        # system, as the paper names no employer (cios-transformation-2017-12-19, l.58).
        "Director of Adult Social Care and Health Integration": [],
    }
    for post in partnership["posts"]:
        assert all(h["from"] == "2017-12-19" for h in post["holders"])

    # The programmes' senior responsible owners and NHS Kernow's chief officer.
    def holders_of(org: str, title: str) -> list[str]:
        post = next(p for p in orgs[org]["posts"] if p["title"] == title)
        return [h["person"] for h in post["holders"]]

    assert holders_of("NHS Kernow CCG", "Chief Officer") == ["Jackie Pendleton"]
    assert holders_of("CIOS Accountable Care System Programme", "Senior Responsible Owner") == [
        "Judith Dean"
    ]
    assert holders_of(
        "CIOS New Model for Integrated Community Based Care Programme", "Senior Responsible Owner"
    ) == ["Jackie Pendleton"]
    # The paper's "Council" is not named (cios-transformation-2017-12-19, l.57): the ledger calls
    # it CIOS Council and attaches no post to it.
    assert orgs["CIOS Council"]["posts"] == []

    # None of these roles was held a month earlier.
    november = organisations(bundled, "2017-11-30")
    assert not {p["title"] for p in november[CIOS]["posts"]} & set(held)


def test_cornwall_111_out_of_hours_went_live(bundled: Cli) -> None:
    # When did Cornwall's integrated NHS 111 and out-of-hours service go live? On 30 November 2017;
    # it is recorded as a shared service established that day.
    name = "CIOS integrated NHS 111 and out-of-hours service"
    live = as_json(bundled, "show", name, "--on", "2017-11-30")["organisation"]
    assert live["kind"] == "shared_service"
    assert live["established"] == "2017-11-30"
    assert live["in_force"] is True
    assert {s["source"] for s in live["sources"]} == {"cios-transformation-2017-12-19"}

    not_yet = as_json(bundled, "show", name, "--on", "2017-11-29")["organisation"]
    assert not_yet["in_force"] is False
    assert name not in organisations(bundled, "2017-11-29")
    assert name in organisations(bundled, "2017-11-30")

    # The history names the change and its date exactly (not approximate).
    (established,) = as_json(bundled, "history", name)["changes"]
    assert established["change"] == "cios-111-ooh-service-established"
    assert established["kind"] == "established"
    assert established["effective"] == "2017-11-30" and established["approximate"] is False


def test_changes_still_only_planned_in_december_2017(bundled: Cli) -> None:
    # Which changes were still only plans as the papers up to December 2017 knew them? The whole
    # ledger is recorded now, so ask for the open plans and keep those that only papers dated by
    # the end of 2017 support: among them shadow working in Cornwall from 1 April 2018, the county
    # ACS in its new organisational form by 1 April 2019, and the Devon shared corporate services
    # model due by December 2017, with implementation from Q1 2018/19.
    plans = as_json(bundled, "plans")["changes"]
    assert plans and all(p["status"] == "planned" for p in plans)
    dates = paper_dates()
    known_in_2017 = {
        p["change"]: p
        for p in plans
        if all(dates[s["source"]] <= "2017-12-31" for s in p["sources"])
    }
    expected = {
        "cios-shadow-working-2018-04-01": "2018-04-01",
        "cios-isc-single-system-leader-post-planned": "2018-04-01",
        "cios-acp-single-system-leader-post-planned": "2018-04-01",
        "cios-acs-new-form-planned-2019-04-01": "2019-04-01",
        "devon-shared-services-model-plan-2017-12": "2017-12",
        "devon-shared-corporate-services-planned": "2018-Q2",
        "devon-corporate-services-move-planned": "2018-Q2",
        "devon-ccgs-joint-chief-executive-plan-2018-04": "2018-04",
        "devon-independent-chair-carnell-contract-end": "2018-03",
    }
    for change, effective in expected.items():
        assert change in known_in_2017, f"{change} not among the plans known in December 2017"
        assert known_in_2017[change]["effective"] == effective

    # Every plan from the December 2017 Cornwall paper targeting 2018 or later is still open.
    cornwall_2018_on = {
        e["id"]
        for e in yaml.safe_load((EVENTS / "04-cornwall-2017.yaml").read_text())["changes"]
        if e.get("status") == "planned" and str(e["effective"]) >= "2018"
    }
    assert cornwall_2018_on and cornwall_2018_on <= set(known_in_2017)

    # The 2019 Plymouth paper's plans were not yet known in 2017.
    assert "integrated-commissioning-executive-planned" in {p["change"] for p in plans}
    assert "integrated-commissioning-executive-planned" not in known_in_2017

    # The bitemporal view agrees: just after the last Cornwall change was recorded, the Cornwall
    # new-form plan is open and the Plymouth 2019 plans are not yet in the ledger.
    then = as_json(bundled, "plans", "--known-at", "cios-acs-new-form-planned-2019-04-01")
    then_ids = {p["change"] for p in then["changes"]}
    assert "cios-acs-new-form-planned-2019-04-01" in then_ids
    assert "integrated-commissioning-executive-planned" not in then_ids

    # Planned changes do not count as happened: the county ACS is not in the structure in 2019
    # unless plans are asked for.
    assert "Cornwall and the Isles of Scilly Accountable Care System" not in organisations(
        bundled, "2019-04-01"
    )
    with_plans = organisations(bundled, "2019-04-01", "--include-planned")
    assert with_plans["Cornwall and the Isles of Scilly Accountable Care System"]["planned"] is True
