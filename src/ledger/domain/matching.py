"""Names close to a name: `difflib.get_close_matches`, with the same answers, at the size of a national ledger.

difflib compares the name with every known name in Python, which at tens of thousands of names takes
a quarter of a second a call, and the import asks once for every body a change introduces. Its
similarity (twice the characters in matching blocks over both lengths) is never above the share of
a longest common subsequence, which rapidfuzz computes in C; so only the names that pass that bound
at the same cutoff are handed to difflib, and what difflib returns is unchanged.

Most of a call's cost at that size is rapidfuzz reading every known name (about 20 ms of 23 against
90,000 names, the comparisons 3 ms), so `close_bounds` finds the bound for many words in one pass:
an import asks it once per file for the names the file's mergers and splits may introduce.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

# Words compared in one pass of `close_bounds`: its scores take a byte per word and known name.
BOUND_WORDS = 64


def _floor(cutoff: float) -> float:
    """rapidfuzz's score cutoff for difflib's: a hair below, as a superset is safe and a miss not."""
    return cutoff * 100 - 0.01


def close_matches(
    word: str, possibilities: Sequence[str], n: int = 3, cutoff: float = 0.6
) -> list[str]:
    """The same list as `difflib.get_close_matches(word, possibilities, n, cutoff)`."""
    if len(possibilities) < 200:
        return difflib.get_close_matches(word, possibilities, n=n, cutoff=cutoff)
    from rapidfuzz import fuzz, process

    bound = process.extract(
        word,
        possibilities,
        scorer=fuzz.ratio,
        processor=None,
        limit=None,
        score_cutoff=_floor(cutoff),
    )
    candidates = [possibilities[index] for _, _, index in sorted(bound, key=lambda b: b[2])]
    return difflib.get_close_matches(word, candidates, n=n, cutoff=cutoff)


def close_bounds(
    words: Sequence[str], possibilities: Sequence[str], cutoff: float
) -> list[list[str]]:
    """For each word, the possibilities (in their order) that `close_matches` would hand to difflib:
    `close_matches(word, possibilities, n, cutoff)` is `difflib.get_close_matches(word, bound, n,
    cutoff)` with this bound. Every possibility is read once per BOUND_WORDS words, and the
    comparisons run on every core."""
    import numpy
    from rapidfuzz import fuzz, process

    found: list[list[str]] = []
    for start in range(0, len(words), BOUND_WORDS):
        scores = process.cdist(
            words[start : start + BOUND_WORDS],
            possibilities,
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=_floor(cutoff),  # scores under it come back as 0
            dtype=numpy.uint8,  # rounded: a score at the cutoff is never 0
            workers=-1,
        )
        found += [[possibilities[int(i)] for i in numpy.flatnonzero(row)] for row in scores]
    return found


def not_one_of(value: str, choices: Sequence[str], what: str, listing: str) -> str:
    """The one-line refusal of a word not among `choices`: the close ones (ignoring case, `_`
    and `-`), then every choice."""
    by_fold = {c.lower().replace("_", " ").replace("-", " "): c for c in choices}
    folded = value.strip().lower().replace("_", " ").replace("-", " ")
    close = [by_fold[c] for c in difflib.get_close_matches(folded, list(by_fold), n=3, cutoff=0.6)]
    hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
    return f"unknown {what} {value!r}; {hint}{listing}: {', '.join(choices)}"
