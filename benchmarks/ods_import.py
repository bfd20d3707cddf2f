"""ODS import at national scale: ~300 organisations and ~12,000 succession rows, end to end.

    python benchmarks/ods_import.py [--engine sqlite|postgresql] [--write-results]

Generates an organisation file of CCGs, one of trusts and a successor file in the ODS formats,
deterministically (a fixed seed) in a temporary directory: the CCGs merge in waves, trusts absorb,
split and succeed one another, and most successor rows are between codes outside both files (as in
the national file, which covers every kind of organisation). Then times `ledger import-ods` as a
user runs it (a fresh process on an empty store), and a second, idempotent run of the same files.
With --write-results replaces the "ODS import" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.results import replace_section  # noqa: E402

LEDGER = str(Path(sys.executable).with_name("ledger"))
PG_ADMIN = os.environ.get(
    "LEDGER_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PLACES = (
    "ASHFORD", "BARNET", "CALDER", "DARWEN", "EALING", "FYLDE", "GOSPORT", "HALTON", "IPSWICH",
    "JARROW", "KENDAL", "LUTON", "MALVERN", "NEWARK", "OLDHAM", "PENDLE", "QUORN", "REDCAR",
    "SELBY", "TAMWORTH", "USK", "VALE", "WIGAN", "YEOVIL", "ARUN", "BRENT", "CRAWLEY", "DOVER",
    "EPPING", "FROME",
)  # fmt: skip
LINKS = ("AND", "WITH", "NORTH", "SOUTH", "EAST", "WEST", "CENTRAL", "GREATER")


def day(d: date) -> str:
    return d.strftime("%Y%m%d")


def org_row(code: str, name: str, opened: date, closed: date | None) -> list[str]:
    row = [""] * 27
    row[0], row[1], row[2], row[3] = code, name, "Y00", "Q00"
    row[10], row[11], row[21] = day(opened), day(closed) if closed else "", "1"
    return row


class Register:
    """A made-up register: organisations with open and close dates, and successions between them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.orgs: dict[str, dict[str, object]] = {}
        self.succ: list[tuple[str, str, date]] = []
        self.names: set[str] = set()

    def name(self, suffix: str) -> str:
        while True:
            a, b = self.rng.sample(PLACES, 2)
            name = f"{a} {self.rng.choice(LINKS)} {b} {suffix}"
            if name not in self.names:
                self.names.add(name)
                return name

    def open(self, code: str, kind: str, opened: date) -> str:
        suffix = "CCG" if kind == "ccg" else "NHS TRUST"
        name = ("NHS " if kind == "ccg" else "") + self.name(suffix)
        self.orgs[code] = {"kind": kind, "name": name, "opened": opened, "closed": None}
        return code

    def live(self, kind: str, on: date) -> list[str]:
        return sorted(
            c
            for c, o in self.orgs.items()
            if o["kind"] == kind
            and o["opened"] < on  # type: ignore[operator]
            and (o["closed"] is None or o["closed"] >= on)  # type: ignore[operator]
        )

    def close(self, code: str, end: date) -> None:
        self.orgs[code]["closed"] = end - timedelta(days=1)


def generate(folder: Path, *, successions: int = 12_000, seed: int = 2024) -> dict[str, Path]:
    rng = random.Random(seed)
    reg = Register(rng)
    ccg_codes = (f"{n:02d}{chr(65 + k)}" for n in range(1, 100) for k in range(26))
    trust_codes = (f"R{chr(65 + a)}{b}" for a in range(26) for b in range(10))
    # CCGs: 190 from April 2013, then five April merger waves (into new bodies and absorptions).
    for _ in range(190):
        reg.open(next(ccg_codes), "ccg", date(2013, 4, 1))
    for year in (2015, 2017, 2018, 2019, 2020):
        on = date(year, 4, 1)
        pool = reg.live("ccg", on)
        rng.shuffle(pool)
        for _ in range(6):
            group = [pool.pop() for _ in range(rng.choice((2, 3, 4)))]
            successor = reg.open(next(ccg_codes), "ccg", on)
            for p in group:
                reg.close(p, on)
                reg.succ.append((p, successor, on))
        for _ in range(3):
            absorbed, absorber = pool.pop(), pool.pop()
            reg.close(absorbed, on)
            reg.succ.append((absorbed, absorber, on))
    # Trusts: 70 founded 1991-2000, then absorptions, splits and plain successions.
    for _ in range(70):
        reg.open(next(trust_codes), "nhs_trust", date(rng.randrange(1991, 2001), 4, 1))
    for year in range(2005, 2023):
        on = date(year, rng.choice((4, 10)), 1)
        pool = reg.live("nhs_trust", on)
        rng.shuffle(pool)
        move = rng.choice(("absorb", "split", "succeed"))
        if move == "absorb" and len(pool) > 2:
            absorbed, absorber = pool.pop(), pool.pop()
            reg.close(absorbed, on)
            reg.succ.append((absorbed, absorber, on))
        elif move == "split" and pool:
            source = pool.pop()
            reg.close(source, on)
            for _ in range(2):
                reg.succ.append((source, reg.open(next(trust_codes), "nhs_trust", on), on))
        elif len(pool) > 2:
            # The register's dates do not line up: the predecessor lives on a while.
            before, after = pool.pop(), pool.pop()
            reg.close(before, on + timedelta(days=rng.randrange(30, 400)))
            reg.succ.append((before, after, on))
    # Health authorities before the trusts (outside both files), as in the real register.
    for code in list(reg.orgs)[:40]:
        opened = reg.orgs[code]["opened"]
        assert isinstance(opened, date)
        reg.succ.append((f"Q{rng.randrange(100, 999)}", code, opened))
    # Everything else in a national successor file: GP practices and other bodies outside the files.
    while len(reg.succ) < successions:
        a, b = rng.randrange(10_000, 99_999), rng.randrange(10_000, 99_999)
        when = date(1995, 1, 1) + timedelta(days=rng.randrange(10_000))
        reg.succ.append((f"{chr(65 + a % 26)}{a}", f"{chr(65 + b % 26)}{b}", when))
    rng.shuffle(reg.succ)
    paths = {"eccg": folder / "eccg.csv", "etr": folder / "etr.csv", "succ": folder / "succ.csv"}
    for stem, kind in (("eccg", "ccg"), ("etr", "nhs_trust")):
        with paths[stem].open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out, quoting=csv.QUOTE_ALL)
            for code, o in reg.orgs.items():
                if o["kind"] == kind:
                    writer.writerow(org_row(code, o["name"], o["opened"], o["closed"]))  # type: ignore[arg-type]
    with paths["succ"].open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL)
        for p, s, when in reg.succ:
            writer.writerow([p, s, "", day(when), "0"])
    return paths


def store(engine: str, tmp: Path) -> tuple[str, str | None]:
    if engine == "sqlite":
        return f"sqlite:///{tmp}/ledger.db", None
    name = f"ledger_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, name


def drop(name: str | None) -> None:
    if name is None:
        return
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def timed_import(url: str, paths: dict[str, Path]) -> tuple[float, dict[str, object]]:
    command = [
        LEDGER,
        "--db",
        url,
        "import-ods",
        str(paths["eccg"]),
        str(paths["etr"]),
        "--successors",
        str(paths["succ"]),
        "--format",
        "json",
    ]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"import-ods failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, json.loads(done.stdout)


def count_rows(path: Path) -> int:
    with path.open(encoding="utf-8") as f:
        return sum(1 for _ in f)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), action="append")
    parser.add_argument("--successions", type=int, default=12_000)
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    engines = args.engine or ["sqlite"]
    lines = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        paths = generate(tmp, successions=args.successions)
        orgs = count_rows(paths["eccg"]) + count_rows(paths["etr"])
        succ = count_rows(paths["succ"])
        print(f"generated {orgs} organisations and {succ} succession rows in {tmp}")
        for engine in engines:
            url, name = store(engine, tmp)
            try:
                first, report = timed_import(url, paths)
                again, repeat = timed_import(url, paths)
            finally:
                drop(name)
            appended, skipped = report["appended"], report["skipped"]
            assert isinstance(skipped, dict)
            skipped_rows = sum(v["count"] for v in skipped.values())
            print(f"{engine}: changes by kind {report['changes_by_kind']}")
            print(
                f"{engine}: first import {first:.1f} s ({appended} changes appended, "
                f"{skipped_rows} succession rows skipped); re-import {again:.1f} s "
                f"({repeat['appended']} appended)"
            )
            lines.append(
                f"| {engine} | {orgs} | {succ} | {appended} | {skipped_rows} | {first:.1f} | {again:.1f} |"
            )
    if args.write_results:
        flags = " ".join(f"--engine {e}" for e in engines)
        body = "\n".join(
            [
                f"Command: `python benchmarks/ods_import.py {flags} --write-results`",
                f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}",
                "",
                "Generated files (fixed seed): an organisation file of CCGs and one of trusts, and a",
                "successor file in which most rows are between codes outside both files. Wall time of",
                "`ledger import-ods eccg.csv etr.csv --successors succ.csv` as a fresh process on an empty",
                "store (start-up included), then of the same command again (appends nothing).",
                "",
                "| engine | organisations | succession rows | changes appended | rows skipped | import (s) | re-import (s) |",
                "|---|---|---|---|---|---|---|",
                *lines,
                "",
                "Reading: the time goes on the changes appended (each is checked against its bodies'",
                "timelines and written through `LedgerApp.record_many`, all in one transaction); the",
                "rows outside the files cost only their reading. A re-import reads the files and what",
                "the ledger holds, and appends nothing. Figures vary by a second or two between runs",
                "on this shared machine.",
            ]
        )
        replace_section(ROOT / "benchmarks" / "RESULTS.md", "ODS import", body)
        print("wrote benchmarks/RESULTS.md")


if __name__ == "__main__":
    main()
