"""The national history generator (benchmarks/generate.py): the same seed gives the same files."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.generate import PER_FILE, generate


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_the_same_size_and_seed_give_the_same_files(tmp_path: Path) -> None:
    first = generate(3000, tmp_path / "a")
    second = generate(3000, tmp_path / "b")
    other = generate(3000, tmp_path / "c", seed=8)
    assert first == second
    assert files(tmp_path / "a") == files(tmp_path / "b")
    assert files(tmp_path / "a") != files(tmp_path / "c")
    assert other["seed"] == 8


def test_the_manifest_counts_what_the_files_hold(tmp_path: Path) -> None:
    seen: list[int] = []
    manifest = generate(12_000, tmp_path, bodies=100, progress=seen.append)
    entries = []
    for path in sorted(tmp_path.glob("[0-9]*.json")):
        changes = json.loads(path.read_text())["changes"]
        assert len(changes) <= PER_FILE
        entries.extend(changes)
    assert len(entries) == manifest["size"] == sum(manifest["counts"].values())
    assert manifest["files"] == 2
    assert len({e["id"] for e in entries}) == len(entries)  # every change has its own label
    assert json.loads((tmp_path / "manifest.json").read_text()) == manifest
    assert seen[-1] == manifest["size"]
    # --bodies is the population in force by the end; the bodies closed or merged away on the way
    # were replaced, so more were established over the years.
    assert 90 <= manifest["in_force_at_end"] <= 110
    assert manifest["bodies"] > manifest["in_force_at_end"]
    # About 3% corrections and retractions, about 5% recorded out of effective order.
    amended = manifest["counts"]["corrected"] + manifest["counts"]["retracted"]
    assert 0.02 * manifest["size"] < amended < 0.04 * manifest["size"]
    assert 0.03 * manifest["size"] < manifest["out_of_order"] < 0.07 * manifest["size"]
