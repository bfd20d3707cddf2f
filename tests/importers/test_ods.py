"""Importing the NHS register (ODS), through the CLI as a user runs it.

Every test builds its own files in the ODS formats (27-column organisation rows, 5-column successor
rows, headerless, every field quoted) in tmp_path. One test reads the shared Devon and Cornwall
sample in ../shared/ods/sample/, as the issue's acceptance asks; it says so in its name.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ledger.importers.ods import readable
from tests.conftest import SOURCE, Cli, one_line_error

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT.parent / "shared" / "ods" / "sample"

Fingerprint = Callable[[], tuple[int, str, int]]


# --- files in the ODS formats ----------------------------------------------------------------------


def org(code: str, name: str, opened: str, closed: str = "", role: str = "") -> list[str]:
    """One organisation row: 27 columns, of which the importer reads code, name, dates and role."""
    row = [""] * 27
    row[0], row[1], row[2], row[3] = code, name, "Y58", "QJK"
    row[4], row[7], row[9] = "1 HIGH STREET", "EXETER", "EX1 1AA"
    row[10], row[11], row[13], row[21] = opened, closed, role, "1"
    return row


def succ(predecessor: str, successor: str, when: str) -> list[str]:
    return [predecessor, successor, "", when, "0"]


def write(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return path


def sha12(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


# --- asking the ledger -----------------------------------------------------------------------------


def as_json(cli: Cli, *args: str) -> Any:
    return json.loads(cli.ok(*args, "--format", "json"))


def import_ods(cli: Cli, *args: str | Path) -> dict[str, Any]:
    """Run import-ods and return its report (the JSON form)."""
    return as_json(cli, "import-ods", *(str(a) for a in args))  # type: ignore[no-any-return]


def in_force(cli: Cli, on: str, *extra: str) -> dict[str, str]:
    """ODS code -> name of every body in force on the date."""
    doc = as_json(cli, "structure", "--on", on, *extra)
    return {o["codes"].get("ods", o["name"]): o["name"] for o in doc["organisations"]}


def edges(cli: Cli, code: str) -> list[tuple[str, str, str, str]]:
    """(from code, kind, to code, effective) of every step in a body's lineage."""
    doc = as_json(cli, "lineage", code)
    codes: dict[str, str] = {}

    def code_of(body_id: str) -> str:
        if body_id not in codes:
            codes[body_id] = as_json(cli, "show", body_id)["organisation"]["codes"]["ods"]
        return codes[body_id]

    return [
        (code_of(e["from_id"]), e["kind"], code_of(e["to_id"]), e["effective"])
        for e in doc["edges"]
    ]


def logged(cli: Cli) -> list[dict[str, Any]]:
    return as_json(cli, "log")["changes"]  # type: ignore[no-any-return]


def kinds_of_change(cli: Cli) -> dict[str, str]:
    """change label -> kind, for every change in the log."""
    return {c["change"]: c["kind"] for c in logged(cli)}


@pytest.fixture
def refuse(cli: Cli, store_fingerprint: Fingerprint) -> Callable[..., str]:
    """Run an import the ledger must refuse: one line on stderr, nothing appended."""

    def attempt(*args: str | Path) -> str:
        before = store_fingerprint()
        result = cli("import-ods", *(str(a) for a in args))
        line = one_line_error(result)
        assert store_fingerprint() == before, "a refused import altered the store"
        return line

    return attempt


# --- readable names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("NHS DEVON ICB - 15N", "NHS Devon ICB - 15N"),
        (
            "NHS NORTHERN, EASTERN AND WESTERN DEVON CCG",
            "NHS Northern, Eastern and Western Devon CCG",
        ),
        (
            "TORBAY AND SOUTHERN DEVON HEALTH AND CARE NHS TRUST",
            "Torbay and Southern Devon Health and Care NHS Trust",
        ),
        (
            "NHS CORNWALL AND THE ISLES OF SCILLY ICB - 11N",
            "NHS Cornwall and the Isles of Scilly ICB - 11N",
        ),
        ("THE ROYAL WOLVERHAMPTON NHS TRUST", "The Royal Wolverhampton NHS Trust"),
        (
            "KING'S COLLEGE HOSPITAL NHS FOUNDATION TRUST",
            "King's College Hospital NHS Foundation Trust",
        ),
        ("NHS STOKE-ON-TRENT CCG", "NHS Stoke-on-Trent CCG"),
        ("LIVEWELL SOUTHWEST CIC", "Livewell Southwest CIC"),
        ("Already Mixed Case Ltd", "Already Mixed Case Ltd"),
    ],
)
def test_register_names_are_shown_in_a_readable_case(given: str, shown: str) -> None:
    assert readable(given) == shown


# --- organisations ---------------------------------------------------------------------------------


def test_an_organisation_is_established_on_its_open_date_and_closed_after_its_last_day(
    cli: Cli, tmp_path: Path
) -> None:
    eccg = write(
        tmp_path / "eccg.csv",
        [
            org("A1A", "NHS ALPHA AND THE VALE CCG", "20130401", "20170331"),
            org("B2B", "NHS BETA CCG", "20130401"),
        ],
    )
    report = import_ods(cli, eccg)
    assert report["appended"] == 5
    assert report["changes_by_kind"] == {"closed": 1, "established": 2, "ods_name": 2}

    # Nothing before the open date; both on it; the register's close date is A1A's LAST day.
    assert in_force(cli, "2013-03-31") == {}
    assert in_force(cli, "2013-04-01") == {
        "A1A": "NHS Alpha and the Vale CCG",
        "B2B": "NHS Beta CCG",
    }
    assert set(in_force(cli, "2017-03-31")) == {"A1A", "B2B"}
    assert set(in_force(cli, "2017-04-01", "--kind", "ccg")) == {"B2B"}

    # The register's own spelling is kept as a dated fact; both spellings find the body.
    shown = as_json(cli, "show", "NHS ALPHA AND THE VALE CCG", "--on", "2015-01-01")["organisation"]
    assert shown["name"] == "NHS Alpha and the Vale CCG"
    assert shown["facts"] == [
        {
            "attribute": "ods_name",
            "value": "NHS ALPHA AND THE VALE CCG",
            "unit": None,
            "function": None,
            "effective": "2013-04-01",
            # the register's spelling as it stood on its date: the file says no more after it
            "status": "presumed",
            "last_evidence": "2013-04-01",
        }
    ]

    # Every change cites the file by name, SHA-256 and import date, and the row.
    history = as_json(cli, "history", "A1A")["changes"]
    assert [(c["kind"], c["effective"], c["change"]) for c in history] == [
        ("established", "2013-04-01", "ods:A1A:established"),
        ("fact_recorded", "2013-04-01", "ods:A1A:ods_name"),
        ("closed", "2017-04-01", "ods:A1A:closed"),
    ]
    locator = f"eccg.csv row 1 (sha256 {sha12(eccg)}, imported {date.today().isoformat()})"
    for change in history:
        assert change["sources"] == [{"source": "ods:eccg.csv", "locator": locator}]


def test_the_kind_comes_from_the_file_name_or_kind_and_source_names_the_citation(
    cli: Cli, tmp_path: Path
) -> None:
    etr = write(tmp_path / "etr.csv", [org("RA9", "TORBAY HOSPITAL NHS TRUST", "19910401")])
    other = write(
        tmp_path / "2024-practices.csv", [org("A81001", "THE DENSHAM SURGERY", "19740401")]
    )
    import_ods(cli, etr)
    import_ods(cli, other, "--kind", "gp_practice", "--source", "ods-2024-release")
    bodies = {
        o["codes"]["ods"]: o
        for o in as_json(cli, "structure", "--on", "2000-01-01")["organisations"]
    }
    assert {code: o["kind"] for code, o in bodies.items()} == {
        "RA9": "nhs_trust",
        "A81001": "gp_practice",
    }
    assert bodies["A81001"]["sources"][0]["source"] == "ods-2024-release"


# --- successions -----------------------------------------------------------------------------------


def test_two_bodies_merge_into_a_new_one_that_the_merger_establishes(
    cli: Cli, tmp_path: Path
) -> None:
    eccg = write(
        tmp_path / "eccg.csv",
        [
            org("99P", "NHS NORTH CCG", "20130401", "20190331"),
            org("99Q", "NHS SOUTH CCG", "20130401", "20190331"),
            org("15N", "NHS WHOLE COUNTY CCG", "20190401"),
        ],
    )
    succ_file = write(
        tmp_path / "succ.csv", [succ("99P", "15N", "20190401"), succ("99Q", "15N", "20190401")]
    )
    report = import_ods(cli, eccg, "--successors", succ_file)
    assert report["changes_by_kind"] == {"established": 2, "merged into new": 1, "ods_name": 3}

    # One merger, which closes both and brings the new body in: no separate closings or founding.
    assert kinds_of_change(cli) == {
        "ods:99P:established": "established",
        "ods:99Q:established": "established",
        "ods:succ:99P+99Q>15N:20190401": "merged",
        "ods:99P:ods_name": "fact_recorded",
        "ods:99Q:ods_name": "fact_recorded",
        "ods:15N:ods_name": "fact_recorded",
    }
    assert set(in_force(cli, "2019-03-31")) == {"99P", "99Q"}
    assert in_force(cli, "2019-04-01") == {"15N": "NHS Whole County CCG"}
    assert edges(cli, "15N") == [
        ("99P", "merged", "15N", "2019-04-01"),
        ("99Q", "merged", "15N", "2019-04-01"),
    ]
    merger = next(c for c in logged(cli) if c["kind"] == "merged")
    assert [s["locator"].split(" (")[0] for s in merger["sources"]] == [
        "succ.csv row 1",
        "succ.csv row 2",
        "eccg.csv row 3",
    ]
    structure = as_json(cli, "structure", "--on", "2019-04-01")["organisations"]
    assert structure[0]["established"] == "2019-04-01"


def test_a_body_that_opened_years_earlier_absorbs_another(cli: Cli, tmp_path: Path) -> None:
    etr = write(
        tmp_path / "etr.csv",
        [
            org(
                "R1G", "TORBAY AND SOUTHERN DEVON HEALTH AND CARE NHS TRUST", "20120401", "20150930"
            ),
            org("RA9", "TORBAY AND SOUTH DEVON NHS FOUNDATION TRUST", "19910401"),
        ],
    )
    succ_file = write(tmp_path / "succ.csv", [succ("R1G", "RA9", "20151001")])
    report = import_ods(cli, etr, "--successors", succ_file)
    assert report["changes_by_kind"] == {"established": 2, "merged into existing": 1, "ods_name": 2}
    assert set(in_force(cli, "1991-04-01")) == {"RA9"}
    assert set(in_force(cli, "2015-09-30")) == {"R1G", "RA9"}
    assert set(in_force(cli, "2015-10-01")) == {"RA9"}
    assert edges(cli, "R1G") == [("R1G", "merged", "RA9", "2015-10-01")]
    assert "existing body" in next(c for c in logged(cli) if c["kind"] == "merged")["summary"]


def test_a_three_step_chain_is_one_lineage(cli: Cli, tmp_path: Path) -> None:
    eccg = write(
        tmp_path / "eccg.csv",
        [
            org("D4D", "NHS FOURTH CCG", "20210401"),
            org("C3C", "NHS THIRD CCG", "20180401", "20210331"),
            org("B2B", "NHS SECOND CCG", "20160401", "20180331"),
            org("A1A", "NHS FIRST CCG", "20130401", "20160331"),
        ],
    )
    # Latest first, as the register lists them: the importer orders by date itself.
    succ_file = write(
        tmp_path / "succ.csv",
        [
            succ("C3C", "D4D", "20210401"),
            succ("B2B", "C3C", "20180401"),
            succ("A1A", "B2B", "20160401"),
        ],
    )
    report = import_ods(cli, eccg, "--successors", succ_file)
    assert report["changes_by_kind"]["merged into new"] == 3
    chain = [
        ("A1A", "merged", "B2B", "2016-04-01"),
        ("B2B", "merged", "C3C", "2018-04-01"),
        ("C3C", "merged", "D4D", "2021-04-01"),
    ]
    assert edges(cli, "A1A") == chain
    assert edges(cli, "D4D") == chain
    for on, code in [
        ("2016-03-31", "A1A"),
        ("2016-04-01", "B2B"),
        ("2020-01-01", "C3C"),
        ("2021-04-01", "D4D"),
    ]:
        assert set(in_force(cli, on)) == {code}, on


def test_a_split_and_a_succession_whose_dates_do_not_line_up(cli: Cli, tmp_path: Path) -> None:
    etr = write(
        tmp_path / "etr.csv",
        [
            org("RP1", "PARENT NHS TRUST", "19940401", "20200331"),
            org("RQ1", "EAST NHS TRUST", "20200401"),
            org("RR1", "WEST NHS TRUST", "20200401"),
            # The register says RX1 was succeeded by RY1 in April 2019, but RX1 lived until June.
            org("RX1", "OLD NHS TRUST", "19940401", "20190630"),
            org("RY1", "NEW NHS TRUST", "19940401"),
        ],
    )
    succ_file = write(
        tmp_path / "succ.csv",
        [
            succ("RP1", "RQ1", "20200401"),
            succ("RP1", "RR1", "20200401"),
            succ("RX1", "RY1", "20190401"),
        ],
    )
    report = import_ods(cli, etr, "--successors", succ_file)
    assert report["changes_by_kind"] == {
        "closed": 1,
        "established": 5,
        "ods_name": 5,
        "split": 1,
        "succeeded": 1,
    }
    assert kinds_of_change(cli)["ods:succ:RP1>RQ1+RR1:20200401"] == "split"
    assert edges(cli, "RP1") == [
        ("RP1", "split", "RQ1", "2020-04-01"),
        ("RP1", "split", "RR1", "2020-04-01"),
    ]
    assert set(in_force(cli, "2020-03-31")) == {"RP1", "RY1"}
    assert set(in_force(cli, "2020-04-01")) == {"RQ1", "RR1", "RY1"}
    # The plain edge closes nothing; RX1's own last day closes it.
    assert edges(cli, "RX1") == [("RX1", "succeeded", "RY1", "2019-04-01")]
    assert "RX1" in in_force(cli, "2019-06-30")
    assert "RX1" not in in_force(cli, "2019-07-01")


def test_rows_outside_the_imported_files_are_skipped_and_counted(cli: Cli, tmp_path: Path) -> None:
    etr = write(
        tmp_path / "etr.csv", [org("REF", "ROYAL CORNWALL HOSPITALS NHS TRUST", "19920401")]
    )
    succ_file = write(
        tmp_path / "succ.csv",
        [
            succ("A81001", "A81002", "20050401"),  # two GP practices: not in the imported files
            succ("LD1", "REF", "19920401"),  # a health authority before the trust
            succ("B81001", "B81002", "20100401"),
        ],
    )
    out = cli.ok("import-ods", str(etr), "--successors", str(succ_file))
    assert "skipped: both codes outside the imported files   2      succ.csv rows 1, 3" in out
    assert "skipped: predecessor outside the imported files  1      succ.csv row 2" in out
    report = import_ods(cli, etr, "--successors", succ_file)
    assert report["skipped"] == {
        "both codes outside the imported files": {
            "count": 2,
            "rows": "succ.csv rows 1, 3",
        },
        "predecessor outside the imported files": {
            "count": 1,
            "rows": "succ.csv row 2",
        },
    }
    assert report["inconsistent"] == []


# --- inconsistent rows -------------------------------------------------------------------------------


CASES: dict[str, tuple[list[list[str]], list[list[str]], str, set[str]]] = {
    # name: (eccg rows, succ rows, the error, what --on-error skip still imports)
    "a successor that never opened": (
        [org("A1A", "NHS A CCG", "20130401", "20190331"), org("N1N", "NHS NEW CCG", "")],
        [succ("A1A", "N1N", "20190401")],
        "eccg.csv row 2: N1N never opened: no open date",
        {"A1A"},
    ),
    "a successor that had not opened on the date": (
        [org("A1A", "NHS A CCG", "20130401", "20190331"), org("N1N", "NHS NEW CCG", "20190501")],
        [succ("A1A", "N1N", "20190401")],
        "succ.csv row 1: successor N1N had not opened on 2019-04-01 (it opens 2019-05-01)",
        {"A1A", "N1N"},
    ),
    "a close date before the open date": (
        [org("A1A", "NHS A CCG", "20130401"), org("B2B", "NHS B CCG", "20130401", "20120331")],
        [],
        "eccg.csv row 2: B2B: close date 20120331 is before the open date 20130401",
        {"A1A"},
    ),
    "a succession to an unknown code": (
        [org("A1A", "NHS A CCG", "20130401", "20190331"), org("B2B", "NHS B CCG", "20130401")],
        [succ("B2B", "A1A", "20150401"), succ("A1A", "ZZZ", "20190401")],
        "succ.csv row 2: succession to an unknown code ZZZ (not in the imported files or the ledger)",
        {"A1A", "B2B"},
    ),
    "a code that appears twice": (
        [
            org("A1A", "NHS A CCG", "20130401"),
            org("B2B", "NHS B CCG", "20130401"),
            org("A1A", "NHS A AGAIN CCG", "20150401"),
        ],
        [],
        "eccg.csv row 3: code A1A appears twice (first at eccg.csv row 1)",
        {"A1A", "B2B"},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_inconsistent_row_refuses_the_whole_import_by_default(
    case: str, cli: Cli, tmp_path: Path, refuse: Callable[..., str]
) -> None:
    orgs, successions, error, _ = CASES[case]
    eccg = write(tmp_path / "eccg.csv", orgs)
    succ_file = write(tmp_path / "succ.csv", successions)
    line = refuse(eccg, "--successors", succ_file)
    assert (
        line
        == f"ledger: error: {error}; nothing was imported (--on-error skip imports the other rows)"
    )
    assert cli("import-ods", str(eccg), "--successors", str(succ_file)).exit_code == 2


@pytest.mark.parametrize("case", list(CASES))
def test_with_on_error_skip_an_inconsistent_row_is_reported_and_the_rest_imported(
    case: str, cli: Cli, tmp_path: Path
) -> None:
    orgs, successions, error, imported = CASES[case]
    eccg = write(tmp_path / "eccg.csv", orgs)
    succ_file = write(tmp_path / "succ.csv", successions)
    report = import_ods(cli, eccg, "--successors", succ_file, "--on-error", "skip")
    where, reason = error.split(": ", 1)
    file, row = where.split(" row ")
    assert report["inconsistent"] == [{"file": file, "row": int(row), "reason": reason}]
    assert (
        set(in_force(cli, "2100-01-01"))
        | {c["change"].split(":")[1] for c in logged(cli) if c["kind"] == "closed"}
        >= imported
    )
    codes_in_ledger = {
        c["change"].split(":")[1] for c in logged(cli) if c["change"].endswith(":ods_name")
    }
    assert codes_in_ledger == imported
    out = cli.ok("import-ods", str(eccg), "--successors", str(succ_file), "--on-error", "skip")
    assert f"skipped, inconsistent: {error}" in out.splitlines()


def test_the_never_opened_successor_takes_its_succession_row_with_it(
    cli: Cli, tmp_path: Path
) -> None:
    orgs, successions, _, _ = CASES["a successor that never opened"]
    report = import_ods(
        cli,
        write(tmp_path / "eccg.csv", orgs),
        "--successors",
        write(tmp_path / "succ.csv", successions),
        "--on-error",
        "skip",
    )
    assert report["skipped"] == {
        "refers to an organisation row that was skipped": {"count": 1, "rows": "succ.csv row 1"}
    }
    # Its predecessor still closes on its own last day.
    assert kinds_of_change(cli)["ods:A1A:closed"] == "closed"


def test_a_file_that_is_not_an_ods_file_is_refused_in_one_line(
    tmp_path: Path, refuse: Callable[..., str]
) -> None:
    succ_file = write(tmp_path / "succ.csv", [succ("A1A", "B2B", "20190401")])
    assert refuse(succ_file, "--kind", "ccg") == (
        f"ledger: error: {succ_file}: not an ODS organisation file (row 1 has 5 columns, expected 27)"
    )
    eccg = write(tmp_path / "eccg.csv", [org("A1A", "NHS A CCG", "20130401")])
    assert "not an ODS successor file" in refuse(eccg, "--successors", eccg)
    unnamed = write(tmp_path / "orgs.csv", [org("A1A", "NHS A CCG", "20130401")])
    assert "cannot tell what kind of body this file holds; give --kind" in refuse(unnamed)
    missing = tmp_path / "missing.csv"
    assert refuse(missing, "--kind", "ccg") == (
        f"ledger: error: {missing}: cannot read file (No such file or directory)"
    )


def test_a_row_the_history_contradicts_is_refused_naming_the_row(
    cli: Cli, tmp_path: Path, refuse: Callable[..., str]
) -> None:
    first = write(tmp_path / "r1" / "eccg.csv", [org("A1A", "NHS A CCG", "20130401")])
    import_ods(cli, first)
    # A curator records a rename in 2020 ...
    cli.ok(
        "record", "renamed", "A1A", "--name", "NHS A and District CCG", "-e", "2020-01-01", *SOURCE
    )
    # ... and a later release says the CCG closed in 2018: the rename would fall after its closing.
    later = write(
        tmp_path / "r2" / "eccg.csv",
        [org("A1A", "NHS A CCG", "20130401", "20180331"), org("B2B", "NHS B CCG", "20130401")],
    )
    line = refuse(later, "--released", "2018-01-01")
    assert line.startswith(
        "ledger: error: eccg.csv row 1 (closed 2018-04-01): refused closed 2018-04-01: "
    )
    assert line.endswith("; nothing was imported")


# --- re-importing and newer releases ---------------------------------------------------------------


def test_reimporting_the_same_files_appends_nothing(
    cli: Cli, tmp_path: Path, store_fingerprint: Fingerprint
) -> None:
    eccg = write(
        tmp_path / "eccg.csv",
        [
            org("99P", "NHS NORTH CCG", "20130401", "20190331"),
            org("99Q", "NHS SOUTH CCG", "20130401", "20190331"),
            org("15N", "NHS WHOLE COUNTY CCG", "20190401"),
            org("77X", "NHS OTHER CCG", "20130401", "20150331"),
        ],
    )
    succ_file = write(
        tmp_path / "succ.csv",
        [
            succ("99P", "15N", "20190401"),
            succ("99Q", "15N", "20190401"),
            succ("Q1", "Q2", "20010401"),
        ],
    )
    first = import_ods(cli, eccg, "--successors", succ_file)
    assert first["appended"] == 9  # 3 established, 1 merger, 1 closed, 4 register names
    before = store_fingerprint()
    out = cli.ok("import-ods", str(eccg), "--successors", str(succ_file))
    assert "ODS import: appended 0 changes" in out
    assert "nothing new: the ledger already holds everything these files say" in out
    assert store_fingerprint() == before
    again = import_ods(cli, eccg, "--successors", succ_file)
    assert (again["appended"], again["changes_by_kind"], again["rows_already_in_ledger"]) == (
        0,
        {},
        6,
    )


@pytest.mark.postgres(
    reason="slice: two ODS releases imported, the second compared with what the PostgreSQL store holds"
)
def test_a_newer_release_appends_only_what_changed_and_the_history_keeps_the_old(
    cli: Cli, tmp_path: Path, store_fingerprint: Fingerprint
) -> None:
    # The 2019 release: two CCGs.
    release_1 = write(
        tmp_path / "2019" / "eccg.csv",
        [org("A1A", "NHS ALPHA CCG", "20130401"), org("B2B", "NHS BETA CCG", "20130401")],
    )
    import_ods(cli, release_1, "--successors", write(tmp_path / "2019" / "succ.csv", []))
    # The 2024 release renames A1A, closes B2B into a new CCG, and lists a CCG that came and went.
    folder = tmp_path / "2024"
    release_2 = write(
        folder / "eccg.csv",
        [
            org("A1A", "NHS ALPHA AND DISTRICT CCG", "20130401"),
            org("B2B", "NHS BETA CCG", "20130401", "20200331"),
            org("C3C", "NHS GAMMA CCG", "20200401"),
            org("D4D", "NHS DELTA CCG", "20150401", "20220331"),
        ],
    )
    successions = write(folder / "succ.csv", [succ("B2B", "C3C", "20200401")])
    report = import_ods(cli, release_2, "--successors", successions, "--released", "2024-06-01")
    assert report["changes_by_kind"] == {
        "closed": 1,
        "established": 1,
        "listed": 2,  # A1A and C3C, in force on the release date
        "merged into new": 1,
        "ods_name": 3,
        "renamed": 1,
    }
    assert report["rows_already_in_ledger"] == 0
    new = {c["change"]: (c["kind"], c["effective"]) for c in report["changes"]}
    assert new == {
        "ods:D4D:established": ("established", "2015-04-01"),
        "ods:succ:B2B>C3C:20200401": ("merged", "2020-04-01"),
        "ods:C3C:ods_name": ("fact_recorded", "2020-04-01"),
        "ods:D4D:ods_name": ("fact_recorded", "2015-04-01"),
        "ods:A1A:renamed:20240601": ("renamed", "2024-06-01"),
        "ods:A1A:ods_name:20240601": ("fact_recorded", "2024-06-01"),
        "ods:D4D:closed": ("closed", "2022-04-01"),
        "ods:A1A:listed:20240601": ("listed", "as-at:2024-06-01"),
        "ods:C3C:listed:20240601": ("listed", "as-at:2024-06-01"),
    }
    # The register now knows only the new name; the ledger keeps the old one before the release.
    assert in_force(cli, "2024-05-31")["A1A"] == "NHS Alpha CCG"
    assert in_force(cli, "2024-06-01")["A1A"] == "NHS Alpha and District CCG"
    assert (
        as_json(cli, "show", "A1A", "--on", "2020-01-01")["organisation"]["facts"][0]["value"]
        == "NHS ALPHA CCG"
    )
    assert set(in_force(cli, "2020-03-31")) == {"A1A", "B2B", "D4D"}
    assert set(in_force(cli, "2020-04-01")) == {"A1A", "C3C", "D4D"}
    assert edges(cli, "C3C") == [("B2B", "merged", "C3C", "2020-04-01")]

    # The same release again appends nothing.
    before = store_fingerprint()
    assert (
        import_ods(cli, release_2, "--successors", successions, "--released", "2024-06-01")[
            "appended"
        ]
        == 0
    )
    assert store_fingerprint() == before

    # A release that moves a date the ledger already holds is reported, not applied.
    release_3 = write(
        tmp_path / "2025" / "eccg.csv",
        [
            org("A1A", "NHS ALPHA AND DISTRICT CCG", "20130401"),
            org("B2B", "NHS BETA CCG", "20130401", "20200630"),
        ],
    )
    report = import_ods(cli, release_3)
    assert report["appended"] == 0
    assert report["differences"] == [
        {
            "file": "eccg.csv",
            "row": 2,
            "what": "B2B's last day is 2020-06-30; the ledger has 2020-03-31 (not changed)",
        }
    ]
    assert store_fingerprint() == before


def test_a_dry_run_reports_and_appends_nothing(
    cli: Cli, tmp_path: Path, store_fingerprint: Fingerprint
) -> None:
    eccg = write(tmp_path / "eccg.csv", [org("A1A", "NHS A CCG", "20130401", "20160331")])
    before = store_fingerprint()
    out = cli.ok("import-ods", str(eccg), "--dry-run")
    assert "ODS import: would append 3 changes" in out
    assert store_fingerprint() == before


# --- queries on imported data ----------------------------------------------------------------------


def test_count_bodies_by_kind_on_a_date(cli: Cli, tmp_path: Path) -> None:
    ccgs = [org("A1A", "NHS A CCG", "20130401", "20190331"), org("B2B", "NHS B CCG", "20130401")]
    import_ods(cli, write(tmp_path / "eccg.csv", ccgs))
    before_trusts = max(c["position"] for c in logged(cli))
    trusts = [
        org("RA1", "A NHS TRUST", "19910401"),
        org("RB1", "B NHS TRUST", "19910401", "20150331"),
    ]
    import_ods(cli, write(tmp_path / "etr.csv", trusts))

    assert cli.ok("count", "--on", "2014-01-01", "--by", "kind") == (
        "Bodies in force on 2014-01-01: 4\n"
        "kind       count\n"
        "---------  -----\n"
        "ccg        2\n"
        "nhs_trust  2\n"
    )
    assert (
        cli.ok("count", "--on", "2019-04-01", "--format", "csv")
        == "kind,count\nccg,1\nnhs_trust,1\n"
    )
    assert as_json(cli, "count", "--on", "2000-01-01") == {
        "on": "2000-01-01",
        "known_at": None,
        "by": "kind",
        "counts": [{"kind": "nhs_trust", "count": 2}],
        "total": 2,
    }
    # As the ledger knew it before the trusts were imported.
    assert as_json(cli, "count", "--on", "2014-01-01", "--known-at", str(before_trusts)) == {
        "on": "2014-01-01",
        "known_at": before_trusts,
        "by": "kind",
        "counts": [{"kind": "ccg", "count": 2}],
        "total": 2,
    }


# --- the shared sample (acceptance) ----------------------------------------------------------------


def test_importing_the_shared_sample_in_shared_ods_sample(cli: Cli) -> None:
    """Reads ../shared/ods/sample/ (eccg.csv, etr.csv, succ.csv), the published Devon and Cornwall rows."""
    if not SAMPLE.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the shared ODS sample is missing in CI: {SAMPLE}")
        pytest.skip(f"the shared ODS sample is not here: {SAMPLE} (outside the repository)")
    report = import_ods(
        cli, SAMPLE / "eccg.csv", SAMPLE / "etr.csv", "--successors", SAMPLE / "succ.csv"
    )
    assert report["inconsistent"] == []

    # NHS Devon CCG (15N; the register now calls the code an ICB sub-location) with its two
    # predecessors, on 1 April 2019.
    assert edges(cli, "15N") == [
        ("99P", "merged", "15N", "2019-04-01"),
        ("99Q", "merged", "15N", "2019-04-01"),
    ]
    before = in_force(cli, "2019-03-31", "--kind", "ccg")
    after = in_force(cli, "2019-04-01", "--kind", "ccg")
    assert {"99P", "99Q"} <= set(before) and "15N" not in before
    assert not {"99P", "99Q"} & set(after) and "15N" in after
    assert before["99P"] == "NHS Northern, Eastern and Western Devon CCG"

    # Torbay and Southern Devon Health and Care NHS Trust succeeded by the foundation trust.
    lineage = as_json(cli, "lineage", "R1G")
    assert [(e["from"], e["to"], e["effective"]) for e in lineage["edges"]] == [
        (
            "Torbay and Southern Devon Health and Care NHS Trust",
            "Torbay and South Devon NHS Foundation Trust",
            "2015-10-01",
        )
    ]
    # Re-importing the sample appends nothing.
    again = import_ods(
        cli, SAMPLE / "eccg.csv", SAMPLE / "etr.csv", "--successors", SAMPLE / "succ.csv"
    )
    assert again["appended"] == 0
