"""The register's upper-case names in a readable case, as the ledger shows them."""

from __future__ import annotations

import re

ACRONYMS = frozenset(
    {"NHS", "CCG", "ICB", "ICS", "ICP", "STP", "ACS", "CIC", "CSU", "PCT", "PCN", "SHA", "GP",
     "GPS", "UK", "NFT", "LLP", "LTD", "PLC", "HQ", "ICO", "OOH", "CAMHS", "IAPT", "A&E", "NHSE",
     "NHSI", "CQC"}
)  # fmt: skip
SMALL_WORDS = frozenset(
    {"and", "of", "the", "for", "in", "on", "at", "by", "to", "with", "upon", "under", "super",
     "le", "la", "de"}
)  # fmt: skip


def readable(name: str) -> str:
    """An ODS upper-case name in a readable case: 'NHS DEVON ICB - 15N' -> 'NHS Devon ICB - 15N'.

    Acronyms (NHS, CCG, ICB, ...) and codes (anything with a digit) stay upper case; 'and', 'of',
    'the' and the like are lower case except as the first word. A name already in mixed case is
    returned as given.
    """
    if name != name.upper():
        return name
    words = name.split()
    return " ".join(_word(w, first=i == 0) for i, w in enumerate(words))


def _word(word: str, *, first: bool) -> str:
    parts = word.split("-")
    return "-".join(_part(p, first=first and i == 0) for i, p in enumerate(parts))


def _part(part: str, *, first: bool) -> str:
    match = re.match(r"^([^A-Za-z0-9&]*)(.*?)([^A-Za-z0-9&]*)$", part)
    if not match or not match[2]:
        return part
    lead, core, trail = match.groups()
    if core in ACRONYMS or any(c.isdigit() for c in core):
        return part
    if not first and core.lower() in SMALL_WORDS:
        return lead + core.lower() + trail
    pieces = core.split("'")
    cased = [pieces[0][:1].upper() + pieces[0][1:].lower()]
    for piece in pieces[1:]:
        # King's, but O'Neill
        cased.append(piece.lower() if len(piece) <= 1 else piece[:1].upper() + piece[1:].lower())
    return lead + "'".join(cased) + trail
