"""A one-line progress bar on stderr (rate and ETA) for long imports; silent unless on a terminal."""

from __future__ import annotations

import time
from typing import TextIO

WIDTH = 24
EVERY = 0.1  # seconds between redraws


class Progress:
    """Counts changes as they are appended and estimates the rest from the bytes of input left.

    The input is read one file at a time, so the number of changes to come is not known; the share
    of bytes done (the current file counted pro rata) is, and it gives a steady ETA.
    """

    def __init__(
        self, stream: TextIO, total_bytes: int, *, enabled: bool, unit: str = "changes"
    ) -> None:
        self.stream = stream
        self.unit = unit
        self.total_bytes = max(total_bytes, 1)
        self.enabled = enabled
        self.started = time.monotonic()
        self.changes = 0
        self.changes_before = 0  # changes appended from the files already done
        self.bytes_before = 0  # bytes of the files already done
        self.file_bytes = 0
        self.file_entries = 1
        self._shown = 0.0
        self._drawn = False

    def start_file(self, size: int, entries: int) -> None:
        self.file_bytes = size
        self.file_entries = max(entries, 1)

    def advance(self, done_in_file: int, appended_in_file: int) -> None:
        """`done_in_file` entries of the current file are through, `appended_in_file` appended."""
        self.changes = self.changes_before + appended_in_file
        self._draw(self.bytes_before + self.file_bytes * done_in_file / self.file_entries)

    def end_file(self, appended: int) -> None:
        self.changes = self.changes_before = self.changes_before + appended
        self.bytes_before += self.file_bytes
        self.file_bytes = 0
        self._draw(self.bytes_before, force=True)

    def reached(self, position: int) -> None:
        """For work that walks the log: `position` of the `total` given as bytes is done."""
        self.changes = position
        self._draw(position)

    def clear(self) -> None:
        """Rub the bar out so that a line of ordinary output can be written."""
        if self._drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._drawn = False

    def _draw(self, bytes_done: float, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._shown < EVERY:
            return
        self._shown = now
        elapsed = max(now - self.started, 1e-6)
        share = min(bytes_done / self.total_bytes, 1.0)
        filled = int(WIDTH * share)
        rate = self.changes / elapsed
        eta = elapsed * (1 - share) / share if share > 0 else None
        line = (
            f"[{'#' * filled}{'.' * (WIDTH - filled)}] {share:4.0%}  "
            f"{self.changes:,} {self.unit}  {rate:,.0f}/s  ETA {_clock(eta)}"
        )
        self.stream.write("\r\033[K" + line)
        self.stream.flush()
        self._drawn = True


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
