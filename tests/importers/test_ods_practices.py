"""GP practices and their commissioners from the register's practice file (`epraccur.csv`), and each
release as evidence of its date, through the CLI as a user runs it.

The files are built here in the register's layout (27 columns, headerless, every field quoted), with
the builders of test_ods.py; the shared Devon and Cornwall practices are read in the last test only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli
from tests.importers.test_ods import (
    SAMPLE,
    Fingerprint,
    as_json,
    import_ods,
    logged,
    org,
    succ,
    write,
)

CCGS = [org("A1A", "NHS ALPHA CCG", "20130401"), org("B2B", "NHS BETA CCG", "20130401")]


def practice(
    code: str,
    name: str,
    opened: str,
    *,
    commissioner: str = "",
    joined: str = "",
    left: str = "",
    closed: str = "",
    status: str = "A",
) -> list[str]:
    """One practice row: the organisation columns, then status (12), prescribing setting sub-type
    (13), commissioner (14), joined (15), left (16), provider/purchaser (23), setting (25)."""
    row = org(code, name, opened, closed)
    row[12], row[13], row[14], row[15], row[16] = status, "B", commissioner, joined, left
    row[23], row[25] = commissioner, "4"
    return row


def commissioners(cli: Cli, code: str, on: str) -> list[str]:
    """The ODS codes of the bodies a practice was a member of on the date."""
    doc = as_json(cli, "show", code, "--on", on)["organisation"]
    return sorted(codes_of(cli, m["id"]) for m in doc["member_of"])


def codes_of(cli: Cli, body_id: str) -> str:
    return as_json(cli, "show", body_id)["organisation"]["codes"]["ods"]  # type: ignore[no-any-return]


def members(cli: Cli, body: str, on: str, *extra: str) -> set[str]:
    doc = as_json(cli, "structure", "--on", on, "--member-of", body, *extra)
    return {o["codes"]["ods"] for o in doc["organisations"]}


def by_commissioner(cli: Cli, on: str, *extra: str) -> dict[str | None, int]:
    doc = as_json(cli, "count", "--on", on, "--by", "commissioner", *extra)
    return {row["code"]: row["count"] for row in doc["counts"]}


# --- practices and commissioners (item 1) ------------------------------------------------------------


def test_a_practice_moves_between_commissioners_from_one_release_to_the_next(
    cli: Cli, tmp_path: Path
) -> None:
    # February 2016: P1 and P2 in Alpha since the CCGs opened; P3 joined Beta later, and left.
    first = [
        *CCGS,
        practice("P1", "HIGH STREET SURGERY", "19740401", commissioner="A1A", joined="20130401"),
        practice("P2", "RIVERSIDE SURGERY", "19900101", commissioner="A1A", joined="20061001"),
        practice(
            "P3",
            "MILL SURGERY",
            "19800101",
            commissioner="B2B",
            joined="20140101",
            left="20150331",
            closed="20150331",
            status="C",
        ),
    ]
    report = import_ods(
        cli,
        write(tmp_path / "2016" / "eccg.csv", CCGS),
        write(tmp_path / "2016" / "epraccur.csv", first[2:]),
        "--released",
        "2016-02-01",
    )
    assert report["changes_by_kind"]["joined"] == 3
    assert report["changes_by_kind"]["left"] == 1
    # P2's join date is from before Alpha opened: its membership starts when Alpha did.
    assert any("join date before the commissioner" in n for n in report["notes"])
    assert commissioners(cli, "P2", "2013-03-31") == []
    assert commissioners(cli, "P2", "2013-04-01") == ["A1A"]
    assert commissioners(cli, "P3", "2014-06-01") == ["B2B"]
    assert commissioners(cli, "P3", "2015-03-31") == ["B2B"]

    # February 2017: P1 moved to Beta on 1 October 2016.
    moved = practice("P1", "HIGH STREET SURGERY", "19740401", commissioner="B2B", joined="20161001")
    report = import_ods(
        cli,
        write(tmp_path / "2017" / "epraccur.csv", [moved, first[3], first[4]]),
        "--released",
        "2017-02-01",
    )
    new = {c["change"]: (c["kind"], c["effective"]) for c in report["changes"]}
    assert new["ods:P1:left:A1A:20161001"] == ("left", "2016-10-01")
    assert new["ods:P1:joined:B2B:20161001"] == ("joined", "2016-10-01")
    assert commissioners(cli, "P1", "2016-09-30") == ["A1A"]
    assert commissioners(cli, "P1", "2016-10-01") == ["B2B"]
    assert commissioners(cli, "P1", "2017-06-01") == ["B2B"]
    history = [c["summary"] for c in as_json(cli, "history", "P1")["changes"]]
    assert "High Street Surgery left NHS Alpha CCG" in history
    assert "High Street Surgery joined NHS Beta CCG as member practice" in history

    # Members of a CCG on a date, and practices per commissioner.
    assert members(cli, "A1A", "2016-09-30") == {"P1", "P2"}
    assert members(cli, "A1A", "2016-10-01") == {"P2"}
    assert members(cli, "B2B", "2016-10-01") == {"P1"}
    assert members(cli, "B2B", "2014-06-01") == {"P3"}
    assert by_commissioner(cli, "2014-06-01") == {"A1A": 2, "B2B": 1}
    assert by_commissioner(cli, "2016-10-01") == {"A1A": 1, "B2B": 1}
    assert cli.ok("count", "--on", "2016-10-01", "--by", "commissioner") == (
        "GP practices in force on 2016-10-01, by commissioner: 2\n"
        "commissioner   code  count\n"
        "-------------  ----  -----\n"
        "NHS Alpha CCG  A1A   1\n"
        "NHS Beta CCG   B2B   1\n"
    )


def test_a_practice_whose_commissioner_merged_away_between_releases_left_it_when_it_closed(
    cli: Cli, tmp_path: Path
) -> None:
    # Alpha merged into Beta in 2018 and Beta into Gamma in 2019, both between the two releases.
    ccgs = write(
        tmp_path / "eccg.csv",
        [
            org("A1A", "NHS ALPHA CCG", "20130401", "20180331"),
            org("B2B", "NHS BETA CCG", "20180401", "20190331"),
            org("C3C", "NHS GAMMA CCG", "20190401"),
        ],
    )
    successions = write(
        tmp_path / "succ.csv", [succ("A1A", "B2B", "20180401"), succ("B2B", "C3C", "20190401")]
    )
    p1 = practice("P1", "HIGH STREET SURGERY", "19740401", commissioner="A1A", joined="20130401")
    import_ods(
        cli, ccgs, write(tmp_path / "2018" / "epraccur.csv", [p1]), "--released", "2018-02-01"
    )
    moved = practice("P1", "HIGH STREET SURGERY", "19740401", commissioner="C3C", joined="20190401")
    report = import_ods(
        cli,
        write(tmp_path / "2019" / "epraccur.csv", [moved]),
        "--successors",
        successions,
        "--released",
        "2019-06-01",
    )
    new = {
        c["change"]: c["effective"] for c in report["changes"] if c["kind"] in ("joined", "left")
    }
    assert new == {
        "ods:P1:left:A1A:20180401": "2018-04-01",
        "ods:P1:joined:C3C:20190401": "2019-04-01",
        "ods:P1:joined:C3C:as-at:20190601": "as-at:2019-06-01",  # seen there on the release date
    }
    # Where it was in between, the register does not say, and the ledger does not guess.
    assert commissioners(cli, "P1", "2018-03-31") == ["A1A"]
    assert commissioners(cli, "P1", "2018-06-01") == []
    assert commissioners(cli, "P1", "2019-04-01") == ["C3C"]


def test_a_proposed_practice_is_a_plan_and_a_dormant_one_says_so(cli: Cli, tmp_path: Path) -> None:
    rows = [
        practice(
            "P4", "NEW TOWN SURGERY", "20160601", commissioner="A1A", joined="20160601", status="P"
        ),
        practice(
            "P5", "MOOR SURGERY", "19850101", commissioner="A1A", joined="20130401", status="D"
        ),
    ]
    import_ods(
        cli,
        write(tmp_path / "eccg.csv", CCGS),
        write(tmp_path / "epraccur.csv", rows),
        "--released",
        "2016-02-01",
    )
    plans = {p["change"] for p in as_json(cli, "plans")["changes"]}
    assert {"ods:P4:established", "ods:P4:joined:A1A:20160601"} <= plans
    assert members(cli, "A1A", "2016-07-01") == {"P5"}
    assert members(cli, "A1A", "2016-07-01", "--include-planned") == {"P4", "P5"}
    facts = as_json(cli, "show", "P5", "--on", "2016-02-01")["organisation"]["facts"]
    assert {"attribute": "ods_status", "value": "dormant"}.items() <= next(
        f for f in facts if f["attribute"] == "ods_status"
    ).items()


def test_the_lineage_of_a_merged_ccg_says_where_its_practices_went(
    cli: Cli, tmp_path: Path
) -> None:
    ccgs = [
        org("A1A", "NHS ALPHA CCG", "20130401", "20190331"),
        org("B2B", "NHS BETA CCG", "20130401", "20190331"),
        org("C3C", "NHS GAMMA CCG", "20190401"),
    ]
    before = [
        practice("P1", "HIGH STREET SURGERY", "19740401", commissioner="A1A", joined="20130401"),
        practice("P2", "RIVERSIDE SURGERY", "19900101", commissioner="A1A", joined="20130401"),
        practice("P3", "MILL SURGERY", "19800101", commissioner="B2B", joined="20130401"),
    ]
    import_ods(
        cli,
        write(tmp_path / "eccg.csv", ccgs),
        write(tmp_path / "2018" / "epraccur.csv", before),
        "--successors",
        write(
            tmp_path / "succ.csv", [succ("A1A", "C3C", "20190401"), succ("B2B", "C3C", "20190401")]
        ),
        "--released",
        "2018-06-01",
    )
    after = [
        practice("P1", "HIGH STREET SURGERY", "19740401", commissioner="C3C", joined="20190401"),
        practice("P2", "RIVERSIDE SURGERY", "19900101", commissioner="C3C", joined="20190401"),
    ]
    import_ods(cli, write(tmp_path / "2019" / "epraccur.csv", after), "--released", "2019-06-01")
    doc = as_json(cli, "lineage", "C3C", "--members")
    moved = {e["from"]: e["members"] for e in doc["edges"]}
    assert moved == {
        "NHS Alpha CCG": {"before": 2, "moved": 2, "none": 0, "elsewhere": []},
        "NHS Beta CCG": {"before": 1, "moved": 0, "none": 1, "elsewhere": []},
    }
    text = cli.ok("lineage", "C3C", "--members")
    assert (
        "members: NHS Beta CCG had 1 the day before it merged (2019-04-01); on that day 0 in "
        "NHS Gamma CCG, 1 in no body"
    ) in text


# --- each release as evidence (item 3) ---------------------------------------------------------------


def structure_answers(cli: Cli, known_at: str) -> list[Any]:
    """What structure answers on dates either side of the releases, as known at a position."""
    found = []
    for on in ("2015-01-01", "2016-02-01", "2016-12-31", "2017-03-01"):
        found.append(as_json(cli, "structure", "--on", on, "--known-at", known_at))
    return found


@pytest.mark.postgres(
    reason="slice: two practice releases, their memberships and listings written through the "
    "PostgreSQL owner's functions, and --known-at the first"
)
def test_an_organisation_the_next_release_omits_is_reported_and_known_at_keeps_the_first(
    cli: Cli, tmp_path: Path, store_fingerprint: Fingerprint
) -> None:
    first = [
        practice("P1", "HIGH STREET SURGERY", "19740401", commissioner="A1A", joined="20130401"),
        practice("P2", "RIVERSIDE SURGERY", "19900101", commissioner="A1A", joined="20130401"),
    ]
    report = import_ods(
        cli,
        write(tmp_path / "eccg.csv", CCGS),
        write(tmp_path / "2016" / "epraccur.csv", first),
        "--released",
        "2016-02-01",
    )
    assert report["changes_by_kind"]["listed"] == 4  # two CCGs, two practices
    after_first = str(max(c["position"] for c in logged(cli)))
    as_first = structure_answers(cli, after_first)
    first_show = as_json(cli, "show", "P2", "--on", "2017-03-01", "--known-at", after_first)

    # The 2017 release leaves P2 out, without closing it.
    second = write(tmp_path / "2017" / "epraccur.csv", first[:1])
    report = import_ods(cli, second, "--released", "2017-02-01")
    assert report["omitted"] == [
        {
            "code": "P2",
            "name": "Riverside Surgery",
            "last_listed": "2016-02-01",
            "closed_by_succession": False,
        }
    ]
    assert report["changes_by_kind"] == {"listed": 1, "seen member": 1}
    text = cli.ok("import-ods", str(second), "--released", "2017-02-01")
    counted = [line.split() for line in text.splitlines() if line.startswith("omitted, with")]
    assert counted[0][-1] == "1"
    assert (
        "omitted by this release: P2 Riverside Surgery, last listed 2016-02-01; presumed after "
        "that date, not asserted (no close date)"
    ) in text

    # Asked as known at the first release, the ledger answers exactly as it did then.
    assert structure_answers(cli, after_first) == as_first
    assert as_json(cli, "show", "P2", "--on", "2017-03-01", "--known-at", after_first) == first_show
    history = as_json(cli, "history", "P1")["changes"]
    assert [c["effective"] for c in history if c["kind"] == "listed"] == [
        "as-at:2016-02-01",
        "as-at:2017-02-01",
    ]
    # Re-importing the release appends nothing.
    before = store_fingerprint()
    assert import_ods(cli, second, "--released", "2017-02-01")["appended"] == 0
    assert store_fingerprint() == before


def _status(entry: dict[str, Any]) -> Any:
    return entry.get("status")


def test_after_its_last_release_an_omitted_organisation_is_presumed_not_in_force(
    cli: Cli, tmp_path: Path
) -> None:
    first = [
        practice("P1", "HIGH STREET SURGERY", "19740401", commissioner="A1A", joined="20130401"),
        practice("P2", "RIVERSIDE SURGERY", "19900101", commissioner="A1A", joined="20130401"),
    ]
    import_ods(
        cli,
        write(tmp_path / "eccg.csv", CCGS),
        write(tmp_path / "2016" / "epraccur.csv", first),
        "--released",
        "2016-02-01",
    )
    import_ods(
        cli, write(tmp_path / "2017" / "epraccur.csv", first[:1]), "--released", "2017-02-01"
    )
    p2 = as_json(cli, "show", "P2", "--on", "2016-02-01")["organisation"]
    assert (_status(p2), p2["last_evidence"]) == ("in force", None)
    p2 = as_json(cli, "show", "P2", "--on", "2016-06-01")["organisation"]
    assert (_status(p2), p2["last_evidence"]) == ("presumed", "2016-02-01")
    # Its membership too: the release saw it in Alpha on its date, and nothing since.
    assert [(m["status"], m["last_evidence"]) for m in p2["member_of"]] == [
        ("presumed", "2016-02-01")
    ]
    p1 = as_json(cli, "show", "P1", "--on", "2016-06-01")["organisation"]
    assert _status(p1) == "in force"
    assert [m["status"] for m in p1["member_of"]] == ["in force"]


def test_a_successor_file_closes_an_organisation_the_release_omits(
    cli: Cli, tmp_path: Path
) -> None:
    first = [
        practice("P1", "HIGH STREET SURGERY", "19740401", commissioner="A1A", joined="20130401"),
        practice("P2", "RIVERSIDE SURGERY", "19900101", commissioner="A1A", joined="20130401"),
    ]
    import_ods(
        cli,
        write(tmp_path / "eccg.csv", CCGS),
        write(tmp_path / "2016" / "epraccur.csv", first),
        "--released",
        "2016-02-01",
    )
    report = import_ods(
        cli,
        write(tmp_path / "2017" / "epraccur.csv", first[:1]),
        "--successors",
        write(tmp_path / "2017" / "succ.csv", [succ("P2", "P1", "20161001")]),
        "--released",
        "2017-02-01",
    )
    assert report["omitted"][0]["closed_by_succession"] is True
    assert report["changes_by_kind"]["merged into existing"] == 1
    assert members(cli, "A1A", "2016-09-30") == {"P1", "P2"}
    assert members(cli, "A1A", "2016-10-01") == {"P1"}


# --- the shared sample -------------------------------------------------------------------------------


def test_the_shared_practice_sample_in_shared_ods_sample(cli: Cli) -> None:
    """Reads ../shared/ods/sample/ (eccg.csv, epraccur.csv): 378 practices of February 2016."""
    if not SAMPLE.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the shared ODS sample is missing in CI: {SAMPLE}")
        pytest.skip(f"the shared ODS sample is not here: {SAMPLE} (outside the repository)")
    report = import_ods(
        cli, SAMPLE / "eccg.csv", SAMPLE / "epraccur.csv", "--released", "2016-02-01"
    )
    assert report["inconsistent"] == []
    assert report["changes_by_kind"]["joined"] == 378
    # The practices open on the release date, per commissioner, as the file lists them.
    assert by_commissioner(cli, "2016-02-01") == {"11N": 142, "99P": 176, "99Q": 44}
    assert len(members(cli, "99Q", "2016-02-01")) == 44
