"""A serving process bounds glibc's malloc arenas and fixes its mmap threshold (issue 20: the
server's memory grew run after run from allocator fragmentation: across its threads' arenas,
then from blocks glibc stopped mapping on their own once it had raised its threshold)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)

# 16 threads each allocate (glibc gives each new thread an arena of its own, up to 8 per
# core), then the process counts its arenas from malloc_info's XML (one <heap> per arena)
PROBE = textwrap.dedent(
    """
    import ctypes, ctypes.util, sys, threading
    from sounding.cli import malloc
    if sys.argv[1] == "limit":
        assert malloc.limit_arenas()
    def work():
        keep = [bytearray(4096) for _ in range(200)]
        barrier.wait()
        del keep
    barrier = threading.Barrier(16)
    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    fp = libc.fopen(sys.argv[2].encode(), b"w")
    libc.malloc_info(0, fp)
    libc.fclose(fp)
    """
)


def _arenas(mode: str, tmp_path: Path) -> int:
    out = tmp_path / f"{mode}.xml"
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    subprocess.run([sys.executable, "-c", PROBE, mode, str(out)], env=env, check=True)
    return out.read_text().count("<heap nr=")


def test_limit_arenas_bounds_the_threads_arenas(tmp_path: Path) -> None:
    unlimited = _arenas("default", tmp_path)
    assert unlimited > 2, "glibc's default should give these threads arenas of their own"
    assert _arenas("limit", tmp_path) <= 2


def test_environment_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    from sounding.cli import malloc

    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert malloc.limit_arenas() is False


# 16 blocks of 1 MiB freed (glibc then raises its mmap threshold past 512 KiB), then 64 MiB of
# 512 KiB blocks, each followed by a small block that stays, freed: the anonymous memory
# before and after that free, in MiB
THRESHOLD_PROBE = textwrap.dedent(
    """
    import sys
    from sounding.cli import malloc
    if sys.argv[1] == "fixed":
        assert malloc.fix_mmap_threshold()
    def anon():
        for line in open("/proc/self/status"):
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) // 1024
    big = [bytearray(1 << 20) for _ in range(16)]
    del big
    blocks, pins = [], []
    for _ in range(128):
        blocks.append(bytearray(512 << 10))
        pins.append(bytearray(1024))
    before = anon()
    del blocks
    print(before, anon())
    """
)


def _freed(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run(
        [sys.executable, "-c", THRESHOLD_PROBE, mode], env=env, check=True, capture_output=True
    )
    before, after = map(int, out.stdout.split())
    return before - after


def test_a_fixed_mmap_threshold_gives_freed_blocks_back() -> None:
    assert _freed("default") < 16, "glibc's default should keep the freed 512 KiB blocks"
    assert _freed("fixed") >= 56  # of the 64 MiB freed


def test_environment_threshold_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    from sounding.cli import malloc

    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "262144")
    assert malloc.fix_mmap_threshold() is False


def test_serve_and_demo_tune_malloc_first() -> None:
    """Both commands that serve call it before they build anything (threads start there)."""
    import inspect

    from sounding.cli import core

    for command in (core.serve, core.demo):
        body = inspect.getsource(command).split('"""', 2)[2]
        assert body.lstrip().startswith("malloc.tune()"), command.__name__
