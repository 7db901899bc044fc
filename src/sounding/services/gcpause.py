"""Pausing the cyclic garbage collector around bulk work (a discovery batch, a catalog load).

Such work allocates tens of thousands of short-lived, acyclic objects (described columns,
rows, tuples). Reference counting frees them; but every few hundred allocations also start a
collection, and the older generations hold the whole scan state, so on a 43k-asset scan a
fifth of the time went to walking that state again and again. Paused for one bounded piece of
work, the collector catches up once at the end. Keep the pieces bounded (one batch, not a whole
scan) so garbage with cycles never piles up for long.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """No automatic cyclic collection inside the block; restored as it was on the way out."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
