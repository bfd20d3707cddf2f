"""The write path of two checkouts side by side: single-change records and an import, interleaved.

    python benchmarks/write_ab.py --before DIR --after DIR [--engine postgresql] [--rounds 6]
        [--changes DIR_OF_CHANGE_FILES]

Each round runs both checkouts (their `src/` on the path, one after the other, the order swapped
every round) on a fresh store: one writer records 60 renames of one body, a transaction each, then
imports the change files given (by default 3,000 generated changes, benchmarks/generate.py). The
medians and best runs of each side and their ratios (after / before) are printed. On a shared
machine the spread between rounds is large: read the ratios of the medians and of the best runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get(
    "LEDGER_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

# What each side runs in a process of its own, with its checkout's `src/` first on the path.
CHILD = r"""
import json, sys, time
from pathlib import Path
from ledger.application.commands import parse_change
from ledger.bootstrap import open_ledger
from ledger.importers.changefiles import load

led = open_ledger(sys.argv[1])
def change(data):
    return parse_change({"recorder": "bench", "reason": "r",
                         "sources": [{"source": "s", "locator": "l"}], **data})
led.app.record(change({"change": "established", "organisation": "Bench 0", "kind": "nhs_trust",
                       "effective": "1900-01-01"}))
started = time.perf_counter()
for i in range(1, 61):
    led.app.record(change({"change": "renamed", "organisation": f"Bench {i - 1}",
                           "name": f"Bench {i}", "effective": f"{1900 + i}-01-01"}))
single = (time.perf_counter() - started) / 60
started = time.perf_counter()
for path in sorted(Path(sys.argv[2]).glob("*.json")):
    if path.stem != "manifest":
        led.app.record_many(load(path, "bench").requests)
print(json.dumps({"record_ms": single * 1000, "import_s": time.perf_counter() - started}))
led.close()
"""


def run(side: Path, engine: str, changes: Path, tmp: Path) -> dict[str, float]:
    if engine == "sqlite":
        url = f"sqlite:///{tmp}/{uuid.uuid4().hex[:8]}.db"
    else:
        name = f"ledger_ab_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    try:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, url, str(changes)],
            env={**os.environ, "PYTHONPATH": str(side / "src")},
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode:
            raise SystemExit(f"{side}: {out.stderr.strip().splitlines()[-1]}")
        return dict(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        if engine != "sqlite":
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="a checkout (its src/ is run)")
    parser.add_argument("--after", type=Path, default=ROOT, help="default: this checkout")
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument(
        "--changes", type=Path, help="change files to import (default: 3,000 generated)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        changes = args.changes
        if changes is None:
            changes = Path(tmp) / "changes"
            subprocess.run(
                [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--size", "3000",
                 "--out", str(changes)],
                check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            )  # fmt: skip
        found: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        for r in range(args.rounds):
            for name in ("before", "after") if r % 2 == 0 else ("after", "before"):
                figures = run(getattr(args, name), args.engine, changes, Path(tmp))
                found[name].append(figures)
                print(f"round {r + 1} {name:6s} " + json.dumps(figures), flush=True)
    for key, unit in (("record_ms", "ms a change recorded"), ("import_s", "s the import")):
        for label, pick in (("median", statistics.median), ("best", min)):
            b = pick(f[key] for f in found["before"])
            a = pick(f[key] for f in found["after"])
            print(
                f"{args.engine} {label:6s} {unit}: before {b:.2f}, after {a:.2f}, ratio {a / b:.2f}"
            )


if __name__ == "__main__":
    main()
