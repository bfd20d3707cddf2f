"""Where a page's links lead: a served page links by absolute path (with the query it keeps, such
as `known-at`); a page of the atlas links by a relative file path, so the site opens from the file
system with no server, and only to the pages the atlas writes.

A page's address is its path without an extension (`/on/2019-04-01/structure`); its JSON is the
same path with `.json`, and its file in the atlas the same path with `.html`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode


def page_file(path: str, suffix: str = ".html") -> str:
    """The file of a page in the atlas, relative to its root: `/` is `index.html`."""
    name = path.strip("/")
    return (name or "index") + suffix


@dataclass
class Links:
    """Makes the links of one page: `here` is its own address."""

    here: str = "/"
    keep: Mapping[str, str] = field(default_factory=dict)  # query every link carries (served)
    atlas: frozenset[str] | None = None  # the pages the atlas writes; None: served

    @property
    def served(self) -> bool:
        return self.atlas is None

    def __call__(self, path: str, *, json: bool = False, **query: str | None) -> str | None:
        """The link to a page (its JSON with `json`); None where the atlas does not have it."""
        if self.atlas is None:
            asked = {**self.keep, **{k.replace("_", "-"): v for k, v in query.items()}}
            given = {k: v for k, v in asked.items() if v not in (None, "")}
            address = quote(path + (".json" if json else ""), safe="/:-_.~@")
            return address + ("?" + urlencode(given) if given else "")
        if path not in self.atlas or query:
            return None
        target = page_file(path, ".json" if json else ".html")
        base = posixpath.dirname(page_file(self.here))
        relative = posixpath.relpath(target, base or ".")
        if not relative.startswith("."):
            relative = "./" + relative  # never read as a scheme (`source:x.html`)
        return quote(relative, safe="/:-_.~@")

    def asset(self, name: str) -> str:
        """A file of the package's static folder (a stylesheet, a script)."""
        if self.atlas is None:
            return f"/static/{name}"
        base = posixpath.dirname(page_file(self.here))
        return posixpath.relpath(f"static/{name}", base or ".")
