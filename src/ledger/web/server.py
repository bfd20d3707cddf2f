"""`ledger serve`: the pages of web/pages.py over HTTP (Flask), read-only.

Every page's address encodes its dates (`/on/2019-04-01/structure`, `/diff/2019-03-31/2019-04-01`),
with `known-at` (and `planned`, `kind`, `page`) in its query, so it can be cited; the same address
ending `.json` answers with what `ledger ... --format json` prints for the same question. The forms
(the date control, search) lead to the permanent address by a redirect.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from importlib.resources import files
from typing import Any

from flask import Flask, Response, redirect, request

from ledger.application.errors import LedgerError, NotFound
from ledger.domain.dates import InvalidDate
from ledger.views.questions import Queries
from ledger.web.links import Links
from ledger.web.pages import Asked, Page, Site
from ledger.web.render import as_json, html


def _asked() -> Asked:
    return Asked(
        known_at=request.args.get("known-at") or None, planned=bool(request.args.get("planned"))
    )


def _keep() -> dict[str, str]:
    """What every link of a served page carries on: the known-at and plans it was asked with."""
    return {k: v for k in ("known-at", "planned") if (v := request.args.get(k, ""))}


def _split(key: str) -> tuple[str, bool]:
    """An address's last part and whether it asks for JSON (`.json`)."""
    return (key[:-5], True) if key.endswith(".json") else (key, False)


def create_app(queries: Queries, *, today: date | None = None) -> Flask:
    """The web application over a store's queries; it never writes to the store."""
    app = Flask("ledger.web", static_folder=str(files("ledger.web") / "static"))
    site = Site(queries, today)

    def answer(
        make: Callable[[], Page], here: str, json: bool, keep: dict[str, str] | None = None
    ) -> Any:
        try:
            page = make()
        except NotFound as exc:
            return _error(str(exc), here, 404)
        except (LedgerError, InvalidDate) as exc:
            return _error(str(exc), here, 400)
        if json:
            return Response(as_json(page.data) + "\n", mimetype="application/json")
        links = Links(here=here, keep={**_keep(), **(keep or {})})
        return Response(html(page, links), mimetype="text/html")

    def _error(message: str, here: str, status: int) -> Response:
        if here.endswith(".json") or request.path.endswith(".json"):
            return Response(as_json({"error": message}) + "\n", status, mimetype="application/json")
        page = Page("error.html", "Not answered", {"error": message})
        return Response(html(page, Links(here=here, keep=_keep())), status, mimetype="text/html")

    @app.get("/")
    @app.get("/index.json")
    def index() -> Any:
        return answer(site.index, "/", request.path.endswith(".json"))

    @app.get("/structure")
    def structure_form() -> Any:
        """The date control: to the structure's permanent address."""
        on = request.args.get("on") or site.today.isoformat()
        query = {k: v for k in ("known-at", "kind", "planned") if (v := request.args.get(k))}
        return redirect(Links(keep=query)(f"/on/{on}/structure") or "/")

    @app.get("/on/<on>/<page>")
    def structure(on: str, page: str) -> Any:
        name, json = _split(page)
        if name != "structure":
            return _error(f"no page {request.path}", request.path, 404)
        number = request.args.get("page", "1")
        return answer(
            lambda: site.structure(
                on,
                _asked(),
                request.args.get("kind"),
                int(number) if number.isdigit() else 1,
                whole=json,
            ),
            f"/on/{on}/structure",
            json,
        )

    @app.get("/on/<on>/body/<key>")
    def body(on: str, key: str) -> Any:
        key, json = _split(key)
        return answer(lambda: site.body(on, key, _asked()), f"/on/{on}/body/{key}", json)

    @app.get("/on/<on>/body/<key>/<question>")
    def body_question(on: str, key: str, question: str) -> Any:
        asked, _ = _split(question)
        if asked not in ("history", "lineage"):
            return _error(f"no page {request.path}", request.path, 404)
        make = site.history if asked == "history" else site.lineage
        return answer(lambda: make(on, key, _asked()), f"/on/{on}/body/{key}/{asked}", True)

    @app.get("/body/<key>")
    def body_undated(key: str) -> Any:
        try:
            found, day = site.body_day(_split(key)[0], _asked())
        except LedgerError as exc:
            return _error(str(exc), request.path, 404 if isinstance(exc, NotFound) else 400)
        return redirect(Links(keep=_keep())(f"/on/{day}/body/{found}") or "/")

    @app.get("/person/<key>")
    def person(key: str) -> Any:
        key, json = _split(key)
        return answer(lambda: site.person(key, _asked()), f"/person/{key}", json)

    @app.get("/post/<key>")
    def post(key: str) -> Any:
        key, json = _split(key)
        return answer(lambda: site.post(key, _asked()), f"/post/{key}", json)

    @app.get("/source/<key>")
    def source(key: str) -> Any:
        key, json = _split(key)
        return answer(lambda: site.source(key), f"/source/{key}", json)

    @app.get("/sources")
    @app.get("/sources.json")
    def sources() -> Any:
        return answer(site.sources, "/sources", request.path.endswith(".json"))

    @app.get("/change/<key>")
    def change(key: str) -> Any:
        key, json = _split(key)
        return answer(lambda: site.change(key), f"/change/{key}", json)

    @app.get("/diff/<start>/<end>")
    def diff(start: str, end: str) -> Any:
        end, json = _split(end)
        return answer(lambda: site.diff(start, end, _asked()), f"/diff/{start}/{end}", json)

    @app.get("/plans")
    @app.get("/plans.json")
    def plans() -> Any:
        return answer(lambda: site.plans(_asked()), "/plans", request.path.endswith(".json"))

    @app.get("/search")
    @app.get("/search.json")
    def search() -> Any:
        text = request.args.get("q", "")
        return answer(
            lambda: site.search(text), "/search", request.path.endswith(".json"), {"q": text}
        )

    return app
