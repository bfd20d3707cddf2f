"""Stable ids: the same name (or code) always gives the same body, post, person or function, so a
re-import finds what an earlier one recorded instead of making it again."""

from __future__ import annotations

import uuid
from uuid import UUID

NAMESPACE = UUID("6f1c1a52-4a0e-5b7e-9d1e-3c2b8a7d0e11")


def fold(text: str) -> str:
    """A name as it is compared: case and runs of white space do not count."""
    return " ".join(text.casefold().split())


def org_id(name: str, codes: dict[str, str] | None = None) -> UUID:
    if codes:
        scheme = "ods" if "ods" in codes else sorted(codes)[0]
        return uuid.uuid5(NAMESPACE, f"organisation:{scheme}:{codes[scheme].upper()}")
    return uuid.uuid5(NAMESPACE, f"organisation:{fold(name)}")


def post_id(organisation: UUID, title: str) -> UUID:
    return uuid.uuid5(NAMESPACE, f"post:{organisation.hex}:{fold(title)}")


def person_id(name: str) -> UUID:
    return uuid.uuid5(NAMESPACE, f"person:{fold(name)}")


def function_id(name: str) -> UUID:
    return uuid.uuid5(NAMESPACE, f"function:{fold(name)}")
