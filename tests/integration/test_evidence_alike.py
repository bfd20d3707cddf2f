"""What is presumed is answered alike everywhere: `show` (a fold of the rows about one body, its
last evidence read from the periods, or from its latest mentions when they are not current) says
of a body and its memberships, relationships, holders and facts what the whole structure (read
from the periods) says of them, on any date and as known at any position."""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.bootstrap import open_ledger
from ledger.views import reading
from ledger.views.axes import Axes
from tests.support.histories import build_bitemporal_history, stored_log
from tests.support.stores import fresh_store

# What an entry of the structure and `show` both say of a body on a date.
SHARED = ("name", "kind", "status", "last_evidence", "member_of", "relationships", "posts", "facts")


def _entry(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: answer[key] for key in SHARED}


@settings(
    max_examples=int(os.environ.get("LEDGER_PROPERTY_EXAMPLES", "4")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0, max_value=10_000))
def test_show_says_what_the_structure_says_of_each_body(seed: int) -> None:
    with fresh_store() as url:
        ledger = open_ledger(url)
        try:
            build_bitemporal_history(ledger, seed, 150)
            last = max(p for p, _ in stored_log(ledger))
            days = [date(2009, 6, 1) + timedelta(days=500 * n) for n in range(8)]
            presumed = 0
            for n, day in enumerate(days):
                for known_at in (None, last * (n + 1) // (len(days) + 1)):
                    axes = Axes(on=day, known_at=known_at, include_planned=n % 3 == 0)
                    structure = ledger.queries.structure(axes)
                    for body in structure["organisations"]:
                        shown = ledger.queries.show(body["id"], axes)["organisation"]
                        assert _entry(shown) == _entry(body), (day, known_at, body["name"])
                        presumed += body["status"] == "presumed"
            assert presumed, "the histories hold bodies past their last evidence"
        finally:
            ledger.close()


def test_without_current_periods_show_reads_the_latest_mentions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with fresh_store() as url:
        ledger = open_ledger(url)
        try:
            build_bitemporal_history(ledger, 11, 150)
            day = date(2016, 6, 1)
            structure = ledger.queries.structure(Axes(on=day))
            monkeypatch.setattr(reading, "periods_in_step", lambda conn: False)
            for body in structure["organisations"]:
                shown = ledger.queries.show(body["id"], Axes(on=day))["organisation"]
                assert _entry(shown) == _entry(body), body["name"]
        finally:
            ledger.close()


@settings(max_examples=int(os.environ.get("LEDGER_PROPERTY_EXAMPLES", "3")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(seed=st.integers(min_value=0, max_value=10_000))
def test_lineage_says_of_each_body_what_show_says(seed: int) -> None:
    # lineage reads each body's standing from its life periods; show folds the body's rows.
    with fresh_store() as url:
        ledger = open_ledger(url)
        try:
            build_bitemporal_history(ledger, seed, 150)
            bodies = ledger.queries.entity_ids("organisation")
            said: set[str] = set()
            for n, day in enumerate(date(2008, 1, 1) + timedelta(days=600 * k) for k in range(8)):
                axes = Axes(on=day, include_planned=n % 3 == 0)
                for body in bodies[n::3]:
                    lineage = ledger.queries.lineage(body, axes)
                    for entry in lineage["bodies"]:
                        shown = ledger.queries.show(entry["id"], axes)["organisation"]
                        expected = {k: shown.get(k) for k in ("status", "last_evidence")}
                        assert {k: entry.get(k) for k in expected} == expected, (day, entry)
                        assert entry.get("first_evidence") == shown.get("first_evidence")
                        said.add(entry["status"])
            assert {"in force", "presumed", "not in force"} <= said
        finally:
            ledger.close()
