"""`ledger import-ods` (the NHS ODS register) and `ledger count`.

Like every command they parse, call the importer or a query, and hand a View to the one renderer.
No `from __future__ import annotations` here: see cli/main.py.
"""

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.cli.app import app, axes, ledger, os_user, show
from ledger.cli.options import (
    Format,
    FormatOpt,
    ImportDryRunOpt,
    ImportNoRetryOpt,
    KnownAtOpt,
    OnOpt,
    PlannedOpt,
    PublishedByOpt,
)
from ledger.cli.render import Graph, View


class OnError(StrEnum):
    refuse = "refuse"
    skip = "skip"


class CountBy(StrEnum):
    kind = "kind"
    commissioner = "commissioner"


# How the report names each kind of change it planned, in the order it lists them.
CATEGORIES = {
    "established": "organisations established",
    "planned": "proposed organisations (plans)",
    "merged into new": "mergers into a new body (which they establish)",
    "merged into existing": "mergers into an existing body (absorptions)",
    "split": "splits",
    "succeeded": "successions (plain edges, closing nothing)",
    "renamed": "organisations renamed",
    "closed": "organisations closed",
    "ods_name": "register names recorded (fact ods_name)",
    "ods_status": "practice statuses recorded (fact ods_status)",
    "joined": "practices joined a commissioner",
    "left": "practices left a commissioner",
    "listed": "listed in force on the release date (evidence)",
    "seen member": "memberships seen on the release date (evidence)",
}


@app.command("import-ods")
def import_ods(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(
            help="ODS organisation files (27 columns, no header), e.g. eccg.csv etr.csv.",
            metavar="ORGFILE...",
            show_default=False,
        ),
    ],
    successors: Annotated[
        Path | None,
        typer.Option("--successors", help="The ODS successor file (5 columns), e.g. succ.csv."),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="Kind of body in the organisation files (ccg, trust, gp_practice, ...). Default: from the file name (eccg: ccg, etr: nhs_trust, epraccur: gp_practice).",
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option("--source", help='Source id every change cites. Default: "ods:" + file name.'),
    ] = None,
    on_error: Annotated[
        OnError,
        typer.Option(
            "--on-error",
            help="Inconsistent rows: refuse the whole import (naming the row), or skip and report them.",
        ),
    ] = OnError.refuse,
    released: Annotated[
        str | None,
        typer.Option(
            "--released",
            help="Date of the ODS release; renames it shows are dated then (ODS keeps no name history). Default: today.",
        ),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Who records the changes. Default: the OS user.")
    ] = None,
    dry_run: ImportDryRunOpt = False,
    no_retry: ImportNoRetryOpt = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Import the official NHS register (ODS): organisations, closures, renames and successions.

    Each organisation is established on its open date and closed the day after its close date;
    successor rows become mergers, absorptions, splits or plain successions on their date. Every
    change cites the file (name, SHA-256, import date) and row. All-or-nothing; re-importing
    appends nothing, and a newer release appends only what changed. See docs/ods.md.

    \b
    Example:
      ledger --db register.db import-ods examples/ods/eccg.csv examples/ods/etr.csv \\
          --successors examples/ods/succ.csv
      ledger --db register.db import-ods examples/ods/eccg.csv \\
          --successors examples/ods/succ.csv --released 2025-06-01 --on-error skip
    """
    from ledger.domain.dates import parse_day
    from ledger.importers.ods import import_ods as run_import

    chatty = fmt == Format.table
    with ledger(ctx, create=True) as led:
        report = run_import(
            led.app,
            led.queries,
            files,
            successors,
            kind=kind,
            source=source,
            on_error=on_error.value,
            released=parse_day(released) if released else None,
            recorder=by or os_user(),
            dry_run=dry_run,
            retries=0 if no_retry else 3,
            progress=typer.echo if chatty else lambda _: None,
        )
        show(report_view(report.as_dict()), fmt)


def report_view(data: dict[str, Any]) -> View:
    """The import report: one row per kind of change and per reason for skipping rows."""
    from ledger.importers.ods import ranges

    rows: list[dict[str, Any]] = []
    counts = data["changes_by_kind"]
    for category, label in CATEGORIES.items():
        rows.append({"what": label, "count": counts.get(category, 0), "rows": ""})
    rows.append(
        {"what": "rows already in the ledger", "count": data["rows_already_in_ledger"], "rows": ""}
    )
    if data["inconsistent"]:
        rows.append(
            {
                "what": "skipped: inconsistent rows (listed below)",
                "count": len(data["inconsistent"]),
                "rows": ranges((p["file"], p["row"]) for p in data["inconsistent"]),
            }
        )
    for reason, skipped in data["skipped"].items():
        rows.append(
            {"what": f"skipped: {reason}", "count": skipped["count"], "rows": skipped["rows"]}
        )
    omitted = [o for o in data["omitted"] if not o["closed_by_succession"]]
    if data["omitted"]:
        rows.append(
            {
                "what": "omitted, with no close date (listed below)",
                "count": len(omitted),
                "rows": "",
            }
        )
    notes = []
    for o in data["omitted"]:
        if o["closed_by_succession"]:
            notes.append(
                f"omitted by this release, closed by the successor file: {o['code']} {o['name']}"
            )
        else:
            notes.append(
                f"omitted by this release: {o['code']} {o['name']}, last listed {o['last_listed']}; "
                "presumed after that date, not asserted (no close date)"
            )
    for problem in data["inconsistent"]:
        notes.append(
            f"skipped, inconsistent: {problem['file']} row {problem['row']}: {problem['reason']}"
        )
    for difference in data["differences"]:
        notes.append(
            f"differs from the ledger: {difference['file']} row {difference['row']}: {difference['what']}"
        )
    notes.extend(data["notes"])
    graph = Graph()
    for change in data["changes"]:
        request = change["request"]
        kind = request["change"]
        if kind in ("merged", "split", "succeeded"):
            froms = request.get("predecessors") or [request.get("source") or request["predecessor"]]
            tos = request.get("successors") or [
                request.get("codes", {}).get("ods") or request["successor"]
            ]
            for a in froms:
                for b in tos:
                    graph.nodes.setdefault(a, a)
                    graph.nodes.setdefault(b, b)
                    graph.edges.append((a, b, f"{kind} {request['effective']}"))
    verb = "would append" if data["dry_run"] else "appended"
    title = f"ODS import: {verb} {data['appended']} changes"
    if data["already_recorded"]:
        title += f" ({data['already_recorded']} already recorded)"
    if not data["appended"] and not data["dry_run"]:
        notes.append("nothing new: the ledger already holds everything these files say")
    return View(
        data=data,
        columns=["what", "count", "rows"],
        rows=rows,
        graph=graph,
        title=title,
        notes=notes,
    )


@app.command()
def count(
    ctx: typer.Context,
    on: OnOpt = None,
    known_at: KnownAtOpt = None,
    include_planned: PlannedOpt = False,
    by: Annotated[
        CountBy,
        typer.Option(
            "--by",
            help="What to count by: kind (every body), or commissioner (GP practices, by the body they were members of).",
        ),
    ] = CountBy.kind,
    published_by: PublishedByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """How many bodies were in force on a date, by kind; or how many GP practices each commissioner had.

    \b
    Example:
      ledger count --on 2019-04-01 --by kind
      ledger count --on 2013-04-01 --format json
      ledger --db register.db import-ods examples/ods/eccg.csv examples/ods/epraccur.csv \\
          --released 2016-02-01
      ledger --db register.db count --on 2016-02-01 --by commissioner
    """
    from ledger.views.ods import count_by_commissioner, count_by_kind

    with ledger(ctx) as led:
        on_axes = axes(on, known_at, include_planned, led, published_by)
        if by == CountBy.commissioner:
            show(commissioner_view(count_by_commissioner(led.queries, on_axes)), fmt)
        else:
            show(count_view(count_by_kind(led.queries, on_axes)), fmt)


def commissioner_view(data: dict[str, Any]) -> View:
    graph = Graph()
    rows = []
    for row in data["counts"]:
        name = row["commissioner"] or "(no commissioner)"
        rows.append({"commissioner": name, "code": row["code"] or "", "count": row["count"]})
        graph.nodes[row["id"] or "none"] = f"{name}: {row['count']}"
    known = (
        f" (as known at position {data['known_at']})" if data.get("known_at") is not None else ""
    )
    return View(
        data=data,
        columns=["commissioner", "code", "count"],
        rows=rows,
        graph=graph,
        title=f"GP practices in force on {data['on']}{known}, by commissioner: {data['total']}",
    )


def count_view(data: dict[str, Any]) -> View:
    graph = Graph()
    for row in data["counts"]:
        graph.nodes[row["kind"]] = f"{row['kind']}: {row['count']}"
    known = (
        f" (as known at position {data['known_at']})" if data.get("known_at") is not None else ""
    )
    return View(
        data=data,
        columns=["kind", "count"],
        rows=list(data["counts"]),
        graph=graph,
        title=f"Bodies in force on {data['on']}{known}: {data['total']}",
    )
