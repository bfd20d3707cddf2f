"""The fold: the state of every organisation, post and membership on a date, from fact rows.

A `World` is folded from the rows `views/reading.py` reads (all of them, or those around one body);
`views/snapshot.py` answers the same questions from the periods instead.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from ledger.domain.dates import parse_stored
from ledger.domain.timeline import last_evidence, standing
from ledger.views.rows import Period, Row
from ledger.views.rows import periods_of as _periods

# The marks that open or close a paired period (a membership, a relationship, an appointment).
PAIRED_MARKS = ("member_start", "member_end", "rel_start", "rel_end", "appt_start", "appt_end")


@dataclass
class Evidence:
    """What the fold needs beyond the rows dated by the days asked about, to say what is presumed
    (`views/reading.py`, `evidence_of`): each body's last sighting, the bodies that ever closed,
    and the paired marks dated after those days."""

    sighted: dict[str, date] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)
    later: list[Row] = field(default_factory=list)


@dataclass
class World:
    """The state of every organisation, post and membership, folded from rows effective up to a date."""

    rows: list[Row]
    on: date
    # The last day of the period asked about (`--on 2017-10`: the whole month): what was in force
    # at any time from `on` to `until`. The day `on` itself when None.
    until: date | None = None
    # Without it, the fold says nothing is presumed (a fold of some rows for one purpose).
    evidence: Evidence | None = None
    starts: dict[str, Row] = field(default_factory=dict)
    ends: dict[str, Row] = field(default_factory=dict)
    first_seen: dict[str, Row] = field(default_factory=dict)
    names: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    kinds: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    memberships: dict[tuple[str, str], list[tuple[Row, bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    relations: dict[tuple[str, str, str], list[tuple[Row, bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    posts: dict[str, Row] = field(default_factory=dict)
    post_ends: dict[str, Row] = field(default_factory=dict)
    appointments: dict[tuple[str, str], list[tuple[Row, bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    facts: dict[tuple[str, str, str | None], Row] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))

    def __post_init__(self) -> None:
        # Of the rows dated later, the openings and closings of paired periods: whether one open
        # on the date was ever closed, and how late it was last opened or observed.
        later = (
            [r for r in self.evidence.later if r.aspect in PAIRED_MARKS] if self.evidence else []
        )
        for row in sorted(self.rows, key=lambda r: (r.eff, r.position)) + sorted(
            later, key=lambda r: (r.eff, r.position)
        ):
            a = row.aspect
            if a == "start":
                self.starts.setdefault(row.subject, row)
            elif a == "end":
                self.ends.setdefault(row.subject, row)
            elif a in ("attest", "mention"):
                self.first_seen.setdefault(row.subject, row)
            elif a == "name":
                self.names[row.subject].append(row)
            elif a == "kind":
                self.kinds[row.subject].append(row)
            elif a in ("member_start", "member_end"):
                assert row.other is not None
                self.memberships[(row.subject, row.other)].append((row, a == "member_start"))
            elif a in ("rel_start", "rel_end"):
                assert row.other is not None and row.value is not None
                self.relations[(row.subject, row.value, row.other)].append((row, a == "rel_start"))
            elif a == "post_start":
                self.posts.setdefault(row.subject, row)
            elif a == "post_end":
                self.post_ends.setdefault(row.subject, row)
            elif a in ("appt_start", "appt_end"):
                assert row.other is not None
                self.appointments[(row.subject, row.other)].append((row, a == "appt_start"))
            elif a == "code" and row.value is not None:
                self.codes[row.subject][(row.extra or {}).get("scheme", "code")] = row.value
            elif a == "fact" and row.eff <= self.last:
                # Most facts are about no function: their extra fields need not be parsed here.
                extra = row.extra if row.extra_json and '"function"' in row.extra_json else None
                function = (extra or {}).get("function")
                self.facts[(row.subject, row.value or "", function)] = row

    @property
    def last(self) -> date:
        return self.until or self.on

    def start_of(self, org: str) -> Row | None:
        return self.starts.get(org) or self.first_seen.get(org)

    def in_force(self, org: str) -> bool:
        start = self.start_of(org)
        if start is None or start.eff > self.last:
            return False
        end = self.ends.get(org)
        return end is None or end.eff > self.on

    def last_seen(self, org: str) -> date | None:
        """The day of the body's last evidence, if it came before the days asked about and no
        closing is recorded (presumed then); None: in force, as the periods say (their last_seen)."""
        if self.evidence is None or org in self.evidence.closed:
            return None
        seen = self.evidence.sighted.get(org)
        return seen if standing(seen, self.on) == "presumed" else None

    def _presumed(self, period: Period, marks: list[tuple[Row, bool]]) -> Period:
        """The period, with the day of its last evidence if it is presumed on the days asked
        about: open (no closing recorded, whatever its date), and opened last before them."""
        if self.evidence is None or period.end is not None:
            return period
        seen = last_evidence(
            (row.eff, parse_stored(row.effective).last_day) for row, opening in marks if opening
        )
        if seen is None or standing(seen, self.on) == "in force":
            return period
        return Period(period.start, None, seen)

    def organisations(self) -> list[str]:
        known = set(self.starts) | set(self.first_seen)
        return sorted(o for o in known if self.in_force(o))

    def latest(self, rows: list[Row]) -> Row | None:
        chosen = [r for r in rows if r.eff <= self.last]
        if chosen:
            return chosen[-1]
        return rows[0] if rows else None

    def name_row(self, org: str) -> Row | None:
        return self.latest(self.names.get(org, []))

    def kind_row(self, org: str) -> Row | None:
        return self.latest(self.kinds.get(org, []))

    def post_row(self, post: str) -> Row:
        return self.posts[post]

    def name(self, org: str) -> str:
        row = self.latest(self.names.get(org, []))
        return row.value or org if row else org

    def kind(self, org: str) -> str | None:
        row = self.latest(self.kinds.get(org, []))
        return row.value if row else None

    # The whole structure asks these for every organisation in force: each is answered from an
    # index over the folded rows (built once, in the rows' order) rather than a walk of them all.
    @cached_property
    def _memberships_by(self) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
        by_member: dict[str, list[Any]] = defaultdict(list)
        by_body: dict[str, list[Any]] = defaultdict(list)
        for key, marks in self.memberships.items():
            by_member[key[0]].append((key, marks))
            by_body[key[1]].append((key, marks))
        return by_member, by_body

    @cached_property
    def _relations_by_party(self) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = defaultdict(list)
        for key, marks in self.relations.items():
            subject, _, obj = key
            found[subject].append((key, marks))
            if obj != subject:
                found[obj].append((key, marks))
        return found

    @cached_property
    def _posts_by_org(self) -> dict[str | None, list[str]]:
        found: dict[str | None, list[str]] = defaultdict(list)
        for post, row in self.posts.items():
            found[row.other].append(post)
        return found

    @cached_property
    def _appointments_by_post(self) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = defaultdict(list)
        for key, marks in self.appointments.items():
            found[key[0]].append((key, marks))
        return found

    @cached_property
    def _facts_by_subject(self) -> dict[str, list[Row]]:
        found: dict[str, list[Row]] = defaultdict(list)
        for (subject, _, _), row in self.facts.items():
            found[subject].append(row)
        return found

    def member_of(self, org: str) -> list[tuple[str, Period]]:
        found = []
        for (member, body), marks in self._memberships_by[0].get(org, ()):
            if member != org or not self.in_force(body):
                continue
            for period in _periods(list(marks)):
                if period.overlaps(self.on, self.last):
                    found.append((body, self._presumed(period, marks)))
        return found

    def members(self, body: str) -> list[tuple[str, Period]]:
        found = []
        for (member, b), marks in self._memberships_by[1].get(body, ()):
            if b != body or not self.in_force(member):
                continue
            for period in _periods(list(marks)):
                if period.overlaps(self.on, self.last):
                    found.append((member, self._presumed(period, marks)))
        return found

    def relationships(self, org: str) -> list[tuple[str, str, str, Period]]:
        """(subject, relation, object, period) in force on the date where org is either end."""
        found = []
        for (subject, relation, obj), marks in self._relations_by_party.get(org, ()):
            if org not in (subject, obj) or not (self.in_force(subject) and self.in_force(obj)):
                continue
            for period in _periods(list(marks)):
                if period.overlaps(self.on, self.last):
                    period = self._presumed(period, marks)
                    found.append((subject, relation, obj, period))
        return found

    def posts_of(self, org: str) -> list[str]:
        found = []
        for post in self._posts_by_org.get(org, ()):
            row = self.posts[post]
            end = self.post_ends.get(post)
            if row.other == org and row.eff <= self.last and (end is None or end.eff > self.on):
                found.append(post)
        return sorted(found, key=lambda p: self.posts[p].value or "")

    def holders(self, post: str, *, all_time: bool = False) -> list[tuple[str, Period]]:
        found = []
        org = self.posts[post].other if post in self.posts else None
        org_end = self.ends.get(org) if org else None
        for (p, person), marks in self._appointments_by_post.get(post, ()):
            if p != post:
                continue
            for paired in _periods(list(marks)):
                period = paired
                if org_end is not None and period.end is None:
                    period = Period(period.start, org_end)
                if all_time:
                    found.append((person, period))
                elif period.overlaps(self.on, self.last):
                    # As the periods answer it: in force in the days asked about, the end it had
                    # by their first day (none, or it would not be in force) not shown, and
                    # presumed past its last evidence whatever its body's closing.
                    seen = self._presumed(paired, list(marks)).last_seen
                    found.append((person, Period(period.start, None, seen)))
        return sorted(found, key=lambda h: (h[1].start.eff, h[1].start.position))

    def facts_of(self, org: str) -> list[Row]:
        return sorted(
            self._facts_by_subject.get(org, ()),
            key=lambda r: (r.value or "", r.eff),
        )
