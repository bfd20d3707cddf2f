"""The sources a store has registered (`ledger sources`), and the sources' own time: which changes
were said by sources published by a date (`--published-by`).

A change is known from its earliest source: once any one of the sources it cites is published, the
change is in the answer (a later paper restating it adds nothing to when it was first said). A
source is published by a date when the whole of its publication date is: a source dated "2017-09"
is published by 2017-09-30, not by 2017-09-15. A change citing only sources the store has not
registered has no publication date and is left out of every answer asked `--published-by`.
Corrections and retractions are changes like the others: a correction citing a later paper than
the change it corrects is left out (and with it the corrected change) before that paper.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ledger.adapters.tables import changes
from ledger.application.sources import registered
from ledger.domain.dates import Effective

_CITING = select(
    changes.c.change_id,
    changes.c.label,
    changes.c.kind,
    changes.c.effective,
    changes.c.status,
    changes.c.sources,
    changes.c.superseded_at,
)


def last_day(effective: str) -> date:
    """The last day of a (publication) date at its precision."""
    return Effective.parse(effective).last_day


def published(conn: Connection, by: date) -> frozenset[str]:
    """The ids of the changes one of whose sources was published on or before `by`."""
    dates = {key: last_day(s["published"]) for key, s in registered(conn).items()}
    found = set()
    for change_id, _, _, _, _, sources, _ in conn.execute(_CITING):
        days = [dates[s["source"]] for s in json.loads(sources) if s["source"] in dates]
        if days and min(days) <= by:
            found.add(change_id)
    return frozenset(found)


def sources(conn: Connection, published_by: date | None = None) -> dict[str, Any]:
    """Each source the store has registered (and any its changes cite unregistered), with its
    title, date, issuing body and the changes in force that cite it."""
    found: dict[str, dict[str, Any]] = {}
    for key, data in sorted(registered(conn).items(), key=lambda kv: (kv[1]["published"], kv[0])):
        if published_by is not None and last_day(data["published"]) > published_by:
            continue
        found[key] = {
            "id": key,
            "registered": True,
            "title": data["title"],
            "published": data["published"],
            "issued_by": data["issued_by"],
            "author": data.get("author"),
            "document": data.get("document"),
            "file": data.get("file"),
            "supports": [],
        }
    for change_id, label, kind, effective, status, cited, superseded in conn.execute(
        _CITING.order_by(changes.c.eff_start, changes.c.position)
    ):
        if superseded is not None or kind in ("source_registered", "retracted", "cancelled"):
            continue
        for s in json.loads(cited):
            entry = found.get(s["source"])
            if entry is None:
                if published_by is not None:
                    continue
                entry = found[s["source"]] = {
                    "id": s["source"],
                    "registered": False,
                    "title": None,
                    "published": None,
                    "issued_by": None,
                    "author": None,
                    "document": None,
                    "file": None,
                    "supports": [],
                }
            entry["supports"].append(
                {
                    "change": label or change_id[:8],
                    "kind": kind,
                    "effective": effective,
                    "status": status,
                    "locator": s["locator"],
                }
            )
    return {
        "published_by": published_by.isoformat() if published_by else None,
        "sources": list(found.values()),
    }
