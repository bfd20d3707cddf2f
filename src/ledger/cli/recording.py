"""The commands that write, but for `record`: `ledger init`, `import` (change files), `rebuild` (the
read model), `source add` (the sources registry), `grant` (PostgreSQL roles), and the corrections `correct`, `retract`, `confirm` and
`cancel`. No `from __future__ import annotations` here: see cli/main.py.

Over 400 lines as one group of a dozen commands: `import` (files, registries, progress, the
summary of what was kept) is the longest, the others thin commands over the one write path. Split
`import` out first if it grows.
"""

import sys
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.cli.app import app, fail, ledger, os_user, parse_source
from ledger.cli.options import (
    ByOpt,
    ChangeArg,
    DryRunOpt,
    ImportDryRunOpt,
    ImportNoRetryOpt,
    JobsOpt,
    ProgressOpt,
    ReasonOpt,
    SourcesOpt,
)

# --- set-up, import and access ----------------------------------------------------------------


@app.command()
def init(
    ctx: typer.Context,
    restore_guards: Annotated[
        bool,
        typer.Option(
            "--restore-guards",
            help="Make the append-only guards again where one is missing, altered or disabled "
            "(the owner, once they know why; then run ledger verify).",
        ),
    ] = False,
) -> None:
    """Create the ledger's tables (idempotent; `import`, `import-ods` and `record` also do this
    on first use; a question never does, and says there is no ledger), and check that its
    append-only guards are in place: exit 10 when one is missing or disabled.

    \b
    Example:
      ledger --db new-ledger.db init
      ledger --db new-ledger.db init --restore-guards
    """
    from ledger.application.errors import GuardMissing

    with ledger(ctx, create=True) as led:
        if restore_guards:
            for fault in led.app.restore_guards():
                typer.echo(f"restored: {fault}", err=True)
        faults = led.app.guard_faults()
        if faults:
            raise GuardMissing(
                f"{faults[0]}"
                + (f" (and {len(faults) - 1} more)" if len(faults) > 1 else "")
                + "; the owner restores them with ledger init --restore-guards, then runs ledger verify"
            )
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
    dry_run: ImportDryRunOpt = False,
    no_retry: ImportNoRetryOpt = False,
    progress: ProgressOpt = True,
    all_or_nothing: Annotated[
        bool,
        typer.Option(
            "--all-or-nothing",
            help="Import the files as one: if any is refused, none is appended "
            "(by default each file is all-or-nothing, and the files before a refused one are kept).",
        ),
    ] = False,
) -> None:
    """Append change files: all-or-nothing per file (or, with --all-or-nothing, for the whole
    set), and idempotent (re-importing appends nothing). Ends with what each file did.

    \b
    Example:
      ledger import events/
      ledger import events/05-plymouth-devon-2019.yaml --dry-run
      ledger import events/01-bodies.yaml events/02-devon-stp-2017.yaml --all-or-nothing
    """
    from ledger.cli.progress import Progress
    from ledger.importers.changefiles import expand, load

    recorder = by or os_user()
    verb = "would append" if dry_run else "appended"
    with ledger(ctx, create=True) as led:
        paths = list(expand(files))
        if not paths:
            fail("no change files found (looked for *.yaml, *.yml, *.json)", 2)
        total_new = total_old = registries = sources_new = 0
        kept: list[str] = []  # the files appended (and committed) before a refusal, if one comes
        bar = Progress(
            sys.stderr,
            sum(p.stat().st_size for p in paths),
            enabled=progress and sys.stderr.isatty(),
        )
        # A dry run rehearses every file in one transaction, so later files see earlier ones; so
        # does --all-or-nothing, which then commits them together.
        # Files are read one at a time: memory follows the largest file, not the whole input.
        # The cycle collector is paced over all the files, not file by file (see batch.py).
        from ledger.application.batch import paced_collection

        together: Any = (
            led.app.rehearsal()
            if dry_run
            else led.app.writing()
            if all_or_nothing
            else nullcontext()
        )
        try:
            with together, paced_collection():
                for path in paths:
                    try:
                        loaded = load(path, recorder)
                        bar.start_file(path.stat().st_size, len(loaded.requests))
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
                        if kept and len(exc.args) == 1 and not dry_run and not all_or_nothing:
                            exc.args = (
                                f"{exc.args[0]} [kept: {', '.join(kept)} were appended before "
                                f"it; nothing of {path.name} or after it]",
                            )
                        raise
                    new = sum(1 for o in outcomes if o.status != "already recorded")
                    old = len(outcomes) - new
                    bar.clear()
                    if loaded.registry:
                        registries += 1
                        sources_new += new
                        verb = "would register" if dry_run else "registered"
                        typer.echo(
                            f"{path}: {verb} {new} sources"
                            + (f", {old} already registered" if old else "")
                        )
                    elif not outcomes:
                        typer.echo(f"{path}: holds no changes (nothing to append)")
                    else:
                        total_new += new
                        total_old += old
                        verb = "would append" if dry_run else "appended"
                        typer.echo(
                            f"{path}: {verb} {new} changes"
                            + (f", {old} already recorded" if old else "")
                        )
                    if new:
                        kept.append(path.name)
                    bar.end_file(new)
        finally:
            bar.clear()
        if len(paths) - registries > 1:
            verb = "would append" if dry_run else "appended"
            typer.echo(
                f"total: {verb} {total_new} changes from {len(paths) - registries} files"
                + (f", {total_old} already recorded" if total_old else "")
                + (" (as one: all or nothing)" if all_or_nothing and not dry_run else "")
            )
        if total_new == 0 and sources_new == 0 and not dry_run:
            if total_old:
                typer.echo("nothing new: every change was already recorded")
            else:
                typer.echo("nothing appended: the files hold no changes")


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


class Role(StrEnum):
    reader = "reader"
    auditor = "auditor"
    recorder = "recorder"


source_app = typer.Typer(
    help="""Register a source in the store: once a store has one, every change cites registered sources.

    \b
    Example:
      ledger source add board-minutes-2018-06 --title "Board minutes" --published 2018-06 --issued-by "Alpha NHS Trust"
      ledger import events/sources.yaml
    """,
    no_args_is_help=True,
)
app.add_typer(source_app, name="source")


@source_app.command("add")
def source_add(
    ctx: typer.Context,
    source_id: Annotated[str, typer.Argument(help="The source's id, as changes cite it.")],
    title: Annotated[str, typer.Option("--title", help="The source's title.")],
    published: Annotated[
        str,
        typer.Option("--published", help="Its publication date (a day, month, quarter or year)."),
    ],
    issued_by: Annotated[
        str, typer.Option("--issued-by", help="The body that issued it, as the source says.")
    ],
    author: Annotated[str | None, typer.Option("--author", help="Its author(s).")] = None,
    document: Annotated[
        str | None, typer.Option("--kind", help="What it is: board paper, scrutiny report, ...")
    ] = None,
    file: Annotated[str | None, typer.Option("--file", help="Where a copy is kept.")] = None,
    by: ByOpt = None,
) -> None:
    """Register a source, so changes may cite it; registering it again as it is changes nothing.

    \b
    Example:
      ledger source add example-minutes-2020-03 --title "Board minutes (an example for this help)" \\
          --published 2020-03 --issued-by "Devon STP"
    """
    from ledger.application.commands import InvalidChange, parse_source
    from ledger.application.errors import InvalidInput

    entry = {
        "id": source_id,
        "title": title,
        "date": published,
        "body": issued_by,
        "author": author,
        "kind": document,
        "file": file,
        "recorder": by or os_user(),
    }
    try:
        request = parse_source({k: v for k, v in entry.items() if v is not None})
    except InvalidChange as exc:
        raise InvalidInput(str(exc)) from None
    with ledger(ctx) as led:
        outcome = led.app.record_many([request])[0]
        verb = "registered" if outcome.status == "recorded" else outcome.status
        typer.echo(f"{verb}: source {source_id} published {published} (change {outcome.handle})")


@app.command()
def grant(
    ctx: typer.Context,
    role: Annotated[
        Role,
        typer.Argument(
            help="reader (queries and verify), auditor (also who appended what) or recorder "
            "(queries and appends)."
        ),
    ],
    name: Annotated[str, typer.Argument(help="The PostgreSQL login role to create or extend.")],
) -> None:
    """Create a PostgreSQL login role that can only read the ledger, or read and append to it.

    No role may INSERT, UPDATE or DELETE in the ledger's tables: a recorder appends through the
    ledger's functions, which seal and project exactly what they append, and nobody, the owner
    included, can UPDATE or DELETE a stored event. Run it as the owner of the ledger's tables;
    docs/roles.md says what each role can and cannot do.

    \b
    Example:
      ledger --db postgresql://owner@db.example/ledger grant reader historian
      ledger --db postgresql://owner@db.example/ledger grant auditor audit_office
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


def _authorship(by: str | None, reason: str, sources: list[str] | None) -> dict[str, Any]:
    """Who records a correction or retraction, why, and on what evidence."""
    return {
        "recorder": by or os_user(),
        "reason": reason,
        "sources": [parse_source(s) for s in sources or []],
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
      ledger correct devon-ccgs-merge-2019-04 --effective 2019-04-01 --reason "date checked"
      ledger correct 37205661 --headcount 175 --reason "figure from the scrutiny report"
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
      ledger retract 9de5e892 --reason "recorded against the wrong body"
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
      ledger confirm cios-shadow-working-2018-04-01 --effective 2018-04 \\
          --reason "shadow working began" --source cios-transformation-2017-12-19:"Milestones"
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
      ledger cancel cios-acs-new-form-planned-2019-04-01 --reason "plan dropped"
    """
    with ledger(ctx) as led:
        outcome = led.app.retract(
            change,
            **_authorship(by, reason, sources),
            cancel=True,
            dry_run=dry_run,
        )
        _done(outcome, dry_run)
