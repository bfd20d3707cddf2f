"""Each change is stored once, whatever it touches; and a store written when a change was stored once
per aggregate it touched still answers, checks and verifies as it did.

The old store (tests/fixtures/store-v1/) is the bundled ledger imported by the ledger of that design,
with one correction and one retraction recorded after it; the JSON files beside it are what that
ledger answered about it."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import Cli

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
OLD = ROOT / "tests" / "fixtures" / "store-v1"
# The same history as stored once per change, its `ledger_parties` rows naming only each change's
# parties, before they held what the change does to each timeline.
NO_ENTRIES = ROOT / "tests" / "fixtures" / "store-v2"


def _count(url: str, sql: str) -> list[tuple[object, ...]]:
    from ledger.adapters.store import normalise_url

    engine = sa.create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


@pytest.mark.postgres(reason="slice: one stored event per change on PostgreSQL's recorder too")
def test_each_change_is_one_stored_event_its_originator_the_change(cli: Cli) -> None:
    cli.ok("import", str(EVENTS))
    cli.ok("correct", "devon-stp-member-torbay-council", "--effective", "2016-11", "--reason", "r")
    cli.ok("retract", "devon-stp-member-livewell-southwest", "--reason", "r")
    merger = json.loads(cli.ok("log", "--format", "json"))["changes"]
    assert any(c["kind"] == "merged" for c in merger)  # a change touching several bodies
    [(events, changes)] = _count(
        cli.url,
        "SELECT (SELECT count(*) FROM ledger_events), (SELECT count(*) FROM ledger_changes)",
    )
    assert events == changes == len(merger) == 246 + 5  # and the five papers' registrations
    # Each event's originator is its change, at version 1, and sits at the change's position.
    rows = _count(
        cli.url,
        "SELECT e.originator_version, c.change_id, e.originator_id FROM ledger_events e "
        "JOIN ledger_changes c ON c.position = e.id",
    )
    assert len(rows) == events
    for version, change_id, originator in rows:
        stored = originator.hex() if isinstance(originator, bytes) else str(originator)
        assert (version, stored.replace("-", "")) == (1, change_id)


def old_store(tmp_path: Path, fixture: Path = OLD) -> str:
    """A SQLite store of the bundled ledger as an earlier ledger wrote it (by default the ledger of
    the first design)."""
    path = tmp_path / "old.db"
    with gzip.open(fixture / "ledger.db.gz") as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    return f"sqlite:///{path}"


# What an answer says of its items' evidence (docs/evidence.md): fields the ledger that wrote the
# old stores did not have. Its answers are compared without them, and they are checked present.
EVIDENCE_FIELDS = ("status", "last_evidence", "planned_end", "first_evidence")


def as_it_was(answer: str) -> str:
    """An answer without the evidence fields, in the form the earlier ledger printed it."""

    def strip(value: object) -> object:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in EVIDENCE_FIELDS}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return json.dumps(strip(json.loads(answer)), indent=2, ensure_ascii=False) + "\n"


def answers_as_it_did(old: Cli, fixture: Path) -> None:
    """The answers the ledger that wrote the store gave, kept beside it, and now what they say of
    each item's evidence too."""
    for args, name in (
        (("structure", "--on", "2016-12-15"), "structure-2016-12-15.json"),
        (("structure", "--on", "2019-04-01"), "structure-2019-04-01.json"),
        (("show", "Devon STP", "--on", "2017-06-01"), "show.json"),
    ):
        answer = old.ok(*args, "--format", "json")
        assert as_it_was(answer) == (fixture / name).read_text(), args
        assert '"status": "' in answer, args


def refuses_to_join_torbay_again(old: Cli) -> None:
    """The stores hold Torbay Council's membership of the STP corrected to begin in 2016-11."""
    refused = old("record", "joined", "Torbay Council", "Devon STP", "--effective", "2017-01",
                  "--reason", "r", "--source", "s:l")  # fmt: skip
    assert refused.exit_code != 0 and "membership already began on 2016-11" in refused.stderr


def test_a_store_of_per_aggregate_events_answers_checks_and_verifies(tmp_path: Path) -> None:
    old = Cli(old_store(tmp_path), tmp_path)
    [(events, changes)] = _count(
        old.url,
        "SELECT (SELECT count(*) FROM ledger_events), (SELECT count(*) FROM ledger_changes)",
    )
    assert (events, changes) == (368, 229)  # a merger of three bodies was four events, and so on
    # The same answers as the ledger that wrote it gave.
    answers_as_it_did(old, OLD)
    assert "the read model equals a rebuild" in old.ok("verify")
    # Changes are checked against the old history, its correction and retraction included: the
    # corrected membership began in 2016-11, and the retracted one may begin again.
    refuses_to_join_torbay_again(old)
    old.ok("record", "joined", "Livewell Southwest", "Devon STP", "--effective", "2017-01",
           "--reason", "r", "--source", "s:l")  # fmt: skip
    # The new change is stored once, after the old copies; the log verifies and rebuilds.
    [(events, changes)] = _count(
        old.url,
        "SELECT (SELECT count(*) FROM ledger_events), (SELECT count(*) FROM ledger_changes)",
    )
    assert (events, changes) == (369, 230)
    old.ok("rebuild")
    assert "the read model equals a rebuild" in old.ok("verify")
    assert (
        as_it_was(old.ok("structure", "--on", "2016-12-15", "--format", "json"))
        == (OLD / "structure-2016-12-15.json").read_text()
    )


def test_a_store_whose_timeline_rows_lack_entries_answers_checks_and_verifies(
    tmp_path: Path,
) -> None:
    old = Cli(old_store(tmp_path, NO_ENTRIES), tmp_path)
    columns = [r[1] for r in _count(old.url, "PRAGMA table_info(ledger_parties)")]
    assert columns == ["id", "change_id", "position", "party"]
    answers_as_it_did(old, NO_ENTRIES)
    assert "the read model equals a rebuild" in old.ok("verify")
    # Opened by a writer, each change's rows say what it does to each timeline, and the checks
    # read the histories from them, the correction and retraction included.
    refuses_to_join_torbay_again(old)
    [(rows, bare)] = _count(
        old.url,
        "SELECT count(*), sum(entry IS NULL AND removes IS NULL) FROM ledger_parties",
    )
    assert (rows, bare) == (338, 0)
    old.ok("record", "joined", "Livewell Southwest", "Devon STP", "--effective", "2017-01",
           "--reason", "r", "--source", "s:l")  # fmt: skip
    old.ok("rebuild")
    assert "the read model equals a rebuild" in old.ok("verify")
