"""Time travel, through the CLI only: a historian asks what the ledger said *then* as well as what was
true then. A mistyped merger date is corrected, a change recorded in error is retracted, plans are
recorded, confirmed and cancelled, dates are known only to the month, quarter or year, and an auditor
replays the log step by step. Every earlier answer must stay reachable with --known-at."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from tests.conftest import Cli, one_line_error

SRC = ["--source", "plymouth-hasc-2019-03-20:section 2", "--reason", "scenario"]
PLAN_SRC = ["--source", "cios-transformation-2017-12-19:Milestones", "--reason", "the 2017 plan"]

Fingerprint = Callable[[], tuple[int, str, int]]


# --- helpers -------------------------------------------------------------------------------------


def as_json(cli: Cli, *args: str) -> dict:
    return json.loads(cli.ok(*args, "--format", "json"))


def structure(cli: Cli, on: str, *extra: str) -> dict:
    return as_json(cli, "structure", "--on", on, *extra)


def names(doc: dict) -> set[str]:
    return {o["name"] for o in doc["organisations"]}


def org(doc: dict, name: str) -> dict:
    return next(o for o in doc["organisations"] if o["name"] == name)


def log(cli: Cli) -> list[dict]:
    return as_json(cli, "log")["changes"]


def entry(cli: Cli, label: str) -> dict:
    """The log entry of one change, by its label."""
    return next(c for c in log(cli) if c["change"] == label)


def superseder(cli: Cli, label: str) -> dict:
    """The log entry of the change that corrected, retracted, confirmed or cancelled `label`."""
    return next(c for c in log(cli) if c.get("supersedes", {}).get("change") == label)


def record_devon_ccgs(cli: Cli) -> None:
    # The two Devon CCGs, established when CCGs began.
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


def record_merger(cli: Cli, effective: str, label: str) -> str:
    return cli.ok(
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
        effective,
        "--id",
        label,
        *SRC,
    )


TWO_CCGS = {"NEW Devon CCG", "South Devon and Torbay CCG"}


def record_the_wrong_merger(cli: Cli) -> None:
    record_devon_ccgs(cli)
    # The merger is typed in as June 2019: wrong.
    record_merger(cli, "2019-06-01", "devon-merger")


def correct_the_merger(cli: Cli) -> Cli:
    # Someone notices.
    out = cli.ok(
        "correct",
        "devon-merger",
        "--effective",
        "2019-04-01",
        "--reason",
        "date mistyped: the merger took effect on 1 April",
    )
    assert "2019-04-01" in out
    return cli


@pytest.fixture
def corrected(cli: Cli) -> Cli:
    """The CCGs, their merger recorded with the wrong date, then corrected."""
    record_the_wrong_merger(cli)
    return correct_the_merger(cli)


@pytest.fixture
def corrected_a_second_later(cli: Cli) -> Cli:
    """The same, the correction recorded over a second after the merger: the log shows times to
    the second, so the two recordings then have different timestamps."""
    record_the_wrong_merger(cli)
    time.sleep(1.1)
    return correct_the_merger(cli)


# --- 1. corrections and retractions --------------------------------------------------------------


@pytest.mark.postgres(
    reason="--known-at a timestamp: PostgreSQL compares it with its time zone, SQLite as naive UTC"
)
def test_a_correction_changes_the_answer_but_what_was_known_before_stays_reachable(
    corrected_a_second_later: Cli,
) -> None:
    corrected = corrected_a_second_later
    merger = entry(corrected, "devon-merger")
    correction = superseder(corrected, "devon-merger")
    assert correction["position"] > merger["position"]

    # By default the corrected answer: on 1 May 2019 the merger had happened.
    now = structure(corrected, "2019-05-01")
    assert names(now) == {"NHS Devon CCG"}
    assert org(now, "NHS Devon CCG")["established"] == "2019-04-01"

    # As known just before the correction (a log position): the two CCGs still stood in May.
    before = correction["position"] - 1
    then = structure(corrected, "2019-05-01", "--known-at", str(before))
    assert names(then) == TWO_CCGS and then["known_at"] == before
    # ... and the wrong merger was known then: it shows from June.
    assert names(structure(corrected, "2019-06-01", "--known-at", str(before))) == {"NHS Devon CCG"}

    # The same, naming the wrong change itself rather than a position.
    by_label = structure(corrected, "2019-05-01", "--known-at", "devon-merger")
    assert names(by_label) == TWO_CCGS and by_label["known_at"] == merger["position"]

    # The same, with the merger's timestamp copied from the log: shown to the second, it covers
    # that whole second, and the correction was recorded more than a second later.
    assert datetime.fromisoformat(merger["recorded_at"]) + timedelta(
        seconds=1
    ) <= datetime.fromisoformat(correction["recorded_at"])
    stamp = merger["recorded_at"]
    assert names(structure(corrected, "2019-05-01", "--known-at", stamp)) == TWO_CCGS
    assert names(structure(corrected, "2019-06-01", "--known-at", stamp)) == {"NHS Devon CCG"}

    # Known-at the correction itself: the corrected answer again.
    assert names(structure(corrected, "2019-05-01", "--known-at", str(correction["position"]))) == {
        "NHS Devon CCG"
    }


def test_log_and_replay_keep_both_the_original_and_the_correction(corrected: Cli) -> None:
    # The log keeps the wrong merger, marked superseded, and the correction naming it.
    changes = log(corrected)
    original = next(c for c in changes if c["change"] == "devon-merger")
    correction = superseder(corrected, "devon-merger")
    assert original["effective"] == "2019-06-01"
    assert original["superseded_at"] == correction["position"]
    assert correction["effective"] == "2019-04-01" and correction["kind"] == "merged"
    assert correction["supersedes"]["change"] == "devon-merger"
    assert correction["supersedes"]["position"] == original["position"]
    assert correction["reason"].startswith("date mistyped")
    # The table log lists both, in recorded order.
    table = corrected.ok("log")
    assert table.index("devon-merger") < table.index(correction["change"])
    assert "2019-06-01" in table and "2019-04-01" in table

    # The auditor's replay shows both too, in the same order as the log.
    replayed = as_json(corrected, "replay")["changes"]
    assert [c["position"] for c in replayed] == [c["position"] for c in changes]
    by_label = {c["change"]: c for c in replayed}
    assert by_label["devon-merger"]["effective"] == "2019-06-01"
    assert by_label[correction["change"]]["supersedes"]["change"] == "devon-merger"


def test_history_shows_the_correction_and_what_it_corrects(corrected: Cli) -> None:
    # The history of a predecessor: its establishment, then the merger on its corrected date.
    history = as_json(corrected, "history", "NEW Devon CCG")["changes"]
    assert [c["kind"] for c in history] == ["established", "merged"]
    merged = history[-1]
    assert merged["effective"] == "2019-04-01"
    assert merged["corrects"]["change"] == "devon-merger"
    assert merged["corrects"]["effective"] == "2019-06-01"
    # As known before the correction, the history still has the wrong date.
    old = as_json(corrected, "history", "NEW Devon CCG", "--known-at", "devon-merger")["changes"]
    assert [(c["change"], c["effective"]) for c in old][-1] == ("devon-merger", "2019-06-01")


def test_a_correction_that_breaks_the_history_elsewhere_is_refused(
    corrected: Cli, store_fingerprint: Fingerprint
) -> None:
    correction = superseder(corrected, "devon-merger")["change"]
    before = store_fingerprint()
    # Moving the merger to 2012 would close the CCGs before they were established in 2013.
    result = corrected("correct", correction, "--effective", "2012-04-01", "--reason", "typo")
    line = one_line_error(result)
    assert result.exit_code == 4
    assert "est-99p" in line or "est-99q" in line
    # Nothing was written, and the answers are unchanged.
    assert store_fingerprint() == before
    assert names(structure(corrected, "2019-05-01")) == {"NHS Devon CCG"}
    assert names(structure(corrected, "2013-06-01")) == TWO_CCGS


def test_a_retracted_change_is_hidden_but_still_known_before_its_retraction(
    cli: Cli, store_fingerprint: Fingerprint
) -> None:
    record_devon_ccgs(cli)
    # A partnership is recorded against the wrong year, then withdrawn as recorded in error.
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
    assert "Devon STP" in names(structure(cli, "2017-01-01"))
    cli.ok("retract", "est-stp", "--reason", "recorded in error")
    retraction = superseder(cli, "est-stp")
    assert retraction["supersedes"]["change"] == "est-stp"

    # Queries no longer show it ...
    assert names(structure(cli, "2017-01-01")) == TWO_CCGS
    assert as_json(cli, "history", "Devon STP")["changes"] == []
    # ... but as known before the retraction, they do.
    for known_at in ("est-stp", str(retraction["position"] - 1)):
        assert "Devon STP" in names(structure(cli, "2017-01-01", "--known-at", known_at))
    # The log keeps both the original and its retraction.
    assert entry(cli, "est-stp")["superseded_at"] == retraction["position"]

    # Retracting it again is refused, with one line, and writes nothing.
    before = store_fingerprint()
    line = one_line_error(cli("retract", "est-stp", "--reason", "again"))
    assert "est-stp" in line
    assert store_fingerprint() == before


# --- 2. plans ------------------------------------------------------------------------------------


@pytest.fixture
def planned(cli: Cli) -> Cli:
    """In 2017 the ledger is told of two bodies planned for April 2018."""
    cli.ok(
        "record",
        "established",
        "Shadow ACS",
        "--kind",
        "partnership",
        "--planned",
        "-e",
        "2018-04-01",
        "--id",
        "shadow-acs",
        *PLAN_SRC,
    )
    cli.ok(
        "record",
        "established",
        "Devon ICS",
        "--kind",
        "partnership",
        "--planned",
        "-e",
        "2018-04-01",
        "--id",
        "devon-ics",
        *PLAN_SRC,
    )
    return cli


def plan_labels(cli: Cli, *extra: str) -> list[str]:
    return [c["change"] for c in as_json(cli, "plans", *extra)["changes"]]


def test_a_plan_is_not_in_force_until_it_is_confirmed(planned: Cli) -> None:
    plan = entry(planned, "shadow-acs")
    assert plan["status"] == "planned"
    # The plans are listed, now and as known when the first was recorded.
    assert plan_labels(planned) == ["shadow-acs", "devon-ics"]
    assert plan_labels(planned, "--known-at", str(plan["position"])) == ["shadow-acs"]

    # While only planned, it is not part of the structure on its target date ...
    assert "Shadow ACS" not in names(structure(planned, "2018-06-01"))
    # ... unless planned changes are asked for, and then it is flagged.
    with_plans = structure(planned, "2018-06-01", "--include-planned")
    assert org(with_plans, "Shadow ACS")["planned"] is True

    # It happened: confirmed.
    planned.ok("confirm", "shadow-acs", "--reason", "shadow working began")
    confirmation = superseder(planned, "shadow-acs")
    assert confirmation["supersedes"]["as"] == "confirms"
    now = structure(planned, "2018-06-01")
    assert names(now) == {"Shadow ACS"}
    assert org(now, "Shadow ACS")["planned"] is False
    assert org(now, "Shadow ACS")["established"] == "2018-04-01"

    # No longer a plan; but as known before the confirmation, it still was.
    assert plan_labels(planned) == ["devon-ics"]
    before = str(confirmation["position"] - 1)
    assert plan_labels(planned, "--known-at", before) == ["shadow-acs", "devon-ics"]
    assert "Shadow ACS" not in names(structure(planned, "2018-06-01", "--known-at", before))


def test_confirming_on_another_date_moves_the_change(planned: Cli) -> None:
    # It happened a month late, and only the month is known.
    planned.ok("confirm", "shadow-acs", "--effective", "2018-05", "--reason", "began in May")
    assert "Shadow ACS" not in names(structure(planned, "2018-04-30"))
    may = structure(planned, "2018-05-01")
    assert names(may) == {"Shadow ACS"}
    assert org(may, "Shadow ACS")["established"] == "2018-05"
    # Nor is the old target date shown among the planned changes any more.
    assert "Shadow ACS" not in names(structure(planned, "2018-04-30", "--include-planned"))


def test_a_cancelled_plan_leaves_the_planned_views(planned: Cli) -> None:
    assert "Devon ICS" in names(structure(planned, "2018-06-01", "--include-planned"))
    # The ICS did not happen: the plan is cancelled.
    out = planned.ok("cancel", "devon-ics", "--reason", "plan dropped")
    cancellation = superseder(planned, "devon-ics")
    assert cancellation["supersedes"]["as"] == "cancelled"
    # The acknowledgement says what was recorded: a cancellation, as the log calls it.
    assert "cancelled" in out and "retracted" not in out

    # Gone from the planned views and from the list of plans.
    assert "Devon ICS" not in names(structure(planned, "2018-06-01", "--include-planned"))
    assert plan_labels(planned) == ["shadow-acs"]
    # The plan stays in the log, and as known before the cancellation it was still a plan.
    assert entry(planned, "devon-ics")["superseded_at"] == cancellation["position"]
    before = str(cancellation["position"] - 1)
    assert plan_labels(planned, "--known-at", before) == ["shadow-acs", "devon-ics"]
    assert "Devon ICS" in names(
        structure(planned, "2018-06-01", "--include-planned", "--known-at", before)
    )


def test_only_a_plan_can_be_confirmed_or_cancelled(
    planned: Cli, store_fingerprint: Fingerprint
) -> None:
    record_devon_ccgs(planned)
    before = store_fingerprint()
    # A change that happened is not a plan: nothing to confirm or cancel.
    line = one_line_error(planned("confirm", "est-99p", "--reason", "confirm a fact"))
    assert "est-99p" in line and "plan" in line
    line = one_line_error(planned("cancel", "est-99p", "--reason", "cancel a fact"))
    assert "est-99p" in line and "plan" in line
    assert store_fingerprint() == before

    # A plan already confirmed cannot be confirmed again.
    planned.ok("confirm", "shadow-acs", "--reason", "it happened")
    before = store_fingerprint()
    one_line_error(planned("confirm", "shadow-acs", "--reason", "again"))
    assert store_fingerprint() == before


# --- 3. diff -------------------------------------------------------------------------------------


def diff_labels(cli: Cli, start: str, end: str, *extra: str) -> list[str]:
    return [c["change"] for c in as_json(cli, "diff", start, end, *extra)["changes"]]


def test_diff_names_exactly_the_merger_and_nothing_before_it_was_recorded(cli: Cli) -> None:
    record_devon_ccgs(cli)
    # An unrelated change in 2018.
    cli.ok(
        "record",
        "established",
        "Devon STP",
        "--kind",
        "partnership",
        "-e",
        "2018-02-01",
        "--id",
        "est-stp",
        *SRC,
    )
    # The merger, on its right date.
    record_merger(cli, "2019-04-01", "devon-ccg-merger")

    # Between the eve and the day of the merger: the merger, nothing else.
    assert diff_labels(cli, "2019-03-31", "2019-04-01") == ["devon-ccg-merger"]
    # The first date is exclusive: from the day of the merger on, nothing changed.
    assert diff_labels(cli, "2019-04-01", "2019-04-02") == []
    # As known before the merger was recorded, nothing changed that day.
    before = str(entry(cli, "devon-ccg-merger")["position"] - 1)
    assert diff_labels(cli, "2019-03-31", "2019-04-01", "--known-at", before) == []


def test_diff_follows_the_correction_and_known_at_recovers_the_original(corrected: Cli) -> None:
    correction = superseder(corrected, "devon-merger")["change"]
    # Now the merger is on 1 April: only the correcting change, not the superseded original.
    assert diff_labels(corrected, "2019-03-31", "2019-04-01") == [correction]
    assert diff_labels(corrected, "2019-05-31", "2019-06-01") == []
    # As known before the correction, the change was in June.
    assert diff_labels(corrected, "2019-03-31", "2019-04-01", "--known-at", "devon-merger") == []
    assert diff_labels(corrected, "2019-05-31", "2019-06-01", "--known-at", "devon-merger") == [
        "devon-merger"
    ]


# --- 4. reduced precision ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("effective", "eve", "first_day"),
    [
        ("2015-04", "2015-03-31", "2015-04-01"),
        ("2018-Q2", "2018-03-31", "2018-04-01"),
        ("2017", "2016-12-31", "2017-01-01"),
    ],
)
def test_a_date_known_only_to_the_month_quarter_or_year(
    cli: Cli, effective: str, eve: str, first_day: str
) -> None:
    # Livewell Southwest began in a month (or quarter, or year); the day is not known.
    cli.ok(
        "record",
        "established",
        "Livewell Southwest",
        "--kind",
        "community_interest_company",
        "-e",
        effective,
        "--id",
        "lws",
        *SRC,
    )

    # Not in force the day before the period; in force from its first day.
    assert names(structure(cli, eve)) == set()
    on_day = structure(cli, first_day)
    assert names(on_day) == {"Livewell Southwest"}
    # JSON keeps the precision it was given and never invents a day.
    assert org(on_day, "Livewell Southwest")["established"] == effective
    later = cli.ok("structure", "--on", "2019-06-01", "--format", "json")
    assert json.loads(later)["organisations"][0]["established"] == effective
    assert first_day not in later
    logged = entry(cli, "lws")
    assert logged["effective"] == effective and logged["approximate"] is True
    history = cli.ok("history", "Livewell Southwest", "--format", "json")
    assert json.loads(history)["changes"][0]["effective"] == effective
    assert first_day not in history

    # Tables mark it approximate, also without an invented day.
    for table in (cli.ok("structure", "--on", "2019-06-01"), cli.ok("log")):
        assert f"{effective} ~" in table
        assert first_day not in table


# --- 5. replay -----------------------------------------------------------------------------------


def test_replay_until_stops_at_that_position(corrected: Cli) -> None:
    merger = entry(corrected, "devon-merger")["position"]
    # The auditor replays up to the wrong merger: the correction is not reached yet.
    replayed = as_json(corrected, "replay", "--until", str(merger))["changes"]
    assert [c["change"] for c in replayed] == ["est-99p", "est-99q", "devon-merger"]
    assert replayed[-1]["position"] == merger
    assert all(c["position"] <= merger for c in replayed)
    # One position earlier, the merger is gone too.
    earlier = as_json(corrected, "replay", "--until", str(merger - 1))["changes"]
    assert [c["change"] for c in earlier] == ["est-99p", "est-99q"]


def test_replay_shows_the_structure_as_it_stood_after_each_step(corrected: Cli) -> None:
    correction = superseder(corrected, "devon-merger")["change"]
    replay = as_json(corrected, "replay", "--show-structure-on", "2019-05-01")
    steps = {s["change"]["change"]: s for s in replay["steps"]}
    assert list(steps) == [c["change"] for c in log(corrected)]
    # Each step's structure is the ledger as known at that step.
    for step in replay["steps"]:
        assert step["structure"]["known_at"] == step["change"]["position"]
        assert step["structure"]["on"] == "2019-05-01"
    # After the first CCG was recorded, only it.
    assert names(steps["est-99p"]["structure"]) == {"NEW Devon CCG"}
    # After the wrong merger (then dated June), NHS Devon CCG is absent on 1 May.
    assert names(steps["devon-merger"]["structure"]) == TWO_CCGS
    # After the correction, it is there.
    assert names(steps[correction]["structure"]) == {"NHS Devon CCG"}
