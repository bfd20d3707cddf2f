"""The lifetime check's summary (`_Span`) skips the walk over a timeline only where the walk would
find nothing: for any timeline, kept entry by entry or rebuilt after a removal, the conflicts found
are the same as the walk's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.dates import Effective
from ledger.domain.model import Entry, Organisation

ROLES = ["establishes", "attests", "closes", "acts", "ends", "mentions"]
BASE = date(2000, 1, 1)
STAMP = datetime(2026, 1, 1, tzinfo=UTC)

entries = st.lists(
    st.tuples(st.sampled_from(ROLES), st.integers(min_value=0, max_value=40)),
    max_size=12,
)


def _entry(n: int, role: str, day: int) -> Entry:
    return Entry(
        uuid4(),
        "fact-recorded",
        f"c{n}",
        Effective(BASE + timedelta(days=day)),
        STAMP + timedelta(seconds=n),
        False,
        role,  # type: ignore[arg-type]
    )


def _organisation(items: list[tuple[str, int]]) -> Organisation:
    """An organisation whose timeline is kept entry by entry, as `apply` keeps it."""
    org = Organisation(uuid4())
    for n, (role, day) in enumerate(items):
        entry = _entry(n, role, day)
        org.entries[entry.change_id] = entry
        assert org._ordered is not None and org._span is not None
        org._ordered.append(entry)
        org._ordered.sort(key=lambda e: (e.effective.start, e.timestamp))
        org._span.add(entry)
    return org


def _walked(org: Organisation) -> list[str]:
    """The conflicts the full walk finds (the summary set aside)."""
    span, org._span = org._span, None
    try:
        return [str(c) for c in org._lifetime_conflicts(org.timeline())]
    finally:
        org._span = span


@settings(max_examples=400, deadline=None)
@given(entries)
def test_the_summary_skips_the_walk_only_where_it_finds_nothing(
    items: list[tuple[str, int]],
) -> None:
    org = _organisation(items)
    found = [str(c) for c in org._lifetime_conflicts(org.timeline())]
    assert found == _walked(org)


@settings(max_examples=200, deadline=None)
@given(entries, st.integers(min_value=0, max_value=11))
def test_a_removal_rebuilds_the_summary(items: list[tuple[str, int]], drop: int) -> None:
    org = _organisation(items)
    if items:
        org._remove(list(org.entries)[drop % len(items)])
        assert org._span is None
    found = [str(c) for c in org._lifetime_conflicts(org.timeline())]
    assert org._span is not None
    assert found == _walked(org)


def test_a_clear_summary_is_checked_without_a_walk() -> None:
    org = _organisation([("establishes", 0), ("acts", 5), ("ends", 9), ("closes", 9)])
    assert org._span is not None and org._span.clear()
    late = _organisation([("establishes", 0), ("closes", 9), ("acts", 9)])
    assert late._span is not None and not late._span.clear()
    assert [str(c) for c in late._lifetime_conflicts(late.timeline())] == _walked(late) != []
