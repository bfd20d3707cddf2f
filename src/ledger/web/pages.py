"""The pages: each asks `Queries` the question the CLI asks for the same view, and keeps its answer
as it is (the JSON under the page's address is exactly `ledger ... --format json`), with what
else its template shows beside it (the dates around, a lineage drawn, a proof).

Served (web/server.py) and written to files (web/atlas.py) alike; neither writes to the store.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ledger.application.errors import NotFound
from ledger.domain.dates import parse_period
from ledger.domain.kinds import BODY_KINDS
from ledger.views.axes import Axes
from ledger.views.questions import Queries
from ledger.web.timeline import lives

PAGE_SIZE = 100  # organisations on one page of a structure
MILESTONES = ("2015-04-01", "2017-09-15", "2017-12-19", "2018-04-01", "2019-03-31", "2019-04-01")


@dataclass
class Page:
    """What a page shows: its template, its answer (the JSON), and the rest of its context."""

    template: str
    title: str
    data: Any
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Asked:
    """The axes a page is asked on, as a user gives them (`known-at`, `planned`)."""

    known_at: str | None = None
    planned: bool = False


class Site:
    """Every page of a ledger, on one store's queries."""

    def __init__(self, queries: Queries, today: date | None = None, *, memo: bool = False) -> None:
        self.queries = queries
        self.today = today or date.today()
        # The atlas shows a body on many dates: its history and lineage (which do not depend on
        # the date) are asked once. Served, every page asks afresh: the store may grow.
        self._memo: dict[tuple[str, str, Asked], dict[str, Any]] | None = {} if memo else None
        self._proofs: tuple[str, Any] | None = None
        self._lock = threading.Lock()

    def _axes(self, on: str | date | None, asked: Asked, *, planned: bool | None = None) -> Axes:
        day, last = parse_period(on) if on else (self.today, self.today)
        return Axes(
            on=day,
            known_at=self.queries.known_at(asked.known_at),
            include_planned=asked.planned if planned is None else planned,
            until=last if last != day else None,
        )

    def index(self) -> Page:
        """The dates to start from: the milestones, and every day on which a change took effect."""
        days = self.queries.change_days()
        data = {"milestones": list(MILESTONES), "change_days": [d.isoformat() for d in days]}
        return Page(
            "index.html",
            "The ledger, on any date",
            data,
            {"milestones": MILESTONES, "days": days, "today": self.today},
        )

    # --- the structure on a date ----------------------------------------------------------------
    def structure(
        self,
        on: str,
        asked: Asked = Asked(),
        kind: str | None = None,
        page: int = 1,
        page_size: int | None = PAGE_SIZE,
        *,
        whole: bool = True,
    ) -> Page:
        """The structure on a date; a page of it (`whole=False`: only the page's bodies are read,
        and the page's answer holds only them), or the whole answer (JSON, the atlas)."""
        axes = self._axes(on, asked)
        before, after = self.queries.neighbouring_days(axes.on, axes.known_at, axes.include_planned)
        if whole or page_size is None:
            data = self.queries.structure(axes, kind=kind or None)
            orgs = data["organisations"]
            size = page_size or max(len(orgs), 1)
            pages = max(1, -(-len(orgs) // size))
            page = min(max(page, 1), pages)
            total, shown = len(orgs), orgs[(page - 1) * size : page * size]
        else:
            # Only the page's bodies are read in full (views/structure.py, `structure_page`).
            size = page_size
            data = self.queries.structure_page(
                axes, kind=kind or None, number=max(page, 1), size=size
            )
            pages, total, shown = data["pages"], data["total"], data["organisations"]
            if page > pages:  # past the last page: the last
                page = pages
                data = self.queries.structure_page(axes, kind=kind or None, number=page, size=size)
                shown = data["organisations"]
            page = max(page, 1)
        return Page(
            "structure.html",
            f"Structure on {data['on']}",
            data,
            {
                "on": axes.on,
                "until": axes.until,
                "before": before,
                "after": after,
                "kind": kind or "",
                "kinds": BODY_KINDS,
                "milestones": MILESTONES,
                "number": page,
                "pages": pages,
                "first": (page - 1) * size,
                "total": total,
                "shown": shown,
            },
        )

    # --- one body -------------------------------------------------------------------------------
    def body(self, on: str | date, text: str, asked: Asked = Asked()) -> Page:
        axes = self._axes(on, asked)
        data = self.queries.show(text, axes)
        org = data["organisation"]
        history = self._asked(
            "history", org["id"], asked, lambda: self.history(on, org["id"], asked)
        )
        lineage = self._asked(
            "lineage", org["id"], asked, lambda: self.lineage(on, org["id"], asked)
        )
        return Page(
            "body.html",
            f"{org['name']} on {data['on']}",
            data,
            {"on": axes.on, "history": history, "lineage": lineage, "today": self.today},
        )

    def _asked(
        self, question: str, body: str, asked: Asked, make: Callable[[], Page]
    ) -> dict[str, Any]:
        if self._memo is None:
            return make().data  # type: ignore[no-any-return]
        key = (question, body, asked)
        if key not in self._memo:
            self._memo[key] = make().data
        return self._memo[key]

    def history(self, on: str | date, text: str, asked: Asked = Asked()) -> Page:
        data = self.queries.history(text, self._axes(on, asked, planned=True))
        return Page("json", f"History of {data['organisation']['name']}", data)

    def lineage(self, on: str | date, text: str, asked: Asked = Asked()) -> Page:
        data = self.queries.lineage(text, self._axes(on, asked, planned=False))
        return Page("json", f"Lineage of {data['organisation']['name']}", data)

    def body_day(self, text: str, asked: Asked = Asked()) -> tuple[str, date]:
        """A body's id and the day its undated page shows: today where it stands, else the last
        day it stood."""
        data = self.queries.show(text, self._axes(self.today, asked, planned=False))
        org = data["organisation"]
        if org["in_force"]:
            return org["id"], self.today
        life = lives([{**n, "id": org["id"]} for n in org.get("names", ())]).get(org["id"])
        return org["id"], life.last_day(self.today) if life else self.today

    # --- people, posts, sources, changes ----------------------------------------------------------
    def person(self, text: str, asked: Asked = Asked()) -> Page:
        data = self.queries.person(text, self._axes(None, asked))
        return Page("person.html", data["person"]["name"], data)

    def post(self, text: str, asked: Asked = Asked()) -> Page:
        data = self.queries.holders(text, self._axes(None, asked), all_time=True)
        post = data["post"]
        return Page("post.html", f"{post['title']}, {post['organisation']}", data)

    def sources(self) -> Page:
        return Page("sources.html", "Sources", self.queries.sources())

    def source(self, source_id: str) -> Page:
        for source in self.queries.sources()["sources"]:
            if source["id"] == source_id:
                return Page("source.html", f"Source {source_id}", source)
        raise NotFound(f"no source {source_id!r} is cited or registered (see /sources)")

    def change(self, text: str) -> Page:
        data = self.queries.change(text)
        entry = data["change"]
        proof, why = self._proof(entry["change_id"])
        return Page(
            "change.html",
            f"Change {entry['change']}",
            data,
            {"proof": proof, "no_proof": why},
        )

    def _proof(self, change_id: str) -> tuple[dict[str, Any] | None, str | None]:
        """The change's inclusion proof in the log the store's last checkpoint attests, or why
        there is none."""
        from ledger.application.audit import Proofs, latest_checkpoint
        from ledger.application.errors import LedgerError
        from ledger.views.log import change_row

        with self.queries.connect() as conn:
            cp = latest_checkpoint(conn)
            if cp is None:
                return None, "the store has no checkpoint yet (`ledger checkpoint` takes one)"
            with self._lock:
                if self._proofs is None or self._proofs[0] != cp.text():
                    self._proofs = (cp.text(), Proofs(conn, cp))
                proofs = self._proofs[1]
            try:
                return proofs.prove(change_row(conn, change_id)), None
            except LedgerError as exc:
                return None, str(exc)

    # --- between dates, plans, search -------------------------------------------------------------
    def diff(self, start: str, end: str, asked: Asked = Asked()) -> Page:
        from ledger.application.errors import InvalidInput

        first, last = self._axes(start, asked), self._axes(end, asked)
        if last.on < first.on:
            raise InvalidInput(f"the second date ({end}) is before the first ({start})")
        data = self.queries.diff(first.on, last.on, first.known_at, asked.planned)
        return Page("diff.html", f"Between {data['from']} and {data['to']}", data)

    def plans(self, asked: Asked = Asked()) -> Page:
        data = self.queries.plans_answer(self.queries.known_at(asked.known_at))
        return Page("plans.html", "Plans", data)

    def search(self, text: str, limit: int = 50) -> Page:
        data: dict[str, Any] = (
            self.queries.search(text, limit)
            if text.strip()
            else {"query": text, "matches": [], "more": 0}
        )
        return Page("search.html", f"Search for {text!r}", data)
