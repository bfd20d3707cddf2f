"""A synthetic national read model, written straight into the read-model tables, to time queries.

Importing a million changes through `ledger import` takes long; the queries read only the read
model, so this fills `ledger_changes`, `ledger_facts`, `ledger_entities` and `ledger_names` with a
realistic shape (seeded): ~20,000 bodies, their renames, closures and mergers, memberships,
relationships, posts and appointments, dated facts, ~3% corrections, recorded out of effective
order. It is not a valid event log (there are no events); use it only for read-only queries.

    python benchmarks/readmodel_store.py --changes 1000000 --db /tmp/national.db
    python benchmarks/readmodel_store.py --changes 1000000 --db postgresql://127.0.0.1/national
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from sqlalchemy import create_engine, insert

from ledger.adapters.store import normalise_url
from ledger.adapters.tables import changes, entities, facts, fold, metadata, names, tracking

KINDS = ["ccg", "nhs_trust", "foundation_trust", "local_authority", "partnership", "gp_practice"]
SOURCES = json.dumps([{"source": "synthetic-register", "locator": "row 1"}])


def uid(*parts: object) -> str:
    return uuid5(NAMESPACE_URL, "/".join(map(str, parts))).hex


def day(rng: random.Random, start: int = 1990, end: int = 2020) -> date:
    return date(start, 1, 1) + timedelta(days=rng.randrange((end - start) * 365))


class Filler:
    """Produces change rows and fact rows in log order."""

    def __init__(self, total: int, bodies: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.total = total
        self.bodies = bodies
        self.position = 0
        self.change_rows: list[dict[str, Any]] = []
        self.fact_rows: list[dict[str, Any]] = []
        self.entity_rows: list[dict[str, Any]] = []
        self.name_rows: list[dict[str, Any]] = []
        self.orgs: list[str] = []
        self.born: dict[str, date] = {}
        self.posts: list[tuple[str, str, date]] = []
        self.people = 0
        self.recent: list[tuple[str, list[dict[str, Any]]]] = []

    def change(self, kind: str, eff: date, rows: list[dict[str, Any]]) -> str:
        self.position += 1
        change_id = uid("change", self.position)
        self.change_rows.append(
            {
                "change_id": change_id,
                "position": self.position,
                "label": None,
                "kind": kind,
                "effective": eff.isoformat(),
                "eff_start": eff,
                "status": "happened",
                "recorded_at": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=self.position),
                "recorder": "synthetic",
                "reason": "synthetic national history",
                "sources": SOURCES,
                "details": "{}",
                "supersedes": None,
                "superseded_at": None,
                "digest": None,
            }
        )
        made = []
        for r in rows:
            row = {
                "change_id": change_id,
                "known_from": self.position,
                "known_to": None,
                "planned": False,
                "other": None,
                "value": None,
                "extra": None,
                "eff_start": eff,
                "effective": eff.isoformat(),
                **r,
            }
            self.fact_rows.append(row)
            made.append(row)
        if self.rng.random() < 0.05:
            self.recent.append((change_id, made))
            self.recent = self.recent[-200:]
        return change_id

    def entity(self, eid: str, entity: str, name: str, parent: str | None = None) -> None:
        self.entity_rows.append(
            {
                "id": eid,
                "entity": entity,
                "name": name,
                "parent": parent,
                "first_position": self.position,
            }
        )
        self.name_rows.append(
            {"entity_id": eid, "name": name, "folded": fold(name), "scheme": None}
        )

    def establish(self, i: int) -> None:
        org = uid("org", i)
        eff = day(self.rng, 1990, 2015)
        kind = self.rng.choice(KINDS)
        name = f"Body {i:05d} {kind.replace('_', ' ').title()}"
        code = f"X{i:05d}"
        self.change(
            "established",
            eff,
            [
                {"subject": org, "aspect": "start"},
                {"subject": org, "aspect": "name", "value": name},
                {"subject": org, "aspect": "kind", "value": kind},
                {"subject": org, "aspect": "code", "value": code, "extra": '{"scheme": "ods"}'},
            ],
        )
        self.entity(org, "organisation", name)
        self.name_rows.append(
            {"entity_id": org, "name": code, "folded": fold(code), "scheme": "ods"}
        )
        self.orgs.append(org)
        self.born[org] = eff

    def later(self, org: str) -> date:
        start = self.born[org]
        return start + timedelta(
            days=self.rng.randrange(1, max(2, (date(2026, 1, 1) - start).days))
        )

    def some_change(self) -> None:
        rng = self.rng
        r = rng.random()
        org = rng.choice(self.orgs)
        eff = self.later(org)
        if r < 0.02:
            self.change(
                "renamed",
                eff,
                [{"subject": org, "aspect": "name", "value": f"Renamed {org[:6]} {eff.year}"}],
            )
        elif r < 0.025:
            self.change("closed", eff, [{"subject": org, "aspect": "end"}])
        elif r < 0.035:
            succ = rng.choice(self.orgs)
            if succ != org:
                self.change(
                    "merged",
                    eff,
                    [
                        {"subject": org, "aspect": "end"},
                        {"subject": org, "aspect": "edge", "other": succ, "value": "merged"},
                    ],
                )
        elif r < 0.04:
            succ = rng.choice(self.orgs)
            self.change(
                "succeeded",
                eff,
                [{"subject": org, "aspect": "edge", "other": succ, "value": "succeeded"}],
            )
        elif r < 0.12:
            body = self.orgs[
                rng.randrange(min(len(self.orgs), 2000))
            ]  # partnerships have many members
            aspect = "member_start" if rng.random() < 0.6 else "member_end"
            self.change(
                "joined" if aspect == "member_start" else "left",
                eff,
                [{"subject": org, "aspect": aspect, "other": body}],
            )
        elif r < 0.17:
            other = rng.choice(self.orgs)
            aspect = "rel_start" if rng.random() < 0.7 else "rel_end"
            self.change(
                "relationship_started",
                eff,
                [{"subject": org, "aspect": aspect, "other": other, "value": "commissions"}],
            )
        elif r < 0.22:
            post = uid("post", org, len(self.posts))
            title = f"Director {len(self.posts)}"
            self.change(
                "post_created",
                eff,
                [{"subject": post, "aspect": "post_start", "other": org, "value": title}],
            )
            self.entity(post, "post", title, org)
            self.posts.append((post, org, eff))
        elif r < 0.70 and self.posts:
            post, org, born = self.posts[rng.randrange(len(self.posts))]
            eff = born + timedelta(days=rng.randrange(1, max(2, (date(2026, 1, 1) - born).days)))
            if rng.random() < 0.55 or not self.people:
                self.people += 1
                person = uid("person", self.people)
                pname = f"Person {self.people}"
                flags = '{"acting": false, "interim": false, "shadow": false}'
                self.change(
                    "appointed",
                    eff,
                    [
                        {
                            "subject": post,
                            "aspect": "appt_start",
                            "other": person,
                            "value": pname,
                            "extra": flags,
                        }
                    ],
                )
                self.entity(person, "person", pname)
            else:
                person = uid("person", rng.randrange(1, self.people + 1))
                self.change(
                    "appointment_ended",
                    eff,
                    [{"subject": post, "aspect": "appt_end", "other": person}],
                )
        elif r < 0.97:
            extra = json.dumps(
                {"value": rng.randrange(10**6), "unit": None, "function": None}, sort_keys=True
            )
            self.change(
                "fact_recorded",
                eff,
                [
                    {
                        "subject": org,
                        "aspect": "fact",
                        "value": rng.choice(["population", "budget", "practices"]),
                        "extra": extra,
                    }
                ],
            )
        elif self.recent:
            # A correction: supersede a recent change, re-asserting its rows a year later.
            old, rows = self.recent.pop(rng.randrange(len(self.recent)))
            for row in rows:
                row["known_to"] = self.position + 1
            for c in reversed(self.change_rows):
                if c["change_id"] == old:
                    c["superseded_at"] = self.position + 1
                    break
            fresh = [
                {
                    k: v
                    for k, v in row.items()
                    if k in ("subject", "aspect", "other", "value", "extra")
                }
                for row in rows
            ]
            new = self.change("corrected", rows[0]["eff_start"] + timedelta(days=365), fresh)
            self.change_rows[-1]["supersedes"] = old
            del new

    def batches(self, size: int = 20000) -> Iterator[None]:
        for i in range(self.bodies):
            self.establish(i)
            if len(self.change_rows) >= size:
                yield
        while self.position < self.total:
            self.some_change()
            if len(self.change_rows) >= size:
                yield
        yield


def fill(url: str, total: int, bodies: int, seed: int) -> None:
    engine = create_engine(normalise_url(url))
    with engine.begin() as conn:
        metadata.drop_all(conn)
        metadata.create_all(conn)
    filler = Filler(total, bodies, seed)
    started = time.perf_counter()
    flushed_changes: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for _ in filler.batches():
            # Corrections update rows still in memory; keep the last batch back one round.
            conn.execute(insert(changes), flushed_changes) if flushed_changes else None
            flushed_changes = filler.change_rows[:-5000]
            filler.change_rows = filler.change_rows[-5000:]
            keep = {c["change_id"] for c in filler.change_rows}
            done = [f for f in filler.fact_rows if f["change_id"] not in keep]
            filler.fact_rows = [f for f in filler.fact_rows if f["change_id"] in keep]
            if done:
                conn.execute(insert(facts), done)
            for table, rows in ((entities, filler.entity_rows), (names, filler.name_rows)):
                if rows:
                    conn.execute(insert(table), rows)
                    rows.clear()
            print(f"\r{filler.position:,} changes", end="", flush=True)
        for rows, table in (
            (flushed_changes + filler.change_rows, changes),
            (filler.fact_rows, facts),
        ):
            if rows:
                conn.execute(insert(table), rows)
        conn.execute(insert(tracking).values(name="readmodel", position=filler.position))
    print(f"\r{filler.position:,} changes in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=1_000_000)
    parser.add_argument("--bodies", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    fill(args.db, args.changes, args.bodies, args.seed)


if __name__ == "__main__":
    main()
