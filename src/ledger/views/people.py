"""`person`: every post a person held, with its organisation as it was called then, the dates,
whether the holding was interim, acting or shadow, and the changes and sources it rests on.

Read through the other index (an appointment's row names its holder in `other`), then the few rows
of the posts' organisations.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from ledger.adapters.tables import chunks, entities
from ledger.views.axes import Axes
from ledger.views.naming import formal_on, names_of_bodies
from ledger.views.reading import APPOINTMENT_MARKS, rows_of
from ledger.views.rows import Row, periods_of
from ledger.views.sources import sources_of

_FLAGS = ("interim", "acting", "shadow")
_POSTS = select(entities.c.id, entities.c.name, entities.c.parent).where(
    entities.c.id.in_(bindparam("ids", expanding=True))
)


def person(conn: Connection, who: str, axes: Axes) -> dict[str, Any]:
    """Every post the person held over time, as known at the axes' position, in date order."""
    every = replace(axes, on=date.max, until=None)  # whatever its date; plans and sources as asked
    marks: dict[str, list[tuple[Row, bool]]] = {}
    for r in rows_of(conn, every, "other", who):
        if r.aspect in APPOINTMENT_MARKS:
            marks.setdefault(r.subject, []).append((r, r.aspect == "appt_start"))
    posts: dict[str, Any] = {}
    for chunk in chunks(sorted(marks)):
        posts.update((p.id, p) for p in conn.execute(_POSTS, {"ids": chunk}))
    orgs = {p.parent for p in posts.values() if p.parent}
    named = names_of_bodies(conn, orgs, axes)
    # An organisation's closing ends the appointments still open in it (as `holders` says).
    closed = {
        org: next((n.end for n in found if n.end is not None and n.end.aspect == "end"), None)
        for org, found in named.items()
    }
    held = []
    for post, found in marks.items():
        org = posts[post].parent if post in posts else None
        for period in periods_of(found):
            end = period.end or (closed.get(org) if org else None)
            held.append((post, org, period.start, end))
    held.sort(key=lambda h: (h[2].eff, h[2].position))
    cited = sources_of(conn, {h[2].change for h in held} | {h[3].change for h in held if h[3]})
    name = conn.execute(select(entities.c.name).where(entities.c.id == who)).scalar()
    return {
        "person": {"id": who, "name": name or who},
        "known_at": axes.known_at,
        "posts": [
            _held(post, org, start, end, posts, named, cited) for post, org, start, end in held
        ],
    }


def _held(
    post: str,
    org: str | None,
    start: Row,
    end: Row | None,
    posts: dict[str, Any],
    named: dict[str, Any],
    cited: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    flags = start.extra or {}
    sources = list(cited.get(start.change, {}).get("sources", []))
    if end is not None:
        sources += [s for s in cited.get(end.change, {}).get("sources", []) if s not in sources]
    return {
        "post_id": post,
        "title": posts[post].name if post in posts else post,
        "organisation": (formal_on(named.get(org, []), start.eff) if org else None) or org,
        "organisation_id": org,
        "from": start.effective,
        "to": end.effective if end is not None else None,
        **{flag: bool(flags.get(flag)) for flag in _FLAGS},
        "planned": start.planned or bool(end is not None and end.planned),
        "change": cited.get(start.change, {}).get("change", start.change[:8]),
        "ended_by": cited.get(end.change, {}).get("change") if end is not None else None,
        "sources": sources,
    }
