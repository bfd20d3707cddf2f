"""The registry of sources a store's changes cite: each source registered once, by a change of its
own (`source_registered`, kept in `ledger_changes` like every change, so rebuilt and verified with
the read model), with its title, issuing body and publication date.

A store has a registry from its first registered source (`ledger import` of a sources file such as
events/sources.yaml, or `ledger source add`); from then on a change citing a source that is not
registered is refused, with the close ids. A store with no registered source takes any source id,
as the citations of its changes say.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ledger.adapters.tables import changes
from ledger.application.errors import NotFound
from ledger.domain.matching import close_matches

if TYPE_CHECKING:  # a question reads the registry without loading the event models
    from ledger.domain.events import ChangeEvent

# The registrations in force: not corrected away nor retracted.
_REGISTERED = select(changes.c.details, changes.c.effective).where(
    changes.c.kind == "source_registered", changes.c.superseded_at.is_(None)
)


def registered(conn: Connection) -> dict[str, dict[str, Any]]:
    """Each registered source by id: its details as stored, and `published` (its effective date)."""
    found: dict[str, dict[str, Any]] = {}
    for details, effective in conn.execute(_REGISTERED):
        data = json.loads(details)
        found[data["source_id"]] = {**data, "published": effective}
    return found


class Registry:
    """The sources a batch may cite: those registered in the store (read once, at the first change
    the batch checks) and those the batch registers."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._known: set[str] | None = None

    def _ids(self) -> set[str]:
        if self._known is None:
            self._known = set(registered(self.conn))
        return self._known

    def register(self, event: Any) -> None:
        self._ids().add(event.source_id)

    def check(self, event: ChangeEvent) -> None:
        """A change cites registered sources only, once the store has a registry."""
        known = self._ids()
        if not known:
            return
        for cited in event.sources:
            if cited.source not in known:
                close = close_matches(cited.source, sorted(known), n=3, cutoff=0.6)
                hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
                raise NotFound(
                    f"unknown source {cited.source!r}{hint} "
                    "(register it first: ledger source add, or a sources file)"
                )
