"""Plans an ODS import: the changes the register's rows imply that the ledger does not hold yet.

Pure: rows in, change requests and a report out, planned against what the ledger already holds (an
`OdsSnapshot`): bodies established, renamed and closed, successions as mergers, splits or plain
successions, practices' memberships of their commissioners and statuses, and (with a release date)
each body the release lists; so a re-import plans nothing and a newer release plans only what
changed.

Over 400 lines as one module because it is one planner: the successions, the organisations, the
memberships and the listings are planned over shared state (a merger into a new body introduces the
body the organisations must not establish again, a succession that closes its predecessor keeps
them from closing it, a membership is bounded by both bodies' lifetimes as this import leaves
them, a body the release omits is closed by a succession that would otherwise only be an edge, and
all draw on one set of the names in use), so several modules would only hand that state back and
forth.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from ledger.adapters.tables import fold
from ledger.importers.ods.names import readable
from ledger.importers.ods.read import (
    ICB_SUB_LOCATION,
    ONE_DAY,
    OrgFile,
    OrgRow,
    Problem,
    SourceFile,
    SuccFile,
    SuccRow,
)
from ledger.importers.ods.report import Report, ranges
from ledger.views.ods import KnownBody, OdsSnapshot


@dataclass
class Planned:
    """One change to record, the rows it comes from, and how the report counts it."""

    request: dict[str, Any]
    rows: list[tuple[str, int]]
    category: str


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
        listing: bool = False,
    ) -> None:
        self.org_files = org_files
        self.succ_file = succ_file
        self.known = known
        self.released = released
        self.listing = listing  # record each body the release lists as in force on its date
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
        self.memberships: list[Planned] = []  # practices leaving and joining commissioners
        self.listings: list[Planned] = []
        # Bodies an earlier release listed that this one leaves out, with no close date.
        self.omitted: dict[str, KnownBody] = {}
        self.clamped: list[tuple[str, int]] = []  # joined before their commissioner opened
        # A practice's membership as this import leaves it: (commissioner, first day, end).
        self.member_of: dict[str, tuple[str, date, date | None]] = {}

    # --- helpers
    def request(
        self,
        change: str,
        label: str,
        effective: date | str,
        rows: Sequence[tuple[SourceFile, int]],
        reason: str,
        **fields: Any,
    ) -> dict[str, Any]:
        if len(label) > 200:
            label = label[:180] + ":" + hashlib.sha256(label.encode()).hexdigest()[:16]
        return {
            "id": label,
            "change": change,
            "effective": effective if isinstance(effective, str) else effective.isoformat(),
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
        if org is None and code in self.omitted:
            # Left out of this release without a close date: the succession closes it, after
            # the last release that listed it.
            listed = self.omitted[code].listed
            return listed is not None and listed[0] < effective
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
        if self.listing:
            self.find_omitted()
        if self.succ_file is not None:
            self.report.problems.extend(self.succ_file.problems)
            self.plan_successions(self.succ_file.rows)
        self.plan_organisations()
        self.report_omitted()
        if self.clamped:
            self.report.notes.append(
                f"{len(self.clamped)} practice row{'s' if len(self.clamped) > 1 else ''} "
                f"({ranges(self.clamped)}) give a join date before the commissioner (or the "
                "practice) opened: each such membership is recorded from the later open date"
            )
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
            # By date; on one date leaving one commissioner before joining the next.
            *sorted(
                self.memberships,
                key=lambda p: (p.request["effective"], p.request["change"] != "left"),
            ),
            *self.facts,
            *self.renames,
            *self.closes,
            *self.listings,
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
            if body is None and code in self.known.planned:
                self.plan_kept(org)
                continue
            if body is None:
                self.plan_new(org, cite)
                self.plan_membership(org, None, cite)
                self.plan_status(org, None, cite)
            elif not self.compare(org, body, cite):
                self.report.already += 1
            self.plan_listing(org, body, cite)

    def plan_kept(self, org: OrgRow) -> None:
        """A body the ledger holds as a plan (a proposed practice): still proposed, nothing new;
        open now, the plan is for the user to confirm, with what the release says."""
        if org.status == "proposed":
            self.report.already += 1
            return
        self.report.differences.append(
            Problem(
                org.file.name,
                org.row,
                f"{org.code} is a plan in the ledger; the register shows it {org.status or 'open'} "
                f"from {org.opened.isoformat()} (not changed: `ledger confirm "
                f"ods:{org.code}:established` confirms the plan)",
            )
        )

    # --- a release as evidence of its date
    def find_omitted(self) -> None:
        """The bodies an earlier release of these files listed that this one does not, with no
        close date in the ledger."""
        lists = {f"ods:{f.kind}" for f in self.org_files}
        for code, body in self.known.bodies.items():
            if (
                body.listed is not None
                and body.listed[1] in lists
                and body.listed[0] < self.released
                and body.end is None
                and code not in self.orgs
                and code not in self.bad_orgs
            ):
                self.omitted[code] = body

    def report_omitted(self) -> None:
        for code, body in sorted(self.omitted.items()):
            assert body.listed is not None
            closed = code in self.closed_by_succession
            self.report.omitted.append(
                {
                    "code": code,
                    "name": body.name,
                    "last_listed": body.listed[0].isoformat(),
                    "closed_by_succession": closed,
                }
            )

    def plan_listing(
        self, org: OrgRow, body: KnownBody | None, cite: list[tuple[SourceFile, int]]
    ) -> None:
        """Record that the release lists the body as in force on its date (an `as-at:`
        observation), with its state and commissioner as listed."""
        day = self.released
        if not self.listing or not org.open_on(day):
            return
        if body is not None:
            if body.listed is not None and body.listed[0] == day:
                return  # this release is already recorded
            if (body.end is not None and body.end <= day) or (
                body.start is not None and body.start > day
            ):
                return  # the ledger holds another lifetime: reported as a difference
        member_of = None
        m = org.membership
        if m is not None and m.joined <= day and (m.end is None or day < m.end):
            member_of = m.commissioner
        held = self.member_of.get(org.code)
        if held is not None and held[1] <= day and (held[2] is None or day < held[2]):
            # The membership as listed, seen on the release date: evidence of it, as of the body.
            request = self.request(
                "joined",
                f"ods:{org.code}:joined:{held[0]}:as-at:{day.strftime('%Y%m%d')}",
                f"as-at:{day.isoformat()}",
                cite,
                f"ODS {org.file.name}: the release of {day.isoformat()} lists {org.code} "
                f"as a member of {held[0]}",
                member=org.code,
                body=held[0],
                role="member practice",
            )
            self.add(self.listings, "seen member", request, cite)
        self.add(
            self.listings,
            "listed",
            self.request(
                "listed",
                f"ods:{org.code}:listed:{day.strftime('%Y%m%d')}",
                f"as-at:{day.isoformat()}",
                cite,
                f"ODS {org.file.name}: the release of {day.isoformat()} lists {org.code}",
                organisation=org.code,
                listing=f"ods:{org.kind}",
                state=org.status,
                member_of=member_of,
            ),
            cite,
        )

    # --- a practice's commissioner and status
    def plan_membership(
        self, org: OrgRow, body: KnownBody | None, cite: list[tuple[SourceFile, int]]
    ) -> bool:
        """The practice's membership of its commissioner, from the day it joined (or the day both
        were open) to the day after it left (or the practice closed); a release showing another
        commissioner records the move. Whether it planned anything."""
        m = org.membership
        if m is None:
            return False
        c = m.commissioner
        if c not in self.orgs and c not in self.known.bodies:
            self.report.skipped["commissioner not in the files or the ledger"].append(
                (org.file.name, org.row)
            )
            return False
        c_start, c_end = self.lifetime(c)
        p_start, p_end = self.lifetime(org.code)
        start = max(d for d in (m.joined, c_start, p_start) if d is not None)
        if start > m.joined:
            self.clamped.append((org.file.name, org.row))
        end = min((d for d in (m.end, p_end) if d is not None), default=None)
        if end is not None and c_end is not None:
            end = min(end, c_end)
        if (end is not None and end <= start) or (c_end is not None and c_end <= start):
            self.report.skipped["membership outside its bodies' lifetimes"].append(
                (org.file.name, org.row)
            )
            return False
        known = body.memberships if body is not None else ()
        if org.status != "proposed":
            self.member_of[org.code] = (c, start, end)
        same = [k for k in known if k[0] == c]
        if any(k[1] == start for k in same) or any(k[2] is None for k in same):
            recorded = next((k for k in same if k[1] == start), None) or next(
                k for k in same if k[2] is None
            )
            changed = False
            if recorded[1] != start:
                self.report.differences.append(
                    Problem(
                        org.file.name,
                        org.row,
                        f"{org.code} joined {c} on {start.isoformat()}; the ledger has it from "
                        f"{recorded[1].isoformat()} (not changed)",
                    )
                )
                changed = True
            if end is not None and recorded[2] is None and end > recorded[1]:
                self.membership(org, "left", c, end, cite)
                changed = True
            elif end is not None and recorded[2] is not None and recorded[2] != end:
                self.report.differences.append(
                    Problem(
                        org.file.name,
                        org.row,
                        f"{org.code} left {c} on {(end - ONE_DAY).isoformat()}; the ledger has "
                        f"{(recorded[2] - ONE_DAY).isoformat()} (not changed)",
                    )
                )
                changed = True
            return changed
        for other, since, until in known:
            if until is None:
                # It left the old commissioner when it joined the new, or when the old closed
                # (a commissioner merged away between the two releases).
                closing = self.lifetime(other)[1]
                leaving = min(start, closing) if closing is not None else start
                if since < leaving:
                    self.membership(org, "left", other, leaving, cite)
                else:
                    self.report.differences.append(
                        Problem(
                            org.file.name,
                            org.row,
                            f"{org.code} joined {c} on {start.isoformat()}; the ledger has it in "
                            f"{other} from {since.isoformat()} (not changed)",
                        )
                    )
                    self.member_of.pop(org.code, None)
                    return True
        self.membership(org, "joined", c, start, cite)
        if end is not None:
            self.membership(org, "left", c, end, cite)
        return True

    def membership(
        self,
        org: OrgRow,
        change: str,
        commissioner: str,
        day: date,
        cite: list[tuple[SourceFile, int]],
    ) -> None:
        verb = "joined" if change == "joined" else "left"
        fields: dict[str, Any] = {"member": org.code, "body": commissioner}
        if change == "joined":
            fields["role"] = "member practice"
        request = self.request(
            change,
            f"ods:{org.code}:{change}:{commissioner}:{day.strftime('%Y%m%d')}",
            day,
            cite,
            f"ODS {org.file.name}: {org.code} {verb} its commissioner {commissioner}"
            + (
                f" on {day.isoformat()}"
                if change == "joined"
                else f"; its last day was {(day - ONE_DAY).isoformat()}"
            ),
            **fields,
        )
        if org.status == "proposed":
            request["status"] = "planned"
        self.add(self.memberships, change, request, cite)

    def plan_status(
        self, org: OrgRow, body: KnownBody | None, cite: list[tuple[SourceFile, int]]
    ) -> bool:
        """A dormant practice says so (fact `ods_status`, as the release sees it); one the ledger
        holds as dormant that the release shows active again says that."""
        known = (body.status if body is not None else None) or "active"
        if org.status not in ("active", "dormant") or org.status == known:
            return False
        day = self.released
        if not org.open_on(day) or (body is not None and body.end is not None):
            return False
        self.add(
            self.facts,
            "ods_status",
            self.request(
                "fact_recorded",
                f"ods:{org.code}:ods_status:{day.strftime('%Y%m%d')}",
                f"as-at:{day.isoformat()}",
                cite,
                f"ODS {org.file.name}: the release of {day.isoformat()} shows {org.code} {org.status}",
                subject=org.code,
                attribute="ods_status",
                value=org.status,
            ),
            cite,
        )
        return True

    def plan_new(self, org: OrgRow, cite: list[tuple[SourceFile, int]]) -> None:
        code = org.code
        opened = org.opened.isoformat()
        proposed = org.status == "proposed"
        if code not in self.introduced:
            name = self.display_name(org)
            self.names[code] = name
            request = self.request(
                "established",
                f"ods:{code}:established",
                org.opened,
                cite,
                f"ODS {org.file.name}: {code} "
                + (f"proposed, to open {opened}" if proposed else f"opened {opened}"),
                organisation=name,
                kind=org.kind,
                codes={"ods": code},
            )
            if proposed:
                request["status"] = "planned"
            self.add(self.established, "planned" if proposed else "established", request, cite)
        self.name_fact(org, org.opened, f"ods:{code}:ods_name", cite)
        if org.closed and code not in self.closed_by_succession:
            self.close(org, cite)

    def name_fact(
        self, org: OrgRow, effective: date, label: str, cite: list[tuple[SourceFile, int]]
    ) -> None:
        request = self.request(
            "fact_recorded",
            label,
            effective,
            cite,
            f"ODS {org.file.name}: the register's name for {org.code}",
            subject=org.code,
            attribute="ods_name",
            value=org.name,
        )
        if org.status == "proposed":
            request["status"] = "planned"
        self.add(self.facts, "ods_name", request, cite)

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

    def compare(self, org: OrgRow, body: KnownBody, cite: list[tuple[SourceFile, int]]) -> bool:
        """A body the ledger already holds: append what the register shows that is new; whether
        the row showed anything new or different."""
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
        if self.plan_membership(org, body, cite):
            unchanged = False
        if self.plan_status(org, body, cite):
            unchanged = False
        return not unchanged


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
    listing: bool = False,
) -> Plan:
    """The changes the files imply that the ledger does not hold yet, in an order that records;
    with `listing`, also that each body the files show in force was in the register on the day
    of the release."""
    return _Planner(
        org_files,
        succ_file,
        known,
        released=released,
        imported=imported,
        recorder=recorder,
        listing=listing,
    ).run()
