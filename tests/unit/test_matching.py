"""Close names: the same answers as difflib, whatever the size of the list of known names."""

from __future__ import annotations

import difflib
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.matching import BOUND_WORDS, close_bounds, close_matches

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


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cutoff=st.sampled_from([0.6, 0.85, 0.95]))
def test_the_bound_found_together_gives_difflibs_answer_for_every_word(
    seed: int, cutoff: float
) -> None:
    names = known_names(700, seed)
    rnd = random.Random(seed + 2)
    words = [rnd.choice(names) for _ in range(BOUND_WORDS + 6)]  # more than one pass
    words = [w[1:] if i % 3 == 0 else w + " ccg" if i % 3 == 1 else w for i, w in enumerate(words)]
    words.append("zzzz qqqq")
    bounds = close_bounds(words, names, cutoff)
    assert len(bounds) == len(words)
    for word, bound in zip(words, bounds, strict=True):
        assert difflib.get_close_matches(word, bound, n=len(names), cutoff=cutoff) == (
            difflib.get_close_matches(word, names, n=len(names), cutoff=cutoff)
        )
        rest = iter(names)  # a subsequence of the names: some of them, in their order
        assert all(any(b == n for n in rest) for b in bound)
    assert bounds[-1] == []
