"""Imports the NHS ODS register: organisation files (27 columns) and the successor file (5 columns).

Reading and planning are pure: rows in, change requests and a report out, planned against what the
ledger already holds (an `OdsSnapshot`), so a re-import appends nothing and a newer release appends
only what changed. `import_ods` then records the plan with one `LedgerApp.record_many` call: the
import is all-or-nothing. docs/ods.md explains the semantics.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ledger.adapters.ods_queries import KnownBody, OdsSnapshot, ods_snapshot
from ledger.adapters.tables import fold
from ledger.application.commands import InvalidChange, parse_change
from ledger.application.errors import InvalidInput, LedgerError

if TYPE_CHECKING:
    from ledger.adapters.queries import Queries
    from ledger.application.service import LedgerApp

ORG_COLUMNS = 27
SUCC_COLUMNS = 5
CODE, NAME, OPENED, CLOSED, ROLE = 0, 1, 10, 11, 13
ONE_DAY = timedelta(days=1)

# Kinds of body by ODS file name, and short names accepted by --kind.
FILE_KINDS = {"eccg": "ccg", "etr": "nhs_trust", "epraccur": "gp_practice"}
KIND_ALIASES = {"trust": "nhs_trust", "ft": "foundation_trust", "practice": "gp_practice"}
# The role code ODS gives CCG records re-used as ICB sub-locations after July 2022.
ICB_SUB_LOCATION = "RO319"

OnError = Literal["refuse", "skip"]


# --- readable names ----------------------------------------------------------------------------

ACRONYMS = frozenset(
    {"NHS", "CCG", "ICB", "ICS", "ICP", "STP", "ACS", "CIC", "CSU", "PCT", "PCN", "SHA", "GP",
     "GPS", "UK", "NFT", "LLP", "LTD", "PLC", "HQ", "ICO", "OOH", "CAMHS", "IAPT", "A&E", "NHSE",
     "NHSI", "CQC"}
)  # fmt: skip
SMALL_WORDS = frozenset(
    {"and", "of", "the", "for", "in", "on", "at", "by", "to", "with", "upon", "under", "super",
     "le", "la", "de"}
)  # fmt: skip


def readable(name: str) -> str:
    """An ODS upper-case name in a readable case: 'NHS DEVON ICB - 15N' -> 'NHS Devon ICB - 15N'.

    Acronyms (NHS, CCG, ICB, ...) and codes (anything with a digit) stay upper case; 'and', 'of',
    'the' and the like are lower case except as the first word. A name already in mixed case is
    returned as given.
    """
    if name != name.upper():
        return name
    words = name.split()
    return " ".join(_word(w, first=i == 0) for i, w in enumerate(words))


def _word(word: str, *, first: bool) -> str:
    parts = word.split("-")
    return "-".join(_part(p, first=first and i == 0) for i, p in enumerate(parts))


def _part(part: str, *, first: bool) -> str:
    match = re.match(r"^([^A-Za-z0-9&]*)(.*?)([^A-Za-z0-9&]*)$", part)
    if not match or not match[2]:
        return part
    lead, core, trail = match.groups()
    if core in ACRONYMS or any(c.isdigit() for c in core):
        return part
    if not first and core.lower() in SMALL_WORDS:
        return lead + core.lower() + trail
    pieces = core.split("'")
    cased = [pieces[0][:1].upper() + pieces[0][1:].lower()]
    for piece in pieces[1:]:
        # King's, but O'Neill
        cased.append(piece.lower() if len(piece) <= 1 else piece[:1].upper() + piece[1:].lower())
    return lead + "'".join(cased) + trail


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFile:
    """One file read: cited by every change that comes from it."""

    path: Path
    name: str
    sha256: str
    source: str

    def cite(self, row: int, imported: date) -> dict[str, str]:
        return {
            "source": self.source,
            "locator": f"{self.name} row {row} (sha256 {self.sha256[:12]}, imported {imported.isoformat()})",
        }


@dataclass(frozen=True)
class Problem:
    """An inconsistent row: refused or skipped per the --on-error policy."""

    file: str
    row: int
    reason: str
    code: str | None = None  # the organisation a bad organisation row was about

    def __str__(self) -> str:
        return f"{self.file} row {self.row}: {self.reason}"


@dataclass(frozen=True)
class OrgRow:
    file: SourceFile
    row: int
    code: str
    name: str  # as the register gives it
    kind: str
    opened: date
    closed: date | None  # the register's close date: the LAST day the body existed
    role: str

    @property
    def end(self) -> date | None:
        """The first day the body no longer exists (the ledger's effective date of its closing)."""
        return self.closed + ONE_DAY if self.closed else None


@dataclass(frozen=True)
class SuccRow:
    file: SourceFile
    row: int
    predecessor: str
    successor: str
    effective: date  # the first day of the successor


@dataclass
class OrgFile:
    file: SourceFile
    kind: str
    rows: list[OrgRow]
    problems: list[Problem]
    count: int


@dataclass
class SuccFile:
    file: SourceFile
    rows: list[SuccRow]
    problems: list[Problem]
    count: int


def _read(path: Path, source: str | None) -> tuple[SourceFile, list[list[str]]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read file ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    try:
        rows = [row for row in csv.reader(io.StringIO(text)) if row]
    except csv.Error as exc:
        raise InvalidInput(f"{path}: not a CSV file ({exc})") from None
    sha = hashlib.sha256(data).hexdigest()
    return SourceFile(path, path.name, sha, source or f"ods:{path.name}"), rows


def _day(text: str) -> date:
    if not re.fullmatch(r"\d{8}", text):
        raise ValueError
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def file_kind(path: Path, kind: str | None) -> str:
    """The kind of body an organisation file holds: --kind, or known from the file name."""
    if kind:
        return KIND_ALIASES.get(kind.strip().lower(), kind.strip())
    stem = path.stem.lower()
    if stem in FILE_KINDS:
        return FILE_KINDS[stem]
    known = ", ".join(f"{k} ({v})" for k, v in FILE_KINDS.items())
    raise InvalidInput(
        f"{path}: cannot tell what kind of body this file holds; give --kind (known files: {known})"
    )


def read_organisations(
    path: Path, *, kind: str | None = None, source: str | None = None
) -> OrgFile:
    """An ODS organisation file: 27 columns, no header. Bad rows become problems, not errors."""
    body_kind = file_kind(path, kind)
    file, rows = _read(path, source)
    if rows and len(rows[0]) != ORG_COLUMNS:
        raise InvalidInput(
            f"{path}: not an ODS organisation file (row 1 has {len(rows[0])} columns, expected {ORG_COLUMNS})"
        )
    found: list[OrgRow] = []
    problems: list[Problem] = []
    for number, cells in enumerate(rows, start=1):
        if len(cells) != ORG_COLUMNS:
            problems.append(
                Problem(file.name, number, f"expected {ORG_COLUMNS} columns, found {len(cells)}")
            )
            continue
        code, name = cells[CODE].strip().upper(), " ".join(cells[NAME].split())
        if not code:
            problems.append(Problem(file.name, number, "no organisation code"))
            continue
        reason, opened, closed = _dates(code, cells[OPENED].strip(), cells[CLOSED].strip())
        if not name:
            reason = f"{code} has no name"
        if reason or opened is None:
            problems.append(Problem(file.name, number, reason or "no open date", code))
            continue
        found.append(
            OrgRow(file, number, code, name, body_kind, opened, closed, cells[ROLE].strip())
        )
    return OrgFile(file, body_kind, found, problems, len(rows))


def _dates(code: str, opened: str, closed: str) -> tuple[str | None, date | None, date | None]:
    """(what is wrong, open date, close date) of one organisation row."""
    if not opened:
        return f"{code} never opened: no open date", None, None
    try:
        start = _day(opened)
    except ValueError:
        return f"{code}: open date {opened!r} is not a date (YYYYMMDD)", None, None
    if not closed:
        return None, start, None
    try:
        end = _day(closed)
    except ValueError:
        return f"{code}: close date {closed!r} is not a date (YYYYMMDD)", None, None
    if end < start:
        return f"{code}: close date {closed} is before the open date {opened}", None, None
    return None, start, end


def read_successions(path: Path, *, source: str | None = None) -> SuccFile:
    """The ODS successor file: predecessor, successor, reason, date (YYYYMMDD), flag; no header."""
    file, rows = _read(path, source)
    if rows and len(rows[0]) != SUCC_COLUMNS:
        raise InvalidInput(
            f"{path}: not an ODS successor file (row 1 has {len(rows[0])} columns, expected {SUCC_COLUMNS})"
        )
    found: list[SuccRow] = []
    problems: list[Problem] = []
    for number, cells in enumerate(rows, start=1):
        if len(cells) != SUCC_COLUMNS:
            problems.append(
                Problem(file.name, number, f"expected {SUCC_COLUMNS} columns, found {len(cells)}")
            )
            continue
        predecessor, successor = cells[0].strip().upper(), cells[1].strip().upper()
        when = cells[3].strip()
        if not predecessor or not successor:
            problems.append(Problem(file.name, number, "a predecessor and a successor are needed"))
            continue
        try:
            effective = _day(when)
        except ValueError:
            problems.append(
                Problem(file.name, number, f"succession date {when!r} is not a date (YYYYMMDD)")
            )
            continue
        if predecessor == successor:
            problems.append(Problem(file.name, number, f"{predecessor} is its own successor"))
            continue
        found.append(SuccRow(file, number, predecessor, successor, effective))
    return SuccFile(file, found, problems, len(rows))


# --- planning ------------------------------------------------------------------------------------


@dataclass
class Planned:
    """One change to record, the rows it comes from, and how the report counts it."""

    request: dict[str, Any]
    rows: list[tuple[str, int]]
    category: str


@dataclass
class Report:
    """What an import found and did; `as_dict` is its JSON form."""

    files: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    skipped: dict[str, list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))
    differences: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
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


@dataclass
class Plan:
    changes: list[Planned]
    report: Report


class _Planner:
    """Turns rows into changes, against what the ledger already holds."""

    def __init__(
        self,
        org_files: Sequence[OrgFile],
        succ_file: SuccFile | None,
        known: OdsSnapshot,
        *,
        released: date,
        imported: date,
        recorder: str,
    ) -> None:
        self.org_files = org_files
        self.succ_file = succ_file
        self.known = known
        self.released = released
        self.imported = imported
        self.recorder = recorder
        self.report = Report()
        self.orgs: dict[str, OrgRow] = {}
        self.bad_orgs: dict[str, Problem] = {}
        self.introduced: set[str] = set()  # new successors a merger brings in
        self.closed_by_succession: set[str] = set()
        self.names: dict[str, str] = {}  # code -> the name the ledger will show
        self.taken: dict[str, set[str]] = {k: set(v) for k, v in known.names.items()}
        self.established: list[Planned] = []
        self.successions: list[Planned] = []
        self.facts: list[Planned] = []
        self.renames: list[Planned] = []
        self.closes: list[Planned] = []

    # --- helpers
    def request(
        self,
        change: str,
        label: str,
        effective: date,
        rows: Sequence[tuple[SourceFile, int]],
        reason: str,
        **fields: Any,
    ) -> dict[str, Any]:
        if len(label) > 200:
            label = label[:180] + ":" + hashlib.sha256(label.encode()).hexdigest()[:16]
        return {
            "id": label,
            "change": change,
            "effective": effective.isoformat(),
            "recorder": self.recorder,
            "reason": reason,
            "sources": [file.cite(row, self.imported) for file, row in rows],
            **fields,
        }

    def add(
        self,
        bucket: list[Planned],
        category: str,
        request: dict[str, Any],
        rows: Sequence[tuple[SourceFile, int]],
    ) -> None:
        bucket.append(Planned(request, [(f.name, r) for f, r in rows], category))

    def lifetime(self, code: str) -> tuple[date | None, date | None]:
        """(first day in force, first day not in force) once this import is applied."""
        body, org = self.known.bodies.get(code), self.orgs.get(code)
        start = body.start if body and body.start else (org.opened if org else None)
        end = body.end if body and body.end else (org.end if org else None)
        return start, end

    def lines_up(self, code: str, effective: date) -> bool:
        """Whether the succession itself closes the predecessor: its last day is the day before."""
        body, org = self.known.bodies.get(code), self.orgs.get(code)
        if body is not None and body.end is not None:
            return False  # already closed in the ledger: the succession adds only the edge
        return org is not None and org.end == effective

    def display_name(self, org: OrgRow) -> str:
        """The readable name, with the code appended if another body already has that name."""
        name = readable(org.name)
        mine = self.known.bodies[org.code].id if org.code in self.known.bodies else org.code
        others = self.taken.get(fold(name), set()) - {mine}
        if others:
            name = f"{name} ({org.code})"
        self.taken.setdefault(fold(name), set()).add(mine)
        return name

    # --- the plan
    def run(self) -> Plan:
        for f in self.org_files:
            self.report.files.append(
                {
                    "file": f.file.name,
                    "path": str(f.file.path),
                    "sha256": f.file.sha256,
                    "source": f.file.source,
                    "holds": "organisations",
                    "kind": f.kind,
                    "rows": f.count,
                }
            )
            self.report.problems.extend(f.problems)
            for p in f.problems:
                if p.code:
                    self.bad_orgs.setdefault(p.code, p)
        if self.succ_file is not None:
            s = self.succ_file
            self.report.files.append(
                {
                    "file": s.file.name,
                    "path": str(s.file.path),
                    "sha256": s.file.sha256,
                    "source": s.file.source,
                    "holds": "successions",
                    "kind": None,
                    "rows": s.count,
                }
            )
        self.collect_organisations()
        if self.succ_file is not None:
            self.report.problems.extend(self.succ_file.problems)
            self.plan_successions(self.succ_file.rows)
        self.plan_organisations()
        changes = [
            *self.established,
            # By date; on one date mergers and splits first, as they bring in the bodies edges use.
            *sorted(
                self.successions,
                key=lambda p: (
                    p.request["effective"],
                    p.request["change"] == "succeeded",
                    p.request["id"],
                ),
            ),
            *self.facts,
            *self.renames,
            *self.closes,
        ]
        for planned in changes:
            self.report.counts[planned.category] += 1
        self.report.problems.sort(key=lambda p: (p.file, p.row))
        return Plan(changes, self.report)

    def collect_organisations(self) -> None:
        reused: list[tuple[str, int]] = []
        for f in self.org_files:
            for org in f.rows:
                first = self.orgs.get(org.code)
                if first is not None:
                    self.report.problems.append(
                        Problem(
                            org.file.name,
                            org.row,
                            f"code {org.code} appears twice (first at {first.file.name} row {first.row})",
                        )
                    )
                    continue
                self.bad_orgs.pop(org.code, None)
                self.orgs[org.code] = org
                if org.role == ICB_SUB_LOCATION:
                    reused.append((org.file.name, org.row))
        if reused:
            self.report.notes.append(
                f"{len(reused)} CCG record{'s' if len(reused) > 1 else ''} re-used as ICB "
                f"sub-locations ({ICB_SUB_LOCATION}; {ranges(reused)}): the register gives only the "
                "sub-location's name, which the ledger shows from the open date; see docs/ods.md"
            )

    def skip(self, reason: str, row: SuccRow) -> None:
        self.report.skipped[reason].append((row.file.name, row.row))

    def plan_successions(self, rows: list[SuccRow]) -> None:
        accepted: list[SuccRow] = []
        seen: set[tuple[str, str, date]] = set()
        for row in rows:
            key = (row.predecessor, row.successor, row.effective)
            if self.screen(row, key in seen):
                seen.add(key)
                accepted.append(row)
        for group in _components(accepted):
            self.plan_group(group)

    def screen(self, row: SuccRow, repeated: bool) -> bool:
        """Whether a succession row is new and consistent; if not, report why."""
        p, s, d = row.predecessor, row.successor, row.effective
        if any(code in self.bad_orgs and code not in self.orgs for code in (p, s)):
            self.skip("refers to an organisation row that was skipped", row)
            return False
        if p not in self.orgs and s not in self.orgs:
            self.skip("both codes outside the imported files", row)
            return False
        if p not in self.orgs and p not in self.known.bodies:
            self.skip("predecessor outside the imported files", row)
            return False
        if s not in self.orgs and s not in self.known.bodies:
            self.problem(
                row, f"succession to an unknown code {s} (not in the imported files or the ledger)"
            )
            return False
        if repeated:
            self.skip("repeats an earlier row", row)
            return False
        recorded = self.known.edges.get((p, s))
        if recorded:
            if d in recorded:
                self.report.already += 1
            else:
                dates = ", ".join(sorted(x.isoformat() for x in recorded))
                self.report.differences.append(
                    Problem(
                        row.file.name,
                        row.row,
                        f"{p} -> {s} is dated {d.isoformat()}; the ledger has it on {dates} (not changed)",
                    )
                )
            return False
        reason = self.inconsistency(p, s, d)
        if reason:
            self.problem(row, reason)
            return False
        return True

    def problem(self, row: SuccRow, reason: str) -> None:
        self.report.problems.append(Problem(row.file.name, row.row, reason))

    def inconsistency(self, p: str, s: str, d: date) -> str | None:
        day = d.isoformat()
        p_start, p_end = self.lifetime(p)
        s_start, s_end = self.lifetime(s)
        if s_start is None:
            return f"successor {s} never opened"
        if s_start > d:
            return f"successor {s} had not opened on {day} (it opens {s_start.isoformat()})"
        if s_end is not None and s_end <= d:
            return f"successor {s} had closed before {day} (its last day was {(s_end - ONE_DAY).isoformat()})"
        if p_start is None or p_start >= d:
            opens = p_start.isoformat() if p_start else "never"
            return f"predecessor {p} had not opened before {day} (it opens {opens})"
        if p_end is not None and p_end < d:
            return f"predecessor {p} had closed before {day} (its last day was {(p_end - ONE_DAY).isoformat()})"
        return None

    def plan_group(self, group: list[SuccRow]) -> None:
        d = group[0].effective
        day = d.strftime("%Y%m%d")
        preds = sorted({r.predecessor for r in group})
        succs = sorted({r.successor for r in group})
        by_pred: dict[str, list[SuccRow]] = defaultdict(list)
        for r in group:
            by_pred[r.predecessor].append(r)
        if len(succs) == 1 and succs[0] not in preds:
            s = succs[0]
            lined = [p for p in preds if self.lines_up(p, d)]
            if lined:
                rows = [(r.file, r.row) for p in lined for r in by_pred[p]]
                fields: dict[str, Any] = {"predecessors": lined, "successor": s}
                into_new = s not in self.known.bodies and self.orgs[s].opened == d
                if into_new:
                    org = self.orgs[s]
                    self.introduced.add(s)
                    fields.update(
                        successor=self.display_name(org),
                        kind=org.kind,
                        codes={"ods": s},
                        into="new",
                    )
                    self.names[s] = fields["successor"]
                    rows.append((org.file, org.row))
                else:
                    fields["into"] = "existing"
                self.closed_by_succession.update(lined)
                how = "a new body" if into_new else "an existing body"
                self.add(
                    self.successions,
                    "merged into new" if into_new else "merged into existing",
                    self.request(
                        "merged",
                        f"ods:succ:{'+'.join(lined)}>{s}:{day}",
                        d,
                        rows,
                        f"ODS successor file: {', '.join(lined)} succeeded by {s} ({how}) on {d.isoformat()}",
                        **fields,
                    ),
                    rows,
                )
            for p in preds:
                if p not in lined:
                    self.succeeded(by_pred[p][0], d, day)
            return
        if len(preds) == 1 and preds[0] not in succs and self.lines_up(preds[0], d):
            p = preds[0]
            rows = [(r.file, r.row) for r in group]
            self.closed_by_succession.add(p)
            self.add(
                self.successions,
                "split",
                self.request(
                    "split",
                    f"ods:succ:{p}>{'+'.join(succs)}:{day}",
                    d,
                    rows,
                    f"ODS successor file: {p} succeeded by {', '.join(succs)} on {d.isoformat()}",
                    source=p,
                    successors=succs,
                ),
                rows,
            )
            return
        for r in sorted(group, key=lambda r: r.row):
            self.succeeded(r, d, day)

    def succeeded(self, row: SuccRow, d: date, day: str) -> None:
        p, s = row.predecessor, row.successor
        self.add(
            self.successions,
            "succeeded",
            self.request(
                "succeeded",
                f"ods:succ:{p}>{s}:{day}",
                d,
                [(row.file, row.row)],
                f"ODS successor file: {p} succeeded by {s} on {d.isoformat()}",
                predecessor=p,
                successor=s,
            ),
            [(row.file, row.row)],
        )

    def plan_organisations(self) -> None:
        for code, org in sorted(self.orgs.items(), key=lambda item: (item[1].opened, item[0])):
            cite = [(org.file, org.row)]
            body = self.known.bodies.get(code)
            if body is None:
                self.plan_new(org, cite)
                continue
            self.compare(org, body, cite)

    def plan_new(self, org: OrgRow, cite: list[tuple[SourceFile, int]]) -> None:
        code = org.code
        opened = org.opened.isoformat()
        if code not in self.introduced:
            name = self.display_name(org)
            self.names[code] = name
            self.add(
                self.established,
                "established",
                self.request(
                    "established",
                    f"ods:{code}:established",
                    org.opened,
                    cite,
                    f"ODS {org.file.name}: {code} opened {opened}",
                    organisation=name,
                    kind=org.kind,
                    codes={"ods": code},
                ),
                cite,
            )
        self.name_fact(org, org.opened, f"ods:{code}:ods_name", cite)
        if org.closed and code not in self.closed_by_succession:
            self.close(org, cite)

    def name_fact(
        self, org: OrgRow, effective: date, label: str, cite: list[tuple[SourceFile, int]]
    ) -> None:
        self.add(
            self.facts,
            "ods_name",
            self.request(
                "fact_recorded",
                label,
                effective,
                cite,
                f"ODS {org.file.name}: the register's name for {org.code}",
                subject=org.code,
                attribute="ods_name",
                value=org.name,
            ),
            cite,
        )

    def close(self, org: OrgRow, cite: list[tuple[SourceFile, int]]) -> None:
        assert org.end is not None and org.closed is not None
        self.add(
            self.closes,
            "closed",
            self.request(
                "closed",
                f"ods:{org.code}:closed",
                org.end,
                cite,
                f"ODS {org.file.name}: {org.code} closed; its last day was {org.closed.isoformat()}",
                organisation=org.code,
            ),
            cite,
        )

    def compare(self, org: OrgRow, body: KnownBody, cite: list[tuple[SourceFile, int]]) -> None:
        """A body the ledger already holds: append what the register shows that is new."""
        code, unchanged = org.code, True
        if body.start is not None and body.start != org.opened:
            unchanged = False
            self.report.differences.append(
                Problem(
                    org.file.name,
                    org.row,
                    f"{code} opens {org.opened.isoformat()}; the ledger has it from {body.start.isoformat()} (not changed)",
                )
            )
        renamed = (
            body.ods_name != org.name
            if body.ods_name is not None
            else fold(org.name) not in body.names and fold(readable(org.name)) not in body.names
        )
        if renamed:
            unchanged = False
            start, end = self.lifetime(code)
            when = self.released
            if end is not None:
                when = min(when, end - ONE_DAY)
            if start is not None:
                when = max(when, start)
            day = when.strftime("%Y%m%d")
            name = self.display_name(org)
            self.add(
                self.renames,
                "renamed",
                self.request(
                    "renamed",
                    f"ods:{code}:renamed:{day}",
                    when,
                    cite,
                    f"ODS {org.file.name}: the register names {code} {org.name!r} (was {body.ods_name or body.name!r}); "
                    f"dated by the release of {self.released.isoformat()}",
                    organisation=code,
                    name=name,
                ),
                cite,
            )
            self.name_fact(org, when, f"ods:{code}:ods_name:{day}", cite)
        if org.end is not None and body.end is None:
            unchanged = False
            if code not in self.closed_by_succession:
                self.close(org, cite)
        elif org.end is not None and body.end is not None and org.end != body.end:
            unchanged = False
            self.report.differences.append(
                Problem(
                    org.file.name,
                    org.row,
                    f"{code}'s last day is {org.closed.isoformat() if org.closed else '?'}; the ledger has "
                    f"{(body.end - ONE_DAY).isoformat()} (not changed)",
                )
            )
        elif org.end is None and body.end is not None:
            unchanged = False
            self.report.differences.append(
                Problem(
                    org.file.name,
                    org.row,
                    f"{code} has no close date; the ledger has it closed from {body.end.isoformat()} (not changed)",
                )
            )
        if unchanged:
            self.report.already += 1


def _root(parent: dict[str, str], code: str) -> str:
    while parent.setdefault(code, code) != code:
        parent[code] = parent[parent[code]]
        code = parent[code]
    return code


def _components(rows: list[SuccRow]) -> list[list[SuccRow]]:
    """Rows of one date joined by a shared code: one merger, split or tangle each."""
    by_date: dict[date, list[SuccRow]] = defaultdict(list)
    for row in rows:
        by_date[row.effective].append(row)
    groups: list[list[SuccRow]] = []
    for day in sorted(by_date):
        parent: dict[str, str] = {}
        find = partial(_root, parent)
        for row in by_date[day]:
            parent[find(row.predecessor)] = find(row.successor)
        joined: dict[str, list[SuccRow]] = defaultdict(list)
        for row in by_date[day]:
            joined[find(row.predecessor)].append(row)
        groups.extend(sorted(joined.values(), key=lambda g: min(r.row for r in g)))
    return groups


def plan(
    org_files: Sequence[OrgFile],
    succ_file: SuccFile | None,
    known: OdsSnapshot,
    *,
    released: date,
    imported: date,
    recorder: str,
) -> Plan:
    """The changes the files imply that the ledger does not hold yet, in an order that records."""
    return _Planner(
        org_files, succ_file, known, released=released, imported=imported, recorder=recorder
    ).run()


# --- importing -----------------------------------------------------------------------------------


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
