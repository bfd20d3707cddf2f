"""Server time of the web pages (`ledger serve`), in-process through the application's WSGI client,
and the time of `ledger atlas`.

    python benchmarks/web.py                                # the bundled ledger
    python benchmarks/web.py --db /tmp/b20k.db --large      # a generated store (benchmarks/generate.py)

On the bundled ledger: every kind of page, each a few times (median and max, ms), the body page for
every organisation in force on 2019-04-01, and the atlas. On a large store: the structure page (its
first page of 100 organisations) on a few dates, and the body page of random bodies.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ledger.bootstrap import open_ledger, open_reader
from ledger.web.atlas import write_atlas
from ledger.web.server import create_app

ROOT = Path(__file__).resolve().parents[1]


def timed(client: Any, address: str, repeat: int) -> list[float]:
    found = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(address)
        found.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (address, response.status_code)
    return found


def row(label: str, samples: list[float]) -> str:
    return f"| {label} | {len(samples)} | {statistics.median(samples):.1f} | {max(samples):.1f} |"


def bundled(repeat: int) -> None:

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/ledger.db"
        import subprocess
        import sys

        for command in (["import", str(ROOT / "events")], ["checkpoint"]):
            subprocess.run(
                [sys.executable, "-m", "ledger.cli.main", "--db", url, *command],
                check=True,
                capture_output=True,
            )
        reader = open_reader(url)
        client = create_app(reader.queries).test_client()
        structure = client.get("/on/2019-04-01/structure.json").get_json()
        bodies = [org["id"] for org in structure["organisations"]]
        pages: dict[str, list[str]] = {
            "index": ["/"],
            "structure (6 milestones)": [
                f"/on/{d}/structure"
                for d in (
                    "2015-04-01",
                    "2017-09-15",
                    "2017-12-19",
                    "2018-04-01",
                    "2019-03-31",
                    "2019-04-01",
                )
            ],
            f"body ({len(bodies)} on 2019-04-01)": [f"/on/2019-04-01/body/{b}" for b in bodies],
            "person": ["/person/Mairead McAlinden"],
            "post": ["/post/f323f35d43e75af394da70eaa4c4fcda"],
            "source": ["/source/plymouth-hasc-2019-03-20"],
            "change (with its proof)": ["/change/devon-ccgs-merge-2019-04"],
            "diff": ["/diff/2019-03-31/2019-04-01"],
            "plans": ["/plans"],
            "sources": ["/sources"],
            "search": ["/search?q=devon"],
        }
        for addresses in pages.values():
            for address in addresses:  # warm: templates compiled, statements prepared
                client.get(address)
        print("| page | calls | median ms | max ms |\n|---|---|---|---|")
        for label, addresses in pages.items():
            samples = [t for address in addresses for t in timed(client, address, repeat)]
            print(row(label, samples))
        started = time.perf_counter()
        count = write_atlas(reader.queries, Path(tmp) / "site")
        print(f"\natlas: {count} pages in {time.perf_counter() - started:.2f} s")
        reader.close()


def large(db: str, repeat: int, bodies: int) -> None:
    open_ledger(db, create=False).close()
    reader = open_reader(db)
    client = create_app(reader.queries).test_client()
    ids = reader.queries.entity_ids("organisation")
    rng = random.Random(7)
    chosen = rng.sample(ids, min(bodies, len(ids)))
    print(f"store {db}: {len(ids):,} organisations, {reader.queries.count_changes():,} changes")
    print("| page | calls | median ms | max ms |\n|---|---|---|---|")
    for on in ("2005-06-01", "2015-06-01", "2020-04-01"):
        client.get(f"/on/{on}/structure")
        print(
            row(f"structure on {on} (page 1 of 100)", timed(client, f"/on/{on}/structure", repeat))
        )
    samples: list[float] = []
    for body in chosen:
        samples += timed(client, f"/on/2020-04-01/body/{body}", 1)
    print(row(f"body on 2020-04-01 ({len(chosen)} random bodies)", samples))
    reader.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="A large store (else the bundled ledger, imported afresh).")
    parser.add_argument("--large", action="store_true", help="Time the large-store pages.")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--bodies", type=int, default=100)
    args = parser.parse_args()
    run: Callable[[], None] = (
        (lambda: large(args.db, args.repeat, args.bodies))
        if args.large
        else (lambda: bundled(args.repeat))
    )
    run()


if __name__ == "__main__":
    main()
