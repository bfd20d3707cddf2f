"""Append throughput with 1, 4 and 8 concurrent writer processes, on SQLite and on PostgreSQL.

    python benchmarks/append.py [--per-writer 100] [--write-results]

Each writer is a process that opens the ledger and records changes one at a time through the
application (half touching shared bodies, so writers really contend). Prints changes per second;
with --write-results replaces the "Append throughput" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
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


def setup(url: str) -> None:
    ledger = open_ledger(url)
    for name, kind in (("Shared Partnership", "partnership"), ("Shared CCG", "ccg")):
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


def run(url: str, writers: int, per_writer: int, tmp: Path) -> tuple[float, int]:
    setup(url)
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
            ],
            cwd=ROOT,
        )
        for w in range(writers)
    ]
    for p in procs:
        if p.wait() != 0:
            raise SystemExit("a writer failed")
    elapsed = time.perf_counter() - started
    import json

    accepted = sum(
        len(json.loads((tmp / f"w{w}.json").read_text())["accepted"]) for w in range(writers)
    )
    return elapsed, accepted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-writer", type=int, default=100)
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    rows = []
    for engine in ("sqlite", "postgresql"):
        for writers in (1, 4, 8):
            with tempfile.TemporaryDirectory() as tmp:
                if engine == "sqlite":
                    url = f"sqlite:///{tmp}/bench.db"
                    elapsed, accepted = run(url, writers, args.per_writer, Path(tmp))
                else:
                    name = f"ledger_bench_{uuid.uuid4().hex[:8]}"
                    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
                    with admin.connect() as conn:
                        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
                    try:
                        elapsed, accepted = run(
                            PG_ADMIN.rsplit("/", 1)[0] + "/" + name,
                            writers,
                            args.per_writer,
                            Path(tmp),
                        )
                    finally:
                        with admin.connect() as conn:
                            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                        admin.dispose()
            rate = accepted / elapsed
            rows.append((engine, writers, accepted, elapsed, rate))
            print(
                f"{engine:10s} writers={writers}  {accepted} changes in {elapsed:.1f} s  = {rate:.0f} changes/s",
                flush=True,
            )
    if args.write_results:
        lines = [
            f"Command: `python benchmarks/append.py --per-writer {args.per_writer} --write-results`",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}",
            "",
            "Each writer is a separate process recording one change per transaction through `LedgerApp`",
            "(process start-up included in the wall time); half of the changes touch two shared bodies.",
            "",
            "| engine | writers | changes accepted | wall time (s) | changes/s |",
            "|---|---|---|---|---|",
        ]
        lines += [f"| {e} | {w} | {a} | {t:.1f} | {r:.0f} |" for e, w, a, t, r in rows]
        lines += [
            "",
            "Reading: throughput falls as writers are added because the two shared bodies' histories grow",
            "with every change that touches them, and each such change replays that history to check its",
            "invariants, so the cost of a change grows with the history of the bodies it touches; on two",
            "cores, 8 processes also share the CPU. Aggregate snapshots (planned with the national-scale",
            "work) make that cost constant.",
        ]
        replace_section(ROOT / "benchmarks" / "RESULTS.md", "Append throughput", "\n".join(lines))


if __name__ == "__main__":
    main()
