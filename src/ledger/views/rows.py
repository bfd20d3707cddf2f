"""What a question reads of the read model: a fact row, and a period paired from two of them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from ledger.adapters.tables import day_of
from ledger.domain.timeline import pair


@dataclass
class Row:
    change: str
    subject: str
    aspect: str
    other: str | None
    value: str | None
    extra_json: str | None  # parsed only when asked (`extra`): most rows never are
    eff: date
    effective: str
    position: int
    planned: bool
    # A period's row (views/snapshot.py) past its last evidence: that day. None for a fact row.
    last_seen: date | None = None

    @cached_property
    def extra(self) -> dict[str, Any] | None:
        return json.loads(self.extra_json) if self.extra_json else None


# The columns a Row is made of, in its fields' order: rows are read by position, not by name
# (a lookup by name on each column of each row was most of the cost of reading a whole country).
ROW_COLUMNS = ("change_id", "subject", "aspect", "other", "value", "extra", "eff_start",
               "effective", "known_from", "planned")  # fmt: skip


def row_of(r: Any) -> Row:
    change, subject, aspect, other, value, extra, eff, effective, position, planned = r
    return Row(
        change,
        subject,
        aspect,
        other,
        value,
        extra,
        day_of(eff),
        effective,
        position,
        bool(planned),
    )


def rows_from(result: Any) -> list[Row]:
    """Rows straight from the driver's cursor: `row_of` converts the date and the flag itself, and
    a whole country is about a million rows, a third of whose reading was SQLAlchemy's per-row
    fetching and processing."""
    return [row_of(r) for r in result.cursor]


@dataclass
class Period:
    start: Row
    end: Row | None = None
    # The day of its last evidence, where that came before the days asked about (it has no
    # recorded end, and nothing shows it holding then: presumed). None: in force.
    last_seen: date | None = None

    @property
    def standing(self) -> str:
        return "presumed" if self.last_seen is not None else "in force"

    def overlaps(self, first: date, last: date) -> bool:
        """Whether it was in force on any day from `first` to `last` (one day: the same twice)."""
        return self.start.eff <= last and (self.end is None or self.end.eff > first)


def periods_of(marks: list[tuple[Row, bool]]) -> list[Period]:
    """Pair opening and closing rows into periods, by the timeline's rule."""
    marks.sort(key=lambda m: (m[0].eff, m[0].position))
    return [Period(s.basis, s.closer) for s in pair(marks, _eff)]


def _eff(row: Row) -> date:
    return row.eff
