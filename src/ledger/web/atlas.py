"""`ledger atlas`: the served pages as a static site, for publishing a ledger. The structure on each
milestone and on every day a change took effect, every body on each of them, and every body,
person, post, source and change once, each page beside its JSON; links are relative, so the site
opens from the file system with no server. Only the pages written are linked.

The site is written to a folder beside the target and moved into it when complete: a failed run
leaves the target as it was.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import date
from importlib.resources import as_file, files
from pathlib import Path

from ledger.views.questions import Queries
from ledger.web.links import Links, page_file
from ledger.web.pages import MILESTONES, Page, Site
from ledger.web.render import as_json, html

Progress = Callable[[int, int], None]  # (pages written, pages in all)


def _plan(site: Site, today: date) -> dict[str, Callable[[], Page]]:
    """Every page of the atlas by its address, each made when it is written (a structure's is
    made here: its bodies are pages too)."""
    queries = site.queries
    days = sorted({*(date.fromisoformat(d) for d in MILESTONES), *queries.change_days()})
    pages: dict[str, Callable[[], Page]] = {"/": site.index}
    for day in days:
        made = site.structure(day.isoformat(), page_size=None)
        pages[f"/on/{day}/structure"] = lambda made=made: made  # type: ignore[misc]
        for org in made.data["organisations"]:
            pages[f"/on/{day}/body/{org['id']}"] = (
                lambda day=day, org=org["id"]: site.body(day, org)  # type: ignore[misc]
            )
        before = made.context["before"]
        if before is not None:
            pages[f"/diff/{before}/{day}"] = lambda b=before, d=day: site.diff(str(b), str(d))  # type: ignore[misc]
    for org in queries.entity_ids("organisation"):
        pages[f"/body/{org}"] = lambda org=org: site.body(site.body_day(org)[1], org)  # type: ignore[misc]
    for post in queries.entity_ids("post"):
        pages[f"/post/{post}"] = lambda post=post: site.post(post)  # type: ignore[misc]
    for person in queries.entity_ids("person"):
        made = site.person(person)
        pages[f"/person/{made.data['person']['name']}"] = lambda made=made: made  # type: ignore[misc]
    sources = site.sources()
    pages["/sources"] = lambda: sources
    for source in sources.data["sources"]:
        pages[f"/source/{source['id']}"] = lambda source=source["id"]: site.source(source)  # type: ignore[misc]
    for entry in queries.log():
        pages[f"/change/{entry['change']}"] = lambda key=entry["change"]: site.change(key)  # type: ignore[misc]
    pages["/plans"] = site.plans
    return pages


def write_atlas(
    queries: Queries, out: Path, *, today: date | None = None, progress: Progress | None = None
) -> int:
    """Write the atlas of the store into `out` (made if missing; what it holds besides the atlas's
    own files and folders is left alone). Returns the number of pages written."""
    site = Site(queries, today, memo=True)
    pages = _plan(site, site.today)
    written = frozenset(pages)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as building:
        root = Path(building)
        with as_file(files("ledger.web") / "static") as static:
            shutil.copytree(static, root / "static")
        for done, (address, make) in enumerate(pages.items(), 1):
            page = make()
            links = Links(here=address, atlas=written)
            target = root / page_file(address)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(html(page, links), encoding="utf-8")
            (root / page_file(address, ".json")).write_text(
                as_json(page.data) + "\n", encoding="utf-8"
            )
            if progress is not None:
                progress(done, len(pages))
        out.mkdir(parents=True, exist_ok=True)
        for entry in root.iterdir():
            there = out / entry.name
            if there.is_dir() and not there.is_symlink():
                shutil.rmtree(there)
            elif there.exists() or there.is_symlink():
                there.unlink()
            entry.rename(there)
    return len(pages)
