"""Names: a body or a post found from what a user wrote, and the display names of entities by id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from ledger.adapters.tables import chunks, entities, fold, names
from ledger.application.errors import Ambiguous, NotFound
from ledger.domain.matching import close_matches

_NAMES = select(entities.c.id, entities.c.name).where(
    entities.c.id.in_(bindparam("ids", expanding=True))
)


def resolve(conn: Connection, text: str, entity: str = "organisation") -> str:
    """An organisation (or another `entity`) by id or name, as the write path resolves it."""
    from ledger.application.resolver import Resolver

    found = Resolver(conn).find(text, entity)
    assert found is not None
    return found.hex


# Built once per process, as the questions' other statements (see reading.py).
_POSTS_TITLED = (
    select(entities.c.id, entities.c.name, entities.c.parent, entities.c.first_position)
    .join(names, names.c.entity_id == entities.c.id)
    .where(names.c.folded == bindparam("folded"), entities.c.entity == "post")
    .distinct()
    .order_by(entities.c.first_position, entities.c.id)
)
_NAMED = select(names.c.entity_id).where(
    names.c.entity_id == bindparam("entity_id"), names.c.folded == bindparam("folded")
)
# The kind is checked in Python, not in SQL, so that the planner keeps to the id index.
_BY_ID_PREFIX = (
    select(entities.c.id, entities.c.name, entities.c.parent, entities.c.entity)
    .where(entities.c.id >= bindparam("low"), entities.c.id < bindparam("high"))
    .order_by(entities.c.first_position, entities.c.id)
)


def resolve_post(conn: Connection, text: str) -> str:
    """A post by id, by 'Title, Organisation' / 'Title @ Organisation', or by an unambiguous title."""
    from ledger.application.resolver import id_prefix

    wanted = fold(text)
    key = wanted.replace("-", "")

    def titled(title: str) -> list[Any]:
        return [
            p
            for p in conn.execute(_POSTS_TITLED, {"folded": fold(title)})
            if fold(p.name) == fold(title)
        ]

    def named(org_id: str | None, org: str) -> bool:
        found = conn.execute(_NAMED, {"entity_id": org_id or "", "folded": fold(org)}).first()
        return found is not None

    matches: list[Any] = []
    if len(key) >= 6:
        low, high = id_prefix(key)
        matches = [
            p for p in conn.execute(_BY_ID_PREFIX, {"low": low, "high": high}) if p.entity == "post"
        ]
    if not matches:
        for separator in (" @ ", ", ", " - "):
            if separator.strip() and separator in text:
                title, org = (
                    text.rsplit(separator.strip(), 1)
                    if separator.strip() == ","
                    else text.rsplit(separator, 1)
                )
                matches = [p for p in titled(title) if named(p.parent, org)]
                if matches:
                    break
    if not matches:
        matches = titled(text)
    if len(matches) == 1:
        return str(matches[0].id)
    if len(matches) > 1:
        listing = "; ".join(
            f"{p.name}, {conn.execute(select(entities.c.name).where(entities.c.id == p.parent)).scalar()}"
            for p in matches[:8]
        )
        raise Ambiguous(f"post {text!r} is ambiguous: {listing} (write 'Title, Organisation')")
    titles = sorted(
        {r[0] for r in conn.execute(select(entities.c.name).where(entities.c.entity == "post"))}
    )
    close = close_matches(text, titles, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise NotFound(f"unknown post {text!r}{hint}")


def entity_name(conn: Connection, entity_id: str) -> str:
    return str(
        conn.execute(select(entities.c.name).where(entities.c.id == entity_id)).scalar()
        or entity_id
    )


def names_of(conn: Connection, ids: set[str]) -> dict[str, str]:
    """Display names of many entities at once (by id)."""
    named: dict[str, str] = {}
    for chunk in chunks(sorted(ids)):
        named.update((r.id, r.name) for r in conn.execute(_NAMES, {"ids": chunk}))
    return named
