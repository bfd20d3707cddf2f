"""The bundled ledger in events/: every change is sourced from the registry with a locator, every
paper is used, ids are unique, the README's coverage table matches the files, and the directory
imports cleanly and idempotently."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import Cli

EVENTS = Path(__file__).resolve().parents[1] / "events"


def registry() -> list[dict[str, Any]]:
    return list(yaml.safe_load((EVENTS / "sources.yaml").read_text())["sources"])


def change_files() -> list[Path]:
    files = sorted(p for p in EVENTS.glob("*.yaml") if p.name != "sources.yaml")
    assert files, "no change files in events/"
    return files


def changes() -> list[tuple[str, dict[str, Any]]]:
    """(file name, entry) for every change in every change file."""
    found: list[tuple[str, dict[str, Any]]] = []
    for path in change_files():
        doc = yaml.safe_load(path.read_text())
        entries = doc["changes"] if isinstance(doc, dict) else doc
        assert isinstance(entries, list), f"{path.name}: no list of changes"
        found.extend((path.name, entry) for entry in entries)
    return found


def label(file: str, entry: dict[str, Any], index: int | None = None) -> str:
    return f"{file}: {entry.get('id') or f'entry {index}'} ({entry.get('change')})"


def test_the_registry_lists_five_distinct_papers() -> None:
    ids = [s["id"] for s in registry()]
    assert len(ids) == 5
    assert len(set(ids)) == 5, ids


def test_every_change_cites_a_registered_source_with_a_locator() -> None:
    known = {s["id"] for s in registry()}
    offenders = []
    for index, (file, entry) in enumerate(changes()):
        sources = entry.get("sources") or []
        if not sources:
            offenders.append(f"{label(file, entry, index)}: no sources")
        for cited in sources:
            source = cited.get("source") if isinstance(cited, dict) else None
            locator = cited.get("locator") if isinstance(cited, dict) else None
            if source not in known:
                offenders.append(f"{label(file, entry, index)}: unknown source {source!r}")
            if not isinstance(locator, str) or not locator.strip():
                offenders.append(f"{label(file, entry, index)}: {source}: empty locator")
    assert not offenders, "changes without a proper source:\n" + "\n".join(offenders)


def test_every_paper_is_cited() -> None:
    cited = {s["source"] for _, entry in changes() for s in entry.get("sources") or []}
    uncited = [s["id"] for s in registry() if s["id"] not in cited]
    assert not uncited, f"papers in sources.yaml that no change cites: {uncited}"


def test_change_ids_are_unique() -> None:
    seen = Counter(entry["id"] for _, entry in changes() if "id" in entry)
    duplicates = sorted(i for i, n in seen.items() if n > 1)
    assert not duplicates, f"duplicate ids: {duplicates}"


def test_readme_has_a_coverage_row_for_each_paper() -> None:
    readme = (EVENTS / "README.md").read_text()
    rows = {}
    for line in readme.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3:
            rows[cells[0]] = cells
    # What the files say: a change citing a paper twice counts once; citing two papers, under both.
    counts: Counter[str] = Counter()
    kinds: dict[str, Counter[str]] = {}
    for _, entry in changes():
        for source in {s["source"] for s in entry["sources"]}:
            counts[source] += 1
            kinds.setdefault(source, Counter())[entry["change"]] += 1
    problems = []
    for paper in (s["id"] for s in registry()):
        if paper not in rows:
            problems.append(f"{paper}: no row in the coverage table")
            continue
        _, count, breakdown = rows[paper]
        if count != str(counts[paper]):
            problems.append(f"{paper}: README says {count} changes, the files have {counts[paper]}")
        stated = {k: int(n) for k, n in re.findall(r"(\w+) (\d+)", breakdown)}
        if stated != dict(kinds.get(paper, {})):
            problems.append(f"{paper}: README kinds {stated} != files {dict(kinds[paper])}")
    assert not problems, "\n".join(problems)


def test_import_appends_everything_once(
    cli: Cli, store_fingerprint: Callable[[], tuple[int, str, int]]
) -> None:
    total = len(changes())
    assert store_fingerprint() == (0, "", 0)

    first = cli.ok("import", str(EVENTS))
    assert f"total: appended {total} changes from {len(change_files())} files" in first
    after_first = store_fingerprint()
    # The read model's changes: every change, and each source's registration (events/sources.yaml).
    registered = len(yaml.safe_load((EVENTS / "sources.yaml").read_text())["sources"])
    assert after_first[0] > 0 and after_first[2] == total + registered

    again = cli("import", str(EVENTS))
    assert again.exit_code == 0, again.stderr
    assert "nothing new" in again.stdout
    assert f"total: appended 0 changes from {len(change_files())} files" in again.stdout
    assert store_fingerprint() == after_first
