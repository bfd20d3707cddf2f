"""A change as it is stored: its event class and its fields as JSON values (ids as strings, dates as
text). The write path's timelines (model.py), the read model's projection, a rebuild and `verify`
all read changes in this form, so a long log is read without building a validated event per change,
and what a timeline keeps of a change is worked out one way, wherever the change comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ledger.domain.declaration import Party
from ledger.domain.kinds import KINDS

if TYPE_CHECKING:
    from ledger.domain.events import ChangeEvent


@dataclass(slots=True)
class StoredChange:
    """A change's class and its fields as stored."""

    cls: type[ChangeEvent]
    data: dict[str, Any]
    # Fields its class has gained since it was stored: `data` holds their defaults, and its
    # details (what the read model shows of it) leave them out, as they were.
    absent: frozenset[str] = frozenset()
    # What it does to each timeline it touches, once worked out (model.timeline_rows): the write
    # path's checks and the read model's rows share it.
    timelines: list[tuple[str, str | None, Any]] | None = None

    @classmethod
    def of(cls, event: ChangeEvent) -> StoredChange:
        return cls(type(event), event.model_dump(mode="json"))

    @property
    def kind(self) -> str:
        return self.cls.kind

    @property
    def change_id(self) -> str:
        return hex_id(self.data["change_id"])

    def parties(self) -> list[Party]:
        """The change's parties as its kind declares them, read off the stored fields (ids stay
        strings)."""
        return KINDS[self.cls.kind].parties_of(self.data.__getitem__)


def hex_id(value: Any) -> str:
    """A stored id (the canonical `8-4-4-4-12` form) as the read model and the timelines key it."""
    return str(value).replace("-", "")
