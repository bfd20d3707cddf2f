"""Effective dates keep the precision the source gives."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.domain.dates import Effective, InvalidDate


@pytest.mark.parametrize(
    ("text", "start", "precision"),
    [
        ("2019-04-01", date(2019, 4, 1), "day"),
        ("2015-04", date(2015, 4, 1), "month"),
        ("2018-Q2", date(2018, 4, 1), "quarter"),
        ("2017", date(2017, 1, 1), "year"),
        ("2018/19-Q1", date(2018, 4, 1), "quarter"),  # financial Q1 is April-June
        ("2018/19-Q4", date(2019, 1, 1), "quarter"),
    ],
)
def test_parses_each_precision(text: str, start: date, precision: str) -> None:
    effective = Effective.parse(text)
    assert (effective.start, effective.precision) == (start, precision)
    assert effective.approximate is (precision != "day")


@pytest.mark.parametrize("text", ["2019-04-01", "2015-04", "2018-Q2", "2017"])
def test_shows_what_it_was_given(text: str) -> None:
    assert str(Effective.parse(text)) == text


@pytest.mark.parametrize(
    "text", ["2019-02-30", "2019-13", "2019-00", "13/04/2019", "2018-Q5", "2018/20-Q1", "", "soon"]
)
def test_refuses_what_is_not_a_date(text: str) -> None:
    with pytest.raises(InvalidDate):
        Effective.parse(text)


def test_orders_by_first_day_then_wider_first() -> None:
    assert Effective.parse("2015") < Effective.parse("2015-01-01")
    assert Effective.parse("2015-03-31") < Effective.parse("2015-04")


@pytest.mark.parametrize(
    ("text", "evidence", "shown"),
    [
        ("by:2016-12", "by", "by:2016-12"),  # on or before December 2016
        ("after:2018-04", "after", "after:2018-04"),  # on or after April 2018
        ("as-at:2017-10-24", "as-at", "as-at:2017-10-24"),  # seen holding on that day
        ("BY: 2017", "by", "by:2017"),
        ("by:2017/18-Q4", "by", "by:2018-Q1"),  # a financial quarter as the calendar's
        ("2019-04-01", "exact", "2019-04-01"),
    ],
)
def test_a_date_says_what_the_sources_say_of_it(text: str, evidence: str, shown: str) -> None:
    effective = Effective.parse(text)
    assert effective.evidence == evidence
    assert str(effective) == shown
    assert Effective.parse(str(effective)) == effective  # stored as shown, read back the same
    assert effective.exact is (evidence == "exact")
    assert effective.observed is (evidence in ("by", "as-at"))
    # Ordered and compared by its day, whatever its evidence.
    assert effective.start == Effective.parse(shown.split(":")[-1]).start


@pytest.mark.parametrize("text", ["by:", "by:by:2016", "around:2016", "as-at:2016-13-01"])
def test_an_evidence_without_a_good_date_is_refused(text: str) -> None:
    with pytest.raises(InvalidDate):
        Effective.parse(text)
