"""The national GP practice file with the CCG and trust files, end to end, beside a raw floor.

    python benchmarks/ods_practices.py [--practices 13000] [--repeat 2] [--write-results]

Generates, deterministically, the CCG, trust and successor files of `ods_import.py` (about 300
organisations, 12,000 succession rows) and two releases of a practice file (`epraccur.csv`) of
about 13,000 practices, each a member of a CCG in force on the release date: mostly active, some
dormant, proposed or closed (with their leave dates). The second release, sixteen months later,
moves the practices of the CCGs merged in between to their successors, moves a few more, adds new
practices and leaves about 1% out without closing them.

Times, each as a fresh `ledger` process on an empty SQLite store, side by side (A B A B):
A, the first release imported without `--released` (no evidence); B, the same with `--released`
(every organisation in force on the date listed and every practice's membership seen, as evidence). Then, on B's store, the second
release. The raw floor is one `executemany` in one transaction of as many rows as the import
wrote to all the ledger's tables, each a tuple of an integer and about 200 bytes of text, into a
bare SQLite table with one index. With --write-results replaces the "ODS practices" section of
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.ods_import import generate  # noqa: E402
from benchmarks.results import replace_section  # noqa: E402

LEDGER = str(Path(sys.executable).with_name("ledger"))
FIRST, SECOND = date(2018, 2, 1), date(2019, 6, 1)
WORDS = ("HIGH STREET", "RIVERSIDE", "MARKET", "STATION", "PARK", "CHURCH", "MILL", "BRIDGE",
         "HILL", "GREEN", "VALLEY", "HARBOUR", "ABBEY", "CASTLE", "ORCHARD", "MEADOW")  # fmt: skip
KINDS = ("SURGERY", "MEDICAL CENTRE", "HEALTH CENTRE", "MEDICAL PRACTICE", "FAMILY PRACTICE")


def day(d: date | None) -> str:
    return d.strftime("%Y%m%d") if d else ""


def parse(text: str) -> date | None:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8])) if text else None


def practice_row(p: dict[str, object]) -> list[str]:
    row = [""] * 27
    row[0], row[1], row[2], row[3] = str(p["code"]), str(p["name"]), "Y00", "Q00"
    row[10], row[11] = day(p["opened"]), day(p["closed"])  # type: ignore[arg-type]
    row[12], row[13], row[14] = str(p["status"]), "B", str(p["ccg"])
    row[15], row[16] = day(p["joined"]), day(p["left"])  # type: ignore[arg-type]
    row[21], row[23], row[25] = "1", str(p["ccg"]), "4"
    return row


def practices(folder: Path, count: int, seed: int = 2016) -> tuple[Path, Path]:
    """Two releases of a practice file, on FIRST and SECOND, over the CCGs of eccg.csv."""
    rng = random.Random(seed)
    with (folder / "eccg.csv").open(encoding="utf-8") as f:
        ccgs = {r[0]: (parse(r[10]), parse(r[11])) for r in csv.reader(f)}
    with (folder / "succ.csv").open(encoding="utf-8") as f:
        moves = {r[0]: (r[1], parse(r[3])) for r in csv.reader(f) if r[0] in ccgs}

    def live(on: date) -> list[str]:
        return sorted(c for c, (o, e) in ccgs.items() if o and o <= on and (e is None or e >= on))

    first_ccgs = live(FIRST)
    rows: list[dict[str, object]] = []
    for i in range(count):
        ccg = rng.choice(first_ccgs)
        ccg_open = ccgs[ccg][0]
        assert ccg_open is not None
        p: dict[str, object] = {
            "code": f"{chr(65 + i % 26)}{80000 + i}",
            "name": f"{rng.choice(WORDS)} {rng.choice(KINDS)} {i}",
            "opened": date(rng.randrange(1974, 2017), rng.randrange(1, 13), 1),
            "closed": None,
            "status": "A",
            "ccg": ccg,
            "joined": max(ccg_open, date(2013, 4, 1)),
            "left": None,
        }
        roll = rng.random()
        if roll < 0.02:
            p["status"] = "D"
        elif roll < 0.03:
            p["status"], p["opened"] = "P", date(2018, 6, 1)
            p["joined"] = p["opened"]
        elif roll < 0.05:
            end = FIRST - timedelta(days=rng.randrange(1, 300))
            p["status"], p["closed"], p["left"] = "C", end, end
        elif roll < 0.15:
            p["joined"] = p["joined"] + timedelta(days=rng.randrange(1, 1000))  # type: ignore[operator]
            if p["joined"] >= FIRST:  # type: ignore[operator]
                p["joined"] = ccg_open
        p["joined"] = max(p["joined"], p["opened"])  # type: ignore[type-var]
        rows.append(p)
    first = folder / "2018" / "epraccur.csv"
    second = folder / "2019" / "epraccur.csv"
    for path in (first, second):
        path.parent.mkdir()
    with first.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out, quoting=csv.QUOTE_ALL).writerows(practice_row(p) for p in rows)
    second_ccgs = live(SECOND)
    later: list[dict[str, object]] = []
    for p in rows:
        if p["status"] == "C" or rng.random() < 0.01:
            continue  # a closed practice drops out of the file; 1% are left out unclosed
        q = dict(p)
        ccg = str(q["ccg"])
        while ccg in moves and moves[ccg][1] <= SECOND:  # type: ignore[operator]
            ccg, when = moves[ccg]
            q["ccg"], q["joined"] = ccg, when
        if ccg not in second_ccgs:
            continue
        if q["status"] == "A" and rng.random() < 0.02:
            q["ccg"] = rng.choice(second_ccgs)
            if q["ccg"] != ccg:
                q["joined"] = max(
                    date(2018, 10, 1),
                    ccgs[str(q["ccg"])][0],  # type: ignore[type-var]
                )
        later.append(q)
    for i in range(count, count + count // 100):
        ccg = rng.choice(second_ccgs)
        opened = date(2018, rng.randrange(3, 13), 1)
        later.append(
            {
                "code": f"{chr(65 + i % 26)}{80000 + i}",
                "name": f"{rng.choice(WORDS)} {rng.choice(KINDS)} {i}",
                "opened": opened,
                "closed": None,
                "status": "A",
                "ccg": ccg,
                "joined": max(opened, ccgs[ccg][0]),  # type: ignore[type-var]
                "left": None,
            }
        )
    with second.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out, quoting=csv.QUOTE_ALL).writerows(practice_row(p) for p in later)
    return first, second


def run(db: Path, *args: str | Path) -> tuple[float, dict[str, object]]:
    command = [LEDGER, "--db", f"sqlite:///{db}", "import-ods", *map(str, args), "--format", "json"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"import-ods failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, json.loads(done.stdout)


def rows_written(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        tables = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if r[0].startswith("ledger_")
        ]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def raw_floor(folder: Path, rows: int) -> float:
    """One executemany of `rows` tuples into a bare table with one index, in one transaction."""
    db = folder / f"floor-{time.monotonic_ns()}.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT, body TEXT)")
    conn.execute("CREATE INDEX t_k ON t (k)")
    body = "x" * 200
    data = [(i, f"{i:032x}", body) for i in range(rows)]
    started = time.perf_counter()
    with conn:
        conn.executemany("INSERT INTO t VALUES (?, ?, ?)", data)
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=13_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        paths = generate(tmp)
        first, second = practices(tmp, args.practices)
        orgs = [paths["eccg"], paths["etr"], first, "--successors", paths["succ"]]
        timings: dict[str, list[float]] = {"A": [], "B": []}
        reports: dict[str, dict[str, object]] = {}
        stores: dict[str, Path] = {}
        for n in range(args.repeat):
            for label, extra in (("A", []), ("B", ["--released", FIRST.isoformat()])):
                db = tmp / f"{label}{n}.db"
                elapsed, reports[label] = run(db, *orgs, *extra)
                timings[label].append(elapsed)
                stores[label] = db
                print(
                    f"{label} run {n + 1}: {elapsed:.1f} s ({reports[label]['appended']} changes)"
                )
        written = rows_written(stores["B"])
        total = sum(written.values())
        floors = [raw_floor(tmp, total) for _ in range(args.repeat)]
        print(f"rows written by B: {total} {written}; raw floor {min(floors):.2f} s")
        again, second_report = run(
            stores["B"], second, "--successors", paths["succ"], "--released", SECOND.isoformat()
        )
        repeat, _ = run(
            stores["B"], second, "--successors", paths["succ"], "--released", SECOND.isoformat()
        )
        omitted = second_report["omitted"]
        assert isinstance(omitted, list)
        print(
            f"second release: {again:.1f} s ({second_report['appended']} changes, "
            f"{len(omitted)} omitted: {second_report['changes_by_kind']}); again {repeat:.1f} s"
        )
    a, b = min(timings["A"]), min(timings["B"])
    by_kind = reports["B"]["changes_by_kind"]
    assert isinstance(by_kind, dict)
    print(f"B/A = {b / a:.2f}; B/floor = {b / min(floors):.0f}")
    if args.write_results:
        runs = lambda xs: ", ".join(f"{x:.1f}" for x in xs)  # noqa: E731
        body = "\n".join(
            [
                f"Command: `python benchmarks/ods_practices.py --practices {args.practices} --repeat {args.repeat} --write-results`",
                f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}",
                "",
                "Generated files (fixed seeds): the CCG, trust and successor files of `ods_import.py`, and two",
                f"releases of a practice file: {args.practices:,} practices on {FIRST}, the same moved,",
                "merged, added to and 1% left out on "
                + f"{SECOND}. Each import a fresh `ledger` process",
                "(start-up included) on an empty SQLite store, A B A B; the best of each is quoted.",
                "",
                "| run | changes appended | seconds (each run) | best |",
                "|---|---|---|---|",
                f"| A: first release, no `--released` (no evidence) | {reports['A']['appended']} | {runs(timings['A'])} | {a:.1f} |",
                f"| B: first release, `--released {FIRST}` (listings, memberships seen) | {reports['B']['appended']} | {runs(timings['B'])} | {b:.1f} |",
                f"| second release on B's store, `--released {SECOND}` | {second_report['appended']} | {again:.1f} | |",
                f"| the second release again (appends nothing) | 0 | {repeat:.1f} | |",
                f"| raw floor: one executemany of {total:,} rows (as many as B wrote to all tables) into a bare table | | {runs(floors)} | {min(floors):.2f} |",
                "",
                f"B's changes by kind: {json.dumps(by_kind, sort_keys=True)}.",
                f"The second release: {json.dumps(second_report['changes_by_kind'], sort_keys=True)}, "
                f"{len(omitted)} organisations reported omitted.",
                "",
                f"Ratios: the evidence of the release date (every organisation listed, every membership seen; B against A) costs {b / a:.2f}×;",
                f"the import is {b / min(floors):.0f}× the raw floor of writing the same number of rows.",
            ]
        )
        replace_section(ROOT / "benchmarks" / "RESULTS.md", "ODS practices", body)
        print("wrote benchmarks/RESULTS.md")


if __name__ == "__main__":
    main()
