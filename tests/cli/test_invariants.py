"""Every invariant of the ledger, tried through the CLI as a user would break it.

A refused change must end in exactly one line on stderr that names the earlier change it conflicts
with, a non-zero exit code, and a store exactly as it was before the attempt.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SOURCE, Cli

Fingerprint = Callable[[], tuple[int, str, int]]


def conflicts_with(label: str) -> str:
    return f"conflicts with change '{label}'"


def establish(cli: Cli, name: str, kind: str, effective: str, label: str | None = None) -> None:
    labelled = ["--id", label] if label else []
    cli.ok(
        "record", "established", name, "--kind", kind, "--effective", effective, *SOURCE, *labelled
    )


def as_json(cli: Cli, *args: str) -> Any:
    return json.loads(cli.ok(*args, "--format", "json"))


# --- nothing happens to a body before it was established ---------------------------------------


def test_a_rename_dated_before_the_establishment_is_refused(cli: Cli, refuse) -> None:
    # The trust is recorded as founded in April 2017.
    establish(cli, "Alpha NHS Trust", "nhs_trust", "2017-04-01", "alpha-established")
    # A curator then tries to record a rename in January 2016, before it existed.
    line = refuse(
        "record", "renamed", "Alpha NHS Trust", "--name", "Alpha Trust",
        "--effective", "2016-01-01", *SOURCE,
    )  # fmt: skip
    # The refusal names the establishment it contradicts.
    assert conflicts_with("alpha-established") in line
    assert "before it was established" in line


def test_joining_a_body_before_it_was_established_is_refused(cli: Cli, refuse) -> None:
    # The council has existed for decades; the partnership only from 2017.
    establish(cli, "Plymouth City Council", "local_authority", "1974")
    establish(cli, "Devon STP", "partnership", "2017-04-01", "stp-established")
    # Joining the partnership in mid-2016 would be joining something that did not exist yet.
    line = refuse(
        "record", "joined", "Plymouth City Council", "Devon STP", "--effective", "2016-06", *SOURCE
    )
    assert conflicts_with("stp-established") in line


@pytest.mark.postgres(
    reason="slice: a change checked against the history read back from PostgreSQL, refused in one line"
)
def test_a_back_dated_establishment_after_an_earlier_recorded_change_is_refused(
    cli: Cli, refuse
) -> None:
    # Sources only show the CCG existing in 2018, so it is recorded "on or before" that date ...
    cli.ok(
        "record", "established", "Gamma CCG", "--kind", "ccg", "--on-or-before",
        "--effective", "2018", *SOURCE, "--id", "gamma-seen-2018",
    )  # fmt: skip
    # ... which lets an earlier change be recorded: a rename in 2016.
    cli.ok(
        "record", "renamed", "Gamma CCG", "--name", "NHS Gamma CCG", "--effective", "2016",
        *SOURCE, "--id", "gamma-renamed-2016",
    )  # fmt: skip
    # Recording, out of order, that it was founded in 2017 would put the 2016 rename before its birth.
    line = refuse(
        "record", "established", "NHS Gamma CCG", "--kind", "ccg", "--effective", "2017", *SOURCE
    )
    assert conflicts_with("gamma-renamed-2016") in line


# --- nothing happens to a body after it closed ------------------------------------------------


def test_a_rename_after_the_closure_is_refused(cli: Cli, refuse) -> None:
    # The trust opens in 2017 and closes at the end of March 2019.
    establish(cli, "Alpha NHS Trust", "nhs_trust", "2017-04-01")
    cli.ok(
        "record", "closed", "Alpha NHS Trust", "--effective", "2019-03-31", *SOURCE,
        "--id", "alpha-closed",
    )  # fmt: skip
    # Renaming it in 2020 is renaming a body that no longer exists.
    line = refuse(
        "record", "renamed", "Alpha NHS Trust", "--name", "Beta NHS Trust",
        "--effective", "2020-01-01", *SOURCE,
    )  # fmt: skip
    assert conflicts_with("alpha-closed") in line
    assert "after it closed" in line


def test_a_closure_back_dated_before_a_recorded_rename_is_refused(cli: Cli, refuse) -> None:
    # The trust is renamed in 2020 ...
    establish(cli, "Alpha NHS Trust", "nhs_trust", "2017-04-01")
    cli.ok("record", "renamed", "Alpha NHS Trust", "--name", "Alpha Trust", "--effective", "2020",
           *SOURCE, "--id", "alpha-renamed-2020")  # fmt: skip
    # ... so recording, out of order, that it had closed in 2019 is refused, naming the rename.
    line = refuse("record", "closed", "Alpha Trust", "--effective", "2019-03-31", *SOURCE)
    assert conflicts_with("alpha-renamed-2020") in line


def test_an_appointment_to_a_post_of_a_closed_body_is_refused(cli: Cli, refuse) -> None:
    # A partnership with a chief executive post, closed in March 2020.
    establish(cli, "Devon STP", "partnership", "2016")
    cli.ok("record", "post-created", "Chief Executive", "--organisation", "Devon STP",
           "--effective", "2016-06", *SOURCE)  # fmt: skip
    cli.ok("record", "closed", "Devon STP", "--effective", "2020-03-31", *SOURCE,
           "--id", "stp-closed")  # fmt: skip
    # Nobody can be appointed to its post in 2021.
    line = refuse(
        "record", "appointed", "E. White", "--post", "Chief Executive",
        "--organisation", "Devon STP", "--effective", "2021-01-01", *SOURCE,
    )  # fmt: skip
    assert conflicts_with("stp-closed") in line


def test_an_appointment_after_the_closure_names_the_closure_even_if_the_post_had_a_holder(
    cli: Cli, refuse
) -> None:
    # The post had a substantive holder until the body closed (the closure ends the appointment).
    establish(cli, "Devon STP", "partnership", "2016")
    cli.ok("record", "post-created", "Chief Executive", "--organisation", "Devon STP",
           "--effective", "2016-06", *SOURCE)  # fmt: skip
    cli.ok("record", "appointed", "D. Green", "--post", "Chief Executive",
           "--organisation", "Devon STP", "--effective", "2018-04-01", *SOURCE,
           "--id", "green-appointed")  # fmt: skip
    cli.ok("record", "closed", "Devon STP", "--effective", "2020-03-31", *SOURCE,
           "--id", "stp-closed")  # fmt: skip
    # The read model agrees that nobody holds the post after the closure ...
    assert (
        as_json(cli, "holders", "Chief Executive, Devon STP", "--on", "2021-01-01")["holders"] == []
    )
    # ... so an appointment in 2021 is refused because the body is closed, not because of D. Green.
    line = refuse(
        "record", "appointed", "E. White", "--post", "Chief Executive",
        "--organisation", "Devon STP", "--effective", "2021-01-01", *SOURCE,
    )  # fmt: skip
    assert conflicts_with("stp-closed") in line


# --- a body is not closed twice --------------------------------------------------------------


def test_closing_a_body_twice_is_refused(cli: Cli, refuse) -> None:
    # The trust is closed at the end of March 2019.
    establish(cli, "Alpha NHS Trust", "nhs_trust", "2017-04-01")
    cli.ok("record", "closed", "Alpha NHS Trust", "--effective", "2019-03-31", *SOURCE,
           "--id", "alpha-closed")  # fmt: skip
    # A second closure, a year later, is refused ...
    line = refuse("record", "closed", "Alpha NHS Trust", "--effective", "2020-03-31", *SOURCE)
    assert conflicts_with("alpha-closed") in line
    # ... and so is one a year earlier.
    line = refuse("record", "closed", "Alpha NHS Trust", "--effective", "2018-03-31", *SOURCE)
    assert conflicts_with("alpha-closed") in line


def test_closing_a_body_that_was_merged_away_is_refused(cli: Cli, refuse) -> None:
    # Two CCGs merge into a new one in April 2019; the merger closes both.
    establish(cli, "East CCG", "ccg", "2013-04-01")
    establish(cli, "South CCG", "ccg", "2013-04-01")
    cli.ok("record", "merged", "--predecessor", "East CCG", "--predecessor", "South CCG",
           "--successor", "Big CCG", "--kind", "ccg", "--effective", "2019-04-01", *SOURCE,
           "--id", "big-merger")  # fmt: skip
    # Closing East CCG again in 2020 is refused, naming the merger.
    line = refuse("record", "closed", "East CCG", "--effective", "2020", *SOURCE)
    assert conflicts_with("big-merger") in line


# --- every party to a merger or split exists on its date -------------------------------------


def test_a_merger_of_a_predecessor_already_closed_is_refused(cli: Cli, refuse) -> None:
    # North CCG closed a year before the planned merger date.
    establish(cli, "North CCG", "ccg", "2013-04-01")
    establish(cli, "South CCG", "ccg", "2013-04-01")
    cli.ok("record", "closed", "North CCG", "--effective", "2018-03-31", *SOURCE,
           "--id", "north-closed")  # fmt: skip
    # It cannot take part in a merger in April 2019.
    line = refuse(
        "record", "merged", "--predecessor", "North CCG", "--predecessor", "South CCG",
        "--successor", "Devon CCG", "--kind", "ccg", "--effective", "2019-04-01", *SOURCE,
    )  # fmt: skip
    assert conflicts_with("north-closed") in line


def test_a_merger_of_a_predecessor_established_later_is_refused(cli: Cli, refuse) -> None:
    # West CCG is only founded in 2020.
    establish(cli, "West CCG", "ccg", "2020-04-01", "west-established")
    establish(cli, "South CCG", "ccg", "2013-04-01")
    # It cannot merge away in 2019.
    line = refuse(
        "record", "merged", "--predecessor", "West CCG", "--predecessor", "South CCG",
        "--successor", "Wessex CCG", "--kind", "ccg", "--effective", "2019-04-01", *SOURCE,
    )  # fmt: skip
    assert conflicts_with("west-established") in line


def test_a_merger_into_an_existing_successor_established_after_the_merger_is_refused(
    cli: Cli, refuse
) -> None:
    # The successor is recorded as founded in 2020 ...
    establish(cli, "East CCG", "ccg", "2013-04-01")
    establish(cli, "South CCG", "ccg", "2013-04-01")
    establish(cli, "Devon CCG", "ccg", "2020-04-01", "devon-established")
    # ... so two CCGs cannot merge into it in 2019.
    line = refuse(
        "record", "merged", "--predecessor", "East CCG", "--predecessor", "South CCG",
        "--successor", "Devon CCG", "--into", "existing", "--effective", "2019-04-01", *SOURCE,
    )  # fmt: skip
    assert conflicts_with("devon-established") in line


def test_a_split_of_a_closed_body_is_refused(cli: Cli, refuse) -> None:
    # The trust closed in 2018.
    establish(cli, "Old Trust", "nhs_trust", "2010")
    cli.ok("record", "closed", "Old Trust", "--effective", "2018-03-31", *SOURCE,
           "--id", "old-closed")  # fmt: skip
    # Splitting it in 2019 is refused.
    line = refuse(
        "record", "split", "Old Trust", "--successor", "North Trust", "--successor", "South Trust",
        "--effective", "2019-04-01", *SOURCE,
    )  # fmt: skip
    assert conflicts_with("old-closed") in line


def test_a_split_of_a_body_not_yet_established_is_refused(cli: Cli, refuse) -> None:
    # The trust is only founded in 2020.
    establish(cli, "Young Trust", "nhs_trust", "2020-04-01", "young-established")
    # It cannot split in 2019.
    line = refuse(
        "record", "split", "Young Trust", "--successor", "North Trust", "--successor", "South Trust",
        "--effective", "2019-04-01", *SOURCE,
    )  # fmt: skip
    assert conflicts_with("young-established") in line


def test_a_split_into_an_existing_successor_established_later_is_refused(cli: Cli, refuse) -> None:
    # One of the successors already exists, but only from 2020.
    establish(cli, "Old Trust", "nhs_trust", "2010")
    establish(cli, "South Trust", "nhs_trust", "2020-04-01", "south-established")
    # A 2019 split into it is refused.
    line = refuse(
        "record", "split", "Old Trust", "--successor", "North Trust", "--successor", "South Trust",
        "--effective", "2019-04-01", *SOURCE,
    )  # fmt: skip
    assert conflicts_with("south-established") in line


# --- a post has at most one substantive holder at a time --------------------------------------


@pytest.fixture
def ceo_post(cli: Cli) -> Cli:
    """Devon STP with a Chief Executive post and a substantive holder from January 2017."""
    establish(cli, "Devon STP", "partnership", "2016")
    cli.ok("record", "post-created", "Chief Executive", "--organisation", "Devon STP",
           "--effective", "2016-06", *SOURCE)  # fmt: skip
    cli.ok("record", "appointed", "A. Smith", "--post", "Chief Executive",
           "--organisation", "Devon STP", "--effective", "2017-01-01", *SOURCE,
           "--id", "smith-appointed")  # fmt: skip
    return cli


def appoint(person: str, effective: str, *flags: str) -> list[str]:
    return [
        "record", "appointed", person, "--post", "Chief Executive", "--organisation", "Devon STP",
        *flags, "--effective", effective, *SOURCE,
    ]  # fmt: skip


def test_a_second_substantive_holder_is_refused(ceo_post: Cli, refuse) -> None:
    # While A. Smith holds the post, B. Jones cannot also be its substantive holder.
    line = refuse(*appoint("B. Jones", "2017-06-01"))
    assert conflicts_with("smith-appointed") in line
    assert "substantive" in line


def test_an_earlier_open_ended_substantive_appointment_recorded_later_is_refused(
    ceo_post: Cli, refuse
) -> None:
    # A. Smith holds the post from January 2017. Recording, out of order, an open-ended
    # substantive appointment from 2016-07 would overlap hers.
    line = refuse(*appoint("B. Jones", "2016-07-01"))
    assert conflicts_with("smith-appointed") in line


def test_interim_and_acting_holders_alongside_the_substantive_one_are_accepted(
    ceo_post: Cli,
) -> None:
    # An interim and an acting holder may serve alongside the substantive one.
    ceo_post.ok(*appoint("B. Jones", "2017-06-01", "--interim"))
    ceo_post.ok(*appoint("C. Brown", "2017-07-01", "--acting"))
    # On 1 August 2017 the post has all three holders, flagged as such.
    holders = as_json(ceo_post, "holders", "Chief Executive, Devon STP", "--on", "2017-08-01")
    by_person = {h["person"]: h for h in holders["holders"]}
    assert set(by_person) == {"A. Smith", "B. Jones", "C. Brown"}
    assert not by_person["A. Smith"]["interim"] and not by_person["A. Smith"]["acting"]
    assert by_person["B. Jones"]["interim"]
    assert by_person["C. Brown"]["acting"]


def test_a_new_substantive_holder_after_the_first_leaves_is_accepted(ceo_post: Cli) -> None:
    # A. Smith leaves at the end of March 2018 ...
    ceo_post.ok("record", "appointment-ended", "A. Smith", "--post", "Chief Executive",
                "--organisation", "Devon STP", "--effective", "2018-03-31", *SOURCE)  # fmt: skip
    # ... and D. Green is appointed substantively the next day.
    ceo_post.ok(*appoint("D. Green", "2018-04-01"))
    holders = as_json(ceo_post, "holders", "Chief Executive, Devon STP", "--on", "2018-06-01")
    assert [h["person"] for h in holders["holders"]] == ["D. Green"]


# --- staff transferred cannot exceed the recorded headcount -----------------------------------


@pytest.fixture
def council(cli: Cli) -> Cli:
    """A council with 100 adult social care staff recorded in January 2015, and a provider."""
    establish(cli, "Plymouth City Council", "local_authority", "1974")
    establish(cli, "Livewell Southwest", "community_interest_company", "2011")
    cli.ok("record", "fact-recorded", "Plymouth City Council", "headcount", "100",
           "--function", "adult social care", "--effective", "2015-01", *SOURCE,
           "--id", "asc-headcount")  # fmt: skip
    return cli


def transfer(headcount: int, effective: str = "2015-04") -> list[str]:
    return [
        "record", "staff-transferred", "adult social care", "--from", "Plymouth City Council",
        "--to", "Livewell Southwest", "--headcount", str(headcount), "--effective", effective,
        *SOURCE,
    ]  # fmt: skip


def test_transferring_more_staff_than_recorded_is_refused(council: Cli, refuse) -> None:
    # 150 staff cannot leave a function recorded with 100.
    line = refuse(*transfer(150))
    assert conflicts_with("asc-headcount") in line


def test_transferring_exactly_the_recorded_headcount_is_accepted(council: Cli) -> None:
    # All 100 may transfer.
    out = council.ok(*transfer(100))
    assert out.startswith("recorded: staff_transferred")
    assert len(as_json(council, "log")["changes"]) == 4


def test_a_second_transfer_beyond_what_is_left_is_refused(council: Cli, refuse) -> None:
    # 60 transfer in April, leaving 40 ...
    council.ok(*transfer(60, "2015-04"))
    # ... so another 60 in May is refused, naming the recorded headcount.
    line = refuse(*transfer(60, "2015-05"))
    assert conflicts_with("asc-headcount") in line


def test_a_headcount_recorded_after_a_larger_transfer_is_refused(cli: Cli, refuse) -> None:
    # 150 staff are recorded as transferring in April 2015, before any headcount is known.
    establish(cli, "Plymouth City Council", "local_authority", "1974")
    establish(cli, "Livewell Southwest", "community_interest_company", "2011")
    cli.ok(*transfer(150), "--id", "asc-transfer-150")
    # A headcount of 100 in January 2015, recorded afterwards, contradicts that transfer.
    line = refuse(
        "record", "fact-recorded", "Plymouth City Council", "headcount", "100",
        "--function", "adult social care", "--effective", "2015-01", *SOURCE,
    )  # fmt: skip
    assert conflicts_with("asc-transfer-150") in line


# --- a membership cannot end before it starts -------------------------------------------------


def test_leaving_before_joining_is_refused(cli: Cli, refuse) -> None:
    # The council joins the partnership in 2018.
    establish(cli, "Plymouth City Council", "local_authority", "1974")
    establish(cli, "Devon STP", "partnership", "2016")
    cli.ok("record", "joined", "Plymouth City Council", "Devon STP", "--effective", "2018",
           *SOURCE, "--id", "council-joined")  # fmt: skip
    # Recording that it left in 2017 is refused, naming the joining.
    line = refuse(
        "record", "left", "Plymouth City Council", "Devon STP", "--effective", "2017", *SOURCE
    )
    assert conflicts_with("council-joined") in line


def test_leaving_on_the_day_of_joining_names_the_joining(cli: Cli, refuse) -> None:
    # The council joins the partnership on 1 January 2018.
    establish(cli, "Plymouth City Council", "local_authority", "1974")
    establish(cli, "Devon STP", "partnership", "2016")
    cli.ok("record", "joined", "Plymouth City Council", "Devon STP", "--effective", "2018-01-01",
           *SOURCE, "--id", "council-joined")  # fmt: skip
    # A membership that ends the day it starts is empty (like a body closed on the day it was
    # established); the refusal must name the joining, not claim there is no membership.
    line = refuse(
        "record", "left", "Plymouth City Council", "Devon STP", "--effective", "2018-01-01",
        *SOURCE,
    )  # fmt: skip
    assert conflicts_with("council-joined") in line


def test_leaving_without_a_membership_is_refused(cli: Cli, refuse) -> None:
    # The council was never a member of the partnership.
    establish(cli, "Plymouth City Council", "local_authority", "1974")
    establish(cli, "Devon STP", "partnership", "2016")
    # So it cannot leave it.
    line = refuse(
        "record", "left", "Plymouth City Council", "Devon STP", "--effective", "2019", *SOURCE
    )
    # There is no earlier change to name: the message says there is no membership to end.
    assert "no membership" in line


def test_a_membership_seen_again_while_it_holds_is_evidence_not_a_second_joining(
    cli: Cli, refuse
) -> None:
    establish(cli, "Plymouth City Council", "local_authority", "1974")
    establish(cli, "Devon STP", "partnership", "2016")
    cli.ok("record", "joined", "Plymouth City Council", "Devon STP", "--effective", "2016-12",
           *SOURCE)  # fmt: skip
    # A paper of October 2017 sees the council in the partnership: accepted, as evidence.
    cli.ok("record", "joined", "Plymouth City Council", "Devon STP", "--effective",
           "as-at:2017-10-24", *SOURCE)  # fmt: skip
    member_of = as_json(cli, "show", "Plymouth City Council", "--on", "2018-01-01")["organisation"][
        "member_of"
    ]
    assert [(m["since"], m["status"], m["last_evidence"]) for m in member_of] == [
        ("2016-12", "presumed", "2017-10-24")
    ]
    # A second joining dated exactly is still refused: it says the membership began again.
    line = refuse(
        "record", "joined", "Plymouth City Council", "Devon STP", "--effective", "2018-01-01",
        *SOURCE,
    )  # fmt: skip
    assert "membership already began on 2016-12" in line


# --- a change needs a source ------------------------------------------------------------------


def test_a_change_without_a_source_is_refused(cli: Cli, refuse) -> None:
    establish(cli, "Alpha NHS Trust", "nhs_trust", "2017-04-01")
    # A rename with a reason but no --source.
    line = refuse(
        "record", "renamed", "Alpha NHS Trust", "--name", "Alpha Trust", "--effective", "2018",
        "--reason", "board minutes",
    )  # fmt: skip
    assert "--source" in line


def test_a_change_file_entry_without_sources_is_refused(cli: Cli, refuse, tmp_path: Path) -> None:
    establish(cli, "Alpha NHS Trust", "nhs_trust", "2017-04-01")
    # A change file whose only entry has no `sources:`.
    path = tmp_path / "no-sources.yaml"
    path.write_text(
        "changes:\n"
        "  - change: renamed\n"
        "    organisation: Alpha NHS Trust\n"
        "    name: Alpha Trust\n"
        '    effective: "2018"\n'
        "    reason: board minutes\n",
        encoding="utf-8",
    )
    line = refuse("import", str(path))
    # The message names the file, the entry and the missing field.
    assert path.name in line
    assert "entry 1" in line
    assert "sources" in line


# --- closing a body ends its memberships and appointments in the read model -------------------


@pytest.mark.postgres(
    reason="slice: a closure's effects on memberships and appointments, recorded and asked on PostgreSQL"
)
def test_closing_a_body_ends_its_memberships_and_appointments(cli: Cli) -> None:
    # A partnership with a member and a chair.
    establish(cli, "Devon STP", "partnership", "2016")
    establish(cli, "Plymouth City Council", "local_authority", "1974")
    cli.ok("record", "joined", "Plymouth City Council", "Devon STP", "--effective", "2016-06",
           *SOURCE)  # fmt: skip
    cli.ok("record", "post-created", "Independent Chair", "--organisation", "Devon STP",
           "--effective", "2016-06", *SOURCE)  # fmt: skip
    cli.ok("record", "appointed", "A. Smith", "--post", "Independent Chair",
           "--organisation", "Devon STP", "--effective", "2017-01-01", *SOURCE)  # fmt: skip

    # Before the closure: the partnership is in force, the council a member, the chair held.
    before = as_json(cli, "structure", "--on", "2019-01-01")
    by_name = {o["name"]: o for o in before["organisations"]}
    assert "Devon STP" in by_name
    assert [m["name"] for m in by_name["Plymouth City Council"]["member_of"]] == ["Devon STP"]
    chair = as_json(cli, "holders", "Independent Chair, Devon STP", "--on", "2019-01-01")
    assert [h["person"] for h in chair["holders"]] == ["A. Smith"]

    # The partnership closes at the end of March 2020; nothing else is recorded.
    cli.ok("record", "closed", "Devon STP", "--effective", "2020-03-31", *SOURCE)

    # In 2021 the partnership is gone and the council is a member of nothing.
    after = as_json(cli, "structure", "--on", "2021-01-01")
    by_name = {o["name"]: o for o in after["organisations"]}
    assert "Devon STP" not in by_name
    assert by_name["Plymouth City Council"]["member_of"] == []
    # And nobody holds the chair.
    chair = as_json(cli, "holders", "Independent Chair, Devon STP", "--on", "2021-01-01")
    assert chair["holders"] == []


def test_a_member_that_closes_drops_out_of_the_members_of_its_body(cli: Cli) -> None:
    # A CCG is a member of the partnership from mid-2016.
    establish(cli, "Devon STP", "partnership", "2016")
    establish(cli, "NEW Devon CCG", "ccg", "2013-04-01")
    cli.ok("record", "joined", "NEW Devon CCG", "Devon STP", "--effective", "2016-06", *SOURCE)
    members = as_json(cli, "show", "Devon STP", "--on", "2018-01-01")["organisation"]["members"]
    assert [m["name"] for m in members] == ["NEW Devon CCG"]
    # The CCG closes at the end of March 2019 without a recorded `left`.
    cli.ok("record", "closed", "NEW Devon CCG", "--effective", "2019-03-31", *SOURCE)
    # From then on the partnership has no members.
    members = as_json(cli, "show", "Devon STP", "--on", "2020-01-01")["organisation"]["members"]
    assert members == []


# --- what the sources say of a date -------------------------------------------------------------


def test_a_body_seen_by_a_date_exists_then_and_was_not_founded_then(cli: Cli, refuse) -> None:
    # A paper of December 2016 lists the council as a partner: it existed by then, founding unknown.
    cli.ok("record", "established", "Delta Council", "--kind", "local_authority",
           "--effective", "by:2016-12", *SOURCE)  # fmt: skip
    history = as_json(cli, "history", "Delta Council")["changes"]
    assert [c["effective"] for c in history] == ["by:2016-12"]
    assert as_json(cli, "show", "Delta Council", "--on", "2017-01-01")["organisation"]["in_force"]
    # Like --on-or-before, it attests the body: a later paper may record its founding earlier ...
    cli.ok("record", "established", "Delta Council", "--kind", "local_authority",
           "--effective", "1974-04-01", *SOURCE)  # fmt: skip
    # ... but nothing can have happened to it after a closure before the date it was seen.
    cli.ok("record", "closed", "Delta Council", "--effective", "2020-01-01", *SOURCE)
    line = refuse("record", "renamed", "Delta Council", "--name", "Delta Unitary",
                  "--effective", "as-at:2021-01-01", *SOURCE)  # fmt: skip
    assert "after it closed" in line


def test_an_event_cannot_be_an_observation(cli: Cli, refuse) -> None:
    establish(cli, "Epsilon Board", "board", "2015-04-01")
    line = refuse("record", "closed", "Epsilon Board", "--effective", "as-at:2019-01-01", *SOURCE)
    assert "as-at:2019-01-01 records a state seen on a date" in line
    assert "exact, by: or after:" in line
    # Closed on or before a date is an event with a bounded date: recorded.
    cli.ok("record", "closed", "Epsilon Board", "--effective", "by:2019-01-01", *SOURCE)
    assert as_json(cli, "history", "Epsilon Board")["changes"][-1]["effective"] == "by:2019-01-01"


def test_a_body_a_merger_made_by_a_date_is_seen_then_not_founded_then(cli: Cli) -> None:
    # A paper says two boards had merged into a new one by March 2019: the new board existed then.
    establish(cli, "Zeta Board", "board", "2015-04-01")
    establish(cli, "Eta Board", "board", "2015-04-01")
    cli.ok("record", "merged", "--predecessor", "Zeta Board", "--predecessor", "Eta Board",
           "--successor", "Theta Board", "--kind", "board", "--effective", "by:2019-03", *SOURCE)  # fmt: skip
    structure = as_json(cli, "structure", "--on", "2019-04-01")["organisations"]
    (theta,) = [o for o in structure if o["name"] == "Theta Board"]
    assert (theta["established"], theta["first_recorded"]) == (None, "by:2019-03")
