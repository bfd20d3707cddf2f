"""Close names: the same answers as difflib, whatever the size of the list of known names."""

from __future__ import annotations

import difflib
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.matching import close_matches

WORDS = ["north", "south", "devon", "torbay", "plymouth", "ccg", "nhs", "trust", "care", "kernow"]


def known_names(count: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    return [" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 5))) for _ in range(count)]


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    cutoff=st.sampled_from([0.6, 0.85, 0.95]),
    edit=st.sampled_from(["none", "drop", "swap", "append"]),
)
def test_close_matches_answers_as_difflib_does(seed: int, cutoff: float, edit: str) -> None:
    names = known_names(600, seed)  # above the size where the C bound is used first
    word = random.Random(seed + 1).choice(names)
    if edit == "drop":
        word = word[1:]
    elif edit == "swap" and len(word) > 2:
        word = word[1] + word[0] + word[2:]
    elif edit == "append":
        word += " trust"
    assert close_matches(word, names, n=3, cutoff=cutoff) == difflib.get_close_matches(
        word, names, n=3, cutoff=cutoff
    )


def test_a_name_far_from_every_known_name_has_no_close_match() -> None:
    assert close_matches("zzzz qqqq", known_names(1000, 1), cutoff=0.85) == []
    assert close_matches("north devon ccg", ["north devon ccg"] * 300, n=1) == ["north devon ccg"]
