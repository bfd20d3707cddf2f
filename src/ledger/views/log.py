"""The log and what it summarises: changes in recorded order, the changes between two dates,
the open plans, and the one line that says what a change did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from ledger.adapters.tables import changes, day_of, facts
from ledger.domain.dates import Effective
from ledger.views.axes import Axes, known_facts
from ledger.views.names import entity_name
from ledger.views.naming import name_before


@dataclass(frozen=True)
class Filters:
    """Which changes of the log to show: by who recorded them, their kind, the bodies they touch
    (the change ids of those bodies' histories), and dates on both axes: effective (`since`,
    `until`, inclusive, a period meaning all of it) and recorded (`after`, `until_position`)."""

    recorder: str | None = None
    kind: str | None = None
    since: Effective | None = None
    until: Effective | None = None
    change_ids: frozenset[str] | None = None


def log(
    conn: Connection,
    *,
    limit: int | None = None,
    after: int | None = None,
    until: int | None = None,
    filters: Filters | None = None,
) -> list[dict[str, Any]]:
    q = select(changes).order_by(changes.c.position)
    if after is not None:
        q = q.where(changes.c.position > after)
    if until is not None:
        q = q.where(changes.c.position <= until)
    if filters is not None:
        if filters.recorder is not None:
            q = q.where(changes.c.recorder == filters.recorder)
        if filters.kind is not None:
            q = q.where(changes.c.kind == filters.kind)
        if filters.since is not None:
            q = q.where(changes.c.eff_start >= filters.since.start)
        if filters.until is not None:
            q = q.where(changes.c.eff_start < period_end(filters.until))
        if filters.change_ids is not None:
            q = q.where(changes.c.change_id.in_(sorted(filters.change_ids)))
    if limit is not None:
        q = q.limit(limit)
    rows = conn.execute(q).all()
    return [log_entry(conn, r) for r in rows]


def period_end(effective: Effective) -> date:
    """The first day after the period a date names (a day, month, quarter or year)."""
    months = {"day": 0, "month": 1, "quarter": 3, "year": 12}.get(effective.precision, 0)
    if not months:
        return effective.start + timedelta(days=1)
    index = effective.start.year * 12 + effective.start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def diff(
    conn: Connection,
    start: date,
    end: date,
    known_at: int | None = None,
    include_planned: bool = False,
) -> dict[str, Any]:
    """The changes that took effect after `start` up to and including `end`, as known at `known_at`."""
    axes = Axes(on=end, known_at=known_at, include_planned=include_planned)
    ids = {
        r[0]
        for r in conn.execute(
            select(facts.c.change_id).where(
                known_facts(axes), facts.c.eff_start > start, facts.c.eff_start <= end
            )
        )
    }
    rows = conn.execute(
        select(changes)
        .where(changes.c.change_id.in_(sorted(ids)))
        .order_by(changes.c.eff_start, changes.c.position)
    ).all()
    entries = [log_entry(conn, r) for r in rows]
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "known_at": known_at,
        "changes": entries,
    }


def plans(conn: Connection, known_at: int | None = None) -> list[dict[str, Any]]:
    """Plans recorded by `known_at` and not yet confirmed, corrected or cancelled then."""
    q = select(changes).where(
        changes.c.status == "planned", changes.c.kind.not_in(("retracted", "cancelled"))
    )
    if known_at is not None:
        q = q.where(
            changes.c.position <= known_at,
            or_(changes.c.superseded_at.is_(None), changes.c.superseded_at > known_at),
        )
    else:
        q = q.where(changes.c.superseded_at.is_(None))
    rows = conn.execute(q.order_by(changes.c.eff_start, changes.c.position)).all()
    return [log_entry(conn, r) for r in rows]


def count_changes(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(changes)).scalar() or 0)


def log_entry(conn: Connection, r: Any) -> dict[str, Any]:
    """A change as the log shows it, with what it corrects, retracts or confirms."""
    entry = change_entry(r) | {"summary": summary(conn, r)}
    if r.supersedes:
        old = conn.execute(select(changes).where(changes.c.change_id == r.supersedes)).first()
        if old is not None:
            verb = (
                r.kind
                if r.kind in ("retracted", "cancelled")
                else (
                    "confirms" if old.status == "planned" and r.status == "happened" else "corrects"
                )
            )
            entry["supersedes"] = {
                "change": old.label or old.change_id[:8],
                "position": old.position,
                "as": verb,
            }
            if r.kind not in ("retracted", "cancelled"):
                entry["summary"] += (
                    f" ({verb} {entry['supersedes']['change']}, was {old.effective})"
                )
            else:
                withdrawn = summary(conn, old)
                entry["summary"] = f"{r.kind} {entry['supersedes']['change']}: {withdrawn}"
    return entry


def summary(conn: Connection, r: Any) -> str:
    from ledger.domain.kinds import KINDS

    details = json.loads(r.details)
    declared = KINDS.get(r.kind)
    if declared is not None and declared.names_before:
        day = day_of(r.eff_start)

        def name(i: Any) -> str:
            if not _is_uuid(i):
                return str(i)
            key = UUID(i).hex
            return name_before(conn, key, day) or entity_name(conn, key)

        return summarise(r.kind, details, name)
    return summarise(
        r.kind,
        details,
        lambda i: entity_name(conn, UUID(i).hex) if _is_uuid(i) else str(i),
    )


def summarise(kind: str, d: dict[str, Any], name: Any) -> str:
    """One line saying what a change did, in words, as its kind declares (domain/kinds.py)."""
    from ledger.domain.kinds import KINDS

    declared = KINDS.get("retracted" if kind == "cancelled" else kind)
    return declared.sentence(d, name) if declared is not None else kind


def _is_uuid(value: Any) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value  # type: ignore[no-any-return]


def change_entry(r: Any) -> dict[str, Any]:
    return {
        "position": r.position,
        "change": r.label or r.change_id[:8],
        "change_id": r.change_id,
        "kind": r.kind,
        "effective": r.effective,
        "approximate": Effective.parse(r.effective).approximate,
        "status": r.status,
        "recorded_at": _aware(r.recorded_at).isoformat(timespec="seconds"),
        "recorder": r.recorder,
        "reason": r.reason,
        "sources": json.loads(r.sources),
        "superseded_at": r.superseded_at,
    }


# --- the dates on which anything changed, and one change (the web's pages) ----------------------

_NOT_CHANGES = ("source_registered", "retracted", "cancelled")


def _in_force_changes(known_at: int | None, include_planned: bool) -> list[Any]:
    """The conditions of the changes that stand at a position (or now): not sources' registrations,
    retractions or cancellations, not superseded then; plans only if asked."""
    found: list[Any] = [changes.c.kind.not_in(_NOT_CHANGES)]
    if known_at is not None:
        found += [
            changes.c.position <= known_at,
            or_(changes.c.superseded_at.is_(None), changes.c.superseded_at > known_at),
        ]
    else:
        found.append(changes.c.superseded_at.is_(None))
    if not include_planned:
        found.append(changes.c.status != "planned")
    return found


def change_days(
    conn: Connection, known_at: int | None = None, include_planned: bool = False
) -> list[date]:
    """Every first day on which a change took effect, in order."""
    q = select(changes.c.eff_start).where(*_in_force_changes(known_at, include_planned)).distinct()
    return sorted({day_of(r[0]) for r in conn.execute(q)})


def neighbouring_days(
    conn: Connection, day: date, known_at: int | None = None, include_planned: bool = False
) -> tuple[date | None, date | None]:
    """The last day before `day` and the first after it on which a change took effect."""
    standing = _in_force_changes(known_at, include_planned)
    before = conn.execute(
        select(func.max(changes.c.eff_start)).where(*standing, changes.c.eff_start < day)
    ).scalar()
    after = conn.execute(
        select(func.min(changes.c.eff_start)).where(*standing, changes.c.eff_start > day)
    ).scalar()
    return (day_of(before) if before else None, day_of(after) if after else None)


def change(conn: Connection, text: str) -> dict[str, Any]:
    """One change by label or id (a prefix of 6+ hex digits will do), as the log shows it, with
    its details as recorded and the changes that corrected, retracted, confirmed or cancelled it."""
    from ledger.application.errors import Ambiguous, NotFound

    key = text.strip()
    rows = conn.execute(select(changes).where(changes.c.label == key)).all()
    hexkey = key.lower().replace("-", "")
    if not rows and len(hexkey) >= 6 and all(c in "0123456789abcdef" for c in hexkey):
        rows = conn.execute(select(changes).where(changes.c.change_id.like(hexkey + "%"))).all()
    if not rows:
        raise NotFound(f"unknown change {text!r} (give its label or id, as `ledger log` shows)")
    if len(rows) > 1:
        raise Ambiguous(
            f"change {text!r} is ambiguous: {', '.join(r.change_id[:12] for r in rows[:5])}"
        )
    row = rows[0]
    amended = conn.execute(
        select(changes).where(changes.c.supersedes == row.change_id).order_by(changes.c.position)
    ).all()
    return {
        "change": log_entry(conn, row) | {"details": json.loads(row.details)},
        "amended_by": [log_entry(conn, r) for r in amended],
    }


def change_row(conn: Connection, change_id: str) -> Any:
    """The `ledger_changes` row of a change id (for its inclusion proof)."""
    return conn.execute(select(changes).where(changes.c.change_id == change_id)).first()
