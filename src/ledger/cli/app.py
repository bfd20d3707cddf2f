"""The root of the `ledger` command: the Typer app with its `--db` callback, and the plumbing every
command uses (one-line errors, opening the store, the axes of a question, the renderer, who records).

The command modules register on `app` as they are imported and this module imports none of them:
take the finished app from `ledger.cli.main`, which imports them all. Like them, this module does not
postpone annotations (see cli/main.py): typer reads the callback's options at start-up.

Over 400 lines: the plumbing is what every command imports first, and keeping it in one module
keeps `ledger --help` to one import of it (measured in benchmarks/RESULTS.md, Start-up).
"""

import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar

import click
import typer
import typer.core
from typer.core import TyperGroup

from ledger.adapters.collector import collector_paused
from ledger.cli.options import Format

if TYPE_CHECKING:
    from ledger.bootstrap import Ledger, Reader
    from ledger.cli.render import View

# The help is plain text (every Typer here has rich_markup_mode=None), but typer-slim escapes the
# `[required]` and `[default: ...]` of every option for rich markup whenever `rich` is installed
# (`\[required]`), and imports rich to do it. `rich` is here to lay out tables (cli/render.py),
# not the help: tell typer it is not there.
typer.core.HAS_RICH = False

# The order `ledger --help` (and so the README's reference) lists the commands in: not the order in
# which their modules register them (`grant` and `plans` stand apart from the rest of their modules).
# A command not named here is listed after these, in the order it was registered.
LISTED = (
    "init", "import", "rebuild",
    "structure", "show", "history", "lineage", "holders", "person", "search", "log", "project",
    "diff", "replay", "sources", "source", "serve", "atlas",
    "grant",
    "correct", "retract", "confirm", "cancel", "plans",
    "keygen", "checkpoint", "verify", "export", "prove", "verify-proof",
    "import-ods", "count",
    "record",
    "completion",
)  # fmt: skip
CLOSED_PIPE = 141  # 128 + SIGPIPE: the status of a command whose reader closed the pipe
_PLACE = {name: place for place, name in enumerate(LISTED)}

# The variable the completion scripts set when the shell asks `ledger` for completions.
COMPLETE_VAR = "_LEDGER_COMPLETE"

# Groups built only when they are used (see `lazy_group`): name -> (help, build).
_LAZY: dict[str, tuple[str, Callable[[], typer.Typer]]] = {}


def lazy_group(name: str, help: str, build: Callable[[], typer.Typer]) -> None:
    """Add a group of subcommands that is built only when it is used: `ledger --help` and the
    other commands need not build its options (`record` has hundreds), so they start faster.
    The list of commands shows the first sentence of `help`."""
    _LAZY[name] = (help, build)


class SuggestingGroup(TyperGroup):
    """A group that answers a mistyped command with one suggestion: the closest listed command
    (hidden aliases are never suggested)."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return click.Group.resolve_command(self, ctx, args)
        except click.exceptions.NoSuchCommand as exc:
            raise click.UsageError(self.unknown(ctx, exc.command_name), ctx) from None

    def unknown(self, ctx: click.Context, typo: str) -> str:
        if typo == "version" and ctx.parent is None:
            return "no command 'version'; the version is `ledger --version`"
        from difflib import get_close_matches

        listed = [
            name
            for name in self.list_commands(ctx)
            if not getattr(self.commands.get(name), "hidden", False)
        ]
        close = get_close_matches(typo, listed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"no command {typo!r}{hint}"


class LedgerGroup(SuggestingGroup):
    """Every error a user can cause ends as one line on stderr and a non-zero exit code.

    Commands are listed in the order of `LISTED`; a group added with `lazy_group` is listed
    with them but built only when it is used."""

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        names = [*names, *(name for name in _LAZY if name not in names)]
        return sorted(names, key=lambda name: _PLACE.get(name, len(_PLACE)))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _LAZY or cmd_name in self.commands:
            return super().get_command(ctx, cmd_name)
        help, build = _LAZY[cmd_name]
        if self._listing:
            # Only its one-line help is shown in the list of commands.
            return click.Group(cmd_name, help=help)
        group = typer.main.get_group(build())
        group.name = cmd_name
        self.add_command(group, cmd_name)
        return group

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if os.environ.get(COMPLETE_VAR):
            # The shell asks for completions (`ledger completion`): typer's protocol answers.
            from typer._completion_classes import completion_init

            completion_init()
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
            sys.exit(0)
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            click.echo(f"{error_prefix()} {one_line(exc.format_message())}{hint}", err=True)
            sys.exit(2)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("ledger: interrupted", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            click.echo(f"{error_prefix()} {one_line(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        if isinstance(result, int) and result:
            sys.exit(result)
        return result


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
  ledger source add health-and-care-act-2022 --title "Health and Care Act 2022" \\
      --published 2022-04-28 --issued-by "UK Parliament"
  ledger record renamed "Devon STP" --name "One Devon" --effective 2022-07-01 \\
      --source health-and-care-act-2022:"section 20" --reason "the ICS took the name One Devon"

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
    suggest_commands=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


@dataclass
class State:
    db: str | None = None


def _version(value: bool) -> None:
    if value:
        from ledger import __version__

        typer.echo(f"ledger {__version__}")
        raise typer.Exit(0)


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
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Show the version and exit.", is_eager=True, callback=_version
        ),
    ] = False,
) -> None:
    ctx.obj = State(db=db)


# --- plumbing ---------------------------------------------------------------------------------


# What would break an error's one line (str.splitlines' separators), shown escaped instead: a name
# or a file's text quoted in a message may hold any of them.
_LINE_BREAKS = {ord(c): repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


def one_line(message: str) -> str:
    return message.strip().translate(_LINE_BREAKS)


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"{error_prefix()} {one_line(message)}", err=True)
    raise typer.Exit(code)


def error_prefix() -> str:
    """`ledger: error:`, in red on a terminal (NO_COLOR turns it off)."""
    if colour(sys.stderr):
        return click.style("ledger: error:", fg="red", bold=True)
    return "ledger: error:"


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
    except BrokenPipeError:
        # The reader of the output went away (`ledger export | head -1`): stop quietly, with the
        # status of a command that SIGPIPE ended; what is left unflushed goes nowhere.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(CLOSED_PIPE) from None
    except LedgerError as exc:
        fail(str(exc), exc.exit_code)
    except (InvalidDate, StoreError, CheckpointError) as exc:
        fail(str(exc), 2)
    except Exception as exc:  # a bug, but still no traceback for the user
        if os.environ.get("LEDGER_DEBUG"):
            raise
        refused = _refused_value(exc)
        if refused is not None:
            fail(f"the store cannot hold a value given: {refused}", 2)
        fail(f"unexpected {type(exc).__name__}: {exc} (set LEDGER_DEBUG=1 for a traceback)", 70)


def _refused_value(exc: BaseException) -> str | None:
    """The driver's one-line reason, when the database refused a value it was given (PostgreSQL's
    text cannot hold NUL, its integers have a range): bad input that got past the checks."""
    import sqlalchemy.exc

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, sqlalchemy.exc.DataError):
            return str(seen.orig).strip().splitlines()[0]
        seen = seen.__cause__ or seen.__context__
    return None


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
def ledger(ctx: typer.Context, *, create: bool = False) -> Iterator["Ledger"]:
    """The application on the store the command names. Only the commands that record changes
    (`init`, `import`, `import-ods`, `record`) make a ledger where there is none; the others are
    refused in one line naming where they looked."""
    with loading():
        from ledger.bootstrap import open_ledger
    with _opened(ctx, lambda url: open_ledger(url, create=create)) as opened:
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
    on: str | None,
    known_at: str | None,
    include_planned: bool,
    led: "Ledger | Reader",
    published_by: str | None = None,
    attested: bool = False,
) -> Any:
    from ledger.domain.dates import parse_period
    from ledger.views.axes import Axes

    day, last = parse_period(on) if on else (date.today(), None)
    by = published_day(published_by)
    return Axes(
        on=day,
        known_at=led.queries.known_at(known_at),
        include_planned=include_planned,
        until=last if last != day else None,
        published_by=by,
        published=led.queries.published(by),
        attested=attested,
    )


def terminal_width() -> int | None:
    """The width a table must fit: COLUMNS if set, else the terminal's; None when the output is
    not a terminal (a pipe or a file gets one line a row, whatever its length)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        import shutil

        return shutil.get_terminal_size().columns
    return None


def colour(stream: Any = None) -> bool:
    """Colour on a terminal, unless NO_COLOR is set (https://no-color.org)."""
    stream = stream or sys.stdout
    return not os.environ.get("NO_COLOR") and stream.isatty()


def published_day(text: str | None) -> date | None:
    """`--published-by`: a day, or the last day of a month, quarter or year."""
    if not text:
        return None
    from ledger.application.errors import InvalidInput
    from ledger.domain.dates import Effective, InvalidDate

    try:
        return Effective.parse(text).last_day
    except InvalidDate as exc:
        raise InvalidInput(f"--published-by: {exc}") from None


def show(view: "View", fmt: Format) -> None:
    """Print the view; a table is fitted to the terminal, in colour there, and longer than the
    terminal it goes through the pager ($PAGER, else `less`; PAGER=cat turns it off)."""
    from ledger.cli.render import render

    on_terminal = sys.stdout.isatty()
    text = render(
        view,
        fmt.value,
        width=terminal_width(),
        colour=fmt == Format.table and colour(),
    )
    if on_terminal:
        import shutil

        if text.count("\n") + 1 >= shutil.get_terminal_size().lines:
            click.echo_via_pager(text + "\n")
            return
    typer.echo(text)


def os_user() -> str:
    """Who records, when a command is not told (`--by`)."""
    import getpass  # only when a change is recorded: it costs ~10 ms of every start-up

    return getpass.getuser()


def parse_source(text: str) -> dict[str, str]:
    """One `--source SOURCE_ID:LOCATOR`, as a change cites it."""
    if ":" not in text:
        fail(
            f'--source {text!r} must be SOURCE_ID:LOCATOR, e.g. devon-pdeg-2017-09-15:"section 3"',
            2,
        )
    source, locator = (part.strip() for part in text.split(":", 1))
    if not source or not locator:
        missing = "SOURCE_ID" if not source else "LOCATOR"
        fail(
            f"--source {text!r} has no {missing}: write SOURCE_ID:LOCATOR, "
            'e.g. devon-pdeg-2017-09-15:"section 3"',
            2,
        )
    return {"source": source, "locator": locator}
