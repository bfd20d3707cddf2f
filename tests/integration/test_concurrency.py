"""Many writers at once: one gap-free log, nothing skipped by a follower, every refusal explained,
and the read model equal to an in-memory replay. 8 processes on PostgreSQL, 4 on SQLite."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from ledger.adapters.store import normalise_url
from ledger.bootstrap import open_ledger
from ledger.domain.replay import replay_structure
from ledger.views.axes import Axes
from tests.support.histories import stored_log
from tests.support.stores import ENGINE

pytestmark = pytest.mark.postgres(
    reason="eight writer processes queue on PostgreSQL's advisory lock; a follower must see every committed position in order"
)

ROOT = Path(__file__).resolve().parents[2]
PER_WORKER = 200


def test_concurrent_writers(db_url: str, tmp_path: Path, cli) -> None:
    workers = 4 if ENGINE == "sqlite" else 8
    # The shared bodies everyone will touch.
    for name, kind in (("Shared Partnership", "partnership"), ("Shared CCG", "ccg")):
        cli.ok(
            "record",
            "established",
            name,
            "--kind",
            kind,
            "-e",
            "2010-01-01",
            "--source",
            "storm:setup",
            "--reason",
            "setup",
        )
    stop = tmp_path / "stop"
    follower = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.storm",
            "follow",
            db_url,
            str(stop),
            str(tmp_path / "follower.json"),
        ],
        cwd=ROOT,
    )
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.storm",
                "write",
                db_url,
                str(w),
                str(PER_WORKER),
                str(tmp_path / f"w{w}.json"),
            ],
            cwd=ROOT,
        )
        for w in range(workers)
    ]
    assert all(p.wait(timeout=600) == 0 for p in writers)
    stop.touch()
    assert follower.wait(timeout=120) == 0

    results = [json.loads((tmp_path / f"w{w}.json").read_text()) for w in range(workers)]
    accepted = [c for r in results for c in r["accepted"]]
    errors = [e for r in results for e in r["errors"]]
    # Most changes get in (conflicts are retried against the new history); every refusal says why.
    assert len(accepted) + len(errors) == workers * PER_WORKER
    assert len(accepted) >= 0.9 * workers * PER_WORKER, errors[:5]
    assert all(e.startswith(("conflict: another writer changed", "refused: ")) for e in errors), (
        errors[:5]
    )

    engine = sa.create_engine(normalise_url(db_url))
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM ledger_events ORDER BY id"))]
        logged = {
            r[0]
            for r in conn.execute(
                sa.text("SELECT change_id FROM ledger_changes WHERE reason != 'setup'")
            )
        }
        positions = [
            r[0]
            for r in conn.execute(sa.text("SELECT position FROM ledger_changes ORDER BY position"))
        ]
    engine.dispose()
    # The log holds exactly the accepted changes, in strictly increasing positions.
    assert logged == set(accepted)
    assert positions == sorted(set(positions))
    # The follower, reading while the writers committed, saw every committed event, in order.
    seen = json.loads((tmp_path / "follower.json").read_text())["seen"]
    assert seen == ids

    # The read model equals an in-memory replay of what was stored.
    ledger = open_ledger(db_url)
    try:
        log = stored_log(ledger)
        for on in (date(2013, 6, 1), date(2016, 3, 1), date(2020, 1, 1)):
            actual = ledger.queries.structure(Axes(on=on))
            assert json.dumps(actual, sort_keys=True) == json.dumps(
                replay_structure(log, on), sort_keys=True
            )
        shared = ledger.queries.show("Shared Partnership", Axes(on=date(2020, 1, 1)))
        assert len(shared["organisation"]["members"]) > workers
    finally:
        ledger.close()
