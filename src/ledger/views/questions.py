"""The questions the CLI, the importers and the tests ask: one `Queries` on a store's engine.

Each question resolves the names it is given, opens one connection (or uses the one it was handed)
and asks the module that answers it: `structure`, `bodies` (show, history, lineage, holders),
`people` (person), `search` or `log` (log, diff, plans).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from ledger.adapters.collector import collector_paused
from ledger.adapters.tables import facts
from ledger.application.errors import InvalidInput
from ledger.domain.kinds import BODY_KINDS, unknown_body_kind
from ledger.views import bodies, log, names, people, reading, registry, search, structure
from ledger.views.axes import Axes, resolve_known_at
from ledger.views.differences import differences
from ledger.views.linked import knowledge
from ledger.views.linked.knowledge import Knowledge
from ledger.views.snapshot import Snapshot
from ledger.views.world import World


def _cited(entries: list[dict[str, Any]], published: frozenset[str]) -> list[dict[str, Any]]:
    """The log's entries of the changes cited to sources published by a date."""
    return [e for e in entries if e["change_id"] in published]


def check_kind(conn: Connection, kind: str) -> None:
    """A filter on a kind of body names one the ledger could hold: one of the vocabulary's, or one
    a body in the store has (a log written before the vocabulary); else it is refused."""
    if kind in BODY_KINDS or kind == "unknown":
        return
    stored = select(facts.c.value).where(facts.c.aspect == "kind", facts.c.value == kind).limit(1)
    if conn.execute(stored).first() is None:
        raise InvalidInput(f"--kind: {unknown_body_kind(kind)}")


class Queries:
    """Read-only questions, answered from the read model tables."""

    def __init__(self, engine: Engine, conn: Connection | None = None) -> None:
        self.engine = engine
        self._conn = conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        if self._conn is not None:
            yield self._conn
        else:
            with self.engine.connect() as conn:
                yield conn

    def known_at(self, text: str | None) -> int | None:
        """A log position, a change id or label, or a timestamp: what the ledger had recorded then."""
        if text is None or text == "":
            return None
        with self.connect() as conn:
            return resolve_known_at(conn, text)

    def resolve(self, text: str, entity: str = "organisation") -> str:
        with self.connect() as conn:
            return names.resolve(conn, text, entity)

    def resolve_post(self, text: str) -> str:
        """A post by id, by 'Title, Organisation' / 'Title @ Organisation', or by an unambiguous title."""
        with self.connect() as conn:
            return names.resolve_post(conn, text)

    def world(self, axes: Axes, conn: Connection | None = None) -> World:
        """Every organisation, post and membership on the date, folded from every fact."""
        if conn is None:
            with self.connect() as c:
                return reading.world(c, axes)
        return reading.world(conn, axes)

    # --- questions ------------------------------------------------------------------------------
    def structure(
        self,
        axes: Axes,
        *,
        kind: str | None = None,
        only: str | None = None,
        member_of: str | None = None,
    ) -> dict[str, Any]:
        body = self.resolve(member_of) if member_of is not None else None
        with collector_paused(), self.connect() as conn:
            if kind is not None:
                check_kind(conn, kind)
            # The periods are cut from every change; an answer from some sources folds their facts.
            snapshot = self._snapshot(conn, axes) if axes.published is None else None
            world = snapshot or self.world(axes, conn)
            return structure.structure(conn, world, axes, kind=kind, only=only, members_of=body)

    def structure_page(
        self, axes: Axes, *, kind: str | None = None, number: int = 1, size: int = 100
    ) -> dict[str, Any]:
        """One page of `structure` (its entries, with `total` and `pages`): the web's page."""
        with collector_paused(), self.connect() as conn:
            if kind is not None:
                check_kind(conn, kind)
            return structure.structure_page(conn, axes, kind=kind, number=number, size=size)

    @staticmethod
    def _snapshot(conn: Connection, axes: Axes) -> Snapshot | None:
        """The periods valid on the date, if they are current with the facts; else the fold."""
        return structure.snapshot(conn, axes)

    def show(self, org_text: str, axes: Axes) -> dict[str, Any]:
        org = self.resolve(org_text)
        with self.connect() as conn:
            return bodies.show(conn, org, axes)

    def history(self, org_text: str, axes: Axes) -> dict[str, Any]:
        org = self.resolve(org_text)
        with self.connect() as conn:
            return bodies.history(conn, org, axes)

    def lineage(self, org_text: str, axes: Axes) -> dict[str, Any]:
        org = self.resolve(org_text)
        with self.connect() as conn:
            return bodies.lineage(conn, org, axes)

    def holders(self, post_text: str, axes: Axes, *, all_time: bool = False) -> dict[str, Any]:
        post = self.resolve_post(post_text)
        with self.connect() as conn:
            return bodies.holders(conn, post, axes, all_time=all_time)

    def person(self, text: str, axes: Axes) -> dict[str, Any]:
        """Every post a person held (a misspelt name is refused with the close names)."""
        who = self.resolve(text, "person")
        with self.connect() as conn:
            return people.person(conn, who, axes)

    def search(self, text: str, limit: int = 20) -> dict[str, Any]:
        with self.connect() as conn:
            return search.search(conn, text, limit)

    def log(
        self,
        *,
        limit: int | None = None,
        after: int | None = None,
        until: int | None = None,
        filters: log.Filters | None = None,
        published: frozenset[str] | None = None,
    ) -> list[dict[str, Any]]:
        with self.connect() as conn:
            if published is None:
                return log.log(conn, limit=limit, after=after, until=until, filters=filters)
            found = _cited(log.log(conn, after=after, until=until, filters=filters), published)
            return found if limit is None else found[:limit]

    def diff(
        self,
        start: date,
        end: date,
        known_at: int | None = None,
        include_planned: bool = False,
        published: frozenset[str] | None = None,
    ) -> dict[str, Any]:
        """The changes effective after `start` up to `end`, and what they made differ: bodies
        appeared, ended, renamed, joining and leaving, holders of posts (`differences`)."""
        with self.connect() as conn:
            found = log.diff(conn, start, end, known_at, include_planned)
            if published is not None:
                found["changes"] = _cited(found["changes"], published)
        window = {c["change_id"] for c in found["changes"]}

        def at(day: date) -> Axes:
            return Axes(
                on=day, known_at=known_at, include_planned=include_planned, published=published
            )

        def touching(body: str) -> list[dict[str, Any]]:
            with self.connect() as conn:
                history = bodies.history(conn, body, at(end))["changes"]
            return [c for c in history if c["change_id"] in window]

        found["bodies"] = differences(self.structure(at(start)), self.structure(at(end)), touching)
        return found

    def plans(
        self, known_at: int | None = None, published: frozenset[str] | None = None
    ) -> list[dict[str, Any]]:
        with self.connect() as conn:
            found = log.plans(conn, known_at)
            return found if published is None else _cited(found, published)

    def plans_answer(
        self, known_at: int | None = None, published_by: date | None = None
    ) -> dict[str, Any]:
        """`ledger plans` as JSON (the web's too): the open plans as known at a position, in the
        sources published by a date."""
        entries = self.plans(known_at, self.published(published_by))
        return {
            "known_at": known_at,
            "published_by": published_by and published_by.isoformat(),
            "changes": entries,
        }

    def entity_ids(self, entity: str) -> list[str]:
        """The ids of every entity of a sort (organisation, post, person, function), by name."""
        from ledger.adapters.tables import entities

        query = select(entities.c.id).where(entities.c.entity == entity).order_by(entities.c.name)
        with self.connect() as conn:
            return [r[0] for r in conn.execute(query)]

    def change(self, text: str) -> dict[str, Any]:
        """One change, as recorded, with what amended it (the web's change page)."""
        with self.connect() as conn:
            return log.change(conn, text)

    def change_days(self, known_at: int | None = None, include_planned: bool = False) -> list[date]:
        """Every day on which a change took effect, in order."""
        with self.connect() as conn:
            return log.change_days(conn, known_at, include_planned)

    def neighbouring_days(
        self, day: date, known_at: int | None = None, include_planned: bool = False
    ) -> tuple[date | None, date | None]:
        """The days before and after `day` on which a change took effect (None: none)."""
        with self.connect() as conn:
            return log.neighbouring_days(conn, day, known_at, include_planned)

    # --- the sources ----------------------------------------------------------------------------
    def published(self, by: date | None) -> frozenset[str] | None:
        """The changes cited to sources published by a date (None: no such bound, every change)."""
        if by is None:
            return None
        with self.connect() as conn:
            return registry.published(conn, by)

    def sources(self, published_by: date | None = None) -> dict[str, Any]:
        with self.connect() as conn:
            return registry.sources(conn, published_by)

    def knowledge(self, known_at: int | None = None) -> Knowledge:
        """Everything the ledger had recorded by a position (None: now), for an export."""
        with collector_paused(), self.connect() as conn:
            return knowledge.read(conn, known_at)

    def count_changes(self) -> int:
        with self.connect() as conn:
            return log.count_changes(conn)
