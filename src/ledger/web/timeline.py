"""A body's lineage drawn as a timeline, in SVG made on the server: each body a bar along time from
its first name to its last (open where it still stands), each merger, split or succession a join
between the bars at its date, each bar a link to the body's page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from markupsafe import Markup, escape

from ledger.domain.dates import InvalidDate, parse_day

WIDTH = 960
ROW = 34
TOP = 30
LEFT = 12
RIGHT = 12
COLOURS = {"merged": "#b03a2e", "split": "#2e5fb0", "succeeded": "#555555"}


@dataclass
class Life:
    """A body's span along time, as its names give it: `end` is the first day it no longer holds
    (None: it still does)."""

    id: str
    name: str
    start: date
    end: date | None

    def last_day(self, today: date) -> date:
        """The last day it stood (today, where it still does)."""
        return self.end - timedelta(days=1) if self.end else today


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return parse_day(text)
    except InvalidDate:
        return None


def lives(names: list[dict[str, Any]]) -> dict[str, Life]:
    """Each body's life from its formal names over time (a lineage's or a `show`'s `names`)."""
    found: dict[str, Life] = {}
    formal = [n for n in names if n["type"] in ("formal", "former", "later")]
    for n in sorted(formal, key=lambda n: _day(n["from"]) or date.min):
        body = n.get("id", "")
        start, end = _day(n["from"]), _day(n.get("to"))
        if start is None:
            continue
        held = found.get(body)
        if held is None:
            found[body] = Life(body, n["name"], start, end)
            continue
        held.name = n["name"]  # its latest name
        held.start = min(held.start, start)
        held.end = None if end is None or held.end is None else max(held.end, end)
    return found


def lineage_svg(lineage: dict[str, Any], link: Callable[[str], str | None], today: date) -> Markup:
    """The timeline of a lineage answer (`ledger lineage --format json`)."""
    subject = lineage["organisation"]["id"]
    found = lives([{**n, "id": n.get("id", subject)} for n in lineage.get("names", ())])
    for e in lineage["edges"]:
        for body, name in ((e["from_id"], e["from"]), (e["to_id"], e["to"])):
            day = _day(e["effective"]) or today
            found.setdefault(body, Life(body, name, day, None))
    if subject not in found:
        found[subject] = Life(subject, lineage["organisation"]["name"], today, None)
    bodies = sorted(found.values(), key=lambda b: (b.start, b.name.casefold()))
    row = {b.id: i for i, b in enumerate(bodies)}
    first = min(b.start for b in bodies)
    last = max([today, *(b.end for b in bodies if b.end)])
    first = date(first.year, 1, 1)
    last = date(last.year + 1, 1, 1)
    span = (last - first).days or 1

    def x(day: date) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (day - first).days / span

    def y(body: str) -> float:
        return TOP + ROW * row[body] + 18

    height = TOP + ROW * len(bodies) + 10
    out = [
        f'<svg class="lineage" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="Lineage of '
        f'{escape(lineage["organisation"]["name"])} along time">'
    ]
    step = max(1, (last.year - first.year) // 12)
    for year in range(first.year, last.year + 1, step):
        tick = x(date(year, 1, 1))
        out.append(
            f'<line class="tick" x1="{tick:.1f}" y1="{TOP - 8}" x2="{tick:.1f}" y2="{height}"/>'
            f'<text class="year" x="{tick + 2:.1f}" y="{TOP - 12}">{year}</text>'
        )
    for b in bodies:
        left, right = x(b.start), x(b.end or last)
        css = "bar subject" if b.id == subject else "bar"
        open_end = "" if b.end else " open"
        label = escape(b.name)
        bar = (
            f'<rect class="{css}{open_end}" x="{left:.1f}" y="{y(b.id) - 7:.1f}" '
            f'width="{max(right - left, 3):.1f}" height="14" rx="3"/>'
            f'<text class="name" x="{min(left, WIDTH - 260):.1f}" y="{y(b.id) - 10:.1f}">{label}</text>'
            f"<title>{label}: {b.start}{' to ' + str(b.end) if b.end else ', still standing'}</title>"
        )
        href = link(b.id)
        if href is not None:
            bar = f'<a class="lineage-body" href="{escape(href)}" data-body="{b.id}">{bar}</a>'
        out.append(bar)
    for e in lineage["edges"]:
        joined = _day(e["effective"])
        if joined is None or e["from_id"] not in row or e["to_id"] not in row:
            continue
        colour = COLOURS.get(e["kind"], "#555555")
        at, y1, y2 = x(joined), y(e["from_id"]), y(e["to_id"])
        out.append(
            f'<g class="join {escape(e["kind"])}"><line x1="{at:.1f}" y1="{y1:.1f}" x2="{at:.1f}" '
            f'y2="{y2:.1f}" stroke="{colour}" stroke-width="2"/>'
            f'<circle cx="{at:.1f}" cy="{y1:.1f}" r="4" fill="{colour}"/>'
            f'<circle cx="{at:.1f}" cy="{y2:.1f}" r="4" fill="{colour}"/>'
            f"<title>{escape(e['from'])} {escape(e['kind'])} {escape(e['to'])}, "
            f"{escape(e['effective'])} ({escape(e['change'])})</title></g>"
        )
    out.append("</svg>")
    return Markup("".join(out))
