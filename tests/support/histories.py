"""Random histories for tests: many changes of every kind, often recorded out of effective order.

Changes are proposed at random and sent through the application; the ledger refuses the ones that
contradict what is already recorded, exactly as it would a user's, so what remains is a valid history.
"""

from __future__ import annotations

import hashlib
import random
from datetime import date, timedelta
from typing import Any

from ledger.application.commands import parse_change
from ledger.application.errors import LedgerError
from ledger.bootstrap import Ledger
from ledger.domain.events import ChangeEvent

KINDS = ["ccg", "nhs_trust", "partnership", "board", "local_authority"]
FUNCTIONS = ["adult social care", "finance", "HR"]


def random_effective(rng: random.Random, start: date = date(2010, 1, 1), days: int = 4000) -> str:
    day = start + timedelta(days=rng.randrange(days))
    precision = rng.choices(["day", "month", "quarter", "year"], weights=[6, 2, 1, 1])[0]
    if precision == "day":
        return day.isoformat()
    if precision == "month":
        return f"{day.year}-{day.month:02d}"
    if precision == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return str(day.year)


# The kinds of change whose date may be an observation (as-at:), as kinds.py declares them.
OBSERVABLE = {
    "established", "renamed", "reclassified", "joined", "relationship_started", "post_created",
    "appointed", "fact_recorded",
}  # fmt: skip


def _with_evidence(eff: str, n: int, kind: str) -> str:
    """Now and then a date only bounded (by:, after:) or seen (as-at:). Drawn from its own
    generator, so the histories of a seed are otherwise those they always were."""
    roll = random.Random(f"{eff}/{n}").random()
    if roll < 0.05:
        return "by:" + eff
    if roll < 0.08:
        return "after:" + eff
    if roll < 0.11 and kind in OBSERVABLE:
        return "as-at:" + eff
    return eff


def _carry(n: int) -> float:
    """A roll for what a succession carries (a merger's `no_carry`, a split's `carry_to`), drawn
    from its own generator, as `_with_evidence` is."""
    return random.Random(f"carry/{n}").random()


def _word(n: int, which: str) -> str:
    """A made-up word for change n, far from the others (eight hex digits of a hash)."""
    return hashlib.sha1(f"{n}/{which}".encode()).hexdigest()[:8]


def propose(
    rng: random.Random, bodies: list[str], posts: list[tuple[str, str]], people: list[str], n: int
) -> dict[str, Any]:
    """One random change as a change-file entry."""
    eff = random_effective(rng)
    common = {
        "effective": eff,
        "recorder": rng.choice(["ana", "ben"]),
        "reason": f"random {n}",
        "sources": [{"source": "random", "locator": f"item {n}"}],
    }
    name = f"Body {len(bodies) + 1}"
    choice = rng.choices(
        [
            "established",
            "renamed",
            "reclassified",
            "closed",
            "merged",
            "split",
            "succeeded",
            "joined",
            "left",
            "relationship_started",
            "relationship_ended",
            "staff_transferred",
            "function_moved",
            "post_created",
            "appointed",
            "appointment_ended",
            "fact_recorded",
            "decision_recorded",
        ],
        weights=[10, 3, 1, 2, 2, 1, 1, 6, 3, 2, 1, 2, 1, 3, 5, 2, 3, 1],
    )[0]
    if len(bodies) < 3:
        choice = "established"
    if choice in ("merged", "split") and _carry(n) < 0.6:
        # Mostly late, when the bodies have ties to carry: a succession dated anywhere is
        # mostly refused (a party not yet established, or closed by then).
        eff = random_effective(random.Random(f"late/{n}"), start=date(2018, 1, 1), days=1500)
    common["effective"] = _with_evidence(eff, n, choice)
    if choice == "established":
        return {
            "change": "established",
            "organisation": name,
            "kind": rng.choice(KINDS),
            "on_or_before": rng.random() < 0.1,
            **common,
        }
    a, b = rng.sample(bodies, 2)
    if choice == "renamed":
        return {"change": "renamed", "organisation": a, "name": f"{a} ({n})", **common}
    if choice == "reclassified":
        return {"change": "reclassified", "organisation": a, "kind": rng.choice(KINDS), **common}
    if choice == "closed":
        return {"change": "closed", "organisation": a, **common}
    if choice == "merged":
        into_new = rng.random() < 0.6
        successor = name if into_new else b
        extra = {"kind": rng.choice(KINDS)} if into_new else {}
        preds = [a]
        if len(bodies) > 4 and rng.random() < 0.5:
            preds.append(rng.choice([x for x in bodies if x not in (a, b)]))
        # Mostly the default (memberships and relationships carried), now and then neither.
        no_carry = {"no_carry": True} if _carry(n) < 0.2 else {}
        return {
            "change": "merged",
            "predecessors": preds,
            "successor": successor,
            **extra,
            **no_carry,
            **common,
        }
    if choice == "split":
        # Names far from every other (a split only introduces a body whose name is not close
        # to a known one, and "Body 12" is close to "Body 1").
        successors = [f"{_word(n, 'a')} Trust", f"{_word(n, 'b')} Unit"]
        # Half the time one successor takes over the source's memberships and relationships.
        roll = _carry(n)
        carry = {"carry_to": successors[roll < 0.25]} if roll < 0.5 else {}
        return {
            "change": "split",
            "source": a,
            "successors": successors,
            "source_continues": rng.random() < 0.3,
            **carry,
            **common,
        }
    if choice == "succeeded":
        return {"change": "succeeded", "predecessor": a, "successor": b, **common}
    if choice in ("joined", "left"):
        return {"change": choice, "member": a, "body": b, **common}
    if choice in ("relationship_started", "relationship_ended"):
        return {
            "change": choice,
            "subject": a,
            "relation": rng.choice(["hosts", "part_of"]),
            "object": b,
            **common,
        }
    if choice == "staff_transferred":
        return {
            "change": choice,
            "function": rng.choice(FUNCTIONS),
            "from": a,
            "to": b,
            "headcount": rng.randrange(1, 50),
            **common,
        }
    if choice == "function_moved":
        return {"change": choice, "function": rng.choice(FUNCTIONS), "from": a, "to": b, **common}
    if choice == "post_created":
        return {
            "change": choice,
            "post": rng.choice(["Chief Executive", "Chair", "Director"]),
            "organisation": a,
            **common,
        }
    if choice == "fact_recorded":
        attribute = rng.choice(["budget", "population_served", "headcount"])
        fn = {"function": rng.choice(FUNCTIONS)} if attribute == "headcount" else {}
        return {
            "change": choice,
            "subject": a,
            "attribute": attribute,
            "value": str(rng.randrange(10, 500)),
            **fn,
            **common,
        }
    if choice == "decision_recorded":
        return {"change": choice, "body": a, "decision": f"decision {n}", **common}
    if not posts:
        return {"change": "post_created", "post": "Chief Executive", "organisation": a, **common}
    title, org = rng.choice(posts)
    person = rng.choice(people) if people and rng.random() < 0.7 else f"Person {len(people) + 1}"
    if choice == "appointed":
        flag = rng.choice([None, None, "interim", "acting"])
        return {
            "change": "appointed",
            "person": person,
            "post": title,
            "organisation": org,
            **({flag: True} if flag else {}),
            **common,
        }
    return {
        "change": "appointment_ended",
        "person": person,
        "post": title,
        "organisation": org,
        **common,
    }


def remember(
    data: dict[str, Any], bodies: list[str], posts: list[tuple[str, str]], people: list[str]
) -> None:
    """Note the bodies, posts and people an accepted change brought in, for later proposals."""
    kind = data["change"]
    if kind == "established":
        bodies.append(data["organisation"])
    elif kind == "merged" and data["successor"] not in bodies:
        bodies.append(data["successor"])
    elif kind == "split":
        bodies.extend(s for s in data["successors"] if s not in bodies)
    elif kind == "post_created":
        posts.append((data["post"], data["organisation"]))
    elif kind == "appointed" and data["person"] not in people:
        people.append(data["person"])


def build_history(ledger: Ledger, seed: int, attempts: int) -> int:
    """Propose `attempts` random changes; return how many the ledger accepted."""
    rng = random.Random(seed)
    bodies: list[str] = []
    posts: list[tuple[str, str]] = []
    people: list[str] = []
    accepted = 0
    for n in range(attempts):
        data = propose(rng, bodies, posts, people, n)
        try:
            outcome = ledger.app.record(parse_change(data))
        except LedgerError:
            continue
        if outcome.status != "recorded":
            continue
        accepted += 1
        remember(data, bodies, posts, people)
    return accepted


def stored_log(ledger: Ledger) -> list[tuple[int, ChangeEvent]]:
    """Every stored event with its log position, read straight from the notification log."""
    events: list[tuple[int, ChangeEvent]] = []
    start = 0
    while True:
        batch = ledger.app.recorder.select_notifications(
            start=start, limit=1000, inclusive_of_start=False
        )
        if not batch:
            return events
        for n in batch:
            events.append((n.id, ledger.app.mapper.to_domain_event(n)))  # type: ignore[arg-type]
        start = batch[-1].id


def build_bitemporal_history(ledger: Ledger, seed: int, attempts: int) -> int:
    """Like build_history, with plans, confirmations, cancellations, corrections and retractions."""
    rng = random.Random(seed)
    bodies: list[str] = []
    posts: list[tuple[str, str]] = []
    people: list[str] = []
    recorded: list[str] = []  # handles of changes that may be corrected or retracted
    planned: list[str] = []
    accepted = 0
    for n in range(attempts):
        roll = rng.random()
        try:
            if roll < 0.06 and recorded:
                target = rng.choice(recorded)
                ledger.app.correct(
                    target,
                    recorder="ana",
                    reason=f"correction {n}",
                    updates={"effective": random_effective(rng)},
                )
                recorded.remove(target)
            elif roll < 0.09 and recorded:
                target = rng.choice(recorded)
                ledger.app.retract(target, recorder="ben", reason=f"retraction {n}")
                recorded.remove(target)
            elif roll < 0.13 and planned:
                target = rng.choice(planned)
                if rng.random() < 0.7:
                    updates = {"effective": random_effective(rng)} if rng.random() < 0.5 else {}
                    ledger.app.correct(
                        target,
                        recorder="ana",
                        reason=f"confirmed {n}",
                        updates=updates,
                        confirm=True,
                    )
                else:
                    ledger.app.retract(target, recorder="ana", reason=f"cancelled {n}", cancel=True)
                planned.remove(target)
            else:
                data = propose(rng, bodies, posts, people, n)
                is_plan = rng.random() < 0.1
                if is_plan:
                    data["status"] = "planned"
                outcome = ledger.app.record(parse_change(data))
                if outcome.status != "recorded":
                    continue
                (planned if is_plan else recorded).append(outcome.handle)
                remember(data, bodies, posts, people)
        except LedgerError:
            continue
        accepted += 1
    return accepted
