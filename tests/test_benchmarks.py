"""The national-scale benchmark runs end to end at a tiny size and prints every figure (timings are not checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.stores import ENGINE

pytestmark = pytest.mark.postgres(
    reason="the benchmark harness makes and drops PostgreSQL stores of its own (--engine postgresql)"
)

ROOT = Path(__file__).resolve().parents[1]

FIGURES = [
    "import ≥ 20,000 events/s",
    "import ≥ 3× the bare eventsourcing baseline",
    "import ≥ 35% of the raw SQLite limit",
    "rebuild ≥ 50,000 events/s",
    *(
        f"{query}{axis} {stat}"
        for query in ("show", "lineage", "holders")
        for axis in ("", " --known-at")
        for stat in ("p50 ≤ 5 ms", "p99 ≤ 20 ms")
    ),
    "structure --on D ≤ 1 s end to end",
    "structure --on D --known-at ≤ 1 s end to end",
    "ledger record ≤ 0.5 s end to end (big store)",
    "ledger record on the big store ≤ 1.5×",
    "ledger --help ≤ 0.2 s",
    "peak memory of import ≤ 1 GiB",
    "peak memory of rebuild ≤ 1 GiB",
]


@pytest.mark.slow
def test_run_prints_every_figure_with_its_baselines(tmp_path: Path) -> None:
    engine = ENGINE  # the harness on the engine under test (its baselines are SQLite either way)
    results = ROOT / "benchmarks" / "RESULTS.md"
    before = results.read_text(encoding="utf-8")
    # Tiny and time-boxed: this checks the harness, not the ledger's speed.
    args = ["--size", "200", "--small-size", "100", "--engine", engine, "--workdir", str(tmp_path)]
    args += ["--queries", "20", "--appends", "2", "--naive-calls", "1", "--naive-budget", "10"]
    args += ["--baseline-budget", "10"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert f"Command: `python benchmarks/run.py {' '.join(args)}`" in out
    for heading in ("CPU:", "RAM", "OS:", "Python", "SQLite", "PostgreSQL"):
        assert heading in out, heading
    targets = {line.split(" | ")[0].lstrip("| "): line for line in out.splitlines() if "|" in line}
    for figure in FIGURES:
        row = next((line for label, line in targets.items() if label.startswith(figure)), None)
        assert row is not None, f"no row for {figure!r}"
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1] != "—", f"{figure!r} was not measured: {row}"
        assert cells[-1] == "met" or cells[-1].startswith("missed"), row
    for section in (
        "### Import",
        "### Rebuild",
        "### Queries on the big store",
        "### Append and start-up",
    ):
        assert section in out, section
    for baseline in (
        "bare `eventsourcing` Application",
        "raw `sqlite3` executemany",
        "read + decode",
    ):
        assert baseline in out, baseline
    assert "Naive in-memory replay" in out
    # Without --write-results the recorded results are left alone.
    assert results.read_text(encoding="utf-8") == before
