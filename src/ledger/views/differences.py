"""What a reader asks of two dates: which bodies appeared, ended, were renamed or reclassified,
joined or left a body, and who took up or left a post; each with the changes, effective between
the dates, that touched the body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# The kinds of change that cause each difference; a difference none of the body's changes in
# the window explains is put down to all of them.
CAUSES = {
    "appeared": ("established", "merged", "split", "succeeded", "corrected", "retracted"),
    "ended": ("closed", "merged", "split", "corrected", "retracted"),
    "renamed": ("renamed", "corrected", "retracted"),
    "reclassified": ("reclassified", "corrected", "retracted"),
    "joined": ("joined", "corrected", "retracted"),
    "left": ("left", "closed", "merged", "split", "corrected", "retracted"),
    "took up a post": ("appointed", "corrected", "retracted"),
    # No change causes it: the sources stop showing the body (see docs/evidence.md).
    "no longer attested": (),
    "left a post": (
        "appointment_ended",
        "post_abolished",
        "closed",
        "merged",
        "corrected",
        "retracted",
    ),
}


def differences(
    before: dict[str, Any],
    after: dict[str, Any],
    touching: Callable[[str], list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """The differences between two structures (as `structure` answers), body by body in name
    order; `touching(body_id)` gives the changes in the window that touch it (as the log shows
    them), of which each difference names those of the kinds that cause it."""
    old = {o["id"]: o for o in before["organisations"]}
    new = {o["id"]: o for o in after["organisations"]}
    found: list[dict[str, Any]] = []

    def note(body: dict[str, Any], what: str, detail: str, about: str = "") -> None:
        changes = touching(body["id"]) if CAUSES[what] else []
        causes = [c for c in changes if c["kind"] in CAUSES[what] and about in c["summary"]]
        found.append(
            {
                "body": body["name"],
                "body_id": body["id"],
                "what": what,
                "detail": detail,
                "changes": [c["change"] for c in causes or changes],
                # as the later structure has it (the earlier, for a body that ended)
                "status": body.get("status"),
                "last_evidence": body.get("last_evidence"),
            }
        )

    for key in sorted(new.keys() - old.keys(), key=lambda k: new[k]["name"]):
        note(new[key], "appeared", f"{new[key]['kind'] or 'body'} in force")
    for key in sorted(old.keys() - new.keys(), key=lambda k: old[k]["name"]):
        note(old[key], "ended", "no longer in force")
    for key in sorted(old.keys() & new.keys(), key=lambda k: new[k]["name"]):
        a, b = old[key], new[key]
        if a["name"] != b["name"]:
            note(b, "renamed", f"was {a['name']}")
        if a["kind"] != b["kind"]:
            note(b, "reclassified", f"{a['kind']} -> {b['kind']}")
        if a.get("status") == "in force" and b.get("status") == "presumed":
            note(b, "no longer attested", f"presumed after {b['last_evidence']}")
        was = {m["id"]: m["name"] for m in a["member_of"]}
        now = {m["id"]: m["name"] for m in b["member_of"]}
        for body in sorted(now.keys() - was.keys(), key=now.__getitem__):
            note(b, "joined", now[body], now[body])
        for body in sorted(was.keys() - now.keys(), key=was.__getitem__):
            note(b, "left", was[body], was[body])
        held = _holders(a)
        holds = _holders(b)
        for post, person in sorted(holds - held):
            note(b, "took up a post", f"{person} as {post}", person)
        for post, person in sorted(held - holds):
            note(b, "left a post", f"{person} as {post}", person)
    return found


def _holders(body: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (post["title"], holder["person"]) for post in body["posts"] for holder in post["holders"]
    }
