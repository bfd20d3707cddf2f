"""A deterministic national history of organisational change, written as change files `ledger import` reads.

    python benchmarks/generate.py --size 1000000 --out /tmp/national [--seed 7] [--bodies 20000]

Thirty years (1996-2025) of bodies of every kind being established, renamed, reclassified, merged, split
and closed; memberships and relationships; functions and staff moving; posts, appointments, dated facts
and decisions; about 3% corrections and retractions of earlier changes, and about 5% of changes recorded
long after later-dated ones (out of effective order). The same size and seed always give the same files.

Every change is valid against the history before it (an import refuses none): the generator keeps the
state it needs (live bodies, posts and holders, open memberships), which is bounded by the number of
bodies, not by the number of changes, and writes the files as it goes (DIR/0001.json, ... each at most
10,000 changes). DIR/manifest.json says what was generated and what a correct store must answer
(bodies in force on given dates, lineage of merged bodies, holders of posts, corrections, retractions,
changes recorded out of order), so a test can check a store built from the files.
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import itertools
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

START = date(1996, 1, 1)
END = date(2025, 12, 31)
PER_FILE = 10_000
RECORDER = "national-generator"

T = TypeVar("T")

# --- vocabulary --------------------------------------------------------------------------------
# (kind, name suffix, weight among new bodies)
KINDS: list[tuple[str, str, int]] = [
    ("gp_practice", "Medical Practice", 30),
    ("ccg", "CCG", 6),
    ("nhs_trust", "NHS Trust", 6),
    ("foundation_trust", "NHS Foundation Trust", 5),
    ("local_authority", "Council", 6),
    ("community_interest_company", "Community Interest Company", 4),
    ("integrated_care_organisation", "Integrated Care Organisation", 2),
    ("partnership", "Partnership", 6),
    ("board", "Board", 6),
    ("committee", "Committee", 6),
    ("group", "Group", 3),
    ("programme", "Programme", 4),
    ("network", "Network", 5),
    ("shared_service", "Shared Service", 3),
    ("provider_alliance", "Provider Alliance", 2),
    ("commissioner", "Commissioning Unit", 2),
    ("national_body", "National Agency", 1),
]
KIND_SUFFIX = {k: s for k, s, _ in KINDS}
KIND_WEIGHTS = [w for _, _, w in KINDS]
KIND_NAMES = [k for k, _, _ in KINDS]
# Bodies others join (memberships) and reclassifications that happen in the NHS.
GROUPS = {"partnership", "board", "committee", "group", "network", "provider_alliance", "programme"}
RECLASSIFY = {
    "nhs_trust": "foundation_trust",
    "ccg": "commissioner",
    "partnership": "integrated_care_organisation",
    "group": "network",
    "programme": "shared_service",
}
ONSETS = [
    "Ash",
    "Brack",
    "Cold",
    "Dun",
    "Elm",
    "Fern",
    "Glen",
    "Hart",
    "Ivy",
    "Kings",
    "Lang",
    "Mill",
    "North",
    "Oak",
    "Pen",
    "Ross",
    "Stan",
    "Thorn",
    "Up",
    "Wex",
    "Yar",
    "Bar",
    "Carl",
    "Dar",
    "Eas",
    "Fal",
    "Gran",
    "Hol",
    "Kil",
    "Lyn",
    "Mar",
    "Nor",
    "Pol",
    "Red",
    "Sal",
    "Tor",
    "Wal",
    "Whit",
    "Wood",
    "Brom",
    "Ched",
    "Ever",
]
CODAS = [
    "ford",
    "ley",
    "ton",
    "bury",
    "wick",
    "field",
    "mouth",
    "ham",
    "by",
    "stow",
    "worth",
    "dale",
    "combe",
    "hurst",
    "minster",
    "well",
    "brook",
    "wood",
    "cote",
    "thorpe",
    "sted",
    "mere",
    "ridge",
    "gate",
    "holm",
]
QUALIFIERS = [
    "North",
    "South",
    "East",
    "West",
    "Central",
    "Greater",
    "Upper",
    "Lower",
    "Mid",
    "Outer",
]
FIRST = [
    "Alex",
    "Sam",
    "Jo",
    "Chris",
    "Pat",
    "Jordan",
    "Morgan",
    "Taylor",
    "Jamie",
    "Robin",
    "Lee",
    "Kim",
    "Dana",
    "Ari",
    "Noor",
    "Priya",
    "Ravi",
    "Mei",
    "Tomasz",
    "Ana",
    "Ewan",
    "Fiona",
    "Gareth",
    "Helen",
    "Imran",
    "Julia",
    "Kofi",
    "Laura",
    "Marek",
    "Nadia",
    "Owen",
    "Rosa",
    "Sean",
    "Tara",
]
LAST = [
    "Smith",
    "Jones",
    "Patel",
    "Khan",
    "Williams",
    "Brown",
    "Taylor",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Roberts",
    "Johnson",
    "Lewis",
    "Walker",
    "Wright",
    "Robinson",
    "Thompson",
    "White",
    "Hughes",
    "Edwards",
    "Green",
    "Hall",
    "Wood",
    "Harris",
    "Clarke",
    "Jackson",
    "Clark",
    "Turner",
    "Hill",
    "Scott",
    "Cooper",
    "Morris",
    "Ward",
    "Moore",
    "King",
    "Watson",
    "Baker",
    "Harrison",
    "Morgan",
    "Nowak",
    "Okafor",
    "Singh",
]
TITLES = [
    "Chief Executive",
    "Chair",
    "Director of Finance",
    "Medical Director",
    "Director of Nursing",
    "Director of Public Health",
    "Director of Adult Social Care",
    "Chief Operating Officer",
    "Director of Strategy",
    "Director of Workforce",
    "Chief Information Officer",
    "Company Secretary",
    "Director of Commissioning",
    "Clinical Lead",
    "Programme Director",
    "Senior Responsible Owner",
    "Deputy Chief Executive",
    "Caldicott Guardian",
    "Head of Governance",
    "Lay Member",
]
FUNCTIONS = [
    "Adult social care",
    "Children's services",
    "IT",
    "Finance",
    "HR",
    "Estates",
    "Payroll",
    "Procurement",
    "111 and out-of-hours",
    "Continuing healthcare",
    "Medicines management",
    "Safeguarding",
    "Public health nursing",
    "Mental health liaison",
    "Community nursing",
    "Health visiting",
    "Patient transport",
    "Occupational health",
    "Communications",
    "Business intelligence",
]
FACTS = [
    ("population_served", "people", 5_000, 1_500_000),
    ("budget", "GBP million", 1, 2_500),
    ("member_practices", None, 1, 120),
    ("staff", "FTE", 10, 15_000),
    ("beds", None, 10, 2_000),
    ("sites", None, 1, 40),
]
DECISIONS = [
    "endorsed the five-year plan",
    "approved the annual budget",
    "agreed a joint commissioning strategy",
    "approved the business case for integration",
    "agreed to consult on service changes",
    "endorsed the memorandum of understanding",
    "approved the estates strategy",
    "agreed shared governance arrangements",
    "approved the workforce plan",
    "endorsed the digital strategy",
]
RELATIONS = ("hosts", "commissions", "accountable_to", "part_of", "provides_for", "supports")
ROLES = (None, "member", "voting member", "associate", "chair")
# Random words for the new successors of splits: a vocabulary of their own, each word used once,
# so a new name is not close to a known one (an import refuses introducing a near-duplicate).
SPLIT_ONSETS = [
    "b",
    "d",
    "g",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "v",
    "z",
    "br",
    "dr",
    "gr",
    "kr",
    "pr",
    "tr",
]
SPLIT_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ou"]
SPLIT_CODAS = ["n", "r", "l", "s", "x", "th", "nd", "rk", "sk", "lm"]

# Weights of the kinds of change drawn for each slot (establishments are scheduled separately).
MIX: list[tuple[str, float]] = [
    ("fact_recorded", 34.0),
    ("appointed", 13.0),
    ("appointment_ended", 11.0),
    ("post_created", 5.0),
    ("post_abolished", 1.0),
    ("joined", 6.0),
    ("left", 4.0),
    ("relationship_started", 3.0),
    ("relationship_ended", 2.0),
    ("staff_transferred", 3.0),
    ("function_moved", 1.0),
    ("decision_recorded", 5.0),
    ("renamed", 1.2),
    ("reclassified", 0.4),
    ("closed", 0.5),
    ("merged", 0.6),
    ("split", 0.25),
    ("corrected", 2.0),
    ("retracted", 1.0),
]
MIX_KINDS = [k for k, _ in MIX]
MIX_CUMULATIVE = list(itertools.accumulate(w for _, w in MIX))


class Pool(Generic[T]):
    """A set with O(1) add, remove and uniform random choice."""

    def __init__(self) -> None:
        self.items: list[T] = []
        self.where: dict[T, int] = {}

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, item: T) -> bool:
        return item in self.where

    def add(self, item: T) -> None:
        if item not in self.where:
            self.where[item] = len(self.items)
            self.items.append(item)

    def discard(self, item: T) -> None:
        index = self.where.pop(item, None)
        if index is None:
            return
        last = self.items.pop()
        if index < len(self.items):
            self.items[index] = last
            self.where[last] = index

    def choice(self, rng: random.Random) -> T:
        return self.items[int(rng.random() * len(self.items))]


@dataclass(eq=False)
class Body:
    number: int
    name: str
    kind: str
    code: str
    start: date
    posts: list[Post] = field(default_factory=list)
    # Open memberships and relationships (a dict, not a set: its order must not depend on hashing).
    links: dict[tuple[str, int, int], None] = field(default_factory=dict)
    titles: set[str] = field(default_factory=set)
    # The last day a change acted on it: it cannot close that day (nothing acts on a closing date).
    touched: date = START


@dataclass(eq=False)
class Post:
    body: Body
    title: str
    start: date
    substantive: tuple[str, date] | None = None
    others: list[tuple[str, date]] = field(default_factory=list)  # interim / acting holders

    def holders(self) -> list[tuple[str, date]]:
        """Everyone holding the post now, with the day they took it (substantive first)."""
        return ([self.substantive] if self.substantive else []) + self.others


@dataclass
class Amendable:
    label: str
    kind: str  # fact_recorded, decision_recorded, staff_transferred
    subject: str  # the name the subject had when the change was made
    attribute: str | None = None
    value: str | None = None


class Generator:
    def __init__(self, size: int, out: Path, seed: int, bodies: int, progress: Any) -> None:
        self.size = size
        self.out = out
        self.seed = seed
        self.target_bodies = bodies
        self.progress = progress
        self.rng = random.Random(seed)
        self.days = (END - START).days
        self.today = START
        self.emitted = 0
        self.slot = 0
        self.made = 0
        self.file_number = 0
        self.buffer: list[dict[str, Any]] = []
        self.counts: Counter[str] = Counter()
        self.used_names: set[str] = set()
        self.split_words: set[str] = set()
        self.numbers = 0
        self.live: Pool[Body] = Pool()
        self.by_number: dict[int, Body] = {}
        self.groups: Pool[Body] = Pool()
        self.posts: Pool[Post] = Pool()
        self.held: Pool[Post] = Pool()  # posts with at least one holder
        self.links: Pool[tuple[str, int, int]] = Pool()
        self.link_start: dict[tuple[str, int, int], date] = {}
        self.amendable: Pool[str] = Pool()
        self.amend_info: dict[str, Amendable] = {}
        self.delayed: list[tuple[int, int, dict[str, Any]]] = []
        self.established = 0
        self.last_label: str | None = None
        self.last_effective: str | None = None
        # expectations
        self.probe_dates = [date(y, 6, 30) for y in (1998, 2003, 2008, 2013, 2018, 2023)]
        self.in_force: list[dict[str, Any]] = []
        self.lineage: list[dict[str, Any]] = []
        self.holders: list[dict[str, Any]] = []
        self.corrections: list[dict[str, Any]] = []
        self.retractions: list[dict[str, Any]] = []
        self.out_of_order: list[dict[str, Any]] = []
        self.out_of_order_count = 0
        self.sample = max(3, min(20, size // 2000))
        # Samples are drawn over the whole run (reservoir sampling) with a generator of their own,
        # so that what is sampled does not change what is generated.
        self.picker = random.Random(seed + 1)
        self.seen: Counter[int] = Counter()

    def keep(self, record: list[dict[str, Any]], item: dict[str, Any]) -> bool:
        """Offer an expectation to a sample; say whether it was kept."""
        self.seen[id(record)] += 1
        if len(record) < self.sample:
            record.append(item)
            return True
        index = self.picker.randrange(self.seen[id(record)])
        if index < self.sample:
            record[index] = item
            return True
        return False

    # --- output ---------------------------------------------------------------------------
    def emit(self, entry: dict[str, Any]) -> None:
        self.buffer.append(entry)
        self.counts[entry["change"]] += 1
        self.emitted += 1
        self.last_label = entry["id"]
        self.last_effective = entry.get("effective")
        if len(self.buffer) >= PER_FILE:
            self.flush()
        if self.progress is not None and self.emitted % 10_000 == 0:
            self.progress(self.emitted)

    def flush(self) -> None:
        if not self.buffer:
            return
        self.file_number += 1
        path = self.out / f"{self.file_number:04d}.json"
        # json.dumps uses the C encoder; json.dump to a file would not.
        text = json.dumps({"recorder": RECORDER, "changes": self.buffer}, separators=(",", ":"))
        path.write_text(text, encoding="utf-8")
        self.buffer = []

    def change(
        self, what: str, effective: date | str | None = None, /, **fields: Any
    ) -> dict[str, Any]:
        number = self.emitted + len(self.delayed) + 1
        when = effective or self.today
        year = when[:4] if isinstance(when, str) else when.year
        entry: dict[str, Any] = {"id": self.label(what), "change": what}
        entry["effective"] = when if isinstance(when, str) else when.isoformat()
        entry["reason"] = f"{what.replace('_', ' ')} per the national register"
        entry["sources"] = [{"source": f"national-register-{year}", "locator": f"entry {number}"}]
        entry.update(fields)
        return entry

    def label(self, kind: str) -> str:
        """A unique, stable label: seed, serial number and the kind of change."""
        self.made += 1
        return f"s{self.seed}-{self.made:07d}-{kind.replace('_', '-')}"

    # --- names ------------------------------------------------------------------------------
    def place(self) -> str:
        rng = self.rng
        word = rng.choice(ONSETS) + rng.choice(CODAS)
        roll = rng.random()
        if roll < 0.35:
            return f"{word} and {rng.choice(ONSETS)}{rng.choice(CODAS)}"
        if roll < 0.6:
            return f"{rng.choice(QUALIFIERS)} {word}"
        if roll < 0.75:
            return f"{rng.choice(QUALIFIERS)} {word} and {rng.choice(ONSETS)}{rng.choice(CODAS)}"
        return word

    def unique(self, make: Callable[[], str]) -> str:
        for _ in range(50):
            name = make()
            key = " ".join(name.casefold().split())
            if key not in self.used_names:
                self.used_names.add(key)
                return name
        self.numbers += 1
        name = f"{make()} {self.numbers}"
        self.used_names.add(" ".join(name.casefold().split()))
        return name

    def body_name(self, kind: str) -> str:
        return self.unique(lambda: f"{self.place()} {KIND_SUFFIX[kind]}")

    def split_word(self) -> str:
        rng = self.rng
        while True:
            word = "".join(
                rng.choice(SPLIT_ONSETS) + rng.choice(SPLIT_VOWELS) for _ in range(2)
            ) + rng.choice(SPLIT_CODAS)
            if word not in self.split_words:
                self.split_words.add(word)
                return word.capitalize()

    def split_name(self, kind: str) -> str:
        # Words of their own and no kind suffix: a long suffix shared with the known bodies of the
        # kind ("... Integrated Care Organisation") made names close enough to be refused.
        return self.unique(lambda: f"{self.split_word()} {self.split_word()}")

    def person(self) -> str:
        rng = self.rng
        return f"{rng.choice(FIRST)} {chr(65 + rng.randrange(26))}. {rng.choice(LAST)}"

    # --- state ------------------------------------------------------------------------------
    def new_body(self, name: str, kind: str, start: date) -> Body:
        self.established += 1
        body = Body(self.established, name, kind, f"G{self.established:06X}", start, touched=start)
        self.live.add(body)
        self.by_number[body.number] = body
        if kind in GROUPS:
            self.groups.add(body)
        return body

    def end_body(self, body: Body) -> None:
        """A body closes: nothing more happens to it or to its posts and memberships."""
        self.live.discard(body)
        self.groups.discard(body)
        for post in body.posts:
            self.posts.discard(post)
            self.held.discard(post)
        for link in list(body.links):
            self.links.discard(link)
            self.link_start.pop(link, None)
            _, a, b = link
            other = self.by_number[b if a == body.number else a]
            other.links.pop(link, None)
        del self.by_number[body.number]

    def older(self, pool: Pool[Body], tries: int = 8) -> Body | None:
        """A live body nothing has acted on today (so it can close or end something today)."""
        if not pool:
            return None
        for _ in range(tries):
            body = pool.choice(self.rng)
            if body.touched < self.today:
                return body
        return None

    def acts(self, *bodies: Body) -> None:
        """Note that today's change acts on these bodies (so none of them can close today)."""
        for body in bodies:
            body.touched = self.today

    # --- kinds of change --------------------------------------------------------------------
    def establish(self) -> None:
        kind = self.rng.choices(KIND_NAMES, KIND_WEIGHTS)[0]
        name = self.body_name(kind)
        body = self.new_body(name, kind, self.today)
        self.emit(
            self.change("established", organisation=name, kind=kind, codes={"ods": body.code})
        )

    def fact(self) -> bool:
        body = self.live.choice(self.rng) if self.live else None
        if body is None:
            return False
        self.acts(body)
        attribute, unit, low, high = self.rng.choice(FACTS)
        value = str(self.rng.randint(low, high))
        effective: date | str = self.today
        first = self.today.replace(day=1)
        if self.rng.random() < 0.1 and body.start < first:
            effective = first.strftime("%Y-%m")  # known only to the month
        fields: dict[str, Any] = {"subject": body.name, "attribute": attribute, "value": value}
        if unit:
            fields["unit"] = unit
        entry = self.change("fact_recorded", effective, **fields)
        self.remember(entry, Amendable(entry["id"], "fact_recorded", body.name, attribute, value))
        return True

    def decision(self) -> bool:
        body = self.live.choice(self.rng) if self.live else None
        if body is None:
            return False
        about = []
        for _ in range(self.rng.randrange(3)):
            other = self.live.choice(self.rng)
            if other is not body and other.name not in about:
                about.append(other.name)
        self.acts(body)
        fields: dict[str, Any] = {"body": body.name, "decision": self.rng.choice(DECISIONS)}
        if about:
            fields["about"] = about
        entry = self.change("decision_recorded", **fields)
        self.remember(entry, Amendable(entry["id"], "decision_recorded", body.name))
        return True

    def remember(self, entry: dict[str, Any], info: Amendable) -> None:
        """Emit a fact or decision now, or hold it back to record it out of effective order."""
        if self.rng.random() < 0.11:
            delay = self.rng.randint(max(20, self.size // 500), max(40, self.size // 50))
            heapq.heappush(self.delayed, (self.emitted + delay, self.made, entry))
            self.amend_info[entry["id"]] = info
            return
        self.emit(entry)
        self.amend_info[info.label] = info
        self.amendable.add(info.label)
        if len(self.amendable) > 5000:  # keep the state bounded
            old = self.amendable.choice(self.rng)
            self.amendable.discard(old)
            self.amend_info.pop(old, None)

    def release(self) -> None:
        while self.delayed and self.delayed[0][0] <= self.emitted:
            _, _, entry = heapq.heappop(self.delayed)
            before, before_effective = self.last_label, self.last_effective
            self.emit(entry)
            self.out_of_order_count += 1
            info = self.amend_info.get(entry["id"])
            if info is None or before is None:
                continue
            expectation = {
                "label": entry["id"],
                "subject": info.subject,
                "kind": entry["change"],
                "effective": entry["effective"],
                "recorded_after": before,
                "recorded_after_effective": before_effective,
            }
            if self.keep(self.out_of_order, expectation):
                # Kept out of the amendable pool: its expectation must hold at the end.
                self.amend_info.pop(entry["id"], None)
            else:
                self.amendable.add(entry["id"])

    def rename(self) -> bool:
        body = self.live.choice(self.rng) if self.live else None
        if body is None:
            return False
        new = self.body_name(body.kind)
        self.emit(self.change("renamed", organisation=body.name, name=new))
        self.acts(body)
        body.name = new
        return True

    def reclassify(self) -> bool:
        for _ in range(8):
            body = self.live.choice(self.rng)
            if body.kind in RECLASSIFY:
                kind = RECLASSIFY[body.kind]
                self.emit(self.change("reclassified", organisation=body.name, kind=kind))
                self.acts(body)
                body.kind = kind
                self.groups.discard(body)
                if kind in GROUPS:
                    self.groups.add(body)
                return True
        return False

    def close(self) -> bool:
        body = self.older(self.live)
        if body is None or len(self.live) < 10:
            return False
        self.emit(self.change("closed", organisation=body.name))
        successor = self.older(self.live) if self.rng.random() < 0.5 else None
        if successor is not None and successor is not body:
            self.emit(self.change("succeeded", predecessor=body.name, successor=successor.name))
            self.acts(successor)
        self.end_body(body)
        return True

    def merge(self) -> bool:
        # The successor does not take over the predecessors' memberships (`no_carry`): the state
        # kept here ends them with the predecessors, as the history's later joins assume.
        if len(self.live) < 20:
            return False
        first = self.older(self.live)
        if first is None:
            return False
        predecessors = [first]
        for _ in range(self.rng.choice((1, 1, 1, 2, 3))):
            other = self.older(self.live)
            if other is not None and other not in predecessors:
                predecessors.append(other)
        if len(predecessors) < 2 and self.rng.random() < 0.5:
            return False
        names = [p.name for p in predecessors]
        into_new = self.rng.random() < 0.5 or len(predecessors) < 2
        kind = first.kind
        if into_new:
            name = self.body_name(kind)
            code = f"G{self.established + 1:06X}"
            entry = self.change(
                "merged",
                predecessors=names,
                successor=name,
                kind=kind,
                codes={"ods": code},
                into="new",
                no_carry=True,
            )
        else:
            successor_body = predecessors.pop()
            names.pop()
            name = successor_body.name
            entry = self.change(
                "merged", predecessors=names, successor=name, into="existing", no_carry=True
            )
            self.acts(successor_body)
        self.emit(entry)
        for p in predecessors:
            self.end_body(p)
        if into_new:
            self.new_body(name, kind, self.today)
        self.keep(
            self.lineage,
            {"label": entry["id"], "successor": name, "predecessors": names, "into": entry["into"]},
        )
        return True

    def split(self) -> bool:
        source = self.older(self.live)
        if source is None or len(self.live) < 10:
            return False
        continues = self.rng.random() < 0.3
        successors: list[str] = []
        new: list[str] = []
        for _ in range(self.rng.choice((2, 2, 3))):
            if self.rng.random() < 0.7:
                name = self.split_name(source.kind)
                successors.append(name)
                new.append(name)
            else:
                other = self.live.choice(self.rng)
                if other is not source and other.name not in successors:
                    successors.append(other.name)
                    self.acts(other)
        if not successors:
            return False
        fields: dict[str, Any] = {"source": source.name, "successors": successors}
        if continues:
            fields["source_continues"] = True
        self.emit(self.change("split", **fields))
        kind = source.kind
        if continues:
            self.acts(source)
        else:
            self.end_body(source)
        for name in new:
            self.new_body(name, kind, self.today)
        return True

    def link(self, kind: str) -> bool:
        if kind == "joined":
            if not self.groups:
                return False
            body = self.groups.choice(self.rng)
            member = self.live.choice(self.rng)
            key = ("member", member.number, body.number)
        else:
            member = self.live.choice(self.rng)
            body = self.live.choice(self.rng)
            relation = self.rng.choice(RELATIONS)
            key = (relation, member.number, body.number)
        if member is body or key in self.link_start:
            return False
        if kind == "joined":
            role = self.rng.choice(ROLES)
            fields: dict[str, Any] = {"member": member.name, "body": body.name}
            if role:
                fields["role"] = role
            self.emit(self.change("joined", **fields))
        else:
            self.emit(
                self.change(
                    "relationship_started", subject=member.name, relation=key[0], object=body.name
                )
            )
        self.acts(member, body)
        self.links.add(key)
        self.link_start[key] = self.today
        member.links[key] = None
        body.links[key] = None
        return True

    def unlink(self, kind: str) -> bool:
        for _ in range(6):
            if not self.links:
                return False
            key = self.links.choice(self.rng)
            if (key[0] == "member") != (kind == "left") or self.link_start[key] >= self.today:
                continue
            member, body = self.by_number[key[1]], self.by_number[key[2]]
            if kind == "left":
                self.emit(self.change("left", member=member.name, body=body.name))
            else:
                self.emit(
                    self.change(
                        "relationship_ended", subject=member.name, relation=key[0], object=body.name
                    )
                )
            self.links.discard(key)
            del self.link_start[key]
            member.links.pop(key, None)
            body.links.pop(key, None)
            return True
        return False

    def transfer(self, kind: str) -> bool:
        if len(self.live) < 2:
            return False
        source, target = self.live.choice(self.rng), self.live.choice(self.rng)
        if source is target:
            return False
        function = self.rng.choice(FUNCTIONS)
        fields: dict[str, Any] = {"function": function, "from": source.name, "to": target.name}
        if kind == "staff_transferred" or self.rng.random() < 0.5:
            fields["headcount"] = self.rng.randint(1, 400)
        entry = self.change(kind, **fields)
        self.emit(entry)
        self.acts(target)
        if kind == "staff_transferred":
            info = Amendable(entry["id"], kind, source.name, "headcount", str(fields["headcount"]))
            self.amend_info[info.label] = info
            self.amendable.add(info.label)
        return True

    def create_post(self) -> bool:
        body = self.live.choice(self.rng) if self.live else None
        if body is None:
            return False
        free = [t for t in TITLES if t not in body.titles]
        if not free:
            return False
        title = self.rng.choice(free)
        body.titles.add(title)
        self.emit(self.change("post_created", post=title, organisation=body.name))
        self.acts(body)
        post = Post(body, title, self.today)
        body.posts.append(post)
        self.posts.add(post)
        return True

    def abolish_post(self) -> bool:
        if not self.posts:
            return False
        post = self.posts.choice(self.rng)
        holders = post.holders()
        if post.start >= self.today or any(since >= self.today for _, since in holders):
            return False
        for person, _ in holders:
            self.emit(
                self.change(
                    "appointment_ended", person=person, post=post.title, organisation=post.body.name
                )
            )
        self.emit(self.change("post_abolished", post=post.title, organisation=post.body.name))
        self.posts.discard(post)
        self.held.discard(post)
        post.body.posts.remove(post)
        return True

    def appoint(self) -> bool:
        if not self.posts:
            return False
        post = self.posts.choice(self.rng)
        person = self.person()
        if person == (post.substantive or ("", None))[0] or any(
            p == person for p, _ in post.others
        ):
            return False
        fields: dict[str, Any] = {
            "person": person,
            "post": post.title,
            "organisation": post.body.name,
        }
        if post.substantive is None and self.rng.random() < 0.8:
            post.substantive = (person, self.today)
        else:
            if len(post.others) >= 2:
                return False
            fields[self.rng.choice(("interim", "acting", "shadow"))] = True
            post.others.append((person, self.today))
        self.emit(self.change("appointed", **fields))
        self.acts(post.body)
        self.held.add(post)
        return True

    def end_appointment(self) -> bool:
        if not self.held:
            return False
        post = self.held.choice(self.rng)
        choices = post.holders()
        person, since = self.rng.choice(choices)
        if since >= self.today:
            return False
        self.emit(
            self.change(
                "appointment_ended", person=person, post=post.title, organisation=post.body.name
            )
        )
        if post.substantive and post.substantive[0] == person:
            post.substantive = None
        else:
            post.others = [(p, s) for p, s in post.others if p != person]
        if post.substantive is None and not post.others:
            self.held.discard(post)
        return True

    def amend(self, kind: str) -> bool:
        if not self.amendable:
            return False
        target = self.amendable.choice(self.rng)
        info = self.amend_info[target]
        if kind == "corrected" and info.kind == "decision_recorded":
            return False
        self.amendable.discard(target)
        del self.amend_info[target]
        label = self.label(kind)
        entry: dict[str, Any] = {"id": label, "change": kind}
        if kind == "corrected":
            assert info.value is not None
            new = str(max(1, int(info.value) + self.rng.choice((-7, -3, -1, 1, 2, 5, 11))))
            if new == info.value:
                new = str(int(info.value) + 1)
            entry["corrects"] = target
            entry["headcount" if info.kind == "staff_transferred" else "value"] = (
                int(new) if info.kind == "staff_transferred" else new
            )
            entry["reason"] = "figure corrected from the published accounts"
            record = self.corrections
            expectation = {
                "label": label,
                "target": target,
                "kind": info.kind,
                "subject": info.subject,
                "attribute": info.attribute,
                "old": info.value,
                "new": new,
            }
        else:
            entry["retracts"] = target
            entry["reason"] = "recorded in error: not in the cited source"
            record = self.retractions
            expectation = {
                "label": label,
                "target": target,
                "kind": info.kind,
                "subject": info.subject,
            }
        entry["sources"] = [
            {
                "source": f"national-register-{self.today.year}",
                "locator": f"erratum {self.emitted + 1}",
            }
        ]
        self.emit(entry)
        self.keep(record, expectation)
        return True

    # --- the run ----------------------------------------------------------------------------
    def observe(self, day: date) -> None:
        """Bodies in force on a probe date (everything effective up to and on it is generated)."""
        names = sorted(b.name for b in self.live.items)
        rng = random.Random(f"{self.seed}-{day}")
        self.in_force.append(
            {
                "on": day.isoformat(),
                "count": len(names),
                "names": rng.sample(names, min(10, len(names))),
            }
        )
        posts = [p for p in self.held.items if p.substantive and p.substantive[1] < day]
        for post in rng.sample(posts, min(max(1, self.sample // 3), len(posts))):
            assert post.substantive is not None
            self.holders.append(
                {
                    "on": day.isoformat(),
                    "organisation": post.body.name,
                    "post": post.title,
                    "holder": post.substantive[0],
                }
            )

    def run(self) -> dict[str, Any]:
        self.out.mkdir(parents=True, exist_ok=True)
        for stale in self.out.glob("[0-9][0-9][0-9][0-9].json"):
            stale.unlink()
        handlers: dict[str, Callable[[], bool]] = {
            "fact_recorded": self.fact,
            "decision_recorded": self.decision,
            "appointed": self.appoint,
            "appointment_ended": self.end_appointment,
            "post_created": self.create_post,
            "post_abolished": self.abolish_post,
            "joined": lambda: self.link("joined"),
            "relationship_started": lambda: self.link("relationship_started"),
            "left": lambda: self.unlink("left"),
            "relationship_ended": lambda: self.unlink("relationship_ended"),
            "staff_transferred": lambda: self.transfer("staff_transferred"),
            "function_moved": lambda: self.transfer("function_moved"),
            "renamed": self.rename,
            "reclassified": self.reclassify,
            "closed": self.close,
            "merged": self.merge,
            "split": self.split,
            "corrected": lambda: self.amend("corrected"),
            "retracted": lambda: self.amend("retracted"),
        }
        probes = list(self.probe_dates)
        # A quarter of the bodies exist from the start; the rest are established over the years.
        initial = max(5, self.target_bodies // 4)
        rng = self.rng
        while self.emitted + len(self.delayed) < self.size:
            self.slot += 1
            done = self.emitted + len(self.delayed)
            day = START + timedelta(days=done * self.days // self.size)
            while probes and day > probes[0]:
                self.observe(probes.pop(0))
            self.today = day
            self.release()
            share = done / self.size
            # The population in force grows from a quarter of --bodies to --bodies; bodies closed
            # or merged away are replaced, as the NHS re-forms what it abolishes.
            wanted = initial + (self.target_bodies - initial) * share
            if self.established < min(initial, self.target_bodies) or (
                len(self.live) < wanted and rng.random() < 0.5
            ):
                self.establish()
                continue
            for _ in range(4):
                kind = MIX_KINDS[bisect.bisect(MIX_CUMULATIVE, rng.random() * MIX_CUMULATIVE[-1])]
                if handlers[kind]():
                    break
            else:
                self.fact()
        while self.delayed:
            _, _, entry = heapq.heappop(self.delayed)
            self.emit(entry)
            self.out_of_order_count += 1
            if entry["id"] in self.amend_info:
                del self.amend_info[entry["id"]]
        self.flush()
        if self.progress is not None:
            self.progress(self.emitted)
        manifest = {
            "generator": "benchmarks/generate.py",
            "size": self.emitted,
            "requested_size": self.size,
            "seed": self.seed,
            "bodies": self.established,
            "in_force_at_end": len(self.live),
            "files": self.file_number,
            "per_file": PER_FILE,
            "period": [START.isoformat(), END.isoformat()],
            "counts": dict(sorted(self.counts.items())),
            "out_of_order": self.out_of_order_count,
            "expect": {
                "in_force": self.in_force,
                "lineage": self.lineage,
                "holders": self.holders,
                "corrections": self.corrections,
                "retractions": self.retractions,
                "out_of_order": self.out_of_order,
            },
        }
        (self.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        return manifest


def generate(
    size: int,
    out: Path,
    *,
    seed: int = 7,
    bodies: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Write `size` changes as change files in `out` (and out/manifest.json); return the manifest."""
    if size < 100:
        raise ValueError("size must be at least 100 changes")
    wanted = bodies if bodies is not None else max(40, size // 50)
    return Generator(size, Path(out), seed, wanted, progress).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, required=True, help="number of changes")
    parser.add_argument("--out", type=Path, required=True, help="directory for the change files")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bodies", type=int, default=None, help="default: size / 50")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    def progress(done: int) -> None:
        elapsed = time.perf_counter() - started
        rate = done / elapsed if elapsed else 0.0
        sys.stderr.write(f"\rgenerated {done:,}/{args.size:,} changes ({rate:,.0f}/s)")
        sys.stderr.flush()

    try:
        manifest = generate(
            args.size, args.out, seed=args.seed, bodies=args.bodies, progress=progress
        )
    except ValueError as exc:
        sys.stderr.write(f"generate: error: {exc}\n")
        return 2
    elapsed = time.perf_counter() - started
    sys.stderr.write("\n")
    print(
        f"{manifest['size']:,} changes, {manifest['bodies']:,} bodies, {manifest['files']} files "
        f"in {args.out} ({elapsed:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
