"""Effective dates with a precision (a day, a month, a calendar quarter or a year) and what the
sources say of them (their evidence).

A change effective `2015-04` is in force from 2015-04-01; comparisons use the first day of the period,
and the precision is kept so answers show `2015-04`, never an invented day.

A date is exact (the change took effect then) unless it says otherwise (docs/evidence.md):
`by:2016-12` took effect on or before it, `after:2018-04` on or after it, and `as-at:2017-10-24`
records what a source saw on that day (a body in force, a holder in post), when it began unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler

Precision = Literal["day", "month", "quarter", "year"]
Evidence = Literal["exact", "by", "after", "as-at"]
# How a date says its evidence: a prefix before the date (none: exact).
_PREFIXES: dict[str, Evidence] = {"by:": "by", "after:": "after", "as-at:": "as-at"}
_PREFIX_OF: dict[str, str] = {evidence: prefix for prefix, evidence in _PREFIXES.items()}

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_FY_QUARTER = re.compile(r"^(\d{4})/(\d{2})-Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")


class InvalidDate(ValueError):
    """A date string that is not a real day, month, quarter or year."""


@dataclass(frozen=True, order=False)
class Effective:
    """When a change took effect in the world: the first day of a period and the period's length."""

    start: date
    precision: Precision = "day"
    evidence: Evidence = "exact"

    @classmethod
    def parse(cls, value: str | date | Effective) -> Effective:
        if isinstance(value, Effective):
            return value
        if isinstance(value, date):
            return cls(value, "day")
        text = str(value).strip()
        lowered = text.lower()
        for prefix, evidence in _PREFIXES.items():
            if lowered.startswith(prefix):
                found = cls.parse(text[len(prefix) :])
                if found.evidence != "exact":
                    raise InvalidDate(f"{text!r} says its evidence twice")
                return cls(found.start, found.precision, evidence)
        try:
            if m := _DAY.match(text):
                return cls(date(int(m[1]), int(m[2]), int(m[3])), "day")
            if m := _MONTH.match(text):
                return cls(date(int(m[1]), int(m[2]), 1), "month")
            if m := _QUARTER.match(text):
                return cls(date(int(m[1]), 3 * int(m[2]) - 2, 1), "quarter")
            if m := _FY_QUARTER.match(text):
                year, second, quarter = int(m[1]), int(m[2]), int(m[3])
                if (year + 1) % 100 != second:
                    raise InvalidDate(
                        f"{text!r} is not a financial year (expected {year}/{(year + 1) % 100:02d})"
                    )
                # Financial quarters start in April: FY Q1 is April-June, Q4 is January-March next year.
                month = 3 * quarter + 1
                return cls(date(year + (month > 12), (month - 1) % 12 + 1, 1), "quarter")
            if m := _YEAR.match(text):
                return cls(date(int(m[1]), 1, 1), "year")
        except ValueError as exc:
            if isinstance(exc, InvalidDate):
                raise
            raise InvalidDate(f"{text!r} is not a real date ({exc})") from None
        raise InvalidDate(
            f"{text!r} is not a date: use YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY/YY-Qn (financial) or "
            "YYYY, with by:, after: or as-at: in front where it is not exact (docs/evidence.md)"
        )

    @property
    def last_day(self) -> date:
        """The last day of the period the date names (the day itself, for a day)."""
        months = _MONTHS[self.precision]
        if not months:
            return self.start
        month = self.start.month - 1 + months
        first_after = date(self.start.year + month // 12, month % 12 + 1, 1)
        return first_after - timedelta(days=1)

    @property
    def approximate(self) -> bool:
        return self.precision != "day"

    @property
    def exact(self) -> bool:
        """Whether the change took effect on the date (at its precision), not only by or after it
        or seen on it."""
        return self.evidence == "exact"

    @property
    def observed(self) -> bool:
        """Whether the sources show the state holding on the date, its beginning unknown: a date
        given `by:` or `as-at:`."""
        return self.evidence in ("by", "as-at")

    def __str__(self) -> str:
        return _PREFIX_OF.get(self.evidence, "") + self.day_text()

    def day_text(self) -> str:
        """The date at its precision, without its evidence."""
        d = self.start
        if self.precision == "day":
            return d.isoformat()
        if self.precision == "month":
            return f"{d.year:04d}-{d.month:02d}"
        if self.precision == "quarter":
            return f"{d.year:04d}-Q{(d.month - 1) // 3 + 1}"
        return f"{d.year:04d}"

    def __repr__(self) -> str:
        return f"Effective({self})"

    def __lt__(self, other: Effective) -> bool:
        return (self.start, _RANK[self.precision]) < (other.start, _RANK[other.precision])

    def __le__(self, other: Effective) -> bool:
        return not other < self

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> Any:
        from pydantic_core import core_schema  # only models need it; questions parse dates alone

        def validate(value: Any) -> Effective:
            if isinstance(value, str):
                return parse_stored(value)
            if isinstance(value, (date, Effective)):
                return cls.parse(value)
            raise InvalidDate(f"{value!r} is not a date")

        return core_schema.no_info_plain_validator_function(
            validate,
            serialization=core_schema.plain_serializer_function_ser_schema(str),
            json_schema_input_schema=core_schema.str_schema(),
        )


@lru_cache(maxsize=65_536)
def parse_stored(text: str) -> Effective:
    """An effective date as a change stores it (the same object for the same text: stored changes
    repeat a few thousand dates, and a timeline holds one object per date, parsed once)."""
    return Effective.parse(text)


# Wider periods sort before narrower ones starting the same day ("2015" before "2015-01-01").
_RANK: dict[str, int] = {"year": 0, "quarter": 1, "month": 2, "day": 3}


def parse_day(value: str | date) -> date:
    """A query date: a day, or a period meaning its first day."""
    return Effective.parse(value).start


def parse_period(value: str | date) -> tuple[date, date]:
    """A query date as the days it covers: a day is itself; a month, a quarter or a year runs
    from its first day to its last."""
    found = Effective.parse(value)
    return found.start, found.last_day


_MONTHS = {"day": 0, "month": 1, "quarter": 3, "year": 12}
