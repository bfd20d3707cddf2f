"""Property: for any history and any (on, known-at) pair, the read model answers exactly what a plain
in-memory replay of the events recorded up to known-at, applied in effective order, answers."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ledger.bootstrap import open_ledger
from ledger.domain.replay import replay_structure
from ledger.views.axes import Axes
from tests.support.histories import build_bitemporal_history, stored_log
from tests.support.stores import fresh_store

dates = st.dates(min_value=date(2009, 6, 1), max_value=date(2021, 6, 1))


@pytest.mark.postgres(
    reason="the read model as PostgreSQL stores it (native dates, booleans, time zones) against a replay, on both axes"
)
@settings(
    max_examples=int(os.environ.get("LEDGER_PROPERTY_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    seed=st.integers(min_value=0, max_value=10_000),
    size=st.integers(min_value=40, max_value=220),
    questions=st.lists(
        st.tuples(dates, st.floats(min_value=0, max_value=1), st.booleans()), min_size=6, max_size=6
    ),
)
@example(  # two sightings of one day, 2017 and 2017-Q1: the longer is the last evidence
    seed=9411, size=40, questions=[(date(2018, 1, 1), 1.0, False)] * 6
)
def test_read_model_matches_in_memory_replay_on_both_axes(
    seed: int, size: int, questions: list
) -> None:
    with fresh_store() as url:
        ledger = open_ledger(url)
        try:
            build_bitemporal_history(ledger, seed, size)
            log = stored_log(ledger)
            last = max((p for p, _ in log), default=0)
            kinds = {e.kind for _, e in log}
            for on, fraction, include_planned in questions:
                known_at = None if fraction > 0.9 else round(fraction * last)
                axes = Axes(on=on, known_at=known_at, include_planned=include_planned)
                expected = replay_structure(log, on, known_at, include_planned)
                actual = ledger.queries.structure(axes)
                assert json.dumps(actual, sort_keys=True) == json.dumps(expected, sort_keys=True), (
                    on,
                    known_at,
                    include_planned,
                    kinds,
                )
        finally:
            ledger.close()


def test_the_generator_exercises_corrections_plans_and_back_dating() -> None:
    # Guard against a property that passes because the histories are trivial.
    with fresh_store() as url:
        ledger = open_ledger(url)
        try:
            build_bitemporal_history(ledger, seed=3, attempts=400)
            log = stored_log(ledger)
        finally:
            ledger.close()
    kinds = [e.kind for _, e in log]
    assert "retracted" in kinds
    assert any(e.supersedes for _, e in log)
    assert any(e.planned for _, e in log)
    starts = [e.effective.start for _, e in log]
    assert any(b < a - timedelta(days=365) for a, b in pairwise(starts))
    assert {e.effective.precision for _, e in log} == {"day", "month", "quarter", "year"}
