"""Reads YAML or JSON change files into command models, naming the file and entry of any problem."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ledger.application.commands import InvalidChange, parse_change
from ledger.application.errors import InvalidInput

SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class ChangeFile:
    path: Path
    requests: list[Any]
    labels: list[str | None]


def expand(paths: list[Path]) -> Iterator[Path]:
    """Files as given; a directory means its change files in name order (not its sources registry
    nor a generator's manifest)."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.suffix in SUFFIXES and child.is_file() and not _is_registry(child):
                    yield child
        elif path.exists():
            yield path
        else:
            raise InvalidInput(f"{path}: no such file or directory")


# How deep a change file may nest lists and mappings: a change uses four levels (the file, its list
# of changes, a change, its sources); a deeper file is refused before anything reads it further.
MAX_DEPTH = 16


def _depth(data: Any) -> int:
    """How deeply lists and mappings nest in parsed data (without recursing)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
    return deepest


def _is_registry(path: Path) -> bool:
    return path.stem in ("sources", "manifest")


def _entry_at_line(text: str, line: int) -> int | None:
    """Which list entry (1-based) a line falls in, counting items of the first list in the file."""
    indent = None
    count = 0
    for number, content in enumerate(text.splitlines()):
        if number > line:
            break
        match = re.match(r"^(\s*)- ", content)
        if match:
            if indent is None:
                indent = match.group(1)
            if match.group(1) == indent:
                count += 1
    return count or None


def load(path: Path, default_recorder: str) -> ChangeFile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read file ({exc})") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except RecursionError:
        raise InvalidInput(f"{path}: nested too deeply to be a change file") from None
    except json.JSONDecodeError as exc:
        entry = _entry_at_line(text, exc.lineno - 1)
        where = f" (entry {entry})" if entry else ""
        raise InvalidInput(
            f"{path}: JSON syntax error at line {exc.lineno}{where}: {exc.msg}"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if mark is not None:
            entry = _entry_at_line(text, mark.line)
            where = f" (entry {entry})" if entry else ""
            raise InvalidInput(
                f"{path}: YAML syntax error at line {mark.line + 1}, column {mark.column + 1}{where}: {problem}"
            ) from None
        raise InvalidInput(f"{path}: YAML syntax error: {problem}") from None
    if _depth(data) > MAX_DEPTH:
        raise InvalidInput(
            f"{path}: nested more than {MAX_DEPTH} levels deep; a change file is a list of "
            "mappings of plain values"
        )
    defaults: dict[str, Any] = {}
    if isinstance(data, dict):
        unknown = set(data) - {"changes", "recorder"}
        if unknown:
            raise InvalidInput(
                f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))}; expected 'changes'"
            )
        if "recorder" in data:
            defaults["recorder"] = data["recorder"]
        entries = data.get("changes")
    else:
        entries = data
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise InvalidInput(f"{path}: 'changes' must be a list of changes")
    requests, labels = [], []
    for number, entry in enumerate(entries, start=1):
        label = entry.get("id") if isinstance(entry, dict) else None
        name = f"entry {number}" + (f" ({label})" if label else "")
        if not isinstance(entry, dict):
            raise InvalidInput(f"{path}: {name}: a change must be a mapping")
        merged = {"recorder": defaults.get("recorder", default_recorder), **entry}
        try:
            requests.append(parse_change(merged))
        except InvalidChange as exc:
            raise InvalidInput(f"{path}: {name}: {exc}") from None
        labels.append(label)
    return ChangeFile(path, requests, labels)
