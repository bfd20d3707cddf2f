"""Bulk import: appending files in chunks must leave exactly what recording one change at a time does.

The import checks and appends a file's changes a chunk at a time inside the file's transaction; the
chunk is made tiny here so that names introduced in one chunk are used in the next, and a refusal
falls after earlier chunks were already inserted (and must still leave nothing of the file).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from benchmarks.generate import generate

from ledger.adapters.store import normalise_url
from ledger.application import recording, resolver
from ledger.application.commands import parse_change
from ledger.application.errors import LedgerError
from ledger.bootstrap import Ledger, open_ledger
from tests.conftest import Cli, fingerprint, one_line_error
from tests.support.histories import propose, remember
from tests.support.stores import fresh_store

SOURCES = [{"source": "bulk-test", "locator": "s1"}]


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recording, "CHUNK", 7)
    monkeypatch.setattr(recording, "CACHE_ENTRIES", 40)  # and aggregates are dropped between chunks


def accepted_history(ledger: Ledger, seed: int, attempts: int) -> list[dict[str, Any]]:
    """Record random changes one at a time (out of effective order); keep those the ledger took."""
    rng = random.Random(seed)
    bodies: list[str] = []
    posts: list[tuple[str, str]] = []
    people: list[str] = []
    kept: list[dict[str, Any]] = []
    for n in range(attempts):
        data = propose(rng, bodies, posts, people, n)
        data["id"] = f"change-{n}"
        try:
            outcome = ledger.app.record(parse_change(data))
        except LedgerError:
            continue
        if outcome.status == "recorded":
            kept.append(data)
            remember(data, bodies, posts, people)
    return kept


def write_files(folder: Path, entries: list[dict[str, Any]], per_file: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for number, start in enumerate(range(0, len(entries), per_file)):
        path = folder / f"{number:03d}.json"
        path.write_text(json.dumps(entries[start : start + per_file]))
        paths.append(path)
    return paths


def snapshot(url: str) -> dict[str, list[Any]]:
    """Everything the two ways of appending must agree on (the recording times aside)."""
    queries = {
        "changes": "SELECT change_id, position, label, kind, effective, status, recorder, reason, "
        "sources, details, supersedes, superseded_at, digest FROM ledger_changes ORDER BY position",
        "facts": "SELECT change_id, known_from, known_to, planned, subject, aspect, other, value, "
        "extra, eff_start, effective FROM ledger_facts ORDER BY known_from, subject, aspect, other",
        "entities": "SELECT id, entity, name, parent, first_position FROM ledger_entities ORDER BY id",
        "names": "SELECT entity_id, name, folded, scheme FROM ledger_names ORDER BY entity_id, folded",
        "parties": "SELECT change_id, position, party FROM ledger_parties ORDER BY position, party",
        "chain": "SELECT seq, position FROM ledger_chain ORDER BY seq",
        "tracking": "SELECT name, position FROM ledger_tracking ORDER BY name",
    }
    engine = sa.create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            found = {
                name: [tuple(r) for r in conn.execute(sa.text(q))] for name, q in queries.items()
            }
            events = []
            for row in conn.execute(
                sa.text(
                    "SELECT id, originator_id, originator_version, topic, state "
                    "FROM ledger_events ORDER BY id"
                )
            ):
                state = json.loads(bytes(row[4]))
                state.pop("timestamp")
                events.append((row[0], str(row[1]), row[2], row[3], state))
            found["events"] = events
            return found
    finally:
        engine.dispose()


@pytest.mark.postgres(
    reason="slice: a chunked import (events inserted with RETURNING, in order) leaves the rows recording one by one does"
)
def test_a_multi_file_import_gives_the_same_ledger_as_recording_one_by_one(
    ledger: Ledger, db_url: str, tmp_path: Path
) -> None:
    # Record a random history change by change, as a programme office would at the prompt
    entries = accepted_history(ledger, seed=11, attempts=160)
    assert len(entries) > 60
    write_files(tmp_path / "changes", entries, per_file=25)

    # Import the same changes as files into an empty ledger, a few chunks per file
    with fresh_store() as url:
        imported = Cli(url, tmp_path).ok("import", str(tmp_path / "changes"))
        assert f"total: appended {len(entries)} changes" in imported

        # The read model, the chain and every position agree with the one-by-one ledger
        expected, got = snapshot(db_url), snapshot(url)
        for table in expected:
            assert got[table] == expected[table], table


@pytest.mark.postgres(
    reason="a refusal after chunks were inserted rolls back the whole file's PostgreSQL transaction"
)
def test_a_bad_change_in_the_middle_of_a_file_leaves_nothing_of_that_file(
    cli: Cli, tmp_path: Path
) -> None:
    entries = [
        {
            "id": f"est-{n}",
            "change": "established",
            "organisation": f"Trust {n}",
            "kind": "nhs_trust",
            "effective": "2015-04-01",
            "reason": "set-up",
            "sources": SOURCES,
        }
        for n in range(20)
    ]
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(json.dumps(entries[:5]))
    cli.ok("import", str(first))
    before = fingerprint(cli.url)

    # Entry 17 closes a trust that closed at entry 16: refused after two chunks were inserted
    closing = {"change": "closed", "organisation": "Trust 3", "effective": "2018-04-01"}
    bad = [
        *entries[5:20],
        {"id": "close-3", **closing, "reason": "closed", "sources": SOURCES},
        {"id": "close-3-again", **closing, "reason": "again", "sources": SOURCES},
        *[
            {**e, "id": f"{e['id']}-x", "organisation": f"{e['organisation']}x"}
            for e in entries[:4]
        ],
    ]
    second.write_text(json.dumps(bad))
    line = one_line_error(cli("import", str(second)))
    assert "entry 17 (close-3-again)" in line and "already closed" in line
    assert fingerprint(cli.url) == before

    # An unknown name late in a file is reported at its entry, and leaves nothing either
    unknown = [*entries[5:15], {**bad[16], "organisation": "Trust 999", "id": "close-999"}]
    second.write_text(json.dumps(unknown))
    line = one_line_error(cli("import", str(second)))
    assert "entry 11 (close-999)" in line and "unknown organisation 'Trust 999'" in line
    assert fingerprint(cli.url) == before


def test_re_importing_appends_nothing(tmp_path: Path, ledger: Ledger) -> None:
    entries = accepted_history(ledger, seed=5, attempts=60)
    folder = tmp_path / "again"
    write_files(folder, entries, per_file=20)
    with fresh_store() as url:
        importer = Cli(url, tmp_path)
        importer.ok("import", str(folder))
        before = fingerprint(url)
        again = importer.ok("import", str(folder))
        assert "nothing new: every change was already recorded" in again
        assert f"{len(entries)} already recorded" in again
        assert fingerprint(url) == before


def test_progress_is_not_shown_when_stderr_is_not_a_terminal(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "few.json"
    path.write_text(
        json.dumps(
            [
                {
                    "change": "established",
                    "organisation": f"Body {n}",
                    "kind": "ccg",
                    "effective": "2019-04-01",
                    "reason": "set-up",
                    "sources": SOURCES,
                }
                for n in range(30)
            ]
        )
    )
    for flags in ([], ["--progress"]):
        result = cli("import", *flags, str(path))
        assert result.exit_code == 0
        assert result.stderr == ""
        assert "ETA" not in result.stdout and "\r" not in result.stdout


@pytest.mark.parametrize("gap", [0, 9], ids=["same chunk", "a later chunk"])
@pytest.mark.parametrize("together", [False, True], ids=["one by one", "bound together"])
def test_a_new_body_named_close_to_one_introduced_earlier_in_the_file_is_refused(
    cli: Cli, tmp_path: Path, gap: int, together: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The names a batch knows are read once and kept for the whole file: a split's new successor must
    # still be checked against a body established after that, a few entries before (not yet
    # projected) or in an earlier chunk (projected since). Also when the close-name bound of
    # every name the file may introduce is found at the first check (a large ledger's way), before
    # that body was known.
    if together:
        monkeypatch.setattr(resolver, "BOUND_TOGETHER_FROM", 0)

    def established(name: str) -> dict[str, Any]:
        return {
            "id": f"est-{name}",
            "change": "established",
            "organisation": name,
            "kind": "ccg",
            "effective": "2015-04-01",
            "reason": "set-up",
            "sources": SOURCES,
        }

    fillers = [established(f"Filler {n} CCG") for n in range(gap)]
    entries = [
        established("Kernow Alpha CCG"),
        established("Kernow Beta CCG"),
        {  # the first new successor: the batch reads the names it knows here
            "id": "split-early",
            "change": "split",
            "source": "Kernow Beta CCG",
            "successors": ["Zephyr Quay CCG", "Ostrava Hill CCG"],
            "effective": "2016-04-01",
            "reason": "split",
            "sources": SOURCES,
        },
        established("Northfield Riverside CCG"),
        *fillers,
        {
            "id": "split-near-duplicate",
            "change": "split",
            "source": "Kernow Alpha CCG",
            "successors": ["Kernow Gamma CCG", "Northfeld Riverside CCG"],
            "effective": "2017-04-01",
            "reason": "split",
            "sources": SOURCES,
        },
    ]
    path = tmp_path / "near.json"
    path.write_text(json.dumps(entries))
    before = fingerprint(cli.url)
    line = one_line_error(cli("import", str(path)))
    assert f"entry {5 + gap} (split-near-duplicate)" in line, line
    assert "did you mean 'Northfield Riverside CCG'" in line, line
    assert fingerprint(cli.url) == before


def assert_names_in_memory_change_nothing(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Importing `folder` with the names asked of the read model one by one, and with them read
    into memory from the first lookup (and the close-name bound of a file's introductions found
    together from the first), must build the same ledger."""
    stores = []
    for preload_after, together_from in ((10**9, 10**9), (0, 0)):
        monkeypatch.setattr(resolver, "PRELOAD_AFTER", preload_after)
        monkeypatch.setattr(resolver, "BOUND_TOGETHER_FROM", together_from)
        with fresh_store() as url:
            Cli(url, folder.parent).ok("import", str(folder))
            stores.append(snapshot(url))
    assert stores[0] == stores[1]


def test_names_read_into_memory_answer_as_the_read_model_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A long import reads an entity type's names into memory after a few hundred lookups and grows
    # them as chunks are projected; from the first lookup, with small chunks, the ledger it builds
    # must be the one the per-name queries build.
    generate(1500, tmp_path / "changes")
    monkeypatch.setattr(recording, "CHUNK", 7)
    assert_names_in_memory_change_nothing(tmp_path / "changes", monkeypatch)


def test_names_kept_between_files_answer_as_the_read_model_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An import keeps the names it read into memory from one file's transaction to the next (the
    # log's head unmoved by anyone else): split into many files, with the names read from the
    # first lookup, the ledger must be the one the per-name queries build.
    generate(1500, tmp_path / "generated")
    entries = [
        entry
        for path in sorted((tmp_path / "generated").glob("[0-9]*.json"))
        for entry in json.loads(path.read_text())["changes"]
    ]
    write_files(tmp_path / "changes", entries, per_file=150)
    assert_names_in_memory_change_nothing(tmp_path / "changes", monkeypatch)


@pytest.mark.postgres(
    reason="another connection's append on PostgreSQL moves the log's head the kept names depend on"
)
def test_names_are_kept_only_from_a_committed_batch_and_while_no_one_else_writes(
    ledger: Ledger, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resolver, "PRELOAD_AFTER", 0)  # every lookup from names in memory

    def change(n: int, kind: str, organisation: str) -> Any:
        data = {"id": f"c{n}", "change": kind, "organisation": organisation}
        if kind == "established":
            data["kind"] = "nhs_trust"
        effective = "2015-04-01" if kind == "established" else "2018-04-01"
        return parse_change(
            {**data, "effective": effective, "reason": "r", "sources": SOURCES, "recorder": "t"}
        )

    ledger.app.record_many([change(1, "established", "Alpha Trust")])
    assert ledger.app.names_memo.index, "the names read are kept for the next batch"

    # A batch that introduces a body and is then refused leaves no name of it behind
    with pytest.raises(LedgerError):
        ledger.app.record_many(
            [change(2, "established", "Zeta Trust"), change(3, "closed", "Missing Trust")]
        )
    with pytest.raises(LedgerError, match="unknown organisation 'Zeta Trust'"):
        ledger.app.record_many([change(4, "closed", "Zeta Trust")])

    # Another writer's append moves the log's head: the names kept are read again
    ledger.app.record_many([change(5, "established", "Beta Trust")])
    assert ledger.app.names_memo.index
    other = open_ledger(db_url)
    try:
        other.app.record_many([change(6, "established", "Omega Trust")])
    finally:
        other.close()
    [outcome] = ledger.app.record_many([change(7, "closed", "Omega Trust")])
    assert outcome.status == "recorded"
