"""The root of the `ledger` command: the Typer app with its `--db` callback, and the plumbing every
command uses (one-line errors, opening the store, the axes of a question, the renderer, who records).

The command modules register on `app` as they are imported and this module imports none of them:
take the finished app from `ledger.cli.main`, which imports them all. Like them, this module does not
postpone annotations (see cli/main.py): typer reads the callback's options at start-up.
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
from typer.core import TyperGroup

from ledger.adapters.collector import collector_paused
from ledger.cli.options import Format

if TYPE_CHECKING:
    from ledger.bootstrap import Ledger, Reader
    from ledger.cli.render import View

# The order `ledger --help` (and so the README's reference) lists the commands in: not the order in
# which their modules register them (`grant` and `plans` stand apart from the rest of their modules).
# A command not named here is listed after these, in the order it was registered.
LISTED = (
    "init", "import", "rebuild",
    "structure", "show", "history", "lineage", "holders", "log", "project", "diff", "replay",
    "grant",
    "correct", "retract", "confirm", "cancel", "plans",
    "keygen", "checkpoint", "verify", "export", "prove", "verify-proof",
    "import-ods", "count",
    "record",
)  # fmt: skip
CLOSED_PIPE = 141  # 128 + SIGPIPE: the status of a command whose reader closed the pipe
_PLACE = {name: place for place, name in enumerate(LISTED)}

# Groups built only when they are used (see `lazy_group`): name -> (help, build).
_LAZY: dict[str, tuple[str, Callable[[], typer.Typer]]] = {}


def lazy_group(name: str, help: str, build: Callable[[], typer.Typer]) -> None:
    """Add a group of subcommands that is built only when it is used: `ledger --help` and the
    other commands need not build its options (`record` has hundreds), so they start faster.
    The list of commands shows the first sentence of `help`."""
    _LAZY[name] = (help, build)


class LedgerGroup(TyperGroup):
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
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
            sys.exit(0)
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            click.echo(f"ledger: error: {one_line(exc.format_message())}{hint}", err=True)
            sys.exit(2)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("ledger: interrupted", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            click.echo(f"ledger: error: {one_line(exc.format_message())}", err=True)
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


# What would break an error's one line (str.splitlines' separators), shown escaped instead: a name
# or a file's text quoted in a message may hold any of them.
_LINE_BREAKS = {ord(c): repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


def one_line(message: str) -> str:
    return message.strip().translate(_LINE_BREAKS)


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"ledger: error: {one_line(message)}", err=True)
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
    from ledger.domain.dates import parse_day
    from ledger.views.axes import Axes

    day = parse_day(on) if on else date.today()
    return Axes(on=day, known_at=led.queries.known_at(known_at), include_planned=include_planned)


def show(view: "View", fmt: Format) -> None:
    from ledger.cli.render import render

    typer.echo(render(view, fmt.value))


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
    source, locator = text.split(":", 1)
    return {"source": source.strip(), "locator": locator.strip()}
