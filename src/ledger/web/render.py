"""A page as HTML (the package's Jinja2 templates) or as JSON (its answer, as the CLI prints it)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ledger.web.links import Links
from ledger.web.marks import LEGEND, evidence, when
from ledger.web.pages import Page
from ledger.web.timeline import lineage_svg


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("ledger.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(when=when, evidence=evidence, legend=LEGEND, lineage_svg=lineage_svg)
    env.filters["day"] = first_day
    return env


def first_day(effective: str | None) -> str | None:
    """The first day of an effective date (`2015-04` -> `2015-04-01`), or None."""
    from ledger.domain.dates import InvalidDate, parse_day

    try:
        return parse_day(effective).isoformat() if effective else None
    except InvalidDate:
        return None


def html(page: Page, links: Links) -> str:
    template = environment().get_template(page.template)
    return template.render(
        page=page,
        data=page.data,
        link=links,
        body_link=lambda body: links(f"/body/{body}"),
        **page.context,
    )


def as_json(data: Any) -> str:
    """As `--format json` prints it (the CLI adds the final newline)."""
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)
