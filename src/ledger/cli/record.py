"""`ledger record KIND`: one subcommand per kind of change, each built from the kind's declaration
(domain/kinds.py), and registered as a group that is built only when it is used. No `from __future__
import annotations` here: see cli/main.py.
"""

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger.cli.app import SuggestingGroup, fail, lazy_group, ledger, loading, os_user, parse_source
from ledger.cli.options import ByOpt

if TYPE_CHECKING:
    from ledger.bootstrap import Ledger
    from ledger.domain.declaration import Kind

RECORD_HELP = """\
Record one change. Each kind of change is a subcommand.

Every change needs --effective, at least one --source ID:LOCATOR and a --reason.

\b
Example:
  ledger source add rduh-merger-2022-04-01 --published 2022-04-01 \\
      --title "Royal Devon University Healthcare NHS Foundation Trust formed" \\
      --issued-by "Royal Devon University Healthcare NHS Foundation Trust"
  ledger record merged --predecessor "Northern Devon Healthcare NHS Trust" \\
      --successor "Royal Devon University Healthcare NHS Foundation Trust" \\
      --kind foundation_trust --effective 2022-04-01 \\
      --source rduh-merger-2022-04-01:"section 1" --reason "trust merger"
"""


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
        "sources": [parse_source(s) for s in sources],
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
    with ledger(ctx, create=True) as led:
        try:
            request = parse_change(data, _spelling(kind))
        except InvalidChange as exc:
            raise InvalidInput(str(exc)) from None
        before = _snapshot(led, request) if dry_run else None
        outcome, after = _record(led, request, dry_run, retries)
        typer.echo(outcome.summary())
        if dry_run:
            for label_, event_kind in outcome.events:
                typer.echo(f"  would append {event_kind} to {label_}")
            for line in _difference(before or {}, after or {}):
                typer.echo(f"  {line}")
            typer.echo("dry run: nothing was appended")


def _spelling(kind: "Kind") -> dict[str, str]:
    """How the command line names each field of a change: its option, or its argument."""
    spell = {
        "effective": "--effective",
        "reason": "--reason",
        "sources": "--source",
        "recorder": "--by",
        "id": "--id",
    }
    for f in kind.fields:
        spell[f.key] = f.flag or f.param.upper()
    return spell


def _snapshot(led: "Ledger", request: Any, conn: Any = None) -> dict[str, Any]:
    from ledger.views.axes import Axes
    from ledger.views.questions import Queries

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
                    help="When it took effect: 2019-04-01, 2015-04, 2018-Q2, 2017; by:2016-12 (on "
                    "or before), after:2018-04 (on or after), as-at:2017-10-24 (seen holding then).",
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
        ("by", ByOpt, None),
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
    # One command, on its own line and never re-wrapped (`\b`): long, but pasted as it stands.
    example = "\n  ".join(kind.example.splitlines())
    command.__doc__ = f"{kind.blurb}\n\n\b\nExample:\n  {example}\n"
    command.__name__ = kind.name
    return command


def _record_app() -> typer.Typer:
    """The `record` group, a subcommand per kind of change (built on first use)."""
    from ledger.domain.kinds import RECORDED

    record_app = typer.Typer(
        cls=SuggestingGroup,
        help=RECORD_HELP,
        no_args_is_help=True,
        rich_markup_mode=None,
        suggest_commands=False,
    )
    for kind in RECORDED:
        command = _make_record_command(kind)
        record_app.command(name=kind.cli_name)(command)
        if kind.cli_name != kind.name:
            record_app.command(name=kind.name, hidden=True)(command)
    return record_app


lazy_group("record", RECORD_HELP, _record_app)
