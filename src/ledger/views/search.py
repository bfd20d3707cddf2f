"""`search`: what a piece of text may refer to, across the ledger: bodies by every name they have
had (formal, former, aliases, designations, codes), posts, people, functions, the sources the
changes cite, and changes by label or id; the closest first.

A match scores 100 when it is the whole name, 95 when a name begins with it, 90 when a word of a
name does, 85 when a name holds it anywhere, and otherwise how alike the two are (rapidfuzz's
partial ratio, under 85), down to `CUTOFF`. Each thing is listed once, under its best match.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.engine import Connection

from ledger.adapters.tables import changes, entities, fold, names

CUTOFF = 75
_ORDER = {"organisation": 0, "post": 1, "person": 2, "function": 3, "source": 4, "change": 5}


def words(text: str) -> str:
    """Text as it is compared: folded, and a label's hyphens and underscores read as spaces."""
    return fold(text.replace("-", " ").replace("_", " "))


def score(query: str, text: str) -> int:
    """How well the query matches a name, both as `words` gives them, 0 to 100 (see the module's
    docstring)."""
    if text == query:
        return 100
    if text.startswith(query):
        return 95
    if any(word.startswith(query) for word in text.replace(",", " ").split()):
        return 90
    if query in text:
        return 85
    return min(84, round(fuzz.partial_ratio(query, text))) if len(query) > 2 else 0


def search(conn: Connection, text: str, limit: int = 20) -> dict[str, Any]:
    """The things `text` may refer to, best first (at most `limit`)."""
    query = words(text)
    best: dict[tuple[str, str], dict[str, Any]] = {}

    def consider(kind: str, key: str, name: str, matched: str, detail: str | None) -> None:
        found = score(query, words(matched)) if query else 0
        if found < CUTOFF:
            return
        held = best.get((kind, key))
        if held is None or found > held["score"]:
            best[(kind, key)] = {
                "type": kind,
                "id": key,
                "name": name,
                "matched": matched,
                "score": found,
                "detail": detail,
            }

    known = {
        r.id: r
        for r in conn.execute(
            select(entities.c.id, entities.c.entity, entities.c.name, entities.c.parent)
        )
    }
    for entity_id, label, scheme in conn.execute(
        select(names.c.entity_id, names.c.name, names.c.scheme)
    ):
        entity = known.get(entity_id)
        if entity is None:
            continue
        if entity.entity == "post":
            parent = known.get(entity.parent)
            where = parent.name if parent is not None else None
            consider("post", entity_id, entity.name, label, where)
            if where:
                consider("post", entity_id, entity.name, f"{label}, {where}", where)
        else:
            detail = f"{scheme} code" if scheme else None
            consider(entity.entity, entity_id, entity.name, label, detail)
    for source, cited in _sources(conn):
        consider("source", source, source, source, f"cited by {cited} changes")
    if query:
        for change_id, label, kind, effective in _changes(conn, text):
            detail = f"{kind} {effective}"
            if _hex_prefix(text) and change_id.startswith(_hex_prefix(text)):
                consider("change", change_id, label or change_id[:8], text, detail)
            if label:
                consider("change", change_id, label, label, detail)
    ranked = sorted(
        best.values(),
        key=lambda m: (-m["score"], _ORDER[m["type"]], m["name"].casefold()),
    )
    return {"query": text, "matches": ranked[:limit], "more": max(0, len(ranked) - limit)}


def _sources(conn: Connection) -> Iterable[tuple[str, int]]:
    """Each source id the changes cite, with how many changes cite it."""
    cited: dict[str, int] = {}
    for (listed,) in conn.execute(select(changes.c.sources)):
        for source in {s["source"] for s in json.loads(listed)}:
            cited[source] = cited.get(source, 0) + 1
    return sorted(cited.items())


def _changes(conn: Connection, query: str) -> Iterable[Any]:
    """The changes whose label is like the query, or whose id starts with it."""
    rows = conn.execute(
        select(changes.c.change_id, changes.c.label, changes.c.kind, changes.c.effective)
    )
    prefix = _hex_prefix(query)
    return [r for r in rows if r.label or (prefix and r.change_id.startswith(prefix))]


def _hex_prefix(query: str) -> str:
    """The query as the start of a change id (six hex digits at least), or ''."""
    key = query.strip().lower().replace("-", "")
    return key if len(key) >= 6 and all(c in "0123456789abcdef" for c in key) else ""
