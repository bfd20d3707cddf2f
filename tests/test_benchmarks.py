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

WRITERS, PER_WRITER = 2, 10  # tiny, like the rest of the run

# The targets table, row by row: each label starts with one of these, in this order.
FIGURES = [
    "import ≥ 20,000 changes/s",
    "import ≥ 40% of the raw floor",
    "rebuild ≥ 50,000 changes/s",
    "structure --on D ≤ 1 s end to end",
    "structure --on D --known-at ≤ 1 s end to end",
    *(
        f"{query}{axis} {stat}"
        for query in ("show", "lineage", "holders")
        for axis in ("", " --known-at")
        for stat in ("p50 ≤ 1 ms", "p99 ≤ 5 ms")
    ),
    "ledger record ≤ 0.25 s end to end (big store)",
    "ledger --help ≤ 0.1 s",
    f"{WRITERS} writers × {PER_WRITER} changes ≥ 500 changes/s in the append phase",
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
    args += ["--baseline-budget", "10", "--writers", str(WRITERS), "--per-writer", str(PER_WRITER)]
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
    table = out.split("### Targets", 1)[1].split("###", 1)[0]
    rows = [
        line for line in table.splitlines() if line.startswith("| ") and "| target |" not in line
    ]
    assert len(rows) == len(FIGURES), "\n".join(rows)
    for figure, row in zip(FIGURES, rows, strict=True):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[0].startswith(figure), f"expected a row for {figure!r}, got: {row}"
        assert cells[1] not in ("—", "failed"), f"{figure!r} was not measured: {row}"
        assert cells[-1] == "met" or cells[-1].startswith("missed"), row
    for section in (
        "### Import",
        "### Rebuild",
        "### Queries on the big store",
        "### Append and start-up",
    ):
        assert section in out, section
    for baseline in ("raw floor", "bare `eventsourcing` Application", "read + decode"):
        assert baseline in out, baseline
    assert "events/s" not in out
    assert "0 lost, 0 duplicated, verify passed" in out
    assert "Naive in-memory replay" in out
    # Without --write-results the recorded results are left alone.
    assert results.read_text(encoding="utf-8") == before
