"""A writer or a follower for the concurrency test, run as its own process.

python -m tests.support.storm write URL WORKER COUNT OUT.json [GOFILE]
python -m tests.support.storm follow URL STOPFILE OUT.json

A writer given GOFILE opens the ledger, says it is ready (OUT.json.ready) and waits for GOFILE to
exist before appending, so that the writers' appends overlap and their start-up is left out of the
append phase (`started` and `finished` in OUT.json, seconds since the epoch).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ledger.application.commands import parse_change
from ledger.application.errors import ConcurrentChange, LedgerError
from ledger.bootstrap import open_ledger

SHARED = ["Shared Partnership", "Shared CCG"]


def change(change_kind: str, n: int, worker: int, **fields: object) -> dict[str, object]:
    return {
        "change": change_kind,
        "effective": f"{2014 + n % 6}-{1 + n % 12:02d}-01",
        "recorder": f"worker-{worker}",
        "reason": f"storm {worker}/{n}",
        "sources": [{"source": "storm", "locator": f"{worker}/{n}"}],
        **fields,
    }


def write(url: str, worker: int, count: int, out: Path, go: Path | None = None) -> None:
    ledger = open_ledger(url)
    if go is not None:
        Path(f"{out}.ready").touch()
        while not go.exists():
            time.sleep(0.001)
    started = time.time()
    accepted: list[str] = []
    errors: list[str] = []
    own: list[str] = []
    for n in range(count):
        if n % 2 == 0 or not own:
            # Half the changes touch only this worker's own bodies.
            name = f"W{worker} Body {n}"
            data = change("established", 0, worker, organisation=name, kind="ccg")
            data["effective"] = "2013-04-01"
            own.append(name)
        elif n % 4 == 1:
            # The other half touch shared bodies, which other workers change at the same moment.
            data = change("joined", n, worker, member=own[-1], body=SHARED[0])
        else:
            data = change(
                "fact_recorded",
                n,
                worker,
                subject=SHARED[1],
                attribute=f"w{worker}_n{n}",
                value=str(n),
            )
        try:
            outcome = ledger.app.record(parse_change(data))
        except ConcurrentChange as exc:
            errors.append(f"conflict: {exc}")
            continue
        except LedgerError as exc:
            errors.append(f"refused: {exc}")
            continue
        accepted.append(outcome.change_id.hex)
    finished = time.time()
    ledger.close()
    out.write_text(
        json.dumps(
            {"accepted": accepted, "errors": errors, "started": started, "finished": finished}
        )
    )


def follow(url: str, stop: Path, out: Path) -> None:
    """Poll the notification log as a reader would, never re-reading what it has seen."""
    ledger = open_ledger(url)
    seen: list[int] = []
    last = 0
    finishing = False
    while True:
        batch = ledger.app.recorder.select_notifications(
            start=last, limit=500, inclusive_of_start=False
        )
        seen.extend(n.id for n in batch)
        if batch:
            last = batch[-1].id
            continue
        if finishing:
            break
        if stop.exists():
            finishing = True  # one more pass after the writers have finished
        time.sleep(0.01)
    ledger.close()
    out.write_text(json.dumps({"seen": seen}))


if __name__ == "__main__":
    mode, url = sys.argv[1], sys.argv[2]
    if mode == "write":
        go = Path(sys.argv[6]) if len(sys.argv) > 6 else None
        write(url, int(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5]), go)
    else:
        follow(url, Path(sys.argv[3]), Path(sys.argv[4]))
