"""Tune glibc's malloc in a serving process (issue 20): bound its arenas and fix its mmap
threshold.

**Arenas.** glibc gives a thread that finds the allocator busy an arena of its own, up to
eight per core. A server's request threads, the search counter threads and tantivy's and
usearch's native threads then each free memory into a different arena, where it stays: the
server's anonymous memory grew by ~20 MB every 10 s of searches (usage flushes re-index the
searched assets) and never came back, and requests got slower as it grew. With two arenas it
stays flat after the first run, and the CPU per request falls too. Python objects did not
grow (``gc`` counts were flat): the growth was all allocator fragmentation.

**The mmap threshold.** A block of at least the threshold (128 KiB to start with) is mapped
on its own and given back to the system when freed; but glibc raises the threshold to the
size of every such block freed (up to 32 MiB), after which blocks of that size come from the
arenas, where freed memory stays behind whatever was allocated after it. Each search-index
commit (every usage flush) allocates and frees such blocks: the server's anonymous memory
still rose ~10 MB a flush with two arenas (236 → 257 MB over five 15 s runs). Setting the
threshold fixes it at 128 KiB, which also turns off glibc's raising it: 228 → 238 MB.

``MALLOC_ARENA_MAX`` / ``MALLOC_MMAP_THRESHOLD_`` in the environment win (glibc reads them
itself, before we run); elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

M_MMAP_THRESHOLD = -3  # from glibc's malloc.h
M_ARENA_MAX = -8
SERVER_ARENAS = 2
SERVER_MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value, kept from then on


def _mallopt(param: int, value: int, env: str) -> bool:
    if os.environ.get(env) or platform.system() != "Linux":
        return False
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(param, value))
    except (OSError, AttributeError):
        return False


def limit_arenas(arenas: int = SERVER_ARENAS) -> bool:
    """Let this process's threads share at most ``arenas`` malloc arenas; call it before the
    process starts threads (arenas already made stay). Returns whether the limit is set."""
    return _mallopt(M_ARENA_MAX, arenas, "MALLOC_ARENA_MAX")


def fix_mmap_threshold(nbytes: int = SERVER_MMAP_THRESHOLD) -> bool:
    """Map every block of ``nbytes`` or more on its own (returned to the system when freed)
    and keep that threshold, instead of glibc's raising it. Returns whether it is set."""
    return _mallopt(M_MMAP_THRESHOLD, nbytes, "MALLOC_MMAP_THRESHOLD_")


def tune() -> None:
    """Both settings, for a process that serves; call it before any thread starts."""
    limit_arenas()
    fix_mmap_threshold()
