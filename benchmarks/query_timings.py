"""Time the read-only queries in-process (p50/p99) on a store, on both time axes.

    python benchmarks/query_timings.py --db /tmp/national.db --calls 1000

Organisations, posts, dates and known-at positions are drawn at random (seeded) from the store.
`structure --on D` is timed in-process and end to end (a `ledger` process writing JSON).
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from ledger.adapters.tables import changes, entities
from ledger.bootstrap import open_reader
from ledger.views.axes import Axes
from ledger.views.questions import Queries


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {p50 * 1000:7.2f} ms  p99 {p99 * 1000:7.2f} ms  (n={len(ordered)})"


def timed(call: Callable[[], Any], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--only", default="show,lineage,holders,structure")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    queries: Queries = open_reader(args.db).queries
    with queries.connect() as conn:
        orgs = [
            r[0]
            for r in conn.execute(select(entities.c.id).where(entities.c.entity == "organisation"))
        ]
        posts = [
            r[0] for r in conn.execute(select(entities.c.id).where(entities.c.entity == "post"))
        ]
        last = int(conn.execute(select(func.max(changes.c.position))).scalar() or 0)
    print(f"store {args.db}: {len(orgs)} organisations, {len(posts)} posts, {last} changes")

    def on() -> date:
        return date(1995, 1, 1) + timedelta(days=rng.randrange(30 * 365))

    wanted = args.only.split(",")
    for label, known in (("now", False), ("--known-at", True)):

        def axes(known: bool = known) -> Axes:
            return Axes(on=on(), known_at=rng.randrange(1, last) if known else None)

        if "show" in wanted:
            s = timed(lambda: queries.show(rng.choice(orgs), axes()), args.calls)
            print(f"show ORG --on D {label:>12}: {percentiles(s)}")
        if "lineage" in wanted:
            s = timed(lambda: queries.lineage(rng.choice(orgs), axes()), args.calls)
            print(f"lineage ORG     {label:>12}: {percentiles(s)}")
        if "holders" in wanted:
            s = timed(lambda: queries.holders(rng.choice(posts), axes()), args.calls)
            print(f"holders POST    {label:>12}: {percentiles(s)}")
        if "structure" in wanted:
            s = timed(lambda: queries.structure(axes()), 3)
            print(f"structure --on D in-process {label:>12}: {percentiles(s)}")
            argv = [
                sys.executable,
                "-m",
                "ledger.cli.main",
                "--db",
                args.db,
                "structure",
                "--on",
                "2010-06-01",
                "--format",
                "json",
            ]
            if known:
                argv += ["--known-at", str(last // 2)]
            started = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
            print(f"structure --on D process    {label:>12}: {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
