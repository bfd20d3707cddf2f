"""Every option and argument that more than one command takes, declared once so they read alike.

A command names one as a parameter's type: `fmt: FormatOpt = Format.table`.
"""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    mermaid = "mermaid"
    dot = "dot"


FormatOpt = Annotated[
    Format, typer.Option("--format", "-f", help="Output format: table, json, csv, mermaid or dot.")
]

# --- the axes of a question -------------------------------------------------------------------

OnOpt = Annotated[
    str | None,
    typer.Option(
        "--on",
        help="Valid date: YYYY-MM-DD, or a month, quarter or year meaning the whole of it "
        "(what was in force at any time in it). Default: today.",
    ),
]
KnownAtOpt = Annotated[
    str | None,
    typer.Option(
        "--known-at",
        help="What the ledger had recorded then: a log position, a change id or label, or a timestamp (one shown to the second covers that second).",
    ),
]
PublishedByOpt = Annotated[
    str | None,
    typer.Option(
        "--published-by",
        help="Answer only from changes cited to sources published on or before this date (a change counts from its earliest source): what the papers said by then.",
    ),
]
PlannedOpt = Annotated[
    bool,
    typer.Option(
        "--include-planned", help="Also show planned changes in force on the date, flagged."
    ),
]
AttestedOpt = Annotated[
    bool,
    typer.Option(
        "--attested",
        help="Only what the sources attest on the date: leave out what is only presumed "
        "(no end recorded, but nothing shows it after its last evidence).",
    ),
]
OrganisationArg = Annotated[str, typer.Argument(help="Id, code or unambiguous name.")]

# --- long work: importing, rebuilding, verifying ----------------------------------------------

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
ImportDryRunOpt = Annotated[
    bool,
    typer.Option("--dry-run", help="Check every change against the history; append nothing."),
]
ImportNoRetryOpt = Annotated[
    bool,
    typer.Option(
        "--no-retry", help="Fail on a concurrent writer instead of checking again and retrying."
    ),
]

# --- corrections and plans: correct, retract, confirm, cancel (and record's --by) -------------

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

# --- the auditor's ----------------------------------------------------------------------------

KeyOpt = Annotated[
    Path | None,
    typer.Option(
        "--key", help="Public key file (KEY.pub from ledger keygen) that must have signed."
    ),
]
