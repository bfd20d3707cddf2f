"""The questions: `ledger structure`, `show`, `history`, `lineage`, `holders`, `person`, `search`,
`log`, `plans`, `diff` and `replay` ask the read model (or the log) and hand a View to the renderer; `project` writes the
structure at milestone dates. No `from __future__ import annotations` here: see cli/main.py.

Over 400 lines as one group: each command is a thin function over `Queries` with the shared
options of options.py, and `log` and `diff` carry their filters. Should it grow further, split it
by the question's subject (bodies and posts; people and search; the log) as app.LISTED orders them.
"""

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger.cli.app import app, axes, fail, handled, ledger, published_day, reading, show
from ledger.cli.options import (
    AttestedOpt,
    Format,
    FormatOpt,
    KnownAtOpt,
    OnOpt,
    OrganisationArg,
    PlannedOpt,
    PublishedByOpt,
)

if TYPE_CHECKING:
    from ledger.bootstrap import Ledger


@app.command()
def structure(
    ctx: typer.Context,
    on: OnOpt = None,
    known_at: KnownAtOpt = None,
    include_planned: PlannedOpt = False,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only organisations of this kind (e.g. ccg).")
    ] = None,
    member_of: Annotated[
        str | None,
        typer.Option(
            "--member-of",
            help="Only the members of this body on the date (a CCG's practices, a partnership's partners).",
        ),
    ] = None,
    published_by: PublishedByOpt = None,
    attested: AttestedOpt = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Every body in force on a date: name on that date, kind, codes, memberships, posts and holders, facts, sources.

    Each item is in force, or presumed (marked, with its last evidence: no end is recorded but no
    source shows it after that date); --attested keeps only what the sources attest on the date.

    \b
    Example:
      ledger structure --on 2019-04-01
      ledger structure --on 2018-06-01 --kind ccg --format json
      ledger structure --on 2017-12-19 --format mermaid
      ledger structure --on 2019-04-01 --member-of "Devon STP"
      ledger structure --on 2017-10-24 --attested
    """
    from ledger.cli.views import structure_view

    with reading(ctx) as led:
        data = led.queries.structure(
            axes(on, known_at, include_planned, led, published_by, attested),
            kind=kind,
            member_of=member_of,
        )
        show(structure_view(data), fmt)


@app.command("show")
def show_(
    ctx: typer.Context,
    organisation: OrganisationArg,
    on: OnOpt = None,
    known_at: KnownAtOpt = None,
    include_planned: PlannedOpt = False,
    published_by: PublishedByOpt = None,
    attested: AttestedOpt = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """One organisation on a date: names, kind, members, memberships, posts, facts and sources.

    Its status is in force, presumed (past its last evidence, no end recorded), not in force, or
    unknown (before the sources first speak of it, by a date that does not found it).

    \b
    Example:
      ledger show "NHS Devon CCG" --on 2019-04-01
      ledger show "Livewell Southwest" --format json
      ledger show "Devon County Council" --on 2016-01-01
    """
    from ledger.cli.views import show_view

    with reading(ctx) as led:
        on_axes = axes(on, known_at, include_planned, led, published_by, attested)
        show(show_view(led.queries.show(organisation, on_axes)), fmt)


@app.command()
def history(
    ctx: typer.Context,
    organisation: OrganisationArg,
    on: OnOpt = None,
    known_at: KnownAtOpt = None,
    published_by: PublishedByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Every change touching an organisation, in effective order, with sources.

    \b
    Example:
      ledger history "Livewell Southwest"
      ledger history "NEW Devon CCG" --format csv
    """
    from ledger.cli.views import history_view

    with reading(ctx) as led:
        on_axes = axes(on, known_at, True, led, published_by)
        show(history_view(led.queries.history(organisation, on_axes)), fmt)


@app.command()
def lineage(
    ctx: typer.Context,
    organisation: OrganisationArg,
    on: OnOpt = None,
    known_at: KnownAtOpt = None,
    published_by: PublishedByOpt = None,
    members: Annotated[
        bool,
        typer.Option(
            "--members",
            help="Also say, for each step, where the members of the body it comes from went on its date (a CCG's practices when it merged).",
        ),
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """All predecessors and successors, transitively, with the kind and date of each step.

    \b
    Example:
      ledger lineage "NHS Devon CCG"
      ledger lineage "NEW Devon CCG" --format mermaid
      ledger lineage "NHS Devon CCG" --members
    """
    from ledger.cli.views import lineage_view

    with reading(ctx) as led:
        on_axes = axes(on, known_at, False, led, published_by)
        data = led.queries.lineage(organisation, on_axes)
        if not members:
            show(lineage_view(data), fmt)
            return
        from ledger.views.members import members_moved, members_notes

        view = lineage_view(members_moved(led.queries, data, on_axes))
        view.notes.extend(members_notes(data))
        show(view, fmt)


@app.command()
def holders(
    ctx: typer.Context,
    post: Annotated[
        str, typer.Argument(help="'Title, Organisation', an unambiguous title, or an id.")
    ],
    on: OnOpt = None,
    known_at: KnownAtOpt = None,
    all_time: Annotated[
        bool, typer.Option("--all", help="Every holder over time, not just on the date.")
    ] = False,
    published_by: PublishedByOpt = None,
    attested: AttestedOpt = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Who held a post on a date (or over time with --all), substantive, interim, acting or shadow.

    A holder no source shows after an appointment with no recorded end is presumed (marked, with
    the last evidence); a planned end never confirmed is shown beside it.

    \b
    Example:
      ledger holders "Chief Executive, Devon STP" --on 2017-10-24
      ledger holders "Chief Executive, Devon STP" --on 2017-10
      ledger holders "Independent Chair, Devon STP" --on 2019-04-01
      ledger holders "Independent Chair, Devon STP" --all --format json
    """
    from ledger.cli.views import holders_view

    with reading(ctx) as led:
        show(
            holders_view(
                led.queries.holders(
                    post,
                    axes(on, known_at, False, led, published_by, attested),
                    all_time=all_time,
                )
            ),
            fmt,
        )


@app.command()
def person(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The person's name (or id).")],
    known_at: KnownAtOpt = None,
    include_planned: PlannedOpt = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Every post a person held: organisation, dates, interim, acting or shadow, and sources.

    A name the ledger does not know is refused with the close names it does.

    \b
    Example:
      ledger person "Mairead McAlinden"
      ledger person "Dame Ruth Carnell" --include-planned --format json
    """
    from ledger.cli.views import person_view

    with reading(ctx) as led:
        show(person_view(led.queries.person(name, axes(None, known_at, include_planned, led))), fmt)


@app.command()
def search(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="A name, part of one, a code, a source or a change.")],
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many.")] = 20,
    fmt: FormatOpt = Format.table,
) -> None:
    """Find bodies (by every name they have had, aliases and codes), posts, people, functions,
    sources and changes (label or id) by text: exact, then prefix, word and part matches, then close
    spellings.

    \b
    Example:
      ledger search kernow
      ledger search "chief exec" --format json
    """
    from ledger.cli.views import search_view

    with reading(ctx) as led:
        show(search_view(led.queries.search(text, limit)), fmt)


@app.command()
def log(
    ctx: typer.Context,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Show at most this many changes.")
    ] = None,
    after: Annotated[
        int | None, typer.Option("--after", help="Only changes after this log position.")
    ] = None,
    recorder: Annotated[
        str | None, typer.Option("--recorder", help="Only changes this recorder recorded.")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="Only this kind of change (e.g. merged, staff-transferred)."),
    ] = None,
    body: Annotated[
        str | None,
        typer.Option(
            "--body", help="Only changes touching this organisation (as `history` lists)."
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only changes effective on or after this date.")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help="Only changes effective on or before this date (all of a month, quarter or year).",
        ),
    ] = None,
    recorded_since: Annotated[
        str | None,
        typer.Option(
            "--recorded-since",
            help="Only changes recorded at or after this: a position, a change or a timestamp.",
        ),
    ] = None,
    recorded_until: Annotated[
        str | None,
        typer.Option(
            "--recorded-until",
            help="Only changes recorded up to this: a position, a change or a timestamp.",
        ),
    ] = None,
    published_by: PublishedByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Every recorded change in recorded order: position, recorded-at, recorder, change id, sources;
    filtered by recorder, kind, body, and dates on both axes (effective and recorded).

    \b
    Example:
      ledger log
      ledger log --after 120 --format json
      ledger log --kind merged --since 2019 --until 2019
      ledger log --body "Livewell Southwest" --recorder ledger-curators
      ledger log --recorded-since devon-ccgs-merge-2019-04 --limit 5
    """
    from ledger.cli.views import log_view
    from ledger.domain.dates import Effective
    from ledger.views.axes import Axes
    from ledger.views.log import Filters

    with reading(ctx) as led:
        filters = Filters(
            recorder=recorder,
            kind=_kind(kind) if kind else None,
            since=Effective.parse(since) if since else None,
            until=Effective.parse(until) if until else None,
            change_ids=frozenset(
                c["change_id"]
                for c in led.queries.history(body, Axes(on=date.today(), include_planned=True))[
                    "changes"
                ]
            )
            if body
            else None,
        )
        first = _recorded_since(led, recorded_since) if recorded_since else None
        if first is not None:
            after = first if after is None else max(after, first)
        last = led.queries.known_at(recorded_until) if recorded_until else None
        published = led.queries.published(published_day(published_by))
        entries = led.queries.log(
            limit=limit, after=after, until=last, filters=filters, published=published
        )
        view = log_view(entries)
        chosen = [
            f"{name} {value}"
            for name, value in (
                ("recorder", recorder),
                ("kind", kind),
                ("body", body),
                ("effective since", since),
                ("effective until", until),
                ("recorded since", recorded_since),
                ("recorded until", recorded_until),
            )
            if value
        ]
        if chosen:
            view.title += f" ({'; '.join(chosen)})"
        show(view, fmt)


def _kind(text: str) -> str:
    """A kind of change as the log stores it (`staff-transferred` or `staff_transferred`)."""
    from difflib import get_close_matches

    from ledger.application.errors import InvalidInput
    from ledger.domain.kinds import KINDS

    known = [*KINDS, "cancelled"]
    name = text.strip().replace("-", "_")
    if name not in known:
        close = get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known kinds: {', '.join(known)}"
        raise InvalidInput(f"--kind {text!r} is not a kind of change{hint}")
    return name


def _recorded_since(led: Any, text: str) -> int:
    """The position after which the changes recorded at or after TEXT (a position, a change or a
    timestamp) come."""
    from datetime import datetime, timedelta

    text = text.strip()
    if text.isdigit():
        return max(int(text) - 1, 0)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return max((led.queries.known_at(text) or 1) - 1, 0)  # a change: from it on
    # Everything recorded before the moment, to the microsecond, is left out.
    return int(led.queries.known_at((moment - timedelta(microseconds=1)).isoformat()) or 0)


@app.command()
def plans(
    ctx: typer.Context,
    known_at: KnownAtOpt = None,
    published_by: PublishedByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Planned changes as the ledger knew them: not yet confirmed or cancelled at --known-at.

    \b
    Example:
      ledger plans
      ledger plans --known-at 2017-12-31T23:59
    """
    from ledger.cli.views import log_view

    with reading(ctx) as led:
        by = published_day(published_by)
        data = led.queries.plans_answer(led.queries.known_at(known_at), by)
        view = log_view(data["changes"])
        view.data = data
        view.title = (
            f"Plans: {len(data['changes'])} planned changes"
            + (f" as known at {known_at}" if known_at else "")
            + (f" in sources published by {by}" if by else "")
        )
        show(view, fmt)


@app.command()
def sources(
    ctx: typer.Context,
    published_by: PublishedByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The sources the store has registered, each with its title, date, issuing body and what it
    supports (the changes citing it); a source cited but not registered is listed too, unregistered.

    \b
    Example:
      ledger sources
      ledger sources --published-by 2017-12-31 --format json
    """
    from ledger.cli.views import sources_view

    with reading(ctx) as led:
        show(sources_view(led.queries.sources(published_day(published_by))), fmt)


@app.command()
def project(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("--out", help="Directory to write the snapshots into.")
    ] = Path("projections"),
    on: Annotated[
        list[str] | None,
        typer.Option(
            "--on", help="A milestone date (repeatable; default: the standard milestones)."
        ),
    ] = None,
) -> None:
    """Write the structure at milestone dates as Markdown (with a Mermaid diagram) and JSON.

    The default milestones are 2015-04-01, 2017-09-15, 2017-12-19, 2018-04-01,
    2019-03-31, 2019-04-01 and "current" (today).

    \b
    Example:
      ledger project --out projections/
      ledger project --out /tmp/snapshots --on 2016-04-01 --on current
    """
    from ledger.cli.projections import MILESTONES, write_projections
    from ledger.domain.dates import parse_day

    milestones = list(on or MILESTONES)
    for milestone in milestones:
        if milestone != "current":
            with handled():
                parse_day(milestone)
    with ledger(ctx) as led:
        written = write_projections(
            led.queries, out, milestones, "ledger project --out projections/", date.today()
        )
        typer.echo(f"wrote {len(written)} files to {out}")


@app.command()
def diff(
    ctx: typer.Context,
    start: Annotated[str, typer.Argument(help="The earlier date.")],
    end: Annotated[str, typer.Argument(help="The later date.")],
    known_at: KnownAtOpt = None,
    include_planned: PlannedOpt = False,
    published_by: PublishedByOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """What changed in the structure between two dates: bodies that appeared, ended, were renamed
    or reclassified, joined or left another, and holders who took up or left a post, each with the
    changes (effective after the first date, up to and including the second) that caused it.

    \b
    Example:
      ledger diff 2019-03-31 2019-04-01
      ledger diff 2017-01-01 2017-12-31 --known-at 2018-01-01T00:00 --format json
    """
    from ledger.cli.views import diff_view
    from ledger.domain.dates import parse_day

    with reading(ctx) as led:
        d1, d2 = parse_day(start), parse_day(end)
        if d2 < d1:
            fail(f"the second date ({end}) is before the first ({start})", 2)
        published = led.queries.published(published_day(published_by))
        data = led.queries.diff(d1, d2, led.queries.known_at(known_at), include_planned, published)
        show(diff_view(data), fmt)


@app.command()
def replay(
    ctx: typer.Context,
    until: Annotated[
        int | None, typer.Option("--until", help="Stop after this log position.")
    ] = None,
    show_structure_on: Annotated[
        str | None,
        typer.Option(
            "--show-structure-on",
            help="After each step, the structure on this date as it then stood.",
        ),
    ] = None,
    at: Annotated[
        list[int] | None,
        typer.Option("--at", help="Only show the structure after these positions (repeatable)."),
    ] = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Check the hash chain as it goes: stop at the first event that fails, exit 8.",
        ),
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """The auditor's view: every change in recorded order with position, recorded-at, recorder,
    reason and sources; optionally the structure on a date as it stood after each step.

    \b
    Example:
      ledger replay --until 40
      ledger replay --verify
      ledger replay --show-structure-on 2019-04-01 --at 12 --at 30
    """
    from ledger.cli.views import log_view
    from ledger.domain.dates import parse_day

    with ledger(ctx) as led:
        fault, checked = None, 0
        if verify:
            from ledger.application.audit import Audit

            fault, checked = Audit(led.app).first_fault(until)
            if fault is not None and fault.position is not None:
                until = fault.position - 1  # everything before the fault is shown, then it
        entries = led.queries.log(until=until)
        if show_structure_on:
            _replay_structure(led, entries, parse_day(show_structure_on), set(at or []), fmt)
        else:
            show(log_view(entries), fmt)
        if fault is not None:
            from ledger.application.errors import VerificationFailed

            raise VerificationFailed(f"replay stopped: the chain fails at {fault.line()}")
        if verify:
            typer.echo(f"the hash chain holds up to position {checked}", err=True)


def _replay_structure(
    led: "Ledger", entries: list[dict[str, Any]], on: date, chosen: set[int], fmt: Format
) -> None:
    """Each step of a replay with the structure on a date as it stood after it."""
    from ledger.cli.app import terminal_width
    from ledger.cli.render import render
    from ledger.cli.views import log_view, structure_view
    from ledger.views.axes import Axes

    steps: list[dict[str, Any]] = []
    for entry in entries:
        step: dict[str, Any] = {"change": entry}
        if not chosen or entry["position"] in chosen:
            step["structure"] = led.queries.structure(Axes(on=on, known_at=entry["position"]))
        steps.append(step)
    if fmt == Format.json:
        import json

        typer.echo(json.dumps({"on": on.isoformat(), "steps": steps}, indent=2, ensure_ascii=False))
        return
    for step in steps:
        typer.echo(
            render(
                log_view([step["change"]]),
                "table" if fmt in (Format.mermaid, Format.dot) else fmt.value,
            ).split("\n", 1)[1]
        )
        if "structure" in step:
            typer.echo(render(structure_view(step["structure"]), fmt.value, width=terminal_width()))
        typer.echo("")
