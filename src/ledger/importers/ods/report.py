"""What an ODS import reports to the user: the files read, the changes by kind, the rows skipped,
found inconsistent or already in the ledger, the differences left unchanged, and each change recorded.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ledger.importers.ods.read import Problem


@dataclass
class Report:
    """What an import found and did; `as_dict` is its JSON form."""

    files: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    skipped: dict[str, list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))
    differences: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Bodies an earlier release listed as open that this release leaves out with no close date.
    omitted: list[dict[str, Any]] = field(default_factory=list)
    already: int = 0  # rows whose every change the ledger already holds
    appended: int = 0
    already_recorded: int = 0
    dry_run: bool = False
    on_error: str = "refuse"
    changes: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "dry_run": self.dry_run,
            "on_error": self.on_error,
            "appended": self.appended,
            "already_recorded": self.already_recorded,
            "rows_already_in_ledger": self.already,
            "changes_by_kind": dict(sorted(self.counts.items())),
            "inconsistent": [
                {"file": p.file, "row": p.row, "reason": p.reason} for p in self.problems
            ],
            "skipped": {
                reason: {"count": len(rows), "rows": ranges(rows)}
                for reason, rows in sorted(self.skipped.items())
            },
            "differences": [
                {"file": p.file, "row": p.row, "what": p.reason} for p in self.differences
            ],
            "omitted": self.omitted,
            "notes": self.notes,
            "changes": self.changes,
        }


def ranges(rows: Iterable[tuple[str, int]]) -> str:
    """'succ.csv rows 3-6, 8' from (file, row) pairs."""
    by_file: dict[str, list[int]] = defaultdict(list)
    for name, row in rows:
        by_file[name].append(row)
    parts = []
    for name, numbers in by_file.items():
        spans: list[str] = []
        numbers = sorted(set(numbers))
        start = prev = numbers[0]
        for n in [*numbers[1:], None]:
            if n is not None and n == prev + 1:
                prev = n
                continue
            spans.append(str(start) if start == prev else f"{start}-{prev}")
            if n is not None:
                start = prev = n
        parts.append(f"{name} row{'s' if len(numbers) > 1 else ''} {', '.join(spans)}")
    return "; ".join(parts)
