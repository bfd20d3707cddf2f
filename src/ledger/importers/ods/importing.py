"""The ODS import as a whole: reads the files, plans against what the ledger already holds, and
records the plan with one `LedgerApp.record_many` call, so the import is all-or-nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ledger.application.commands import InvalidChange, parse_change
from ledger.application.errors import InvalidInput, LedgerError
from ledger.importers.ods.plan import Planned, plan
from ledger.importers.ods.read import read_organisations, read_successions
from ledger.importers.ods.report import Report, ranges
from ledger.views.ods import ods_snapshot

if TYPE_CHECKING:
    from ledger.application.service import LedgerApp
    from ledger.views.questions import Queries

OnError = Literal["refuse", "skip"]


def import_ods(
    app: LedgerApp,
    queries: Queries,
    org_paths: Sequence[Path],
    succ_path: Path | None = None,
    *,
    kind: str | None = None,
    source: str | None = None,
    on_error: OnError = "refuse",
    released: date | None = None,
    imported: date | None = None,
    recorder: str,
    dry_run: bool = False,
    retries: int = 3,
    progress: Callable[[str], None] = lambda _: None,
) -> Report:
    """Read, plan against the ledger, and record everything in one transaction (or nothing)."""
    if on_error not in ("refuse", "skip"):
        raise InvalidInput(f"--on-error {on_error!r}: use refuse or skip")
    today = date.today()
    org_files = []
    for path in org_paths:
        org_file = read_organisations(path, kind=kind, source=source)
        progress(
            f"read {org_file.file.name}: {org_file.count} rows of {org_file.kind} "
            f"(sha256 {org_file.file.sha256[:12]})"
        )
        org_files.append(org_file)
    succ_file = None
    if succ_path is not None:
        succ_file = read_successions(succ_path, source=source)
        progress(
            f"read {succ_file.file.name}: {succ_file.count} succession rows "
            f"(sha256 {succ_file.file.sha256[:12]})"
        )
    known = ods_snapshot(queries)
    planned = plan(
        org_files,
        succ_file,
        known,
        released=released or today,
        imported=imported or today,
        recorder=recorder,
        listing=released is not None,
    )
    report = planned.report
    report.dry_run, report.on_error = dry_run, on_error
    if report.problems and on_error == "refuse":
        first = report.problems[0]
        more = len(report.problems) - 1
        tail = f" (and {more} more inconsistent row{'s' if more > 1 else ''})" if more else ""
        raise InvalidInput(
            f"{first}{tail}; nothing was imported (--on-error skip imports the other rows)"
        )
    requests = []
    for change in planned.changes:
        try:
            requests.append(parse_change(change.request))
        except InvalidChange as exc:
            raise InvalidInput(f"{_where(change)}: {exc}") from None
    if requests:
        progress(f"recording {len(requests)} changes in one transaction")
    try:
        outcomes = app.record_many(requests, dry_run=dry_run, retries=retries)
    except LedgerError as exc:
        if exc.index is not None:
            change = planned.changes[exc.index]
            exc.args = (f"{_where(change)}: {exc}; nothing was imported",)
        raise
    report.appended = sum(1 for o in outcomes if o.status != "already recorded")
    report.already_recorded = len(outcomes) - report.appended
    for change, outcome in zip(planned.changes, outcomes, strict=True):
        report.changes.append(
            {
                "change": change.request["id"],
                "kind": change.request["change"],
                "effective": change.request["effective"],
                "status": outcome.status,
                "position": outcome.position,
                "rows": ranges(change.rows),
                "request": change.request,
            }
        )
    return report


def _where(change: Planned) -> str:
    return f"{ranges(change.rows)} ({change.request['change']} {change.request['effective']})"
