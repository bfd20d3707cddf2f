"""`--on` a month, a quarter or a year asks about the whole of it: what was in force at any time in
the period. The periods read model and the fold of every fact give the same answer, and it holds
everything in force on any one day of the period."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ledger.bootstrap import open_ledger
from ledger.domain.dates import parse_period
from ledger.views.axes import Axes
from ledger.views.questions import Queries
from tests.support.histories import build_bitemporal_history
from tests.support.stores import fresh_store


def _fold(queries: Queries, axes: Axes) -> dict[str, Any]:
    """The structure folded from every fact rather than read from the periods."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Queries, "_snapshot", staticmethod(lambda conn, axes: None))
        return queries.structure(axes)


def _bodies(answer: dict[str, Any]) -> set[str]:
    return {o["id"] for o in answer["organisations"]}


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2016-02", date(2016, 2, 1), date(2016, 2, 29)),
        ("2017-Q4", date(2017, 10, 1), date(2017, 12, 31)),
        ("2017/18-Q4", date(2018, 1, 1), date(2018, 3, 31)),
        ("2018", date(2018, 1, 1), date(2018, 12, 31)),
        ("2019-04-01", date(2019, 4, 1), date(2019, 4, 1)),
    ],
)
def test_a_date_names_the_days_it_covers(text: str, first: date, last: date) -> None:
    assert parse_period(text) == (first, last)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=10_000))
@example(seed=315)  # a body's budget recorded twice in one quarter: the value at its end
@example(seed=303)  # a holder who left during the year: in force in it, its end not shown
def test_a_period_is_answered_alike_from_the_periods_and_the_fold(seed: int) -> None:
    with fresh_store() as url:
        ledger = open_ledger(url)
        try:
            build_bitemporal_history(ledger, seed, 150)
            for text in ("2011", "2012-Q3", "2013-06", "2014", "2015-Q1"):
                on, until = parse_period(text)
                for planned in (False, True):
                    axes = Axes(on=on, until=until, include_planned=planned)
                    answer = ledger.queries.structure(axes)
                    assert answer == _fold(ledger.queries, axes), (text, planned)
                    assert answer["until"] == until.isoformat()
                    # Whatever was in force on a day of the period is in the period's answer.
                    for day in (on, on + (until - on) / 2, until):
                        one_day = ledger.queries.structure(Axes(on=day, include_planned=planned))
                        assert _bodies(one_day) <= _bodies(answer), (text, day)
        finally:
            ledger.close()


def test_an_answer_on_a_day_says_nothing_of_a_period() -> None:
    assert Axes(on=date(2019, 4, 1)).stamp() == {"on": "2019-04-01"}
    assert Axes(on=date(2019, 4, 1), until=date(2019, 4, 30)).stamp() == {
        "on": "2019-04-01",
        "until": "2019-04-30",
    }
    assert Axes(on=date(2019, 4, 1)).last == date(2019, 4, 1) < date(2019, 4, 1) + timedelta(1)
