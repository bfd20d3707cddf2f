"""Corrections and retractions as events: the change they amend, found by label or id, and the
new change that supersedes it (a corrected copy) or withdraws it. They are recorded like every
other change, through the one write path (application/recording.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ledger.adapters.audit import stored_records
from ledger.adapters.tables import changes
from ledger.application import commands as cmd
from ledger.application.errors import Ambiguous, InvalidInput, NotFound, Refused, first_line
from ledger.domain.events import NIL, ChangeEvent, Retracted
from ledger.domain.kinds import BODY_KINDS, unknown_body_kind

if TYPE_CHECKING:
    from ledger.adapters.mapper import PydanticMapper


def find_change(conn: Connection, mapper: PydanticMapper, text: str) -> tuple[Any, ChangeEvent]:
    """A recorded change by label or id (a prefix of 6+ hex digits will do), with its event."""
    key = text.strip()
    rows = conn.execute(select(changes).where(changes.c.label == key)).all()
    hexkey = key.lower().replace("-", "")
    if not rows and len(hexkey) >= 6 and all(c in "0123456789abcdef" for c in hexkey):
        rows = conn.execute(select(changes).where(changes.c.change_id.like(hexkey + "%"))).all()
    if not rows:
        raise NotFound(f"unknown change {text!r} (give its label or id, as `ledger log` shows)")
    if len(rows) > 1:
        listing = ", ".join(r.change_id[:12] for r in rows[:5])
        raise Ambiguous(f"change {text!r} is ambiguous: {listing}")
    row = rows[0]
    record = next(stored_records(conn, after=row.position - 1, until=row.position))
    event = mapper.decode(
        record.topic, record.originator_id, record.originator_version, record.state
    )
    return row, cast(ChangeEvent, event)


def amendment(
    conn: Connection,
    mapper: PydanticMapper,
    request: cmd.Correct | cmd.Retract | cmd.Amend,
    change_id: UUID,
    digest: str | None,
) -> ChangeEvent:
    """A correction or retraction as an event: a change file's, with the stable id and digest
    that make re-imports idempotent, or a command's (`cmd.Amend`)."""
    authorship: dict[str, Any] = {
        "recorder": request.recorder,
        "reason": request.reason,
        "sources": request.sources,
        "label": request.id,
        "identity": (change_id, digest),
    }
    if isinstance(request, cmd.Amend):
        if request.withdraw:
            return _retraction(conn, mapper, request.target, cancel=request.cancel, **authorship)
        return _correction(
            conn,
            mapper,
            request.target,
            updates=dict(request.updates),
            confirm=request.confirm,
            **authorship,
        )
    if isinstance(request, cmd.Correct):
        return _correction(conn, mapper, request.target, updates=request.updates(), **authorship)
    return _retraction(conn, mapper, request.target, **authorship)


def _current(conn: Connection, mapper: PydanticMapper, text: str) -> ChangeEvent:
    row, event = find_change(conn, mapper, text)
    if row.superseded_at is not None:
        later = conn.execute(
            select(changes.c.label, changes.c.change_id, changes.c.kind).where(
                changes.c.position == row.superseded_at
            )
        ).first()
        by = (later.label or later.change_id[:8]) if later else "?"
        what = later.kind if later else "superseded"
        raise Refused(
            f"change {text!r} was already superseded ({what} by change {by!r} at position "
            f"{row.superseded_at}); act on that change instead"
        )
    if row.kind in ("retracted", "cancelled"):
        raise Refused(f"change {text!r} is itself a {row.kind}; it cannot be changed")
    return event


def _envelope(
    recorder: str,
    reason: str,
    sources: Sequence[Any],
    label: str | None,
    identity: tuple[UUID, str | None] | None = None,
) -> dict[str, Any]:
    if not reason.strip():
        raise InvalidInput("a reason is required (--reason)")
    change_id, digest = identity or (uuid.uuid4(), None)
    return {
        "timestamp": datetime.now(UTC),
        "change_id": change_id,
        "label": label,
        "recorder": recorder,
        "reason": reason,
        **({"sources": tuple(sources)} if sources else {}),
        "digest": digest,
    }


def _correction(
    conn: Connection,
    mapper: PydanticMapper,
    target: str,
    *,
    recorder: str,
    reason: str,
    sources: Sequence[Any] = (),
    label: str | None = None,
    updates: dict[str, Any] | None = None,
    confirm: bool = False,
    identity: tuple[UUID, str | None] | None = None,
) -> ChangeEvent:
    old = _current(conn, mapper, target)
    if confirm and not old.planned:
        raise Refused(f"change {target!r} is not a plan; nothing to confirm")
    fields = dict(updates or {})
    allowed = set(type(old).model_fields) - set(ChangeEvent.model_fields) | {"effective"}
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidInput(
            f"cannot correct {', '.join(sorted(unknown))} of a {old.kind} change "
            f"(correctable: {', '.join(sorted(allowed))})"
        )
    if not fields and not confirm:
        raise InvalidInput("nothing to correct: give --effective or another field")
    if "org_kind" in fields and fields["org_kind"] not in BODY_KINDS:
        raise InvalidInput(unknown_body_kind(str(fields["org_kind"])))
    data = old.model_dump()
    data.update(_envelope(recorder, reason, sources, label, identity))
    data.update(fields)
    data.update(supersedes=old.change_id, originator_id=NIL, originator_version=0)
    if confirm:
        data["status"] = "happened"
    try:
        event = type(old).model_validate(data)
    except ValueError as exc:
        raise InvalidInput(first_line(exc)) from None
    # Who a change is about is not correctable (retract it and record another): the history
    # of each party then holds the correction beside what it corrects (see ledger_parties).
    if {(p.entity, p.id) for p in event.parties()} != {(p.entity, p.id) for p in old.parties()}:
        raise InvalidInput(f"a correction cannot change what change {target!r} is about")
    return event


def _retraction(
    conn: Connection,
    mapper: PydanticMapper,
    target: str,
    *,
    recorder: str,
    reason: str,
    sources: Sequence[Any] = (),
    label: str | None = None,
    cancel: bool = False,
    identity: tuple[UUID, str | None] | None = None,
) -> ChangeEvent:
    old = _current(conn, mapper, target)
    if cancel and not old.planned:
        raise Refused(f"change {target!r} is not a plan; retract it instead of cancelling")
    envelope = _envelope(recorder, reason, sources or old.sources, label, identity)
    return Retracted(
        **envelope,
        effective=old.effective,
        retracts=old.change_id,
        cancelled=cancel,
        touched=tuple(old.parties()),
    )
