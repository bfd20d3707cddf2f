"""Names close to a name: `difflib.get_close_matches`, with the same answers, at the size of a national ledger.

difflib compares the name with every known name in Python, which at tens of thousands of names takes
a quarter of a second a call, and the import asks once for every body a change introduces. Its
similarity (twice the characters in matching blocks over both lengths) is never above the share of
a longest common subsequence, which rapidfuzz computes in C; so only the names that pass that bound
at the same cutoff are handed to difflib, and what difflib returns is unchanged.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence


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
        score_cutoff=cutoff * 100 - 0.01,  # a hair below: a superset is safe, a miss is not
    )
    candidates = [possibilities[index] for _, _, index in sorted(bound, key=lambda b: b[2])]
    return difflib.get_close_matches(word, candidates, n=n, cutoff=cutoff)
