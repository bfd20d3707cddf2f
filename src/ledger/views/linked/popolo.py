"""The ledger's knowledge as Popolo JSON (popoloproject.com): organizations, persons, posts and
memberships with their start and end dates, each with its sources. docs/linked-data.md says how.

Popolo dates are exact at a day, a month or a year: a date the ledger holds only as a bound (`by:`,
`after:`) or an observation (`as-at:`) leaves the Popolo date out (unknown), and the ledger's
own text is kept beside it (`ledger_start`, `ledger_end`); a quarter is given as its year.
"""

from __future__ import annotations

from typing import Any

from ledger.domain.dates import parse_stored
from ledger.views.linked.knowledge import Knowledge
from ledger.views.rows import Row


def popolo_date(text: str) -> str | None:
    """A ledger date as Popolo writes one (YYYY, YYYY-MM or YYYY-MM-DD), or None where the
    sources give only a bound or an observation."""
    e = parse_stored(text)
    if e.evidence != "exact":
        return None
    if e.precision in ("day", "month", "year"):
        return e.day_text()
    return f"{e.start.year:04d}"  # a quarter: its year, the narrowest Popolo can say


def document(k: Knowledge, base: str) -> dict[str, Any]:
    """Organizations, persons, posts and memberships, as Popolo's JSON arrays."""
    cited = {c.id: c.sources for c in k.changes}

    def sources(*rows: Row | None) -> list[dict[str, str]]:
        found: dict[tuple[str, str], dict[str, str]] = {}
        for row in rows:
            if row is None:
                continue
            for s in cited.get(row.change, []):
                key = (s["source"], s["locator"])
                if key not in found:
                    found[key] = {"url": f"{base}source/{s['source']}", "note": _note(k, s)}
        return list(found.values())

    def dates(start: Row, end: Row | None) -> dict[str, Any]:
        found: dict[str, Any] = {}
        begun = popolo_date(start.effective)
        if begun is not None:
            found["start_date"] = begun
        if begun is None or parse_stored(start.effective).precision == "quarter":
            found["ledger_start"] = start.effective
        if end is not None:
            ended = popolo_date(end.effective)
            if ended is not None:
                found["end_date"] = ended
            if ended is None or parse_stored(end.effective).precision == "quarter":
                found["ledger_end"] = end.effective
        return found

    organizations = []
    for org in k.organisations():
        life = k.life(org)
        node: dict[str, Any] = {"id": org, "name": k.name(org)}
        others = [
            {"name": n.name, "note": n.note or n.type}
            | _renamed(dates(n.start, n.end), "start_date", "end_date")
            for n in k.names.get(org, [])
            if n.type != "formal"
        ]
        if others:
            node["other_names"] = others
        codes = k.world.codes.get(org, {})
        if codes:
            node["identifiers"] = [{"identifier": codes[s], "scheme": s} for s in sorted(codes)]
        kinds = k.kinds(org)
        if kinds:
            node["classification"] = kinds[-1].start.value
        span = dates(life.start, life.end)
        if life.start.aspect == "start" and "start_date" in span:
            node["founding_date"] = span["start_date"]
        if "end_date" in span:
            node["dissolution_date"] = span["end_date"]
        node["sources"] = sources(life.start, life.end)
        organizations.append(node)

    posts = []
    for post, p in k.posts():
        posts.append(
            {
                "id": post,
                "label": p.start.value,
                "role": p.start.value,
                "organization_id": p.start.other,
                **dates(p.start, p.end),
                "sources": sources(p.start, p.end),
            }
        )

    memberships = []
    for member, body, p in k.memberships():
        entry: dict[str, Any] = {
            "id": f"{p.start.change}-{member}-{body}",
            "member": {"@type": "Organization", "id": member},
            "organization_id": body,
        }
        if p.start.value:
            entry["role"] = p.start.value
        memberships.append(entry | dates(p.start, p.end) | {"sources": sources(p.start, p.end)})
    people = set()
    for h in k.holdings():
        people.add(h.person)
        post_row = k.world.posts.get(h.post)
        flags = [f for f in ("interim", "acting", "shadow") if (h.start.extra or {}).get(f)]
        entry = {
            "id": f"{h.start.change}-{h.post}-{h.person}",
            "person_id": h.person,
            "post_id": h.post,
            "organization_id": post_row.other if post_row is not None else None,
            "role": post_row.value if post_row is not None else None,
        }
        if flags:
            entry["label"] = f"{', '.join(flags)} {entry['role'] or ''}".strip()
        memberships.append(entry | dates(h.start, h.end) | {"sources": sources(h.start, h.end)})

    people |= {e for e, (entity, _) in k.entity.items() if entity == "person"}
    persons = [
        {"id": person, "name": k.entity.get(person, ("person", person))[1]}
        for person in sorted(people, key=lambda e: (k.entity.get(e, ("", e))[1], e))
    ]
    return {
        "organizations": organizations,
        "persons": persons,
        "posts": posts,
        "memberships": memberships,
    }


def _renamed(found: dict[str, Any], start: str, end: str) -> dict[str, Any]:
    """Popolo's other names take only start and end dates: the ledger's own texts are dropped."""
    return {key: value for key, value in found.items() if key in (start, end)}


def _note(k: Knowledge, cited: dict[str, str]) -> str:
    """A source as a note: its title and date where registered, and where in it."""
    data = k.sources.get(cited["source"])
    if data is None:
        return f"{cited['source']}: {cited['locator']}"
    return f"{data['title']} ({data['issued_by']}, {data['published']}): {cited['locator']}"
