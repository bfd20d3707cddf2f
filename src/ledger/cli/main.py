"""The `ledger` command. Commands parse, call the application or a query, and hand a View to the renderer.

Heavy modules (eventsourcing, SQLAlchemy, pydantic models) are imported inside commands, so
`ledger --help` starts fast. For the same reason this module and the others that define commands
(audit, ods) do not postpone annotations (`from __future__ import annotations`): typer reads every
command's options at start-up, and from strings it compiled each one (368, about 35 ms of
`--help`). Names imported only for type checking are quoted where they are used.
"""

import gc
import inspect
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar

import click
import typer
from typer.core import TyperGroup

from ledger.adapters.collector import collector_paused

if TYPE_CHECKING:
    from ledger.bootstrap import Ledger, Reader
    from ledger.cli.render import View
    from ledger.domain.declaration import Kind


class LedgerGroup(TyperGroup):
    """Every error a user can cause ends as one line on stderr and a non-zero exit code.

    The `record` group (a subcommand per kind of change) is built only when it is used: `ledger
    --help` and the queries need not build its hundreds of options, so they start faster."""

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        return names if "record" in names else [*names, "record"]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name != "record" or "record" in self.commands:
            return super().get_command(ctx, cmd_name)
        if self._listing:
            # Only its one-line help is shown in the list of commands.
            return click.Group("record", help=RECORD_HELP)
        group = typer.main.get_group(_record_app())
        group.name = "record"
        self.add_command(group, "record")
        return group

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
            sys.exit(0)
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            click.echo(f"ledger: error: {exc.format_message()}{hint}", err=True)
            sys.exit(2)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("ledger: interrupted", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            click.echo(f"ledger: error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        if isinstance(result, int) and result:
            sys.exit(result)
        return result


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    mermaid = "mermaid"
    dot = "dot"


FormatOpt = Annotated[
    Format, typer.Option("--format", "-f", help="Output format: table, json, csv, mermaid or dot.")
]
OnOpt = Annotated[
    str | None,
    typer.Option(
        "--on", help="Valid date: YYYY-MM-DD (or a month, quarter or year). Default: today."
    ),
]
KnownAtOpt = Annotated[
    str | None,
    typer.Option(
        "--known-at",
        help="What the ledger had recorded then: a log position, a change id or label, or a timestamp (one shown to the second covers that second).",
    ),
]
PlannedOpt = Annotated[
    bool,
    typer.Option(
        "--include-planned", help="Also show planned changes in force on the date, flagged."
    ),
]
ProgressOpt = Annotated[
    bool,
    typer.Option(
        "--progress/--no-progress",
        help="A progress bar (rate and ETA) on stderr; only ever shown on a terminal.",
    ),
]
JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=0,
        help="Worker processes sharing the work on a long log "
        "(default: one per core; 0: none, all in this process).",
    ),
]

HELP = """\
An event-sourced ledger of organisational change in health and care systems.

Records every change (mergers, renames, staff transfers, appointments, ...) as an
immutable event with its effective date and sources, and rebuilds the structure
of the whole system as of any date.

\b
Examples:
  ledger import events/
  ledger structure --on 2019-04-01
  ledger lineage "NHS Devon CCG" --format mermaid
  ledger record renamed "Devon STP" --name "Devon ACS" --effective 2017-09 \\
      --source devon-pdeg-2017-09-15:"section 2" --reason "STP became an ACS"

The store is ./ledger.db unless --db or LEDGER_DATABASE_URL says otherwise.
"""

app = typer.Typer(
    cls=LedgerGroup,
    name="ledger",
    help=HELP,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
RECORD_HELP = """\
Record one change. Each kind of change is a subcommand.

Every change needs --effective, at least one --source ID:LOCATOR and a --reason.

\b
Example:
  ledger record merged --predecessor "NEW Devon CCG" \\
      --predecessor "South Devon and Torbay CCG" --successor "NHS Devon CCG" \\
      --kind ccg --effective 2019-04-01 \\
      --source plymouth-hasc-2019-03-20:"section 2" --reason "CCG merger"
"""


@dataclass
class State:
    db: str | None = None


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database: a file path, sqlite:///PATH or postgresql://... Default: $LEDGER_DATABASE_URL or ./ledger.db.",
        ),
    ] = None,
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
) -> None:
    if version:
        from ledger import __version__

        typer.echo(f"ledger {__version__}")
        raise typer.Exit(0)
    ctx.obj = State(db=db)


# --- plumbing ---------------------------------------------------------------------------------


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"ledger: error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def handled() -> Iterator[None]:
    """Turn every error a user can cause into one line on stderr and its exit code."""
    from ledger.adapters.store import StoreError
    from ledger.application.errors import LedgerError
    from ledger.domain.checkpoint import CheckpointError
    from ledger.domain.dates import InvalidDate

    try:
        yield
    except typer.Exit:
        raise
    except LedgerError as exc:
        fail(str(exc), exc.exit_code)
    except (InvalidDate, StoreError, CheckpointError) as exc:
        fail(str(exc), 2)
    except Exception as exc:  # a bug, but still no traceback for the user
        if os.environ.get("LEDGER_DEBUG"):
            raise
        fail(f"unexpected {type(exc).__name__}: {exc} (set LEDGER_DEBUG=1 for a traceback)", 70)


# Load what a command uses (and open its store) with the cycle collector off: modules, their classes
# and the tables SQLAlchemy and pydantic build as they load live as long as the process.
loading = collector_paused


@contextmanager
def frozen() -> Iterator[None]:
    """While a command runs, what it has loaded is frozen, so the collections its own work triggers
    walk only what it builds; it is handed back to the collector afterwards, for a caller that
    goes on in the same process (a test). `run` freezes it again as the process ends."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class _Store(Protocol):
    def close(self) -> None: ...


S = TypeVar("S", bound=_Store)


@contextmanager
def _opened(ctx: typer.Context, open_store: Callable[[str | None], S]) -> Iterator[S]:
    """The store the command names, opened with the collector off and what was loaded frozen
    while the command runs; closed after."""
    state: State = ctx.obj or State()
    with handled():
        with loading():
            opened = open_store(state.db)
        with frozen():
            try:
                yield opened
            finally:
                opened.close()


@contextmanager
def ledger(ctx: typer.Context) -> Iterator["Ledger"]:
    with loading():
        from ledger.bootstrap import open_ledger
    with _opened(ctx, open_ledger) as opened:
        yield opened


@contextmanager
def reading(ctx: typer.Context) -> Iterator["Reader"]:
    """The read model alone, for questions: no application, no eventsourcing.

    A question builds its answer, prints it and exits, leaving next to nothing in reference
    cycles: the cycle collector is off meanwhile, as it would only walk the answer again and
    again while it grows (a country's structure is millions of objects)."""
    with loading():
        from ledger.bootstrap import open_reader
    with collector_paused(), _opened(ctx, open_reader) as opened:
        yield opened


def axes(
    on: str | None, known_at: str | None, include_planned: bool, led: "Ledger | Reader"
) -> Any:
    from ledger.adapters.queries import Axes
    from ledger.domain.dates import parse_day

    day = parse_day(on) if on else date.today()
    return Axes(on=day, known_at=led.queries.known_at(known_at), include_planned=include_planned)


def show(view: "View", fmt: Format) -> None:
    from ledger.cli.render import render

    typer.echo(render(view, fmt.value))


def os_user() -> str:
    """Who records, when a command is not told (`--by`)."""
    import getpass  # only when a change is recorded: it costs ~10 ms of every start-up

    return getpass.getuser()


# --- set-up and import ------------------------------------------------------------------------


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the ledger's tables (idempotent; every command also does this on first use).

    \b
    Example:
      ledger --db ledger.db init
    """
    with ledger(ctx) as led:
        typer.echo(f"ledger ready at {led.url} ({led.queries.count_changes()} changes)")


@app.command("import")
def import_(
    ctx: typer.Context,
    files: Annotated[
        list[Path], typer.Argument(help="YAML or JSON change files, or directories of them.")
    ],
    by: Annotated[
        str | None,
        typer.Option("--by", help="Recorder for entries that name none. Default: the OS user."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Check every change against the history; append nothing."),
    ] = False,
    no_retry: Annotated[
        bool,
        typer.Option(
            "--no-retry", help="Fail on a concurrent writer instead of checking again and retrying."
        ),
    ] = False,
    progress: ProgressOpt = True,
) -> None:
    """Append change files: all-or-nothing per file, and idempotent (re-importing appends nothing).

    \b
    Example:
      ledger import events/
      ledger import changes/2026-11-board.yaml --dry-run
    """
    from ledger.cli.progress import Progress
    from ledger.importers.changefiles import expand, load

    recorder = by or os_user()
    with ledger(ctx) as led:
        paths = list(expand(files))
        if not paths:
            fail("no change files found (looked for *.yaml, *.yml, *.json)", 2)
        total_new = total_old = 0
        bar = Progress(
            sys.stderr,
            sum(p.stat().st_size for p in paths),
            enabled=progress and sys.stderr.isatty(),
        )
        # A dry run rehearses every file in one transaction, so later files see earlier ones.
        # Files are read one at a time: memory follows the largest file, not the whole input.
        # The cycle collector is paced over all the files, not file by file (see batch.py).
        from ledger.application.batch import paced_collection

        try:
            with led.app.rehearsal() if dry_run else nullcontext(), paced_collection():
                for path in paths:
                    loaded = load(path, recorder)
                    bar.start_file(path.stat().st_size, len(loaded.requests))
                    try:
                        outcomes = led.app.record_many(
                            loaded.requests,
                            retries=0 if no_retry else 3,
                            progress=bar.advance,
                        )
                    except Exception as exc:
                        index = getattr(exc, "index", None)
                        if index is not None:
                            label = loaded.labels[index]
                            where = f"entry {index + 1}" + (f" ({label})" if label else "")
                            exc.args = (f"{path}: {where}: {exc}",)
                        raise
                    new = sum(1 for o in outcomes if o.status != "already recorded")
                    old = len(outcomes) - new
                    total_new += new
                    total_old += old
                    bar.clear()
                    verb = "would append" if dry_run else "appended"
                    typer.echo(
                        f"{path}: {verb} {new} changes"
                        + (f", {old} already recorded" if old else "")
                    )
                    bar.end_file(new)
        finally:
            bar.clear()
        if len(paths) > 1:
            verb = "would append" if dry_run else "appended"
            typer.echo(
                f"total: {verb} {total_new} changes from {len(paths)} files"
                + (f", {total_old} already recorded" if total_old else "")
            )
        if total_new == 0 and not dry_run:
            typer.echo("nothing new: every change was already recorded")


@app.command()
def rebuild(
    ctx: typer.Context,
    progress: ProgressOpt = True,
    jobs: JobsOpt = None,
) -> None:
    """Rebuild the read model from zero by replaying the whole log, in bulk, in one transaction.

    \b
    Example:
      ledger rebuild
    """
    from ledger.cli.progress import Progress

    with ledger(ctx) as led:
        head = led.app.recorder.max_notification_id() or 0
        bar = Progress(sys.stderr, head, enabled=progress and sys.stderr.isatty(), unit="events")
        count = led.app.rebuild(progress=bar.reached, workers=jobs)
        bar.clear()
        typer.echo(f"rebuilt the read model from {count} changes")


# --- queries ------------------------------------------------------------------------------------


@app.command()
def structure(
    ctx: typer.Context,
    on: OnOpt = None,
    known_at: KnownAtOpt = None,
    include_planned: PlannedOpt = False,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only organisations of this kind (e.g. ccg).")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Every body in force on a date: name on that date, kind, codes, memberships, posts and holders, facts, sources.

    \b
    Example:
      ledger structure --on 2019-04-01
      ledger structure --on 2018-06-01 --kind ccg --format json
      ledger structure --on 2017-12-19 --format mermaid
    """
    from ledger.cli.views import structure_view

    with reading(ctx) as led:
        data = led.queries.structure(axes(on, known_at, include_planned, led), kind=kind)
        show(structure_view(data), fmt)


@app.command("show")
def show_(
    ctx: typer.Context,
    organisation: Annotated[str, typer.Argument(help="Id, code or unambiguous name.")],
    on: OnOpt = None,
    known_at: KnownAtOpt = None,
    include_planned: PlannedOpt = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """One organisation on a date: names, kind, members, memberships, posts, facts and sources.

    \b
    Example:
      ledger show "NHS Devon CCG" --on 2019-04-01
      ledger show 15N --format json
    """
    from ledger.cli.views import show_view

    with reading(ctx) as led:
        show(
            show_view(led.queries.show(organisation, axes(on, known_at, include_planned, led))), fmt
        )


@app.command()
def history(
    ctx: typer.Context,
    organisation: Annotated[str, typer.Argument(help="Id, code or unambiguous name.")],
    on: OnOpt = None,
    known_at: KnownAtOpt = None,
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
        show(history_view(led.queries.history(organisation, axes(on, known_at, True, led))), fmt)


@app.command()
def lineage(
    ctx: typer.Context,
    organisation: Annotated[str, typer.Argument(help="Id, code or unambiguous name.")],
    on: OnOpt = None,
    known_at: KnownAtOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """All predecessors and successors, transitively, with the kind and date of each step.

    \b
    Example:
      ledger lineage "NHS Devon CCG"
      ledger lineage "NEW Devon CCG" --format mermaid
    """
    from ledger.cli.views import lineage_view

    with reading(ctx) as led:
        show(lineage_view(led.queries.lineage(organisation, axes(on, known_at, False, led))), fmt)


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
    fmt: FormatOpt = Format.table,
) -> None:
    """Who held a post on a date (or over time with --all), substantive, interim, acting or shadow.

    \b
    Example:
      ledger holders "Chief Executive, Devon STP" --on 2017-10-24
      ledger holders "Independent Chair, Devon STP" --all --format json
    """
    from ledger.cli.views import holders_view

    with reading(ctx) as led:
        show(
            holders_view(
                led.queries.holders(post, axes(on, known_at, False, led), all_time=all_time)
            ),
            fmt,
        )


@app.command()
def log(
    ctx: typer.Context,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Show at most this many changes.")
    ] = None,
    after: Annotated[
        int | None, typer.Option("--after", help="Only changes after this log position.")
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Every recorded change in recorded order: position, recorded-at, recorder, change id, sources.

    \b
    Example:
      ledger log
      ledger log --after 120 --format json
    """
    from ledger.cli.views import log_view

    with reading(ctx) as led:
        show(log_view(led.queries.log(limit=limit, after=after)), fmt)


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
    fmt: FormatOpt = Format.table,
) -> None:
    """What changed in the structure between two dates: every change effective after the first
    date up to and including the second, with its change id and sources.

    \b
    Example:
      ledger diff 2019-03-31 2019-04-01
      ledger diff 2017-01-01 2017-12-31 --known-at 2018-01-01T00:00 --format json
    """
    from ledger.cli.views import log_view
    from ledger.domain.dates import parse_day

    with reading(ctx) as led:
        d1, d2 = parse_day(start), parse_day(end)
        if d2 < d1:
            fail(f"the second date ({end}) is before the first ({start})", 2)
        data = led.queries.diff(d1, d2, led.queries.known_at(known_at), include_planned)
        view = log_view(data["changes"])
        view.data = data
        view.title = (
            f"Changes effective after {data['from']} up to {data['to']}: {len(data['changes'])}"
        )
        show(view, fmt)


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
    from ledger.adapters.queries import Axes
    from ledger.cli.render import render
    from ledger.cli.views import log_view, structure_view

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
            typer.echo(render(structure_view(step["structure"]), fmt.value))
        typer.echo("")


class Role(StrEnum):
    reader = "reader"
    recorder = "recorder"


@app.command()
def grant(
    ctx: typer.Context,
    role: Annotated[
        Role, typer.Argument(help="reader (queries only) or recorder (queries and appends).")
    ],
    name: Annotated[str, typer.Argument(help="The PostgreSQL login role to create or extend.")],
) -> None:
    """Create a PostgreSQL login role that can only read the ledger, or read and append to it.

    Nobody, the owner included, can UPDATE or DELETE a stored event: a trigger refuses it.
    Run it as the owner of the ledger's tables.

    \b
    Example:
      ledger --db postgresql://owner@db.example/ledger grant reader historian
      ledger --db postgresql://owner@db.example/ledger grant recorder pmo
    """
    from ledger.adapters.roles import RoleError
    from ledger.adapters.roles import grant as grant_role

    with ledger(ctx) as led:
        try:
            with led.app.engine.begin() as conn:
                statements = grant_role(conn, role.value, name)
        except RoleError as exc:
            fail(str(exc), 2)
        for statement in statements:
            typer.echo(statement + ";")
        typer.echo(f"granted {role.value} to {name}")


# --- corrections and plans --------------------------------------------------------------------

ChangeArg = Annotated[
    str, typer.Argument(help="The change: its label or id (as `ledger log` shows).")
]
ReasonOpt = Annotated[str, typer.Option("--reason", "-r", help="Why.", show_default=False)]
SourcesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--source",
        "-s",
        help="SOURCE_ID:LOCATOR backing this (repeatable; default: the original's).",
    ),
]
ByOpt = Annotated[str | None, typer.Option("--by", help="Who records it. Default: the OS user.")]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Check it and show what would happen; append nothing.")
]


def _authorship(by: str | None, reason: str, sources: list[str] | None) -> dict[str, Any]:
    """Who records a correction or retraction, why, and on what evidence."""
    return {
        "recorder": by or os_user(),
        "reason": reason,
        "sources": [_parse_source(s) for s in sources or []],
    }


def _done(outcome: Any, dry_run: bool) -> None:
    typer.echo(outcome.summary())
    if dry_run:
        typer.echo("dry run: nothing was appended")


@app.command()
def correct(
    ctx: typer.Context,
    change: ChangeArg,
    reason: ReasonOpt,
    effective: Annotated[
        str | None, typer.Option("--effective", "-e", help="The corrected effective date.")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Corrected name (renamed, established).")
    ] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Corrected kind of body.")] = None,
    headcount: Annotated[
        int | None, typer.Option("--headcount", help="Corrected headcount.")
    ] = None,
    value: Annotated[str | None, typer.Option("--value", help="Corrected value of a fact.")] = None,
    sources: SourcesOpt = None,
    by: ByOpt = None,
    change_id: Annotated[
        str | None, typer.Option("--id", help="A label for the correction.")
    ] = None,
    dry_run: DryRunOpt = False,
) -> None:
    """Correct a recorded change: a new change supersedes it; the original stays in the log.

    Queries show the corrected version; `--known-at` before the correction shows the old one.
    The correction is checked against the history like any change.

    \b
    Example:
      ledger correct devon-ccgs-merge --effective 2019-04-01 --reason "date mistyped"
      ledger correct 3f2a9b1c --headcount 173 --reason "figure from the scrutiny report"
    """
    updates: dict[str, Any] = {}
    if effective is not None:
        updates["effective"] = effective
    if name is not None:
        updates["name"] = name
    if kind is not None:
        updates["org_kind"] = kind
    if headcount is not None:
        updates["headcount"] = headcount
    if value is not None:
        updates["value"] = value
    with ledger(ctx) as led:
        outcome = led.app.correct(
            change,
            **_authorship(by, reason, sources),
            label=change_id,
            updates=updates,
            dry_run=dry_run,
        )
        _done(outcome, dry_run)


@app.command()
def retract(
    ctx: typer.Context,
    change: ChangeArg,
    reason: ReasonOpt,
    sources: SourcesOpt = None,
    by: ByOpt = None,
    dry_run: DryRunOpt = False,
) -> None:
    """Withdraw a recorded change (recorded in error); the original stays in the log.

    \b
    Example:
      ledger retract 3f2a9b1c --reason "recorded against the wrong body"
    """
    with ledger(ctx) as led:
        outcome = led.app.retract(
            change,
            **_authorship(by, reason, sources),
            dry_run=dry_run,
        )
        _done(outcome, dry_run)


@app.command()
def confirm(
    ctx: typer.Context,
    change: ChangeArg,
    reason: ReasonOpt,
    effective: Annotated[
        str | None,
        typer.Option(
            "--effective", "-e", help="When it actually happened (default: the target date)."
        ),
    ] = None,
    sources: SourcesOpt = None,
    by: ByOpt = None,
    dry_run: DryRunOpt = False,
) -> None:
    """Confirm that a planned change happened (on its target date, or on --effective).

    \b
    Example:
      ledger confirm cornwall-shadow-acs --effective 2018-04 --reason "shadow working began" \\
          --source cios-transformation-2017-12-19:"Milestones"
    """
    with ledger(ctx) as led:
        outcome = led.app.correct(
            change,
            **_authorship(by, reason, sources),
            updates={"effective": effective} if effective else {},
            confirm=True,
            dry_run=dry_run,
        )
        _done(outcome, dry_run)


@app.command()
def cancel(
    ctx: typer.Context,
    change: ChangeArg,
    reason: ReasonOpt,
    sources: SourcesOpt = None,
    by: ByOpt = None,
    dry_run: DryRunOpt = False,
) -> None:
    """Cancel a planned change that did not happen; the plan stays in the log.

    \b
    Example:
      ledger cancel devon-new-org-form-2019 --reason "plan dropped"
    """
    with ledger(ctx) as led:
        outcome = led.app.retract(
            change,
            **_authorship(by, reason, sources),
            cancel=True,
            dry_run=dry_run,
        )
        _done(outcome, dry_run)


@app.command()
def plans(
    ctx: typer.Context,
    known_at: KnownAtOpt = None,
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
        position = led.queries.known_at(known_at)
        entries = led.queries.plans(position)
        view = log_view(entries)
        view.data = {"known_at": position, "changes": entries}
        view.title = f"Plans: {len(entries)} planned changes" + (
            f" as known at {known_at}" if known_at else ""
        )
        show(view, fmt)


# --- record: one subcommand per kind of change ------------------------------------------------


def _parse_source(text: str) -> dict[str, str]:
    if ":" not in text:
        fail(
            f'--source {text!r} must be SOURCE_ID:LOCATOR, e.g. devon-pdeg-2017-09-15:"section 3"',
            2,
        )
    source, locator = text.split(":", 1)
    return {"source": source.strip(), "locator": locator.strip()}


def _parse_codes(values: list[str]) -> dict[str, str]:
    codes = {}
    for value in values:
        if ":" not in value:
            fail(f"--code {value!r} must be SCHEME:CODE, e.g. ods:15N", 2)
        scheme, code = value.split(":", 1)
        codes[scheme.strip()] = code.strip()
    return codes


def _submit(ctx: typer.Context, kind: "Kind", values: dict[str, Any]) -> None:
    with loading():
        from ledger.application.commands import InvalidChange, parse_change
        from ledger.application.errors import InvalidInput

    sources = values.pop("sources") or []
    if not sources:
        fail("missing --source: a change needs at least one source (--source SOURCE_ID:LOCATOR)", 2)
    data: dict[str, Any] = {
        "change": kind.name,
        "effective": values.pop("effective"),
        "reason": values.pop("reason"),
        "recorder": values.pop("by") or os_user(),
        "sources": [_parse_source(s) for s in sources],
        "status": "planned" if values.pop("planned") else "happened",
    }
    label = values.pop("id")
    if label:
        data["id"] = label
    dry_run = values.pop("dry_run")
    retries = 0 if values.pop("no_retry") else 3
    for f in kind.fields:
        value = values.get(f.param)
        if f.value == "codes":
            value = _parse_codes(value or [])
            if not value:
                continue
        if value is None or value is False or value == []:
            continue
        data[f.key] = value
    with ledger(ctx) as led:
        try:
            request = parse_change(data)
        except InvalidChange as exc:
            raise InvalidInput(str(exc).replace("'from'", "--from")) from None
        before = _snapshot(led, request) if dry_run else None
        outcome, after = _record(led, request, dry_run, retries)
        typer.echo(outcome.summary())
        if dry_run:
            for label_, event_kind in outcome.events:
                typer.echo(f"  would append {event_kind} to {label_}")
            for line in _difference(before or {}, after or {}):
                typer.echo(f"  {line}")
            typer.echo("dry run: nothing was appended")


def _snapshot(led: "Ledger", request: Any, conn: Any = None) -> dict[str, Any]:
    from ledger.adapters.queries import Axes, Queries

    queries = Queries(led.app.engine, conn) if conn is not None else led.queries
    data = queries.structure(Axes(on=request.effective.start))
    return {o["id"]: o for o in data["organisations"]}


def _record(
    led: "Ledger", request: Any, dry_run: bool, retries: int
) -> tuple[Any, dict[str, Any] | None]:
    if not dry_run:
        return led.app.record(request, retries=retries), None
    captured: dict[str, Any] = {}

    def probe(conn: Any) -> None:
        captured.update(_snapshot(led, request, conn))

    outcome = led.app.record_many([request], dry_run=True, probe=probe)[0]
    return outcome, captured


def _difference(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What the structure on the effective date would gain, lose or change."""
    lines = []
    for key in after.keys() - before.keys():
        lines.append(f"+ {after[key]['name']} ({after[key]['kind']}) would be in force")
    for key in before.keys() - after.keys():
        lines.append(f"- {before[key]['name']} would no longer be in force")
    for key in sorted(before.keys() & after.keys(), key=lambda k: after[k]["name"]):
        old, new = before[key], after[key]
        for field in ("name", "kind", "member_of", "relationships", "posts", "facts"):
            if field in ("name", "kind"):
                if old[field] != new[field]:
                    lines.append(f"~ {old['name']}: {field} {old[field]} -> {new[field]}")
            elif old[field] != new[field]:
                lines.append(f"~ {new['name']}: {field.replace('_', ' ')} changes")
    if not lines:
        lines.append("(no difference to the structure on the effective date)")
    return lines


def _make_record_command(kind: "Kind") -> Callable[..., None]:
    """`ledger record KIND`: its arguments and options, help and example, from its declaration."""
    params = [
        inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context)
    ]
    for f in kind.fields:
        typ: Any = int if f.value == "count" else str
        if f.flag is None:
            annotation: Any = Annotated[typ, typer.Argument(help=f.help, show_default=False)]
            default: Any = inspect.Parameter.empty
        elif f.value == "flag":
            annotation = Annotated[bool, typer.Option(f.flag, help=f.help)]
            default = False
        elif f.many:
            annotation = Annotated[
                list[str] | None,
                typer.Option(f.flag, help=f.help + (" Required." if f.required else "")),
            ]
            default = None
        else:
            typ = typ if f.required else typ | None
            annotation = Annotated[typ, typer.Option(f.flag, help=f.help, show_default=False)]
            default = inspect.Parameter.empty if f.required else None
        params.append(
            inspect.Parameter(
                f.param, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
            )
        )
    common: list[tuple[str, Any, Any]] = [
        (
            "effective",
            Annotated[
                str,
                typer.Option(
                    "--effective",
                    "-e",
                    help="When it took effect: 2019-04-01, 2015-04, 2018-Q2, 2017.",
                    show_default=False,
                ),
            ],
            inspect.Parameter.empty,
        ),
        (
            "sources",
            Annotated[
                list[str] | None,
                typer.Option(
                    "--source",
                    "-s",
                    help="SOURCE_ID:LOCATOR, e.g. devon-pdeg-2017-09-15:'section 3' (repeatable; at least one).",
                ),
            ],
            None,
        ),
        (
            "reason",
            Annotated[
                str,
                typer.Option("--reason", "-r", help="Why this is recorded.", show_default=False),
            ],
            inspect.Parameter.empty,
        ),
        (
            "by",
            Annotated[
                str | None, typer.Option("--by", help="Who records it. Default: the OS user.")
            ],
            None,
        ),
        (
            "id",
            Annotated[
                str | None,
                typer.Option("--id", help="A stable label for the change (e.g. devon-ccg-merger)."),
            ],
            None,
        ),
        (
            "planned",
            Annotated[
                bool, typer.Option("--planned", help="A plan: --effective is its target date.")
            ],
            False,
        ),
        (
            "dry_run",
            Annotated[
                bool,
                typer.Option(
                    "--dry-run",
                    help="Show what would be appended and the difference it makes; append nothing.",
                ),
            ],
            False,
        ),
        (
            "no_retry",
            Annotated[
                bool,
                typer.Option(
                    "--no-retry",
                    help="If another writer changes the same bodies first, fail instead of checking again and retrying.",
                ),
            ],
            False,
        ),
    ]
    for name, annotation, default in common:
        params.append(
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
            )
        )

    def command(ctx: typer.Context, **values: Any) -> None:
        _submit(ctx, kind, values)

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__doc__ = f"{kind.blurb}\n\n\\b\nExample:\n  {kind.example}\n"
    command.__name__ = kind.name
    return command


def _record_app() -> typer.Typer:
    """The `record` group, a subcommand per kind of change (built on first use)."""
    from ledger.domain.kinds import RECORDED

    record_app = typer.Typer(help=RECORD_HELP, no_args_is_help=True, rich_markup_mode=None)
    for kind in RECORDED:
        command = _make_record_command(kind)
        record_app.command(name=kind.cli_name)(command)
        if kind.cli_name != kind.name:
            record_app.command(name=kind.name, hidden=True)(command)
    return record_app


from ledger.cli import audit as _audit  # noqa: F401,E402
from ledger.cli import ods as _ods  # noqa: F401,E402


def run() -> None:
    try:
        app()
    finally:
        # The process ends here: frozen, what it holds is not walked again by the collections
        # of its exit but left to the operating system.
        gc.freeze()


if __name__ == "__main__":
    run()
