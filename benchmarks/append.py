"""Append throughput with 1, 4 and 8 concurrent writer processes, on SQLite and on PostgreSQL.

    python benchmarks/append.py [--per-writer 100] [--write-results]

Each writer is a process that opens the ledger and records changes one at a time through the
application (half touching shared bodies, so writers really contend). The writers start together
once all have opened the store: the append phase runs from the first writer's first append to the
last writer's last, and its rate is the target's figure; the wall time with process start-up is
printed beside it. Afterwards the store is checked: every accepted change stored exactly once (0
lost, 0 duplicated) and `ledger verify` passing. With --write-results replaces the "Append
throughput" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.results import replace_section  # noqa: E402
from ledger.application.commands import parse_change  # noqa: E402
from ledger.bootstrap import open_ledger  # noqa: E402

PG_ADMIN = os.environ.get(
    "LEDGER_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


SETUP = (("Shared Partnership", "partnership"), ("Shared CCG", "ccg"))


def setup(url: str) -> None:
    ledger = open_ledger(url)
    for name, kind in SETUP:
        ledger.app.record(
            parse_change(
                {
                    "change": "established",
                    "organisation": name,
                    "kind": kind,
                    "effective": "2010-01-01",
                    "recorder": "bench",
                    "reason": "setup",
                    "sources": [{"source": "bench", "locator": "setup"}],
                }
            )
        )
    ledger.close()


def run(url: str, writers: int, per_writer: int, tmp: Path) -> tuple[float, float, int]:
    """(wall seconds with start-up, append-phase seconds, changes accepted), after checking that
    the store holds every accepted change exactly once and verifies."""
    setup(url)
    go = tmp / "go"
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.storm",
                "write",
                url,
                str(w),
                str(per_writer),
                str(tmp / f"w{w}.json"),
                str(go),
            ],
            cwd=ROOT,
        )
        for w in range(writers)
    ]
    while not all((tmp / f"w{w}.json.ready").exists() for w in range(writers)):
        if any(p.poll() for p in procs):
            raise SystemExit("a writer failed to start")
        time.sleep(0.005)
    go.touch()
    for p in procs:
        if p.wait() != 0:
            raise SystemExit("a writer failed")
    elapsed = time.perf_counter() - started
    reports = [json.loads((tmp / f"w{w}.json").read_text()) for w in range(writers)]
    accepted = [key for report in reports for key in report["accepted"]]
    phase = max(r["finished"] for r in reports) - min(r["started"] for r in reports)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        stored = [row[0] for row in conn.execute(sa.text("SELECT change_id FROM ledger_changes"))]
    engine.dispose()
    lost = set(accepted) - set(stored)
    extra = len(stored) - len(SETUP) - len(accepted)  # changes stored that no writer was told of
    if lost or extra:
        raise SystemExit(f"lost {len(lost)} accepted changes; {extra} stored beyond them")
    check = subprocess.run(
        [str(Path(sys.executable).with_name("ledger")), "--db", url, "verify"],
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        raise SystemExit(f"verify failed: {check.stdout}{check.stderr}")
    return elapsed, phase, len(accepted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-writer", type=int, default=100)
    parser.add_argument("--write-results", action="store_true")
    parser.add_argument(
        "--writers",
        type=int,
        action="append",
        help="writer processes (repeatable; default 1, 4, 8)",
    )
    parser.add_argument(
        "--engine", action="append", choices=["sqlite", "postgresql"], help="default: both"
    )
    args = parser.parse_args()
    rows = []
    for engine in args.engine or ("sqlite", "postgresql"):
        for writers in args.writers or (1, 4, 8):
            with tempfile.TemporaryDirectory() as tmp:
                if engine == "sqlite":
                    url = f"sqlite:///{tmp}/bench.db"
                    elapsed, phase, accepted = run(url, writers, args.per_writer, Path(tmp))
                else:
                    name = f"ledger_bench_{uuid.uuid4().hex[:8]}"
                    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
                    with admin.connect() as conn:
                        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
                    try:
                        elapsed, phase, accepted = run(
                            PG_ADMIN.rsplit("/", 1)[0] + "/" + name,
                            writers,
                            args.per_writer,
                            Path(tmp),
                        )
                    finally:
                        with admin.connect() as conn:
                            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                        admin.dispose()
            rate = accepted / phase
            rows.append((engine, writers, accepted, elapsed, phase, rate))
            print(
                f"{engine:10s} writers={writers}  {accepted} changes, append phase {phase:.2f} s "
                f"= {rate:.0f} changes/s (wall {elapsed:.1f} s with start-up); "
                "0 lost, 0 duplicated, verify passed",
                flush=True,
            )
    if args.write_results:
        lines = [
            f"Command: `python {' '.join(sys.argv)}`",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}",
            "",
            "Each writer is a separate process recording one change per transaction through `LedgerApp`;",
            "half of the changes touch two shared bodies. The writers open the store, then start together:",
            "the append phase runs from the first append to the last; the wall time includes start-up.",
            "Every run then checks the store: each accepted change stored once (0 lost, 0 duplicated)",
            "and `ledger verify` passing.",
            "",
            "| engine | writers | changes accepted | wall time (s) | append phase (s) | changes/s in the append phase |",
            "|---|---|---|---|---|---|",
        ]
        lines += [f"| {e} | {w} | {a} | {t:.1f} | {p:.2f} | {r:.0f} |" for e, w, a, t, p, r in rows]
        replace_section(ROOT / "benchmarks" / "RESULTS.md", "Append throughput", "\n".join(lines))


if __name__ == "__main__":
    main()
