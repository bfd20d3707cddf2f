"""National scale, one command: every target of the national-scale work measured beside its yardsticks.

    python benchmarks/run.py --size 1000000 --engine sqlite --engine postgresql --write-results

Generates a national history (benchmarks/generate.py, seeded), then for each engine: imports it with
`ledger import` as a process, rebuilds the read model with `ledger rebuild`, times the queries
in-process and `structure` end to end, one `ledger record` on a 10k-change store and on the big
store, and 8 concurrent writer processes on a store of their own (benchmarks/append.py). Once per
run (on the first engine's store): the raw floor of an import on the same change files, the bare
`eventsourcing` baseline, the raw read-and-decode rate, a naive in-memory replay of the same
answers, and `ledger --help`. Prints a report whose first table is every target with its verdict;
--write-results replaces the "National scale" section of benchmarks/RESULTS.md. Baselines and naive
replays are time-boxed; the report says how.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shlex
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate  # noqa: E402
from benchmarks.results import replace_section  # noqa: E402

LEDGER = str(Path(sys.executable).with_name("ledger"))
PG_ADMIN = os.environ.get(
    "LEDGER_BENCH_PG_URL",
    os.environ.get("LEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
)
SECTION = "National scale"
QUERY_FIRST_DAY, QUERY_LAST_DAY = date(1995, 1, 1), date(2025, 12, 31)
STRUCTURE_DAY = date(2020, 4, 1)
WARM_UP_DAY = date(1990, 1, 1)  # before any generated history: a structure with nothing in it
STRUCTURE_CALLS = 20  # in-process structure calls (the whole country each), beside the naive replay


# --- measuring ------------------------------------------------------------------------------------


@dataclass
class Proc:
    seconds: float
    peak_mib: float
    stdout: str


def timed(args: list[str], url: str | None = None, out: Path | None = None) -> Proc:
    """Run `ledger [--db URL] ARGS` as a fresh process: wall time (start-up included), peak RSS."""
    command = [LEDGER, *(["--db", url] if url else []), *args]
    with (
        tempfile.TemporaryFile("w+") as err,
        open(out, "w+") if out else tempfile.TemporaryFile("w+") as stdout,
    ):
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=stdout, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            raise SystemExit(f"ledger {' '.join(args)} failed ({code}): {err.read().strip()}")
        stdout.seek(0)
        text = stdout.read() if out is None else ""
    return Proc(elapsed, usage.ru_maxrss / 1024, text)


def profiled(args: list[str], url: str, where: Path, top: int = 12) -> list[str]:
    """Run `ledger ARGS` under cProfile; the functions that took the most time of their own,
    as Markdown table rows (the profile file stays in `where` when the work directory is kept)."""
    import io
    import pstats

    command = [sys.executable, "-m", "cProfile", "-o", str(where), "-m", "ledger.cli.main"]
    done = subprocess.run([*command, "--db", url, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"profiling ledger {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    stats = pstats.Stats(str(where), stream=io.StringIO())
    total = stats.total_tt  # type: ignore[attr-defined]
    entries = sorted(
        stats.stats.items(),  # type: ignore[attr-defined]
        key=lambda item: item[1][2],
        reverse=True,
    )[:top]
    rows = []
    for (filename, line, function), (_, calls, own, cumulative, _) in entries:
        place = filename.split("site-packages/")[-1].split("/src/")[-1].split("/lib/python3.")[-1]
        rows.append(
            f"| `{place}:{line}({function})` | {calls:,} | {own:.2f} ({own / total:.0%}) | {cumulative:.2f} |"
        )
    return rows


def change_files(directory: Path) -> list[Path]:
    """The generated change files, in the order `ledger import` reads them (not the manifest)."""
    return sorted(directory.glob("[0-9]*.json"))


def import_args(directory: Path) -> list[str]:
    """`ledger import DIR` when the importer skips DIR/manifest.json, else the change files by name."""
    from ledger.importers.changefiles import expand

    if any(p.name == "manifest.json" for p in expand([directory])):
        return ["import", *(str(p) for p in change_files(directory))]
    return ["import", str(directory)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the machine and the stores -------------------------------------------------------------------


def machine(engines: list[str]) -> list[str]:
    cpu = "unknown CPU"
    meminfo = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            key, value = line.split(":", 1)
            meminfo[key] = value.strip()
    except OSError:
        pass
    ram = meminfo.get("MemTotal", "? kB")
    ram_gib = int(ram.split()[0]) / 1024**2 if ram.split()[0].isdigit() else 0.0
    pg = "not measured"
    if "postgresql" in engines:
        admin = sa.create_engine(PG_ADMIN)
        with admin.connect() as conn:
            pg = str(conn.execute(sa.text("SHOW server_version")).scalar()).split()[0]
        admin.dispose()
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores; RAM {ram_gib:.1f} GiB",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; PostgreSQL {pg}",
    ]


@contextmanager
def store(engine: str, name: str, work: Path, keep: bool) -> Iterator[str]:
    """A fresh store: a SQLite file in the work directory, or a PostgreSQL database of its own."""
    if engine == "sqlite":
        path = work / f"{name}.db"
        for stale in work.glob(f"{name}.db*"):
            stale.unlink()
        yield f"sqlite:///{path}"
        return
    database = f"ledger_bench_{name}_{os.getpid()}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + database
    finally:
        if keep:
            log(f"kept PostgreSQL database {database}")
        else:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def counts(url: str) -> tuple[int, int]:
    """(stored events, recorded changes) in a ledger store."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        events = conn.execute(sa.text("SELECT count(*) FROM ledger_events")).scalar() or 0
        changes = conn.execute(sa.text("SELECT count(*) FROM ledger_changes")).scalar() or 0
    engine.dispose()
    return int(events), int(changes)


def stored_batches(url: str, batch: int = 10_000) -> Iterator[list[Any]]:
    """The stored events in log order, as eventsourcing StoredEvents with their positions."""
    from eventsourcing.persistence import StoredEvent

    engine = sa.create_engine(url)
    select = sa.text(
        "SELECT id, originator_id, originator_version, topic, state FROM ledger_events "
        "WHERE id > :after ORDER BY id LIMIT :n"
    )
    after = 0
    try:
        with engine.connect() as conn:
            while True:
                rows = conn.execute(select, {"after": after, "n": batch}).all()
                if not rows:
                    return
                yield [
                    (
                        r.id,
                        StoredEvent(
                            originator_id=r.originator_id
                            if isinstance(r.originator_id, uuid.UUID)
                            else uuid.UUID(bytes=bytes(r.originator_id)),
                            originator_version=r.originator_version,
                            topic=r.topic,
                            state=bytes(r.state),
                        ),
                    )
                    for r in rows
                ]
                after = rows[-1].id
    finally:
        engine.dispose()


# --- the figures of one engine -----------------------------------------------------------------


@dataclass
class Latency:
    calls: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    refused: int  # calls answered with a refusal (e.g. not in force on the date), still timed
    budget_hit: bool


@dataclass
class Writers:
    """Concurrent writer processes on a store of their own (benchmarks/append.py's run)."""

    processes: int
    per_writer: int
    accepted: int = 0
    wall: float = 0.0  # with process start-up
    phase: float = 0.0  # from the first writer's first append to the last writer's last
    failure: str = ""  # a writer failed, a change was lost or duplicated, or verify failed

    @property
    def rate(self) -> float | None:
        return self.accepted / self.phase if self.phase and not self.failure else None


@dataclass
class EngineFigures:
    engine: str
    url: str
    events: int = 0
    changes: int = 0
    imported: Proc | None = None
    rebuilt: Proc | None = None
    queries: dict[tuple[str, bool], Latency] = field(default_factory=dict)
    structure: dict[bool, tuple[Proc, int]] = field(default_factory=dict)
    small_changes: int = 0
    append_small: list[float] = field(default_factory=list)
    append_big: list[float] = field(default_factory=list)
    writers: Writers | None = None


def query_latencies(
    url: str, calls: int, seed: int, budget: float
) -> dict[tuple[str, bool], Latency]:
    """show / lineage / holders (and a few whole-country structures), each on the valid-time axis
    only and with --known-at, through the CLI's own functions (axes, query, view) in one process:
    everything but start-up and printing."""
    from ledger.adapters.readmodel import changes, entities
    from ledger.bootstrap import open_ledger
    from ledger.cli.app import axes
    from ledger.cli.views import holders_view, lineage_view, show_view, structure_view

    led = open_ledger(url)
    try:
        with led.app.engine.connect() as conn:
            orgs = [
                r.id
                for r in conn.execute(
                    sa.select(entities.c.id).where(entities.c.entity == "organisation")
                )
            ]
            posts = [
                r.id
                for r in conn.execute(sa.select(entities.c.id).where(entities.c.entity == "post"))
            ]
            last = int(conn.execute(sa.select(sa.func.max(changes.c.position))).scalar() or 1)
        rng = random.Random(seed)
        span = (QUERY_LAST_DAY - QUERY_FIRST_DAY).days
        kinds: dict[str, tuple[list[str], Callable[[str, Any], Any]]] = {
            "show": (orgs, lambda t, a: show_view(led.queries.show(t, a))),
            "lineage": (orgs, lambda t, a: lineage_view(led.queries.lineage(t, a))),
            "holders": (posts, lambda t, a: holders_view(led.queries.holders(t, a))),
            # the whole country: fewer calls, for the naive replay's comparison
            "structure": (["-"], lambda t, a: structure_view(led.queries.structure(a))),
        }
        results: dict[tuple[str, bool], Latency] = {}
        for kind, (population, call) in kinds.items():
            for with_known_at in (False, True):
                if not population:
                    continue
                samples = [
                    (
                        rng.choice(population),
                        (QUERY_FIRST_DAY + timedelta(days=rng.randrange(span))).isoformat(),
                        str(rng.randint(1, last)) if with_known_at else None,
                    )
                    for _ in range(calls if kind != "structure" else min(calls, STRUCTURE_CALLS))
                ]
                # One call first, untimed: it pays for lazy imports and statement compilation,
                # which the end-to-end figures (structure, record, --help) include. The whole
                # country's is made on a date before the history begins: the same statements and
                # imports, without a minute of folding.
                first = samples[0]
                if kind == "structure":
                    first = (first[0], WARM_UP_DAY.isoformat(), first[2] and "1")
                _attempt(call, *first, led, axes)
                times: list[float] = []
                refused = 0
                deadline = time.perf_counter() + budget
                for target, on, known in samples:
                    started = time.perf_counter()
                    ok = _attempt(call, target, on, known, led, axes)
                    times.append(time.perf_counter() - started)
                    refused += not ok
                    if time.perf_counter() > deadline:
                        break
                results[(kind, with_known_at)] = Latency(
                    calls=len(times),
                    p50_ms=percentile(times, 0.5) * 1000,
                    p99_ms=percentile(times, 0.99) * 1000,
                    max_ms=max(times) * 1000,
                    refused=refused,
                    budget_hit=len(times) < len(samples),
                )
                got = results[(kind, with_known_at)]
                log(
                    f"  {kind}{' --known-at' if with_known_at else ''}: {got.calls} calls, "
                    f"p50 {got.p50_ms:.1f} ms, p99 {got.p99_ms:.1f} ms"
                )
        return results
    finally:
        led.close()


def _attempt(
    call: Callable[[str, Any], Any], target: str, on: str, known: str | None, led: Any, axes: Any
) -> bool:
    from ledger.application.errors import LedgerError

    try:
        call(target, axes(on, known, False, led))
    except LedgerError:
        return False
    return True


def structure_end_to_end(url: str, work: Path, with_known_at: bool, last: int) -> tuple[Proc, int]:
    out = work / "structure.json"
    args = ["structure", "--on", STRUCTURE_DAY.isoformat(), "--format", "json"]
    if with_known_at:
        args += ["--known-at", str(max(1, last * 9 // 10))]
    proc = timed(args, url, out=out)
    bodies = len(json.loads(out.read_text())["organisations"])
    out.unlink()
    return proc, bodies


def appends(url: str, runs: int, tag: str) -> list[float]:
    """Wall time of `ledger record fact-recorded` on a body in force, as a fresh process each time."""
    from ledger.bootstrap import open_ledger

    led = open_ledger(url)
    try:
        subject = _in_force_through_2025(led)
    finally:
        led.close()
    if subject is None:
        raise SystemExit(f"{tag}: no body is in force through 2025-06..12 to record a fact about")
    times = []
    for n in range(runs):
        args = [
            "record",
            "fact-recorded",
            subject,
            "benchmark_probe",
            f"{tag}-{n}-{uuid.uuid4().hex[:8]}",
        ]
        args += [
            "--effective",
            "2025-06",
            "--source",
            "benchmark:run.py",
            "--reason",
            "append probe",
        ]
        args += ["--by", "benchmark"]
        times.append(timed(args, url).seconds)
    return times


def concurrent_writers(engine: str, work: Path, keep: bool, processes: int, per: int) -> Writers:
    """`processes` writers recording `per` changes each, one per transaction, half on bodies of
    their own and half on two shared bodies, on a fresh store; then 0 lost, 0 duplicated and
    `ledger verify` checked. A failed check is the figure's verdict, not the end of the run."""
    from benchmarks.append import run

    result = Writers(processes, per)
    with store(engine, "writers", work, keep) as url, tempfile.TemporaryDirectory(dir=work) as tmp:
        try:
            result.wall, result.phase, result.accepted = run(url, processes, per, Path(tmp))
        except SystemExit as failed:
            result.failure = str(failed.code)
    return result


def _in_force_through_2025(led: Any) -> str | None:
    """A body in force all through 2025-06..2025-12 (so a fact effective 2025-06 is never
    refused), found with `show` from the middle of the organisations by id outwards: the whole
    country's structure, twice, would cost a minute of a million-change run."""
    from sqlalchemy import select

    from ledger.adapters.tables import entities
    from ledger.views.axes import Axes

    with led.app.engine.connect() as conn:
        ids = list(
            conn.execute(
                select(entities.c.id)
                .where(entities.c.entity == "organisation")
                .order_by(entities.c.id)
            ).scalars()
        )
    middle = len(ids) // 2
    for step in range(min(len(ids), 2_000)):
        candidate = ids[middle + (step + 1) // 2 * (1 if step % 2 else -1)]
        if all(
            led.queries.show(candidate, Axes(on=day))["organisation"]["in_force"]
            for day in (date(2025, 6, 1), date(2025, 12, 31))
        ):
            return str(candidate)
    return None


# --- baselines (once per run, on one store's events) ----------------------------------------


@dataclass
class Floor:
    """What any import of the change files costs at least, without a ledger."""

    changes: int = 0
    seconds: float = 0.0
    files: int = 0
    total_files: int = 0
    budget_hit: bool = False

    @property
    def rate(self) -> float | None:
        return self.changes / self.seconds if self.seconds else None


@dataclass
class Baselines:
    bare_changes: int = 0
    bare_seconds: float = 0.0
    bare_budget_hit: bool = False
    floor: Floor = field(default_factory=Floor)
    decode_events: int = 0
    decode_seconds: float = 0.0


def bare_eventsourcing(url: str, work: Path, prefix_changes: int, budget: float) -> Baselines:
    """The same events saved by a bare eventsourcing Application on its default SQLite recorder,
    one save (one transaction) per change: what a user would hand-roll. It validates nothing."""
    from eventsourcing.application import Application

    from ledger.adapters.mapper import PydanticMapper

    class Bare(Application[uuid.UUID]):
        def construct_mapper(self) -> Any:
            return PydanticMapper()  # the ledger's events, serialised as the ledger stores them

    mapper = PydanticMapper()
    path = work / "bare-eventsourcing.db"
    for stale in work.glob("bare-eventsourcing.db*"):
        stale.unlink()
    app = Bare(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)})
    result = Baselines()
    group: list[Any] = []
    current: Any = None
    deadline = time.perf_counter() + budget

    def save() -> None:
        started = time.perf_counter()
        app.save(*group)
        result.bare_seconds += time.perf_counter() - started
        result.bare_changes += 1

    try:
        for batch in stored_batches(url):
            decoded = [mapper.to_domain_event(stored) for _, stored in batch]  # not timed
            for event in decoded:
                change = getattr(event, "change_id", None)
                if group and change != current:
                    save()
                    group = []
                    if result.bare_changes >= prefix_changes or time.perf_counter() > deadline:
                        result.bare_budget_hit = result.bare_changes < prefix_changes
                        return result
                group.append(event)
                current = change
        if group:
            save()
        return result
    finally:
        app.close()


def raw_floor(files: list[Path], work: Path, budget: float, recorder: str) -> Floor:
    """The floor of an import, the yardstick of its target: the same change files read and
    parsed; each change's canonical JSON (its file's recorder filled in, as the importer does),
    its id (uuid5 in the ledger's namespace of its label, else of its JSON's SHA-256) and its
    SHA-256 payload, content and chain hashes; one sqlite3 executemany per file, in one transaction, into one table
    keyed by position with a unique index on the change id. Nothing is validated and no read model
    is written. Reading and parsing the files are timed: the import reads them too."""
    from ledger.domain.chain import GENESIS, chain_hash, content_hash, payload_hash
    from ledger.domain.ids import NAMESPACE

    path = work / "raw-floor.db"
    for stale in work.glob("raw-floor.db*"):
        stale.unlink()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(
        "CREATE TABLE changes (position INTEGER PRIMARY KEY, change_id TEXT NOT NULL, "
        "payload BLOB NOT NULL, payload_hash TEXT NOT NULL, content_hash TEXT NOT NULL, "
        "chain_hash TEXT NOT NULL)"
    )
    db.execute("CREATE UNIQUE INDEX changes_by_id ON changes (change_id)")
    result = Floor(total_files=len(files))
    previous, position = GENESIS, 0
    started = time.perf_counter()
    deadline = started + budget
    try:
        for file in files:
            data = json.loads(file.read_bytes())
            default = data.get("recorder", recorder)
            rows = []
            for change in data["changes"]:
                if "recorder" not in change:
                    change = {"recorder": default, **change}
                payload = json.dumps(
                    change, sort_keys=True, separators=(",", ":"), ensure_ascii=False
                ).encode()
                digest = payload_hash(payload)
                change_id = uuid.uuid5(NAMESPACE, "change:" + (change.get("id") or digest)).hex
                position += 1
                content = content_hash(change_id, 1, change.get("change", ""), digest)
                previous = chain_hash(position, previous, content)
                rows.append((position, change_id, payload, digest, content, previous))
            db.execute("BEGIN")
            db.executemany("INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?)", rows)
            db.execute("COMMIT")
            result.files += 1
            result.changes += len(rows)
            if time.perf_counter() > deadline:
                result.budget_hit = result.files < len(files)
                break
        result.seconds = time.perf_counter() - started
        return result
    finally:
        db.close()


# --- the naive in-memory replay -----------------------------------------------------------------


@dataclass
class Naive:
    load_seconds: float = 0.0
    events: int = 0
    total_events: int = 0
    calls: dict[str, list[float]] = field(default_factory=dict)
    agrees: bool | None = None
    difference: str = ""
    row_budget: float = 0.0
    cut: set[str] = field(default_factory=set)  # rows whose first call did not finish in budget
    # Rows not run because they answer through the naive structure, cut on the same axis: each
    # such call is that structure plus a lookup, so it is bounded below as the structure was.
    through_structure: set[str] = field(default_factory=set)
    budget_hit: bool = False


class TimeBoxed(Exception):
    """A naive replay call ran past its budget (raised inside it by a timer signal)."""


@contextmanager
def time_box(seconds: float) -> Iterator[None]:
    """Interrupt pure-Python work after `seconds` (main thread, POSIX): the naive replay can take
    far longer than its budget for a single call on a big log."""

    def interrupt(_signum: int, _frame: Any) -> None:
        raise TimeBoxed

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# The naive replay's answers that are its whole structure and a lookup in it (see `naive_replay`).
ANSWERED_BY_STRUCTURE = ("show", "holders")


def naive_replay(url: str, calls: int, budget: float, seed: int, max_events: int) -> Naive:
    """The same answers from the log held in memory (src/ledger/domain/replay.py): no indexes.

    A decoded event takes about 4 KiB, so past `max_events` only the log's first `max_events`
    events are held, and every answer (the read model's too, for the check) is as known at the
    last of them: the naive replay's cost grows with the log, so the figure is a lower bound."""
    from ledger.adapters.mapper import PydanticMapper
    from ledger.bootstrap import open_ledger
    from ledger.domain.events import ChangeEvent, PostCreated
    from ledger.domain.replay import known_changes, replay_structure
    from ledger.views.axes import Axes

    mapper = PydanticMapper()
    result = Naive()
    started = time.perf_counter()
    history: list[tuple[int, ChangeEvent]] = []
    for rows in stored_batches(url):
        for position, stored in rows[: max_events - len(history)]:
            history.append((position, cast(ChangeEvent, mapper.to_domain_event(stored))))
        if len(history) >= max_events:
            break
    result.load_seconds = time.perf_counter() - started
    result.events = len(history)
    result.total_events = counts(url)[0]
    last = history[-1][0] if history else 1
    as_known = last if result.total_events > len(history) else None
    rng = random.Random(seed)
    organisations = [o for _, e in history for o in _organisations(e)]
    posts = [e.post for _, e in history if isinstance(e, PostCreated)]

    def structure(on: date, known: int | None) -> dict[str, Any]:
        return replay_structure(history, on, known)

    def show(on: date, known: int | None) -> Any:
        org = rng.choice(organisations).hex
        return next((o for o in structure(on, known)["organisations"] if o["id"] == org), None)

    def holders(on: date, known: int | None) -> Any:
        post = rng.choice(posts).hex if posts else ""
        for org in structure(on, known)["organisations"]:
            for held in org.get("posts", []):
                if held.get("id") == post:
                    return held
        return None

    def lineage(on: date, known: int | None) -> Any:
        return _naive_lineage(known_changes(history, known), rng.choice(organisations))

    kinds: dict[str, Callable[[date, int | None], Any]] = {
        "structure": structure,
        "show": show,
        "lineage": lineage,
        "holders": holders,
    }
    per_row = budget / (
        2 * len(kinds) + 1
    )  # each row's share (and the check's); a call is cut at it
    result.row_budget = per_row
    for kind, call in kinds.items():
        for with_known_at in (False, True):
            label = kind + (" --known-at" if with_known_at else "")
            times = result.calls.setdefault(label, [])
            structure_label = "structure" + (" --known-at" if with_known_at else "")
            if kind in ANSWERED_BY_STRUCTURE and structure_label in result.cut:
                result.cut.add(label)
                result.through_structure.add(label)
                result.budget_hit = True
                continue
            deadline = time.perf_counter() + per_row
            for _ in range(calls):
                left = deadline - time.perf_counter()
                if left <= 0:
                    result.budget_hit = True
                    break
                on = QUERY_FIRST_DAY + timedelta(days=rng.randrange(3000, 11000))
                known = rng.randint(1, last) if with_known_at else as_known
                begun = time.perf_counter()
                try:
                    with time_box(left):
                        call(on, known)
                except TimeBoxed:
                    result.budget_hit = True
                    if not times:
                        result.cut.add(label)
                    break
                times.append(time.perf_counter() - begun)
    # The read model must give the naive replay's answer (the check the tests also make), unless
    # the naive structure could not finish within a row's budget, which the check has too.
    if "structure" in result.cut:
        log("  the naive replay's structure was cut at its budget: not compared")
        return result
    led = open_ledger(url)
    try:
        indexed = led.queries.structure(Axes(on=STRUCTURE_DAY, known_at=as_known))
    finally:
        led.close()
    try:
        with time_box(per_row):
            replayed = replay_structure(history, STRUCTURE_DAY, as_known)
    except TimeBoxed:
        log("  the naive replay's structure was cut at its budget: not compared")
        return result
    result.agrees = json.dumps(indexed, sort_keys=True) == json.dumps(replayed, sort_keys=True)
    if not result.agrees:
        result.difference = _first_difference(indexed, replayed)
        log(f"  the read model and the naive replay differ: {result.difference}")
    return result


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    """Where two JSON documents first differ, e.g. organisations[3].sources (for the report)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{path}.{key}" if path else key)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items in the read model, {len(b)} in the replay"
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}[{n}]")
    return f"{path}: {json.dumps(a)[:120]} (read model) vs {json.dumps(b)[:120]} (replay)"


def _organisations(event: Any) -> list[uuid.UUID]:
    return [p.id for p in event.parties() if p.entity == "organisation" and p.role == "establishes"]


def _naive_lineage(changes: list[tuple[int, Any]], org: uuid.UUID) -> list[tuple[Any, Any]]:
    """Every predecessor -> successor edge reachable from `org`, found by scanning the log."""
    edges: list[tuple[uuid.UUID, uuid.UUID]] = []
    for _, event in changes:
        name = type(event).__name__
        if name == "Merged":
            edges += [(p, event.successor) for p in event.predecessors]
        elif name == "Split":
            edges += [(event.source, s) for s in event.successors]
        elif name == "Succeeded":
            edges.append((event.predecessor, event.successor))
    found: list[tuple[Any, Any]] = []
    for forward in (True, False):
        seen, stack = {org}, [org]
        while stack:
            node = stack.pop()
            for a, b in edges:
                here, there = (a, b) if forward else (b, a)
                if here == node:
                    found.append((a, b))
                    if there not in seen:
                        seen.add(there)
                        stack.append(there)
    return found


# --- the report -----------------------------------------------------------------------------------


def _times(ratio: float) -> str:
    return f"{ratio:,.0f}×" if ratio >= 10 else f"{ratio:.2g}×"


def _latency(key: tuple[str, bool], which: str) -> Callable[[EngineFigures], float | None]:
    def value(f: EngineFigures) -> float | None:
        got = f.queries.get(key)
        return float(getattr(got, which)) if got else None

    return value


def _structure_seconds(known: bool) -> Callable[[EngineFigures], float | None]:
    def value(f: EngineFigures) -> float | None:
        return f.structure[known][0].seconds if known in f.structure else None

    return value


def verdict(value: float | None, target: float, higher_is_better: bool) -> str:
    if value is None:
        return "not measured"
    if (value >= target) if higher_is_better else (value <= target):
        return "met"
    if higher_is_better:
        return f"missed: {value / target:.1%} of the target ({_ratio(target / max(value, 1e-9))} short)"
    return f"missed: {_ratio(value / target)} the target"


def _ratio(ratio: float) -> str:
    """How far a figure misses, precise enough that a near miss does not read as 1.0×."""
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.1f}×"


@dataclass
class Target:
    label: str
    value_of: Callable[[EngineFigures], float | None]
    target: float
    higher_is_better: bool
    fmt: str
    on_every_engine: bool = False  # judged on every engine measured, not only the first
    failure_of: Callable[[EngineFigures], str] = lambda f: ""  # why there is no figure

    def cell(self, f: EngineFigures) -> str:
        value = self.value_of(f)
        return (
            "failed" if self.failure_of(f) else self.fmt.format(value) if value is not None else "—"
        )

    def verdict(self, figures: list[EngineFigures]) -> str:
        judged = figures if self.on_every_engine else figures[:1]
        missed = []
        for f in judged:
            failure = self.failure_of(f)
            got = (
                f"missed: {failure}"
                if failure
                else verdict(self.value_of(f), self.target, self.higher_is_better)
            )
            if got != "met":
                missed.append((f.engine, got))
        if not missed:
            return "met"
        if len(judged) == 1:
            return missed[0][1]
        return "missed: " + "; ".join(f"{e}: {v.removeprefix('missed: ')}" for e, v in missed)


def targets(args: argparse.Namespace, floor: Floor, help_median: float | None) -> list[Target]:
    """Every target, in the order the report gives them."""

    def import_rate(f: EngineFigures) -> float | None:
        return f.changes / f.imported.seconds if f.imported else None

    rows = [
        Target("import ≥ 20,000 changes/s", import_rate, 20_000, True, "{:,.0f} changes/s"),
        Target(
            "import ≥ 40% of the raw floor on the same files",
            lambda f: (import_rate(f) or 0) / floor.rate if floor.rate else None,
            0.40,
            True,
            "{:.0%}",
        ),
        Target(
            "rebuild ≥ 50,000 changes/s",
            lambda f: f.changes / f.rebuilt.seconds if f.rebuilt else None,
            50_000,
            True,
            "{:,.0f} changes/s",
        ),
    ]
    rows += [
        Target(
            "structure --on D" + (" --known-at" if known else "") + " ≤ 1 s end to end",
            _structure_seconds(known),
            1.0,
            False,
            "{:.2f} s",
        )
        for known in (False, True)
    ]
    rows += [
        Target(
            f"{kind}{' --known-at' if known else ''} {stat} ≤ {limit:g} ms",
            _latency((kind, known), f"{stat}_ms"),
            limit,
            False,
            "{:.2f} ms",
        )
        for kind in ("show", "lineage", "holders")
        for known in (False, True)
        for stat, limit in (("p50", 1.0), ("p99", 5.0))
    ]

    def writers_of(f: EngineFigures) -> float | None:
        return f.writers.rate if f.writers else None

    rows += [
        Target(
            "ledger record ≤ 0.25 s end to end (big store)",
            lambda f: statistics.median(f.append_big) if f.append_big else None,
            0.25,
            False,
            "{:.2f} s",
        ),
        Target("ledger --help ≤ 0.1 s", lambda f: help_median, 0.1, False, "{:.3f} s"),
        Target(
            f"{args.writers} writers × {args.per_writer:,} changes ≥ 500 changes/s in the append"
            " phase (disjoint and shared bodies; 0 lost, 0 duplicated, chain verifies; every engine)",
            writers_of,
            500,
            True,
            "{:,.0f} changes/s",
            on_every_engine=True,
            failure_of=lambda f: f.writers.failure if f.writers else "",
        ),
        Target(
            "peak memory of import ≤ 1 GiB",
            lambda f: f.imported.peak_mib if f.imported else None,
            1024,
            False,
            "{:,.0f} MiB",
        ),
        Target(
            "peak memory of rebuild ≤ 1 GiB",
            lambda f: f.rebuilt.peak_mib if f.rebuilt else None,
            1024,
            False,
            "{:,.0f} MiB",
        ),
    ]
    return rows


def report(
    args: argparse.Namespace,
    command: str,
    machine_lines: list[str],
    manifest: dict[str, Any],
    figures: list[EngineFigures],
    base: Baselines,
    naive: Naive | None,
    help_times: list[float],
    elapsed: float,
    generation: float,
    profiles: dict[str, list[str]],
) -> str:
    lines = [
        f"Command: `{command}`",
        "",
        "Machine:",
        *machine_lines,
        "",
        f"Workload: `benchmarks/generate.py` size {args.size:,}, seed {args.seed}"
        + (f", {manifest['bodies']:,} bodies" if "bodies" in manifest else "")
        + f" (generated in {generation:.0f} s); the append figure also uses a {args.small_size:,}-change"
        f" store from the same generator, and the writers a store of their own."
        f" Whole run: {elapsed / 60:.1f} min.",
        "",
    ]
    first = figures[0]
    help_median = statistics.median(help_times) if help_times else None
    raw = base.floor
    bare_rate = base.bare_changes / base.bare_seconds if base.bare_seconds else None
    decode_rate = base.decode_events / base.decode_seconds if base.decode_seconds else None

    # Targets first: what a reader wants to know.
    engines = [f.engine for f in figures]
    lines += [
        "### Targets",
        "",
        "Targets are for the SQLite file store: the verdict is for the first engine measured"
        f" ({first.engine}), other engines are recorded beside it; the writers' target holds on"
        " every engine, so its verdict judges each one measured.",
        "",
        "| target | " + " | ".join(engines) + f" | verdict ({first.engine}) |",
        "|---|" + "---|" * len(engines) + "---|",
    ]
    for target in targets(args, raw, help_median):
        cells = " | ".join(target.cell(f) for f in figures)
        lines.append(f"| {target.label} | {cells} | {target.verdict(figures)} |")

    lines += [
        "",
        "### Import",
        "",
        "`ledger import DIR` as a fresh process on an empty store (start-up included), beside the raw"
        " floor measured on the same files.",
        "",
        "| engine | changes | stored events | wall (s) | changes/s | % of the raw floor | peak RSS (MiB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        if f.imported:
            wall = f.imported.seconds
            share = f"{f.changes / wall / raw.rate:.0%}" if raw.rate else "—"
            lines.append(
                f"| {f.engine} | {f.changes:,} | {f.events:,} | {wall:.1f} | "
                f"{f.changes / wall:,.0f} | {share} | {f.imported.peak_mib:,.0f} |"
            )
    lines += [
        "",
        "The raw floor is the import's yardstick: the same change files read and parsed in-process;"
        " per change its canonical JSON (the file's recorder filled in), its id (uuid5 of its label,"
        " else of its JSON's SHA-256), its SHA-256 payload, content and chain hashes; per"
        " file one `sqlite3` executemany in one transaction into one table keyed by position with a"
        " unique index on the change id (WAL, synchronous=NORMAL). It validates nothing and writes"
        " no read model. The bare `eventsourcing` baseline is for information: the"
        f" {first.engine} store's events read back and saved by a bare `Application` on its default"
        " SQLite recorder, one save per change, only the saves timed.",
        "",
        "| yardstick | changes | seconds | changes/s | note |",
        "|---|---|---|---|---|",
        f"| raw floor (the target's) | {raw.changes:,} | {raw.seconds:.1f} | "
        f"{raw.rate or 0:,.0f} | "
        + (
            f"cut at its {args.baseline_budget:.0f} s budget after {raw.files:,} of"
            f" {raw.total_files:,} files: the rate over those"
            if raw.budget_hit
            else f"every file ({raw.total_files:,})"
        )
        + " |",
        f"| bare `eventsourcing` Application (information) | {base.bare_changes:,} | "
        f"{base.bare_seconds:.1f} | {bare_rate or 0:,.0f} | "
        + (
            f"the first {base.bare_changes:,} of {first.changes:,} changes only"
            if base.bare_changes < first.changes
            else "all changes"
        )
        + (f", cut at its {args.baseline_budget:.0f} s budget" if base.bare_budget_hit else "")
        + "; saves only |",
        "",
        "### Rebuild",
        "",
        "`ledger rebuild` as a fresh process (start-up included), beside (for information) the raw rate"
        " of reading the stored events in log order and decoding each with the ledger's mapper"
        " (`to_domain_event`) in-process, the pass that loads the naive replay's log; a change is"
        " stored as one event.",
        "",
        "| engine | changes | wall (s) | changes/s | peak RSS (MiB) |",
        "|---|---|---|---|---|",
    ]
    for f in figures:
        if f.rebuilt:
            lines.append(
                f"| {f.engine} | {f.changes:,} | {f.rebuilt.seconds:.1f} | "
                f"{f.changes / f.rebuilt.seconds:,.0f} | {f.rebuilt.peak_mib:,.0f} |"
            )
    lines.append(
        f"| read + decode ({first.engine}) | {base.decode_events:,} | {base.decode_seconds:.1f} | "
        f"{decode_rate or 0:,.0f} | |"
    )
    lines += [
        "",
        "### Queries on the big store",
        "",
        f"In-process, through the CLI's own functions (`axes`, the query, the view; not the rendering),"
        f" {args.queries:,} calls each on random bodies or posts (structure: {STRUCTURE_CALLS}, the whole"
        f" country each) and random dates {QUERY_FIRST_DAY.year}–"
        f"{QUERY_LAST_DAY.year}; `--known-at` a random log position. Refusals (e.g. a post not yet"
        f" created) are timed like answers. Budget {args.query_budget:.0f} s per row.",
        "",
        "| engine | query | calls | refused | p50 (ms) | p99 (ms) | max (ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        for (kind, known), got in f.queries.items():
            lines.append(
                f"| {f.engine} | {kind}{' --known-at' if known else ''} | {got.calls:,}"
                + (" (budget)" if got.budget_hit else "")
                + f" | {got.refused:,} | {got.p50_ms:.2f} | {got.p99_ms:.2f} | {got.max_ms:.1f} |"
            )
    lines += [
        "",
        f"`ledger structure --on {STRUCTURE_DAY} --format json` for the whole country, as a fresh process"
        " (`--known-at` at 90% of the log):",
        "",
        "| engine | query | bodies in the answer | wall (s) | peak RSS (MiB) |",
        "|---|---|---|---|---|",
    ]
    for f in figures:
        for known, (proc, bodies) in f.structure.items():
            lines.append(
                f"| {f.engine} | structure{' --known-at' if known else ''} | {bodies:,} | "
                f"{proc.seconds:.2f} | {proc.peak_mib:,.0f} |"
            )
    if naive:
        lines += [
            "",
            "Naive in-memory replay of the same kinds of answer (`ledger.domain.replay` over the log"
            f" held in memory, no indexes), on the {first.engine} store: loading and decoding"
            f" {naive.events:,} events took {naive.load_seconds:.1f} s (not included below)"
            + (
                f"; that is the log's first {naive.events:,} of {naive.total_events:,} events"
                f" (`--naive-events`, about 4 KiB each in memory), so its answers are as known at"
                f" the last of them and its times are a lower bound for the whole log"
                if naive.total_events > naive.events
                else ""
            )
            + ";"
            f" up to {args.naive_calls} calls per row within {args.naive_budget:.0f} s in all"
            + (" (budget reached: rows with fewer calls were cut)" if naive.budget_hit else "")
            + (
                "; "
                + " and ".join(f"`{k}`" for k in sorted(naive.through_structure))
                + " were not run: the naive replay answers them with its whole structure and a"
                " lookup in it, and that structure was cut on the same axis, so their bound is"
                " the structure's"
                if naive.through_structure
                else ""
            )
            + ". Its structure"
            + (
                " was cut at its budget, not compared"
                if naive.agrees is None
                else " agrees"
                if naive.agrees
                else " DOES NOT agree"
            )
            + f" with the read model's on {STRUCTURE_DAY}"
            + (f"; first difference at {naive.difference}" if naive.difference else "")
            + ".",
            "",
            f"| answer | naive calls | naive median (ms) | indexed p50 in-process, {first.engine} (ms) | naive / indexed |",
            "|---|---|---|---|---|",
        ]
        for kind, times in naive.calls.items():
            indexed = first.queries.get((kind.split()[0], "--known-at" in kind))
            median = statistics.median(times) * 1000 if times else None
            floor = "> " if kind in naive.cut else ""  # a lower bound: the first call was cut
            if floor:
                median = naive.row_budget * 1000
            ratio = (
                floor + _times(median / indexed.p50_ms)
                if median and indexed and indexed.p50_ms
                else "—"
            )
            lines.append(
                f"| {kind} | {len(times)} | "
                + (f"{floor}{median:,.1f}" if median is not None else "—")
                + f" | {f'{indexed.p50_ms:,.1f}' if indexed else '—'} | {ratio} |"
            )
    lines += [
        "",
        "### Append and start-up",
        "",
        f"`ledger record fact-recorded` end to end (process start included), median of {args.appends}"
        f" runs, on a {args.small_size:,}-change store and on the big store (their ratio for"
        f" information); `ledger --help`, median of {len(help_times)} runs.",
        "",
        "| engine | small store changes | record, small (s) | record, big (s) | big / small |",
        "|---|---|---|---|---|",
    ]
    for f in figures:
        if f.append_small and f.append_big:
            small, big = statistics.median(f.append_small), statistics.median(f.append_big)
            lines.append(
                f"| {f.engine} | {f.small_changes:,} | {small:.2f} | {big:.2f} | {big / small:.2f}× |"
            )
    if help_median is not None:
        lines += ["", f"`ledger --help`: {help_median:.3f} s (min {min(help_times):.3f} s)."]
    lines += [
        "",
        f"Concurrent writers (`benchmarks/append.py`): {args.writers} processes on a fresh store,"
        f" each recording {args.per_writer:,} changes one per transaction through the application,"
        " half on bodies of its own and half on two shared bodies; they open the store, then start"
        " together. The append phase runs from the first append to the last; the wall time"
        " includes start-up. Then every accepted change must be stored exactly once and"
        " `ledger verify` must pass.",
        "",
        "| engine | changes accepted | wall (s) | append phase (s) | changes/s in the append phase | checks |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        if w := f.writers:
            lines.append(
                f"| {f.engine} | {w.accepted:,} of {w.processes * w.per_writer:,} | {w.wall:.1f} | "
                f"{w.phase:.2f} | {f'{w.rate:,.0f}' if w.rate else '—'} | "
                + (f"FAILED: {w.failure}" if w.failure else "0 lost, 0 duplicated, verify passed")
                + " |"
            )
    for title, rows in profiles.items():
        lines += [
            "",
            f"Profile of {title} (cProfile, the functions with the most time of their own; times"
            " inflated by profiling):",
            "",
            "| function | calls | own s (share) | cumulative s |",
            "|---|---|---|---|",
            *rows,
        ]
    lines += [
        "",
        f"Budgets: raw floor {args.baseline_budget:.0f} s; bare eventsourcing baseline at most"
        f" {args.baseline_changes:,} changes and {args.baseline_budget:.0f} s; read + decode none (one pass over the log, which loads the"
        f" naive replay's log); queries {args.query_budget:.0f} s per row; naive replay"
        f" {args.naive_budget:.0f} s after loading, shared equally by its rows and the check, a call"
        " past its row's share cut (shown as > the share).",
    ]
    return "\n".join(lines)


def generated(size: int, directory: Path, seed: int) -> dict[str, Any]:
    """The change files for (size, seed): reused from an earlier run in the same --workdir."""
    manifest_path = directory / "manifest.json"
    if manifest_path.exists():
        manifest: dict[str, Any] = json.loads(manifest_path.read_text())
        if (
            manifest.get("requested_size", manifest.get("size")) == size
            and manifest.get("seed") == seed
        ):
            log(f"reusing the {size:,} changes already generated in {directory}")
            return manifest
        shutil.rmtree(directory)
    log(f"generating {size:,} changes into {directory}")
    begun = time.perf_counter()
    manifest = generate(size, directory, seed=seed)
    log(f"generated in {time.perf_counter() - begun:.1f} s")
    return manifest


# --- the run --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="changes to generate")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--engine", action="append", choices=["sqlite", "postgresql"], help="repeatable"
    )
    parser.add_argument("--write-results", action="store_true")
    parser.add_argument(
        "--section",
        default=SECTION,
        help=f"the RESULTS.md section --write-results replaces (default: {SECTION!r}); e.g. to keep "
        "a run on another engine or size beside the main one",
    )
    parser.add_argument("--workdir", type=Path, help="where the files and SQLite stores go")
    parser.add_argument("--keep", action="store_true", help="keep the work directory and databases")
    parser.add_argument("--queries", type=int, default=1000, help="calls per query figure")
    parser.add_argument("--query-budget", type=float, default=30.0, help="seconds per query figure")
    parser.add_argument("--baseline-changes", type=int, default=50_000)
    parser.add_argument("--baseline-budget", type=float, default=120.0, help="seconds per baseline")
    parser.add_argument("--naive-calls", type=int, default=3, help="calls per naive replay row")
    parser.add_argument("--naive-budget", type=float, default=180.0)
    parser.add_argument(
        "--naive-events",
        type=int,
        default=100_000,
        help="most events the naive replay holds in memory (about 4 KiB each)",
    )
    parser.add_argument(
        "--small-size",
        type=int,
        default=10_000,
        help="changes in the store the append figure compares with",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile (first engine) the small store's import, rebuild and structure",
    )
    parser.add_argument("--appends", type=int, default=5, help="ledger record runs per store")
    parser.add_argument("--writers", type=int, default=8, help="concurrent writer processes")
    parser.add_argument("--per-writer", type=int, default=100, help="changes each writer records")
    args = parser.parse_args(argv)
    engines = args.engine or ["sqlite"]
    given = sys.argv[1:] if argv is None else argv
    command = shlex.join(["python", "benchmarks/run.py", *given])
    started = time.perf_counter()
    machine_lines = machine(engines)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="ledger-national-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        big_dir, small_dir = work / f"changes-{args.size}", work / f"changes-{args.small_size}"
        begun = time.perf_counter()
        manifest = generated(args.size, big_dir, args.seed)
        generation = time.perf_counter() - begun
        generated(args.small_size, small_dir, args.seed)
        figures: list[EngineFigures] = []
        base = Baselines()
        naive: Naive | None = None
        profiles: dict[str, list[str]] = {}
        for engine in engines:
            with store(engine, "big", work, args.keep) as url:
                f = EngineFigures(engine, url)
                figures.append(f)
                log(f"{engine}: ledger import ({args.size:,} changes)")
                f.imported = timed([*import_args(big_dir), "--by", "benchmark"], url)
                f.events, f.changes = counts(url)
                log(
                    f"{engine}: imported {f.changes:,} changes ({f.events:,} events) in "
                    f"{f.imported.seconds:.1f} s = {f.changes / f.imported.seconds:,.0f} changes/s, "
                    f"peak {f.imported.peak_mib:,.0f} MiB"
                )
                log(f"{engine}: ledger rebuild")
                f.rebuilt = timed(["rebuild"], url)
                log(f"{engine}: rebuilt in {f.rebuilt.seconds:.1f} s")
                log(f"{engine}: queries in-process")
                f.queries = query_latencies(url, args.queries, args.seed, args.query_budget)
                for known in (False, True):
                    f.structure[known] = structure_end_to_end(url, work, known, f.events)
                    log(
                        f"{engine}: structure{' --known-at' if known else ''}: "
                        f"{f.structure[known][0].seconds:.2f} s, {f.structure[known][1]:,} bodies"
                    )
                if engine == engines[0]:
                    log("the raw floor on the same change files")
                    base.floor = raw_floor(
                        change_files(big_dir), work, args.baseline_budget, "benchmark"
                    )
                    log(
                        f"  raw floor: {base.floor.changes:,} changes in {base.floor.seconds:.1f} s"
                        + (" (cut at its budget)" if base.floor.budget_hit else "")
                    )
                    log(f"bare eventsourcing baseline on the {engine} store's events")
                    bare = bare_eventsourcing(
                        url, work, args.baseline_changes, args.baseline_budget
                    )
                    base.bare_changes = bare.bare_changes
                    base.bare_seconds, base.bare_budget_hit = (
                        bare.bare_seconds,
                        bare.bare_budget_hit,
                    )
                    log(
                        f"  bare eventsourcing: {base.bare_changes:,} changes in {base.bare_seconds:.1f} s"
                    )
                    log("naive in-memory replay")
                    naive = naive_replay(
                        url, args.naive_calls, args.naive_budget, args.seed, args.naive_events
                    )
                    # Loading the naive replay's log is the raw read-and-decode pass.
                    base.decode_events, base.decode_seconds = naive.events, naive.load_seconds
                    log(f"  read + decode: {naive.events:,} events in {naive.load_seconds:.1f} s")
                log(f"{engine}: ledger record on the big store")
                f.append_big = appends(url, args.appends, f"{engine}-big")
                if args.profile and engine == engines[0]:
                    log(f"{engine}: profiling rebuild and structure on the big store")
                    profiles[f"`ledger rebuild` ({engine}, {f.events:,} events)"] = profiled(
                        ["rebuild"], url, work / "rebuild.prof"
                    )
                    profiles[f"`ledger structure --on {STRUCTURE_DAY}` ({engine})"] = profiled(
                        ["structure", "--on", STRUCTURE_DAY.isoformat(), "--format", "json"],
                        url,
                        work / "structure.prof",
                    )
            with store(engine, "small", work, args.keep) as url:
                if args.profile and engine == engines[0]:
                    log(f"{engine}: profiling the import of the {args.small_size:,}-change store")
                    profiles[f"`ledger import` ({engine}, {args.small_size:,} changes)"] = profiled(
                        [*import_args(small_dir), "--by", "benchmark"], url, work / "import.prof"
                    )
                else:
                    timed([*import_args(small_dir), "--by", "benchmark"], url)
                _, f.small_changes = counts(url)
                log(f"{engine}: ledger record on the {args.small_size:,}-change store")
                f.append_small = appends(url, args.appends, f"{engine}-small")
            log(f"{engine}: {args.writers} writers × {args.per_writer:,} changes on a fresh store")
            f.writers = concurrent_writers(engine, work, args.keep, args.writers, args.per_writer)
            log(
                f"{engine}: writers: "
                + (
                    f"FAILED: {f.writers.failure}"
                    if f.writers.failure
                    else f"{f.writers.accepted:,} changes in {f.writers.phase:.2f} s"
                )
            )
        help_times = [timed(["--help"]).seconds for _ in range(7)]
        text = report(
            args,
            command,
            machine_lines,
            manifest,
            figures,
            base,
            naive,
            help_times,
            time.perf_counter() - started,
            generation,
            profiles,
        )
        print(text)
        if args.write_results:
            replace_section(ROOT / "benchmarks" / "RESULTS.md", args.section, text)
            log("wrote benchmarks/RESULTS.md")
    finally:
        if args.keep or args.workdir:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
