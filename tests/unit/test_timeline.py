"""The timeline's rules, each pinned to the plainest statement of it: a day-by-day walk."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.timeline import Bound, Interval, lifetime, pair, succession

BASE = date(2010, 1, 1)
DAYS = [BASE + timedelta(days=n) for n in range(0, 30)]
days = st.integers(min_value=0, max_value=25).map(lambda n: BASE + timedelta(days=n))
evidence = st.sampled_from(["exact", "by", "from"])
bounds = st.one_of(st.none(), st.builds(Bound, days, evidence))


def _day(mark: tuple[int, date, bool]) -> date:
    return mark[1]


@given(bounds, bounds)
def test_an_exact_interval_is_never_unknown_and_a_bounded_end_only_leaves_its_side_open(
    start: Bound | None, end: Bound | None
) -> None:
    interval = Interval(start, end)
    for day in DAYS:
        status = interval.status_on(day)
        if (start is None or start.evidence == "exact") and (
            end is None or end.evidence == "exact"
        ):
            assert status != "unknown"
            inside = (start is None or start.day <= day) and (end is None or day < end.day)
            assert status == ("in force" if inside else "not in force")
        # Before a start that happened on or after its day, or after an end on or before its
        # day, the answer is certain whatever else is known.
        if start is not None and start.evidence in ("exact", "from") and day < start.day:
            assert status == "not in force"
        if end is not None and end.evidence in ("exact", "by") and day >= end.day:
            assert status == "not in force"
        if start is not None and start.evidence == "from" and day >= start.day:
            assert status != "in force"
        if end is not None and end.evidence == "from" and day >= end.day:
            assert status != "in force"


def test_a_month_is_unknown_where_the_sources_only_bound_it() -> None:
    # Known to exist by 2016-12 (founding unknown), closed exactly on 2019-04-01.
    council = Interval(Bound(date(2016, 12, 1), "by"), Bound(date(2019, 4, 1)))
    assert council.status_on(date(2016, 1, 1)) == "unknown"
    assert council.status_on(date(2017, 6, 1)) == "in force"
    assert council.status_on(date(2019, 4, 1)) == "not in force"


marks = st.lists(st.tuples(days, st.booleans()), max_size=10)


@given(marks)
def test_pairing_marks_is_walking_them_day_by_day(raw: list[tuple[date, bool]]) -> None:
    # Marks in recorded order; a walk applies each day's closings, then its openings.
    numbered = [(n, day, opening) for n, (day, opening) in enumerate(raw)]
    segments = pair([(m, m[2]) for m in numbered], _day)
    for day in DAYS:
        open_since: tuple[int, date, bool] | None = None
        for mark in sorted(numbered, key=lambda m: (m[1], m[2], m[0])):
            if mark[1] > day:
                break
            if mark[2] and open_since is None:
                open_since = mark
            elif not mark[2]:
                open_since = None
        covering = [s.basis for s in segments if s.covers(day)]
        assert covering == ([open_since] if open_since else [])


values = st.lists(days, max_size=8).map(sorted)


@given(values, st.booleans())
def test_succession_is_the_latest_on_or_before_the_day(
    raw: list[date], earliest_before: bool
) -> None:
    numbered = list(enumerate(raw))  # effective and recorded order
    segments = succession(numbered, lambda v: v[1], earliest_before=earliest_before)
    for day in DAYS:
        before = [v for v in numbered if v[1] <= day]
        expected = before[-1] if before else (numbered[0] if earliest_before and numbered else None)
        covering = [s.basis for s in segments if s.covers(day)]
        assert covering == ([expected] if expected else [])


@given(values, values, values)
def test_a_lifetime_runs_from_the_first_sign_of_life_to_the_first_closing(
    starts: list[date], sightings: list[date], ends: list[date]
) -> None:
    segments = lifetime(starts, sightings, ends, lambda d: d)
    for day in DAYS:
        established = [d for d in starts if d <= day]
        seen = [d for d in sightings if d <= day]
        alive = bool(established or seen) and not any(d <= day for d in ends)
        covering = [s for s in segments if s.covers(day)]
        assert len(covering) == (1 if alive else 0)
        if alive:
            # Dated by its establishment once that has happened, else by its first sighting.
            assert covering[0].basis == (starts[0] if established else sightings[0])
