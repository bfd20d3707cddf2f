"""Python's cycle collector paused while the ledger builds what holds no reference cycles.

Loading a command's modules, and a question building its answer (a whole country is a few objects
per row read), allocate many objects that live until the process ends or the answer is printed and
none of which is in a cycle: the collector would only walk them again and again as they grow.
Pauses nest; the collector is back on when the outermost ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
