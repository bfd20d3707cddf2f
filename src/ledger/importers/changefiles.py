"""Reads YAML or JSON change files into command models, naming the file and entry of any problem."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ledger.application.commands import InvalidChange, parse_change, parse_source
from ledger.application.errors import InvalidInput

SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class ChangeFile:
    path: Path
    requests: list[Any]
    labels: list[str | None]
    registry: bool = False  # a sources file: each entry registers a source


def _registry(path: Path, data: dict[str, Any], default_recorder: str) -> ChangeFile:
    """A sources file: `sources:`, a list of sources (id, title, date, body; optional author,
    kind, file), and an optional `recorder`."""
    unknown = set(data) - {"sources", "recorder"}
    if unknown:
        raise InvalidInput(
            f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))}; expected 'sources'"
        )
    entries = data.get("sources") or []
    if not isinstance(entries, list):
        raise InvalidInput(f"{path}: 'sources' must be a list of sources")
    requests, labels = [], []
    for number, entry in enumerate(entries, start=1):
        label = entry.get("id") if isinstance(entry, dict) else None
        name = f"source {number}" + (f" ({label})" if label else "")
        try:
            request = parse_source(
                {"recorder": data.get("recorder", default_recorder), **entry}
                if isinstance(entry, dict)
                else entry
            )
        except InvalidChange as exc:
            raise InvalidInput(f"{path}: {name}: {exc}") from None
        requests.append(request)
        labels.append(label)
    return ChangeFile(path, requests, labels, registry=True)


def expand(paths: list[Path]) -> Iterator[Path]:
    """Files as given; a directory means its sources registry (`sources.yaml`), then its change
    files in name order (not a generator's manifest)."""
    for path in paths:
        if path.is_dir():
            children = [c for c in sorted(path.iterdir()) if c.suffix in SUFFIXES and c.is_file()]
            yield from (c for c in children if c.stem == "sources")
            yield from (c for c in children if c.stem not in ("sources", "manifest"))
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


class DuplicateKey(ValueError):
    """A mapping in a file that gives the same key twice: which value was meant is unknown."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key repeated in one mapping (PyYAML keeps the last)."""


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if isinstance(key, str | int | float | bool) and key in seen:
            line = key_node.start_mark.line
            entry = _entry_at_line(key_node.start_mark.buffer or "", line)
            where = f" (entry {entry})" if entry else ""
            raise DuplicateKey(f"line {line + 1}{where}: duplicated key {key!r} in one mapping")
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


def _refuse_json_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise DuplicateKey(f"duplicated key {key!r} in one object")
        found[key] = value
    return found


def load_yaml(text: str) -> Any:
    """YAML as the safe loader reads it, a key repeated in one mapping refused (`DuplicateKey`)."""
    return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: builds plain data only


def load(path: Path, default_recorder: str) -> ChangeFile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read file ({exc})") from None
    try:
        data = (
            json.loads(text, object_pairs_hook=_refuse_json_duplicates)
            if path.suffix == ".json"
            else load_yaml(text)
        )
    except DuplicateKey as exc:
        raise InvalidInput(f"{path}: {exc}") from None
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
    if isinstance(data, dict) and "sources" in data and "changes" not in data:
        return _registry(path, data, default_recorder)
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
    first_with: dict[Any, int] = {}  # each id given, and the entry that gave it first
    for number, entry in enumerate(entries, start=1):
        label = entry.get("id") if isinstance(entry, dict) else None
        name = f"entry {number}" + (f" ({label})" if label else "")
        if not isinstance(entry, dict):
            raise InvalidInput(f"{path}: {name}: a change must be a mapping")
        if label is not None and isinstance(label, (str, int)):
            if label in first_with:
                raise InvalidInput(
                    f"{path}: {name}: the id {label!r} is also the id of entry "
                    f"{first_with[label]} of this file; give each change an id of its own"
                )
            first_with[label] = number
        merged = {"recorder": defaults.get("recorder", default_recorder), **entry}
        try:
            requests.append(parse_change(merged))
        except InvalidChange as exc:
            raise InvalidInput(f"{path}: {name}: {exc}") from None
        labels.append(label)
    return ChangeFile(path, requests, labels)
