"""A page of the structure (the web's page: only its bodies read in full from the periods) holds
exactly the entries the whole structure holds at its place, on any date, as known at any position,
with or without plans, for every kind, and through the fold where the periods are not current."""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.bootstrap import open_ledger
from ledger.views import structure as structure_module
from ledger.views.axes import Axes
from ledger.views.questions import Queries
from tests.support.histories import build_bitemporal_history, stored_log
from tests.support.stores import fresh_store


def _pages(queries: Queries, axes: Axes, kind: str | None, size: int) -> list[dict[str, Any]]:
    first = queries.structure_page(axes, kind=kind, number=1, size=size)
    found = list(first["organisations"])
    for number in range(2, first["pages"] + 1):
        page = queries.structure_page(axes, kind=kind, number=number, size=size)
        assert page["total"] == first["total"]
        found += page["organisations"]
    assert len(found) == first["total"]
    return found


@settings(
    max_examples=int(os.environ.get("LEDGER_PROPERTY_EXAMPLES", "4")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=10_000), size=st.integers(min_value=1, max_value=7))
def test_the_pages_of_the_structure_are_the_structure(seed: int, size: int) -> None:
    with fresh_store() as url:
        ledger = open_ledger(url)
        try:
            build_bitemporal_history(ledger, seed, 150)
            last = max(p for p, _ in stored_log(ledger))
            for n in range(6):
                day = date(2010, 1, 1) + timedelta(days=700 * n)
                axes = Axes(
                    on=day, known_at=None if n % 2 else last * n // 6, include_planned=n == 3
                )
                for kind in (None, "ccg"):
                    whole = ledger.queries.structure(axes, kind=kind)["organisations"]
                    assert _pages(ledger.queries, axes, kind, size) == whole, (day, kind)
        finally:
            ledger.close()


def test_without_current_periods_a_page_is_cut_from_the_fold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with fresh_store() as url:
        ledger = open_ledger(url)
        try:
            build_bitemporal_history(ledger, 5, 150)
            axes = Axes(on=date(2015, 6, 1))
            whole = ledger.queries.structure(axes)["organisations"]
            monkeypatch.setattr(structure_module, "periods_in_step", lambda conn: False)
            assert _pages(ledger.queries, axes, None, 4) == whole
        finally:
            ledger.close()
