"""Keep Python's cyclic garbage collector off the objects a server holds for its whole life
(issue 20).

A started server holds about 350,000 objects that live as long as it does: modules, classes,
functions, the routes and their typed schemas, SQLAlchemy's table metadata and compiled-query
cache, templates. CPython's collector walks every one of them at each full (generation 2)
collection, which it starts whenever a quarter more objects than the last one left have
survived. Over the life of a server that served a 15 s read load (``bench/load.py``) that was
9 full collections, 1.1-1.2 s of its CPU (measured with ``gc.callbacks``), each a stop for
every request thread, while none of those objects was garbage; importing and building the
app alone made the collector walk the growing heap 634 times (0.35-0.39 s of the 2.7-2.9 s
of CPU that importing and building the app took).

:func:`pause_during_start` turns automatic collection off while the server starts (but
for the store's migrations, whose garbage grows with the store: :func:`collecting`);
:func:`freeze_after_start`, once it has started, collects once, moves every object alive to
the permanent generation (``gc.freeze()``), which later collections skip, and turns
collection back on. Objects made after it are collected as before; a frozen object is still
freed when its last reference goes (only a cycle among frozen objects would stay). The same
run then spent 0.38-0.41 s in full collections, the one at the freeze included. Only a
serving process calls these, once: a library caller, or a test process that builds many
apps, keeps Python's defaults.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)


def pause_during_start() -> None:
    """No automatic collection until :func:`freeze_after_start` (call both, in that order)."""
    gc.disable()


@contextmanager
def collecting() -> Iterator[None]:
    """Collect automatically inside the block, within :func:`pause_during_start`'s pause: for
    start-up work whose garbage is not bounded by the code (a store's data migrations)."""
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not was_enabled:
            gc.disable()


def freeze_after_start() -> int:
    """Collect, leave every object alive now out of later collections and collect
    automatically again; returns how many objects are frozen."""
    gc.collect()
    gc.freeze()
    gc.enable()
    frozen = gc.get_freeze_count()
    logger.debug("Froze %d objects alive after start-up out of garbage collection", frozen)
    return frozen
