"""Bound glibc's malloc arenas in a serving process (issue 20).

glibc gives a thread that finds the allocator busy an arena of its own, up to eight per core.
A server's request threads, the search counter threads and tantivy's and usearch's native
threads then each free memory into a different arena, where it stays: the server's anonymous
memory grew by ~20 MB every 10 s of searches (usage flushes re-index the searched assets) and
never came back, and requests got slower as it grew. With two arenas it stays flat after the
first run, and the CPU per request falls too. Python objects did not grow (``gc`` counts were
flat): the growth was all allocator fragmentation.

``MALLOC_ARENA_MAX`` in the environment wins (glibc reads it itself, before we run); elsewhere
than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

M_ARENA_MAX = -8  # from glibc's malloc.h
SERVER_ARENAS = 2


def limit_arenas(arenas: int = SERVER_ARENAS) -> bool:
    """Let this process's threads share at most ``arenas`` malloc arenas; call it before the
    process starts threads (arenas already made stay). Returns whether the limit is set."""
    if os.environ.get("MALLOC_ARENA_MAX") or platform.system() != "Linux":
        return False
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False
