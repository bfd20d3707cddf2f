"""The timeline: validity intervals and the one rule for "in force on D".

Every answer about a date goes through here: the read model's periods are cut by these functions,
and the queries and the test oracle read them back. An interval runs from its start (inclusive) to
its end (exclusive); a missing end means "still open". Each end carries its evidence: `exact` (the
change took effect on that day, or on the first day of its period), `by` (on or before that day)
or `from` (on or after it). Asked about a day, an interval answers in force, not in force, or
unknown: an `exact` interval never answers unknown; a bounded end leaves the days it does not
settle unknown.

A stretch with no recorded end is in force up to its last evidence (the latest change that shows
it holding) and *presumed* after it: `last_evidence` finds that day, `standing` answers for a day.

Marks are the raw material: a dated opening or closing (a membership begins, an appointment ends),
ordered by effective day, closings before openings on the same day, then in recorded order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, Literal, TypeVar

Evidence = Literal["exact", "by", "from"]
Status = Literal["in force", "not in force", "unknown"]
Standing = Literal["in force", "presumed"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Bound:
    """One end of an interval: a day and what the sources say of it."""

    day: date
    evidence: Evidence = "exact"


@dataclass(frozen=True, slots=True)
class Interval:
    """A validity interval [start, end); None for an end that is not known to exist."""

    start: Bound | None
    end: Bound | None = None

    def status_on(self, day: date) -> Status:
        """In force, not in force, or unknown on the day (the start is included, the end is not)."""
        return _and(_after_start(self.start, day), _before_end(self.end, day))

    def covers(self, day: date) -> bool:
        return self.status_on(day) == "in force"


def _after_start(start: Bound | None, day: date) -> Status:
    if start is None:
        return "in force"
    if start.evidence == "exact":
        return "in force" if start.day <= day else "not in force"
    if start.evidence == "by":  # began on or before start.day
        return "in force" if start.day <= day else "unknown"
    return "not in force" if day < start.day else "unknown"  # began on or after start.day


def _before_end(end: Bound | None, day: date) -> Status:
    if end is None:
        return "in force"
    if end.evidence == "exact":
        return "in force" if day < end.day else "not in force"
    if end.evidence == "by":  # ended on or before end.day
        return "not in force" if end.day <= day else "unknown"
    return "in force" if day < end.day else "unknown"  # ended on or after end.day


def _and(a: Status, b: Status) -> Status:
    if "not in force" in (a, b):
        return "not in force"
    if "unknown" in (a, b):
        return "unknown"
    return "in force"


# --- cutting marks into intervals -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Segment(Generic[T]):
    """A stretch of valid time [start, end) and the mark that holds over it (None: unbounded)."""

    basis: T
    start: date | None
    end: date | None
    closer: T | None = None  # the mark that ended it, where a mark did

    def covers(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)


def pair(marks: Iterable[tuple[T, bool]], day: Callable[[T], date]) -> list[Segment[T]]:
    """Openings and closings, given in effective and recorded order, paired into periods: an
    opening starts a period unless one is open; a closing ends the open one, if any. Closings
    sort before openings on the same day (a body may leave and join again on one day); the
    caller gives each group of marks of one day in recorded order."""
    ordered = sorted(marks, key=lambda m: (day(m[0]), m[1]))  # stable: recorded order kept
    found: list[Segment[T]] = []
    current: T | None = None
    for mark, opening in ordered:
        if opening:
            if current is None:
                current = mark
        elif current is not None:
            found.append(Segment(current, day(current), day(mark), mark))
            current = None
    if current is not None:
        found.append(Segment(current, day(current), None))
    return found


def succession(
    values: Sequence[T], day: Callable[[T], date], *, earliest_before: bool = False
) -> list[Segment[T]]:
    """Values that replace one another, given in effective and recorded order: each holds from its
    day until the next later day, and of several on one day the last recorded wins. With
    `earliest_before`, the earliest also answers for the days before any (a body's name on a day
    before its first recorded name is that name)."""
    found: list[Segment[T]] = []
    for i, value in enumerate(values):
        start = day(value)
        following = day(values[i + 1]) if i + 1 < len(values) else None
        if following == start:
            continue  # overtaken the same day
        found.append(Segment(value, start, following))
    if earliest_before and values:
        first = values[0]
        if found and found[0].basis is first:
            found[0] = Segment(first, None, found[0].end)
        else:
            found.insert(0, Segment(first, None, day(first)))
    return found


def lifetime(
    starts: Sequence[T], sightings: Sequence[T], ends: Sequence[T], day: Callable[[T], date]
) -> list[Segment[T]]:
    """A body's life from the first of each kind of mark (each sequence in effective and recorded
    order): in force from its establishment, or, before it or without one, from the first change
    that shows it existing; until its first closing."""
    start = starts[0] if starts else None
    seen = sightings[0] if sightings else None
    end = day(ends[0]) if ends else None
    found: list[Segment[T]] = []
    if seen is not None and (start is None or day(seen) < day(start)):
        until = day(start) if start is not None else end
        if end is not None and until is not None:
            until = min(until, end)
        found.append(Segment(seen, day(seen), until))
    if start is not None:
        found.append(Segment(start, day(start), end))
    return [s for s in found if s.end is None or (s.start is not None and s.start < s.end)]


# --- evidence: in force up to the last sighting, presumed after it ---------------------------------


def last_evidence(pieces: Iterable[tuple[date, date]]) -> date | None:
    """The day a stretch is last shown holding, from each piece of evidence's first and last day
    (a change dated 2018 shows it by 2018-12-31): the last day of the latest-beginning piece
    (of several beginning that day, the longest). None: no evidence."""
    latest = max(pieces, default=None)
    return latest[1] if latest is not None else None


def standing(last_seen: date | None, on: date) -> Standing:
    """In force on a day (or in a period from `on`) unless its last evidence came before it."""
    return "presumed" if last_seen is not None and last_seen < on else "in force"
