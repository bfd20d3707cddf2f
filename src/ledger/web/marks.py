"""How every page shows evidence: a date known only to the month, quarter or year (`~`), a date that
is only a bound or an observation (`by`, `after`, `as at`), a plan, and an item's status (in force,
presumed past its last evidence, unknown) where the answer carries one. One legend explains them.

Each helper takes the JSON of an answer as it is, and shows only what the item says: an answer
without a `status` field shows no status mark.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from ledger.domain.dates import Effective, InvalidDate

# status -> (mark, what it means)
STATUSES = {
    "in force": ("●", "in force: the sources attest it on the date"),
    "presumed": ("◐", "presumed: past its last evidence, with no end recorded"),
    "unknown": ("?", "unknown: the sources neither attest it nor end it on the date"),
}
EVIDENCE = {"by": "by", "after": "after", "as-at": "as at"}

LEGEND = (
    ("●", "ev ev-in-force", "in force"),
    ("◐", "ev ev-presumed", "presumed (past its last evidence, no end recorded)"),
    ("?", "ev ev-unknown", "unknown"),
    ("planned", "planned", "a planned change, not (yet) known to have happened"),
    ("~", "approx", "approximate: known only to the month, quarter or year"),
    ("by", "bound", "on or before the date (as at: seen on the date, start unknown)"),
)


def when(effective: str | None) -> Markup:
    """An effective date as the tables show it: `2015-04 ~`, `by 2018-03 ~`, `as at 2017-10-24`."""
    if not effective:
        return Markup("")
    try:
        date = Effective.parse(effective)
    except InvalidDate:
        return Markup(escape(effective))
    text = escape(date.day_text())
    if date.evidence in EVIDENCE:
        bound = EVIDENCE[date.evidence]
        text = Markup(f'<span class="bound" title="{bound} this date">{bound}</span> {text}')
    if date.approximate:
        text = Markup(
            f'{text} <abbr class="approx" title="approximate: known only to the {date.precision}">'
            "~</abbr>"
        )
    return Markup(f'<time class="effective">{text}</time>')


def evidence(item: Mapping[str, Any] | None) -> Markup:
    """The status mark of an item (with its last evidence, when presumed), and `planned`."""
    if not item:
        return Markup("")
    marks = []
    status = item.get("status")
    if isinstance(status, str) and status in STATUSES:
        mark, meaning = STATUSES[status]
        last = item.get("last_evidence")
        if last:
            meaning += f"; last evidence {last}"
        css = "ev ev-" + status.replace(" ", "-")
        marks.append(f'<span class="{css}" title="{escape(meaning)}">{mark}</span>')
        if status == "presumed" and last:
            marks.append(f'<span class="last-evidence">last evidence {escape(last)}</span>')
    if item.get("planned") or status == "planned":
        marks.append('<span class="planned" title="a planned change">planned</span>')
    return Markup(" ".join(marks))
