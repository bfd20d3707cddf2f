"""What an answer cites: the changes it rests on, each with its label and its sources."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from ledger.adapters.tables import changes, chunks

_SOURCES = select(
    changes.c.change_id,
    changes.c.label,
    changes.c.kind,
    changes.c.effective,
    changes.c.position,
    changes.c.sources,
).where(changes.c.change_id.in_(bindparam("ids", expanding=True)))


def sources_of(conn: Connection, change_ids: set[str]) -> dict[str, dict[str, Any]]:
    if not change_ids:
        return {}
    found = {}
    for chunk in chunks(sorted(change_ids)):
        # Straight from the driver's cursor: the whole country cites tens of thousands.
        cursor: Any = conn.execute(_SOURCES, {"ids": chunk}).cursor
        for change, label, kind, effective, position, sources in cursor:
            found[change] = {
                "change": label or change[:8],
                "kind": kind,
                "effective": effective,
                "position": position,
                "sources": json.loads(sources),
            }
    return found


def citations(used: set[str], sources: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each source of each change an answer rests on, in recorded order."""
    cited = []
    for change in sorted(used, key=lambda c: sources.get(c, {}).get("position", 0)):
        info = sources.get(change)
        if not info:
            continue
        seen: set[tuple[str, str]] = set()
        for s in info["sources"]:
            if (s["source"], s["locator"]) not in seen:
                seen.add((s["source"], s["locator"]))
                cited.append(
                    {"source": s["source"], "locator": s["locator"], "change": info["change"]}
                )
    return cited
