"""Reads the NHS ODS register's files: organisation files (27 columns) and the successor file (5).

Each row is parsed on its own: its columns, its codes and its dates (YYYYMMDD, the register's close
date being a body's last day). A row that does not hold up becomes a `Problem` for the import to
refuse or skip; a file that cannot be read or is not in the format is an `InvalidInput` error.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ledger.application.errors import InvalidInput
from ledger.domain.kinds import BODY_KINDS, unknown_body_kind

ORG_COLUMNS = 27
SUCC_COLUMNS = 5
CODE, NAME, OPENED, CLOSED, ROLE = 0, 1, 10, 11, 13
# A GP practice file's own columns: its status, its commissioner, and when it joined and left it.
STATUS, COMMISSIONER, JOINED, LEFT = 12, 14, 15, 16
STATUSES = {"A": "active", "C": "closed", "D": "dormant", "P": "proposed"}
PRACTICE = "gp_practice"
ONE_DAY = timedelta(days=1)

# Kinds of body by ODS file name, and short names accepted by --kind.
FILE_KINDS = {"eccg": "ccg", "etr": "nhs_trust", "epraccur": "gp_practice"}
KIND_ALIASES = {"trust": "nhs_trust", "ft": "foundation_trust", "practice": "gp_practice"}
# The role code ODS gives CCG records re-used as ICB sub-locations after July 2022.
ICB_SUB_LOCATION = "RO319"


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
class Membership:
    """A practice's commissioner as a practice file row gives it: the code, the day it joined, and
    its leave date (the LAST day it belonged), if any."""

    commissioner: str
    joined: date
    left: date | None

    @property
    def end(self) -> date | None:
        """The first day the practice no longer belongs to it."""
        return self.left + ONE_DAY if self.left else None


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
    status: str | None = None  # a practice's: active, closed, dormant or proposed
    membership: Membership | None = None  # a practice's commissioner

    @property
    def end(self) -> date | None:
        """The first day the body no longer exists (the ledger's effective date of its closing)."""
        return self.closed + ONE_DAY if self.closed else None

    def open_on(self, day: date) -> bool:
        """Whether the row shows the body in force on the day (a proposed one is only a plan)."""
        return (
            self.status != "proposed"
            and self.opened <= day
            and (self.end is None or day < self.end)
        )


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
        given = KIND_ALIASES.get(kind.strip().lower(), kind.strip())
        if given not in BODY_KINDS:
            raise InvalidInput(f"--kind: {unknown_body_kind(kind)}")
        return given
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
        status, membership = None, None
        if body_kind == PRACTICE:
            reason, status, membership = _practice(code, cells)
            if reason:
                problems.append(Problem(file.name, number, reason, code))
                continue
        found.append(
            OrgRow(
                file,
                number,
                code,
                name,
                body_kind,
                opened,
                closed,
                cells[ROLE].strip(),
                status,
                membership,
            )
        )
    return OrgFile(file, body_kind, found, problems, len(rows))


def _practice(code: str, cells: list[str]) -> tuple[str | None, str | None, Membership | None]:
    """(what is wrong, status, commissioner) of one GP practice row."""
    letter = cells[STATUS].strip().upper()
    if letter and letter not in STATUSES:
        known = ", ".join(f"{k} ({v})" for k, v in STATUSES.items())
        return f"{code}: status {letter!r} is not one the register uses ({known})", None, None
    status = STATUSES.get(letter)
    commissioner = cells[COMMISSIONER].strip().upper()
    joined, left = cells[JOINED].strip(), cells[LEFT].strip()
    if not commissioner:
        return None, status, None
    try:
        start = _day(joined)
    except ValueError:
        return (
            f"{code}: the date it joined {commissioner}, {joined!r}, is not a date (YYYYMMDD)",
            None,
            None,
        )
    end = None
    if left:
        try:
            end = _day(left)
        except ValueError:
            return (
                f"{code}: the date it left {commissioner}, {left!r}, is not a date (YYYYMMDD)",
                None,
                None,
            )
        if end < start:
            return (
                f"{code}: it left {commissioner} on {left}, before it joined on {joined}",
                None,
                None,
            )
    return None, status, Membership(commissioner, start, end)


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
    if end == date.max:  # the calendar's last day: registers write it for "no end"
        return None, start, None
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
