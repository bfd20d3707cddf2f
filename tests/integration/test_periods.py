"""The periods are an index of the facts: kept change by change as the log grows, they are exactly
what cutting the whole log from nothing gives, on both axes; and a store made before they existed
gets them when a recorder opens it."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from ledger.adapters import periods
from ledger.adapters.tables import periods as periods_table
from ledger.adapters.tables import tracking
from ledger.bootstrap import Ledger, open_ledger
from ledger.views.axes import Axes
from ledger.views.questions import Queries
from tests.conftest import Cli
from tests.support.histories import build_bitemporal_history
from tests.support.stores import fresh_store

pytestmark = pytest.mark.postgres(
    reason="the periods are cut and closed by the dialect's own SQL (NULL-safe comparisons, the "
    "first mention through a correlated subquery, the driver's executemany)"
)

COLUMNS = [c for c in periods_table.columns if c.name != "id"]


def _rows(ledger: Ledger) -> list[tuple[Any, ...]]:
    with ledger.app.engine.connect() as conn:
        return sorted(tuple(str(v) for v in row) for row in conn.execute(select(*COLUMNS)).all())


def _recut(ledger: Ledger) -> None:
    with ledger.app.writing() as conn:
        ledger.app.readmodel.cut_all_periods(conn)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=10_000), size=st.integers(min_value=60, max_value=200)
)
def test_periods_kept_change_by_change_are_the_periods_cut_from_the_whole_log(
    seed: int, size: int
) -> None:
    with fresh_store() as url:
        ledger = open_ledger(url)
        try:
            build_bitemporal_history(ledger, seed, size)
            kept = _rows(ledger)
            assert kept, "a history of this size has periods"
            _recut(ledger)
            assert _rows(ledger) == kept
        finally:
            ledger.close()


def _fold(queries: Queries, axes: Axes) -> dict[str, Any]:
    """The structure folded from every fact, as before the periods existed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Queries, "_snapshot", staticmethod(lambda conn, axes: None))
        return queries.structure(axes)


def test_a_store_made_before_the_periods_gets_them_when_opened(ledger: Ledger, db_url: str) -> None:
    build_bitemporal_history(ledger, seed=5, attempts=250)
    days = [date(2010, 6, 1) + timedelta(days=300 * n) for n in range(12)]
    answers = {d: ledger.queries.structure(Axes(on=d)) for d in days}
    # An earlier version's store: no periods, no tracking row for them.
    with ledger.app.writing() as conn:
        conn.execute(delete(periods_table))
        conn.execute(delete(tracking).where(tracking.c.name == periods.TRACKING))
    with ledger.app.engine.connect() as conn:
        assert Queries._snapshot(conn, Axes(on=days[0])) is None  # folded meanwhile
    assert ledger.queries.structure(Axes(on=days[3])) == answers[days[3]]
    reopened = open_ledger(db_url)
    try:
        with reopened.app.engine.connect() as conn:
            assert Queries._snapshot(conn, Axes(on=days[0])) is not None
        for d in days:
            assert json.dumps(reopened.queries.structure(Axes(on=d))) == json.dumps(answers[d])
            assert _fold(reopened.queries, Axes(on=d)) == answers[d]
    finally:
        reopened.close()


def test_a_days_several_sightings_keep_the_longest_as_last_evidence(
    cli: Cli, ledger: Ledger
) -> None:
    # A body shown in 2012, then by a change dated 2017 and, later, by one dated 2017-Q1: the last
    # two begin on 2017-01-01, and the longer says it held to 2017-12-31. Each change is its own
    # transaction, so each cuts the periods again from the first and last sightings it reads back.
    def record(*args: str) -> None:
        cli.ok("record", *args, "--source", "s:l", "--reason", "r")

    record("established", "Alpha Trust", "--kind", "nhs_trust", "--effective", "2011-04-20")
    record("fact-recorded", "Alpha Trust", "budget", "0", "--effective", "2012-05-01")
    record("fact-recorded", "Alpha Trust", "budget", "1", "--effective", "2017")
    record("fact-recorded", "Alpha Trust", "budget", "2", "--effective", "2017-Q1")

    def alpha(on: date) -> dict[str, Any] | None:
        found = ledger.queries.structure(Axes(on=on))["organisations"]
        return next((o for o in found if o["name"] == "Alpha Trust"), None)

    during = alpha(date(2017, 6, 1))
    assert during is not None and during["status"] == "in force"
    after = alpha(date(2018, 2, 1))
    assert after is not None
    assert (after["status"], after["last_evidence"]) == ("presumed", "2017-12-31")
    record("closed", "Alpha Trust", "--effective", "2018")
    assert alpha(date(2018, 2, 1)) is None  # the period presumed open is closed, not left behind
    kept = _rows(ledger)
    _recut(ledger)
    assert _rows(ledger) == kept
