"""How long the write path takes to read back the histories a change is checked against, on a store
made by `ledger import` (for instance of `benchmarks/generate.py`'s files).

The histories of the bodies with the most changes are read from the store, cold (a fresh reader
each time, as a `ledger record` process starts), the best of several runs:

    python benchmarks/generate.py --size 50000 --out /tmp/n50k
    ledger --db /tmp/n50k.db import /tmp/n50k/
    python benchmarks/histories.py --db /tmp/n50k.db [--bodies 50] [--runs 7]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from uuid import UUID

import sqlalchemy as sa


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a SQLite store")
    parser.add_argument("--bodies", type=int, default=50, help="the bodies with most changes")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)

    from ledger.application.histories import Histories
    from ledger.bootstrap import open_ledger
    from ledger.domain.model import Entity

    ledger = open_ledger(f"sqlite:///{args.db}")
    try:
        app = ledger.app
        with app.engine.connect() as conn:
            top = conn.execute(
                sa.text(
                    "SELECT p.party, e.entity FROM ledger_parties p "
                    "JOIN ledger_entities e ON e.id = p.party "
                    "GROUP BY p.party, e.entity ORDER BY count(*) DESC LIMIT :n"
                ),
                {"n": args.bodies},
            ).all()
            wanted = {UUID(party): entity for party, entity in top}
            best = float("inf")
            loaded: dict[UUID, Entity] = {}
            for _ in range(args.runs):
                loaded = {}
                reader = Histories(app.events_table)  # type: ignore[arg-type]
                started = time.perf_counter()
                reader.load(conn, wanted, loaded)
                best = min(best, time.perf_counter() - started)
        entries = sum(len(a.entries) for a in loaded.values())
        print(
            f"{len(wanted)} histories, {entries:,} entries: read back in {best * 1000:.1f} ms "
            f"(best of {args.runs}), {best / max(entries, 1) * 1e6:.1f} us an entry"
        )
    finally:
        ledger.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
