"""Finding organisations, posts and people by id, code or name, in the read model.

Used by the application (to resolve the names a change uses) and by the queries; it imports
neither eventsourcing nor the application, so a question starts fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from ledger.adapters.tables import as_date, entities, facts, fold, names
from ledger.application.errors import Ambiguous, NotFound
from ledger.domain.matching import close_bounds, close_matches
from ledger.domain.timeline import pair

if TYPE_CHECKING:
    from ledger.application.batch import KnownNames, PendingNames


def id_prefix(key: str) -> tuple[str, str]:
    """The range of hex ids starting with KEY, for an index seek (LIKE cannot use one on SQLite)."""
    return key, key + "g"


# Lookups by name in one batch before the names of an entity type are read into memory at once.
PRELOAD_AFTER = 256

# A merger or split introduces a body only under a name no closer than this to a known one.
INTRODUCED_CUTOFF = 0.85
# Known names from which a batch finds the close-name bound of all its introductions at once.
BOUND_TOGETHER_FROM = 1_000

# Built once: the resolver asks these for nearly every change of an import.
_BY_NAME = (
    select(names.c.entity_id)
    .join(entities, entities.c.id == names.c.entity_id)
    .where(names.c.folded == bindparam("folded"), entities.c.entity == bindparam("entity"))
    .distinct()
)
# What says whether a body is in force on a date and under which name (the renamed check).
_LIFE_AND_NAMES = select(
    facts.c.aspect, facts.c.value, facts.c.eff_start, facts.c.known_from
).where(
    facts.c.subject == bindparam("subject"),
    facts.c.aspect.in_(("start", "attest", "name", "end")),
    facts.c.known_to.is_(None),
    facts.c.planned.is_(False),
)
_ENTITY = select(entities.c.id).where(entities.c.id == bindparam("id"))
# A body's joinings and leavings up to a day, as recorded (plans aside): `member_of`.
_MEMBERSHIPS = select(facts.c.other, facts.c.aspect, facts.c.eff_start, facts.c.known_from).where(
    facts.c.subject == bindparam("member"),
    facts.c.aspect.in_(("member_start", "member_end")),
    facts.c.known_to.is_(None),
    facts.c.planned.is_(False),
    facts.c.eff_start <= bindparam("day"),
)
# The relationships a body is either end of, started or ended up to a day, as recorded (plans
# aside): `related`. Each end is read through its own index (subject; other).
_RELATIONSHIPS = [
    select(
        facts.c.subject, facts.c.value, facts.c.other, facts.c.aspect, facts.c.eff_start,
        facts.c.known_from,
    ).where(
        end == bindparam("body"),
        facts.c.aspect.in_(("rel_start", "rel_end")),
        facts.c.known_to.is_(None),
        facts.c.planned.is_(False),
        facts.c.eff_start <= bindparam("day"),
    )
    for end in (facts.c.subject, facts.c.other)
]  # fmt: skip
# Whether a body closed by a day, as recorded (plans aside): `in_force`.
_CLOSED_BY = select(facts.c.id).where(
    facts.c.subject == bindparam("body"),
    facts.c.aspect == "end",
    facts.c.known_to.is_(None),
    facts.c.planned.is_(False),
    facts.c.eff_start <= bindparam("day"),
)
_ID_PREFIX = select(entities.c.id, entities.c.entity).where(
    entities.c.id >= bindparam("low"), entities.c.id < bindparam("high")
)


def _all_close(folded: str, names_: dict[str, str], cutoff: float) -> list[str]:
    """Every name (folded) in `names_` at least `cutoff` close to `folded`, closest first."""
    return close_matches(folded, list(names_), n=len(names_), cutoff=cutoff) if names_ else []


class Resolver:
    """Finds organisations, posts and people by id, code or unambiguous name.

    While a batch is being appended, `pending` answers for the names its not yet projected changes
    introduce, and `settle` projects them for the questions only the read model can answer."""

    def __init__(
        self,
        conn: Connection,
        pending: PendingNames | None = None,
        settle: Callable[[], None] | None = None,
        names: KnownNames | None = None,
        introductions: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        self.conn = conn
        self.pending = pending  # names introduced by changes not yet in the read model
        self._settle = settle  # projects those changes, for questions only the read model answers
        self._answers: dict[tuple[str, str], list[str]] = {}  # while batching, until forget()
        # While batching, after PRELOAD_AFTER lookups: every name of an entity type (folded -> ids),
        # read once and grown as chunks are projected; a long import then asks no query per name.
        self._index: dict[str, dict[str, list[str]]] = names[0] if names else {}
        self._lookups = 0
        # While batching: every name the read model knows, by entity type (folded -> as written).
        # Names are never taken out of the read model, so the list is kept for the whole batch
        # and grows as chunks are projected (`absorb`), instead of being read again for each new
        # body whose name must not be close to a known one.
        # Both may come from an earlier batch of this process (`names`, see `NameMemo`).
        self._known: dict[str, dict[str, str]] = names[1] if names else {}
        # While batching: the names a batch's mergers and splits may introduce (`introductions`),
        # and, once the first is checked, the known names that pass the close-name bound for each
        # of them, found in one pass (`close_bounds`); names absorbed since are added to those.
        self._introductions = introductions
        self._bounds: dict[str, dict[str, list[str]]] = {}  # entity -> folded -> known names
        self._bounded_at: dict[str, int] = {}  # entity -> how many names were absorbed by then
        self._absorbed: dict[str, list[str]] = {}  # entity -> folded names absorbed, in order

    def names(self) -> KnownNames:
        """The names read and absorbed so far, for the next batch if this one commits."""
        return self._index, self._known

    def settle(self) -> None:
        if self.pending and self._settle is not None:
            self._settle()

    def forget(self, names: Iterable[str] | None = None) -> None:
        """The read model changed: a chunk introducing these (folded) names was projected, so the
        answers for them may be stale (names are never taken out of the read model); without
        `names`, any answer may be."""
        if names is None:
            self._answers.clear()
            return
        stale = set(names)
        for key in [key for key in self._answers if key[0] in stale]:
            del self._answers[key]

    def absorb(self, projected: PendingNames) -> None:
        """The names of a chunk just projected join the names known to the batch."""
        for entity, known in self._known.items():
            for folded, text in projected.names_of(entity).items():
                if folded not in known:
                    known[folded] = text
                    self._absorbed.setdefault(entity, []).append(folded)
        for folded, found in projected.by_name.items():
            for entity_id, entity in found:
                index = self._index.get(entity)
                if index is not None and entity_id not in index.setdefault(folded, []):
                    index[folded].append(entity_id)

    def _candidates(self, text: str, entity: str) -> list[str]:
        folded = fold(text)
        key_ = (folded, entity)
        found = self._answers.get(key_) if self.pending is not None else None
        if found is None and self.pending is not None:
            index = self._index.get(entity)
            if index is None and self._lookups >= PRELOAD_AFTER:
                index = self._index[entity] = self._names_of(entity)
            if index is not None:
                found = index.get(folded, [])
        if found is None:
            self._lookups += 1
            rows = self.conn.execute(_BY_NAME, {"folded": folded, "entity": entity}).all()
            found = [r[0] for r in rows]
            if self.pending is not None:
                self._answers[key_] = found
        found = list(found)
        if self.pending:
            found += [i for i in self.pending.candidates(folded, entity) if i not in found]
        if not found:
            key = text.strip().lower().replace("-", "")
            if len(key) >= 6 and all(c in "0123456789abcdef" for c in key):
                self.settle()
                low, high = id_prefix(key)
                # The kind is checked here, not in SQL, so the planner keeps to the id index.
                rows = self.conn.execute(_ID_PREFIX, {"low": low, "high": high}).all()
                found = [r.id for r in rows if r.entity == entity]
        return found

    def find(
        self, text: str, entity: str, *, missing_ok: bool = False, introducing: bool = False
    ) -> UUID | None:
        found = self._candidates(text, entity)
        if len(found) == 1:
            return UUID(found[0])
        if len(found) > 1:
            listing = "; ".join(self.describe(f) for f in found[:8])
            raise Ambiguous(f"{entity} {text!r} is ambiguous: {listing} (use the id)")
        if introducing:
            close = self.suggestions(text, entity, cutoff=INTRODUCED_CUTOFF)
            if close:
                raise NotFound(
                    f"unknown {entity} {text!r}; did you mean {close[0]!r}? "
                    "(a merger or split only introduces a body whose name is not close to a known one)"
                )
        if missing_ok:
            return None
        raise NotFound(self.not_found_message(text, entity))

    def organisation(self, text: str) -> UUID:
        found = self.find(text, "organisation")
        assert found is not None
        return found

    def maybe_organisation(self, text: str, *, introducing: bool = False) -> UUID | None:
        return self.find(text, "organisation", missing_ok=True, introducing=introducing)

    def organisation_by_codes(self, codes: dict[str, str]) -> UUID | None:
        for code in codes.values():
            found = self.find(code, "organisation", missing_ok=True)
            if found is not None:
                return found
        return None

    def person(self, text: str, *, missing_ok: bool = False) -> UUID | None:
        return self.find(text, "person", missing_ok=missing_ok)

    def post(self, title: str, organisation: UUID) -> UUID:
        from ledger.domain.ids import post_id

        candidate = post_id(organisation, title)
        if self.pending and candidate.hex in self.pending.ids:
            return candidate
        row = self.conn.execute(_ENTITY, {"id": candidate.hex}).first()
        if row is None:
            self.settle()
            org_name = self.conn.execute(
                select(entities.c.name).where(entities.c.id == organisation.hex)
            ).scalar()
            raise NotFound(f"no post {title!r} in {org_name}; record post_created first")
        return candidate

    def kind_of(self, organisation: UUID) -> str | None:
        pending = self.pending
        if pending is not None and organisation.hex in pending.kinds and self._settle is not None:
            self._settle()  # a pending change sets or may change this body's kind
        # Ordered here, not in SQL: with an ORDER BY on the date, SQLite (which plans without
        # statistics) walks every body's kind in date order instead of this body's few rows.
        rows = self.conn.execute(
            select(facts.c.value, facts.c.eff_start, facts.c.known_from).where(
                facts.c.subject == organisation.hex,
                facts.c.aspect == "kind",
                facts.c.known_to.is_(None),
            )
        ).all()
        if not rows:
            return None
        value = max(rows, key=lambda r: (r.eff_start, r.known_from)).value
        return str(value) if value else None

    def member_of(self, organisation: UUID, day: date) -> list[UUID]:
        """The bodies the organisation was a member of on the day, by the recorded joinings and
        leavings (effective order, then recorded order; plans aside), in the order it joined them."""
        self.settle()  # a pending change may join or leave
        rows = self.conn.execute(_MEMBERSHIPS, {"member": organisation.hex, "day": day}).all()
        marks: dict[str, list[tuple[Any, bool]]] = {}
        for body, aspect, eff, _ in sorted(rows, key=lambda r: (r[2], r[3])):
            marks.setdefault(body, []).append((eff, aspect == "member_start"))
        found = []
        for body, held in marks.items():
            periods = pair(held, _first)
            if periods and periods[-1].end is None:
                found.append((periods[-1].start, body))
        return [UUID(body) for _, body in sorted(found)]

    def in_force(self, organisation: UUID, day: date) -> bool:
        """Whether the organisation has not closed by the day, as recorded (plans aside)."""
        self.settle()  # a pending change may close it
        params = {"body": organisation.hex, "day": day}
        return self.conn.execute(_CLOSED_BY, params).first() is None

    def related(self, organisation: UUID, day: date) -> list[tuple[UUID, str, UUID]]:
        """The relationships in force on the day in which the organisation is the subject or the
        object, as (subject, relation, object), by the recorded starts and ends (effective order,
        then recorded order; plans aside), in the order they started."""
        self.settle()  # a pending change may start or end one
        params = {"body": organisation.hex, "day": day}
        rows = {tuple(r) for query in _RELATIONSHIPS for r in self.conn.execute(query, params)}
        marks: dict[tuple[str, str, str], list[tuple[Any, bool]]] = {}
        for subject, relation, other, aspect, eff, _ in sorted(rows, key=lambda r: (r[4], r[5])):
            marks.setdefault((subject, relation, other), []).append((eff, aspect == "rel_start"))
        found = []
        for (subject, relation, other), held in marks.items():
            periods = pair(held, _first)
            if periods and periods[-1].end is None:
                found.append((periods[-1].start, subject, relation, other))
        return [(UUID(s), str(r), UUID(o)) for _, s, r, o in sorted(found)]

    def holder_of_name(self, name: str, on: date, *, other_than: UUID) -> str | None:
        """The id of another organisation in force on `on` under `name` (its latest name by then),
        if there is one: a name names one body at a time."""
        self.settle()
        folded = fold(name)
        found = [i for i in self._candidates(name, "organisation") if i != other_than.hex]
        for candidate in found:
            rows = self.conn.execute(_LIFE_AND_NAMES, {"subject": candidate}).all()
            by_then = [r for r in rows if as_date(r.eff_start) <= on]
            if not by_then or any(r.aspect == "end" for r in by_then):
                continue
            named = [r for r in by_then if r.aspect == "name"]
            if named:
                current = max(named, key=lambda r: (as_date(r.eff_start), r.known_from)).value
            else:  # brought in by a merger or split under the name it was given
                current = self.conn.execute(
                    select(entities.c.name).where(entities.c.id == candidate)
                ).scalar()
            if current is not None and fold(str(current)) == folded:
                return candidate
        return None

    def describe(self, entity_id: str) -> str:
        self.settle()
        row = self.conn.execute(
            select(entities.c.name, entities.c.entity).where(entities.c.id == entity_id)
        ).first()
        name = row.name if row else "?"
        return f"{name} [{entity_id[:8]}]"

    def suggestions(self, text: str, entity: str, cutoff: float = 0.6) -> list[str]:
        folded = fold(text)
        pending: dict[str, str] = {}
        if self.pending is None:
            known = self._names_in_read_model(entity)
        else:
            cached = self._known.get(entity)
            if cached is None:
                self.settle()  # the first time, from a read model that holds every pending name
                cached = self._known[entity] = self._names_in_read_model(entity)
            known, pending = cached, self.pending.names_of(entity)
        # Each set narrowed on its own (the known names are many and the pending ones change),
        # then the close names of both compared together.
        by_fold: dict[str, str] = {}
        for names_, close in (
            (known, self._close_known(folded, entity, known, cutoff)),
            (pending, _all_close(folded, pending, cutoff)),
        ):
            for name in close:
                by_fold.setdefault(name, names_[name])
        return [by_fold[c] for c in close_matches(folded, list(by_fold), n=3, cutoff=cutoff)]

    def _close_known(
        self, folded: str, entity: str, known: dict[str, str], cutoff: float
    ) -> list[str]:
        """`_all_close(folded, known, cutoff)`; for a batch's check of a new body's name, through
        the bound found for every name the batch may introduce, the first time one is checked."""
        bounds = self._bounds.get(entity)
        if (
            bounds is None
            and cutoff == INTRODUCED_CUTOFF
            and self._introductions is not None
            and len(known) >= BOUND_TOGETHER_FROM
        ):
            words = list(
                dict.fromkeys(f for f in map(fold, self._introductions()) if f not in known)
            )
            bounds = self._bounds[entity] = dict(
                zip(words, close_bounds(words, list(known), cutoff), strict=True)
            )
            self._bounded_at[entity] = len(self._absorbed.get(entity, ()))
        bound = bounds.get(folded) if bounds and cutoff == INTRODUCED_CUTOFF else None
        if bound is None:
            return _all_close(folded, known, cutoff)
        since = self._absorbed.get(entity, [])[self._bounded_at[entity] :]
        return close_matches(folded, bound + since, n=len(known), cutoff=cutoff)

    def _names_of(self, entity: str) -> dict[str, list[str]]:
        """Folded name -> the ids of the entities of this type the read model knows by it."""
        index: dict[str, list[str]] = {}
        rows = self.conn.execute(
            select(names.c.folded, names.c.entity_id)
            .join(entities, entities.c.id == names.c.entity_id)
            .where(entities.c.entity == entity)
        )
        for folded, entity_id in rows:
            ids = index.setdefault(folded, [])
            if entity_id not in ids:
                ids.append(entity_id)
        return index

    def _names_in_read_model(self, entity: str) -> dict[str, str]:
        rows = self.conn.execute(
            select(names.c.name)
            .join(entities, entities.c.id == names.c.entity_id)
            .where(entities.c.entity == entity)
        ).all()
        return {fold(r[0]): r[0] for r in rows}

    def not_found_message(self, text: str, entity: str) -> str:
        close = self.suggestions(text, entity)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return f"unknown {entity} {text!r}{hint}"


def _first(day: date) -> date:
    return day
