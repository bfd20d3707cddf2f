"""The two time axes of a question: `on` (valid time) and `known_at` (a log position).

`resolve_known_at` turns what a user gives `--known-at` into a position; `known_facts` is the
condition that keeps the facts known at it (or now), with or without plans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.engine import Connection

from ledger.adapters.tables import changes, facts
from ledger.application.errors import Ambiguous, InvalidInput
from ledger.application.resolver import id_prefix

HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Axes:
    """The two times of a question: the valid date, and what the ledger had recorded (a position)."""

    on: date
    known_at: int | None = None
    include_planned: bool = False
    # The last day asked about, where `--on` names a month, a quarter or a year: the question is
    # then about that whole period (what was in force at any time in it). None: the day `on`.
    until: date | None = None

    @property
    def last(self) -> date:
        """The last day the question is about."""
        return self.until or self.on

    def stamp(self) -> dict[str, str]:
        """The dates an answer says it is about: `on`, and `until` where it asks about a period."""
        found = {"on": self.on.isoformat()}
        if self.until is not None and self.until != self.on:
            found["until"] = self.until.isoformat()
        return found

    # The sources' own time (`--published-by`): only the changes cited to sources published by
    # then (views/registry.py, `published`); None: every change.
    published_by: date | None = None
    published: frozenset[str] | None = field(default=None, compare=False)
    # Only what the sources attest on the date (`--attested`): nothing presumed past its last
    # evidence (see docs/evidence.md).
    attested: bool = False


def resolve_known_at(conn: Connection, text: str) -> int:
    """A log position, a change id or label, or a timestamp: what the ledger had recorded then."""
    text = text.strip()
    if text.isdigit():
        return _within_the_log(conn, int(text))
    matches = [changes.c.label == text]
    key = text.lower().replace("-", "")
    if key and all(c in HEX for c in key):  # taken as it is: never a pattern
        low, high = id_prefix(key)
        matches.append(and_(changes.c.change_id >= low, changes.c.change_id < high))
    row = conn.execute(select(changes.c.position).where(or_(*matches))).all()
    if len(row) == 1:
        return int(row[0][0])
    if len(row) > 1:
        raise Ambiguous(f"--known-at {text!r} matches {len(row)} changes; give more of the id")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"--known-at {text!r} is not a position, a change id or a timestamp (e.g. 2019-01-01T00:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if moment.microsecond == 0:
        # A timestamp copied from the log (shown to the second) covers that whole second.
        recorded = changes.c.recorded_at < moment + timedelta(seconds=1)
    else:
        recorded = changes.c.recorded_at <= moment
    if conn.dialect.name == "sqlite":
        # SQLite keeps the UTC wall time without its offset: compare like with like.
        naive = moment.replace(tzinfo=None)
        recorded = (
            changes.c.recorded_at < naive + timedelta(seconds=1)
            if moment.microsecond == 0
            else changes.c.recorded_at <= naive
        )
    found = conn.execute(select(func.max(changes.c.position)).where(recorded)).scalar()
    return int(found or 0)


def _within_the_log(conn: Connection, position: int) -> int:
    """A position the log has reached; past its head is refused, naming the head."""
    head = conn.execute(
        select(changes.c.position, changes.c.recorded_at)
        .order_by(changes.c.position.desc())
        .limit(1)
    ).first()
    if head is None and position > 0:
        raise InvalidInput(f"--known-at {position} is past the end of the log: the log is empty")
    if head is not None and position > head.position:
        recorded = head.recorded_at
        if isinstance(recorded, datetime):
            recorded = (recorded.astimezone(UTC) if recorded.tzinfo else recorded).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
        when = recorded
        raise InvalidInput(
            f"--known-at {position} is past the end of the log: its last position is "
            f"{head.position}, recorded {when}"
        )
    return position


def known_at_bound(table: Any, known: bool) -> list[Any]:
    """The rows of `table` (facts or periods) known at the bound position `known_at`, or now: the
    conditions of a statement built once and run for any position."""
    c = table.c
    if not known:
        return [c.known_to.is_(None)]
    at: Any = bindparam("known_at")
    return [c.known_from <= at, or_(c.known_to.is_(None), c.known_to > at)]


def known_facts(axes: Axes) -> Any:
    """The facts known at the axes' position (or now), plans only if the axes include them."""
    conditions = []
    if axes.known_at is not None:
        conditions.append(facts.c.known_from <= axes.known_at)
        conditions.append(or_(facts.c.known_to.is_(None), facts.c.known_to > axes.known_at))
    else:
        conditions.append(facts.c.known_to.is_(None))
    if not axes.include_planned:
        conditions.append(facts.c.planned.is_(False))
    if axes.published is not None:
        conditions.append(facts.c.change_id.in_(sorted(axes.published)))
    return and_(*conditions)
