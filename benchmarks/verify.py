"""Tamper-evidence benchmark: how long an auditor waits for `ledger verify` and friends on a big log.

Builds a store of N stored events through the ledger's own parts (its event classes and mapper, the
sealer and `LedgerApp.rebuild`), writing the events in bulk rather than validating each change:
what is measured is the auditor's side, whose cost depends on the number of events, not on how
they were appended. Then times, as fresh processes: checkpoint, verify (with and without the
read-model comparison), export, verify --from-export, prove and verify-proof.

    python benchmarks/verify.py --events 1000000 --write-results
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.results import replace_section  # noqa: E402
from ledger.adapters.audit import seal_log  # noqa: E402
from ledger.bootstrap import open_ledger  # noqa: E402
from ledger.domain.events import Established, FactRecorded, SourceRef  # noqa: E402

LEDGER = str(Path(sys.executable).with_name("ledger"))
SOURCE = (SourceRef(source="benchmark", locator="generated"),)
ATTRIBUTES = ("budget", "population_served", "member_practices", "headcount")


def events(count: int, seed: int) -> Any:
    """Establish a body every 50 events; the rest are dated facts about bodies already in force."""
    rng = random.Random(seed)
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    bodies: list[tuple[uuid.UUID, int, int]] = []  # (id, version, year established)
    for n in range(count):
        if n % 50 == 0 or not bodies:
            body = uuid.UUID(int=rng.getrandbits(128))
            year = rng.randint(1990, 2010)
            bodies.append((body, 1, year))
            yield Established(
                timestamp=stamp,
                change_id=uuid.UUID(int=rng.getrandbits(128)),
                label=f"body-{len(bodies)}",
                effective=f"{year}-04-01",
                recorder="benchmark",
                reason="generated body",
                sources=SOURCE,
                organisation=body,
                name=f"Body {len(bodies)} NHS Trust",
                org_kind="nhs_trust",
                codes={"ods": f"B{len(bodies):06d}"},
            ).stored()
            continue
        index = rng.randrange(len(bodies))
        body, version, year = bodies[index]
        bodies[index] = (body, version + 1, year)
        yield FactRecorded(
            timestamp=stamp,
            change_id=uuid.UUID(int=rng.getrandbits(128)),
            effective=f"{rng.randint(year + 1, 2024)}-{rng.randint(1, 12):02d}",
            recorder="benchmark",
            reason="generated fact",
            sources=SOURCE,
            subject=body,
            attribute=rng.choice(ATTRIBUTES),
            value=str(rng.randint(1, 10**6)),
        ).stored()


def build(url: str, count: int, seed: int) -> dict[str, float]:
    led = open_ledger(url)
    timings: dict[str, float] = {}
    try:
        mapper = led.app.mapper
        sqlite = led.app.engine.dialect.name == "sqlite"
        insert = sa.text(
            "INSERT INTO ledger_events (id, originator_id, originator_version, topic, state) "
            "VALUES (:id, :o, :v, :t, :s)"
        )
        started = time.perf_counter()
        with led.app.engine.begin() as conn:
            batch: list[dict[str, Any]] = []
            for position, event in enumerate(events(count, seed), start=1):
                stored = mapper.to_stored_event(event)
                batch.append(
                    {
                        "id": position,
                        "o": stored.originator_id.bytes if sqlite else stored.originator_id,
                        "v": stored.originator_version,
                        "t": stored.topic,
                        "s": stored.state,
                    }
                )
                if len(batch) == 20_000:
                    conn.execute(insert, batch)
                    batch = []
                    print(f"  wrote {position} events", file=sys.stderr, end="\r")
            if batch:
                conn.execute(insert, batch)
        timings["write"] = time.perf_counter() - started
        started = time.perf_counter()
        with led.app.writing() as conn:
            seal_log(conn)
        timings["seal"] = time.perf_counter() - started
        started = time.perf_counter()
        led.app.rebuild()
        timings["rebuild"] = time.perf_counter() - started
    finally:
        led.close()
    return timings


def timed(args: list[str], url: str) -> tuple[float, str, float]:
    """Run `ledger --db URL ARGS` as a fresh process: (seconds, stdout, its peak RSS in MiB)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen([LEDGER, "--db", url, *args], stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"ledger {' '.join(args)} failed ({child.returncode}): {err.read()}")
        return elapsed, out.read(), usage.ru_maxrss / 1024


def pg_url() -> tuple[str, str]:
    admin = os.environ.get(
        "LEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    name = f"ledger_bench_verify_{os.getpid()}"
    return admin, name


def run(engine: str, count: int, seed: int, work: Path) -> list[tuple[str, float, float]]:
    if engine == "sqlite":
        url = f"sqlite:///{work}/verify.db"
    else:
        admin, name = pg_url()
        with sa.create_engine(admin, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = admin.rsplit("/", 1)[0] + "/" + name
    try:
        print(f"{engine}: building a store of {count} events", file=sys.stderr)
        built = build(url, count, seed)
        rows = [
            ("build: write the events (bulk)", built["write"], 0.0),
            ("build: seal the chain (all events, one transaction)", built["seal"], 0.0),
            ("build: ledger rebuild (in-process)", built["rebuild"], 0.0),
        ]
        checkpoint, proof, export = work / "cp.txt", work / "proof.json", work / "export.jsonl"
        steps = [
            ("ledger checkpoint", ["checkpoint", "--out", str(checkpoint)]),
            (
                "ledger verify --checkpoint (everything)",
                ["verify", "--checkpoint", str(checkpoint)],
            ),
            (
                "ledger verify --checkpoint --skip-read-model",
                ["verify", "--checkpoint", str(checkpoint), "--skip-read-model"],
            ),
            ("ledger export --format jsonl", ["export", "--out", str(export)]),
            (
                "ledger verify --from-export --checkpoint",
                ["verify", "--from-export", str(export), "--checkpoint", str(checkpoint)],
            ),
            (
                "ledger prove (a change near the end)",
                [
                    "prove",
                    f"body-{count // 50}",
                    "--checkpoint",
                    str(checkpoint),
                    "--out",
                    str(proof),
                ],
            ),
            ("ledger verify-proof", ["verify-proof", str(proof), "--checkpoint", str(checkpoint)]),
        ]
        for name, args in steps:
            print(f"{engine}: {name}", file=sys.stderr)
            seconds, out, peak = timed(args, url)
            rows.append((name, seconds, peak))
            if args[0] == "verify":
                print(f"  {out.strip()[:160]}", file=sys.stderr)
        return rows
    finally:
        if engine != "sqlite":
            with sa.create_engine(admin, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--engine", action="append", choices=["sqlite", "postgresql"], help="repeatable"
    )
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    engines = args.engine or ["sqlite"]
    results: dict[str, list[tuple[str, float, float]]] = {}
    work = Path(tempfile.mkdtemp(prefix="ledger-verify-"))
    try:
        for engine in engines:
            results[engine] = run(engine, args.events, args.seed, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    command = "python benchmarks/verify.py --events {}{}{}".format(
        args.events,
        "".join(f" --engine {e}" for e in args.engine or []),
        " --write-results" if args.write_results else "",
    )
    lines = [
        f"Command: `{command}`",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}",
        "",
        f"A store of {args.events:,} stored events (an organisation established every 50 events, dated",
        "facts about them otherwise), written in bulk through the ledger's event classes and mapper,",
        "sealed and rebuilt by the ledger; then each command as a fresh process (start-up included).",
        "",
        "| engine | step | seconds | peak RSS (MiB) |",
        "|---|---|---|---|",
    ]
    for engine, rows in results.items():
        for name, seconds, peak in rows:
            lines.append(
                f"| {engine} | {name} | {seconds:.1f} | {peak:.0f} |"
                if peak
                else f"| {engine} | {name} | {seconds:.1f} | |"
            )
    text = "\n".join(lines)
    print(text)
    if args.write_results:
        replace_section(ROOT / "benchmarks" / "RESULTS.md", "Tamper evidence (verify)", text)


if __name__ == "__main__":
    main()
